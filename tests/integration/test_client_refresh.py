"""StreamClient's ``refresh_servers`` hook: renewed credentials are used on the next
reconnect cycle, without restarting the client (the Splunk input relies on it)."""

from __future__ import annotations

import logging
import ssl
import threading

from estreamer.errors import ConfigurationError
from estreamer.stream.bookmark import MemoryBookmarkStore
from estreamer.stream.client import Endpoint, StreamClient
from estreamer.stream.net import Backoff
from estreamer.stream.outputs import CollectingSink
from estreamer.stream.tls import client_context, load_pkcs12
from estreamer.testing.certs import client_pkcs12_bytes
from tests.support.live import EVENTS, assert_exactly_once, event_count


def _context(fmc_certs, cn: str) -> ssl.SSLContext:
    data = client_pkcs12_bytes(fmc_certs.ca, cn, "pw")
    return client_context(load_pkcs12(data, "pw"))


def test_a_renewed_certificate_is_used_on_the_next_reconnect(simulator, fmc_certs, caplog):
    """The FMC stops accepting the old certificate (here: its CN no longer matches); the
    client gets fresh endpoints after its backoff wait and streams everything once."""
    sim = simulator(records=400, bundle_size=20, enforce_cn=False)
    expected = event_count(sim.archive)
    old = _context(fmc_certs, "192.0.2.1")  # not the address the FMC sees
    new = _context(fmc_certs, "127.0.0.1")
    calls = []

    def refresh() -> list[Endpoint]:
        calls.append(1)
        if len(calls) == 1:  # the first refresh fails: the old servers are kept
            raise ConfigurationError("account fmc1: PKCS12 password is wrong")
        return [Endpoint("127.0.0.1", sim.port, new)]

    sink = CollectingSink()
    client = StreamClient([Endpoint("127.0.0.1", sim.port, old)], key="fmc1", sink=sink,
                          bookmarks=MemoryBookmarkStore(), selection=EVENTS,
                          backoff=Backoff(0.01, 0.05), read_timeout=0.2,
                          checkpoint_interval=0.05, max_events=expected,
                          refresh_servers=refresh)
    # the old certificate streams until the FMC drops the connection, then is refused
    sim.inject(drop_in_bundle=3)

    def enforce_once_streaming() -> None:  # the first session is past its CN check
        sim.wait_for(lambda s: s.served > 0, timeout=30)
        sim.enforce_cn = True

    threading.Thread(target=enforce_once_streaming, daemon=True).start()
    caplog.set_level(logging.WARNING, logger="estreamer.client")
    runner = threading.Thread(target=client.run, daemon=True)
    runner.start()
    runner.join(60)
    client.stop()  # only matters when the renewed certificate was never used
    runner.join(10)
    assert_exactly_once(sink, expected)
    assert len(calls) >= 2
    assert sim.rejected >= 1  # the old certificate was refused after the drop
    assert "keeping the previous servers and credentials: account fmc1: PKCS12 password " \
        "is wrong" in caplog.text
    assert client.status.reconnects >= 2


def test_without_a_refresh_hook_the_servers_stay(simulator, client_context):
    sim = simulator(records=200, bundle_size=20)
    sim.inject(drop_in_bundle=2)
    expected = event_count(sim.archive)
    sink = CollectingSink()
    servers = [Endpoint("127.0.0.1", sim.port, client_context)]
    client = StreamClient(servers, key="k", sink=sink, bookmarks=MemoryBookmarkStore(),
                          selection=EVENTS, backoff=Backoff(0.01, 0.05), read_timeout=0.2,
                          max_events=expected)
    client.run()
    assert_exactly_once(sink, expected)
    assert client.servers == servers and client.status.reconnects == 1
