"""The live client over real mutual TLS against the simulated FMC (loopback only)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from estreamer.stream.bookmark import FileBookmarkStore, MemoryBookmarkStore, record_digest
from estreamer.stream.client import run_streams
from estreamer.stream.outputs import CollectingSink
from estreamer.testing.samples import generate_mix
from estreamer.testing.simulator import Faults
from estreamer.testing.simulator.archive import Archive
from tests.support.live import (
    assert_exactly_once,
    event_count,
    make_client,
    run_in_thread,
)


def test_stop_and_resume_many_times_delivers_each_record_once(simulator, client_context,
                                                              tmp_path):
    sim = simulator(records=4000, bundle_size=97)
    expected = event_count(sim.archive)
    sink = CollectingSink()
    store = FileBookmarkStore(tmp_path)
    # 1000 events per archive second: most stops fall inside a second
    for chunk in (1, 450, 999, 1, 1234, 700):
        client = make_client(sim, client_context, sink, store, max_events=chunk)
        status = client.run()
        assert status.handled == chunk
        # what a new process would see: the sink wound back to the bookmark
        sink.restore(store.load(client.key).sink)
    client = make_client(sim, client_context, sink, store,
                         max_events=expected - len(sink.records))
    client.run()
    assert_exactly_once(sink, expected)
    assert store.load(client.key).second == max(sim.archive.timestamps)


def test_two_fmcs_stream_at_the_same_time(simulator, client_context):
    sims = [simulator(records=2500, seed=1), simulator(records=3000, seed=2)]
    sinks = [CollectingSink(), CollectingSink()]
    clients = [make_client(s, client_context, k, MemoryBookmarkStore(),
                           max_events=event_count(s.archive)) for s, k in zip(sims, sinks)]
    results = run_streams(clients, threading.Event())
    assert results == [None, None]
    for sim, sink in zip(sims, sinks):
        assert_exactly_once(sink, event_count(sim.archive))
    assert {c.status.server for c in clients} == {f"127.0.0.1:{s.port}" for s in sims}


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_ha_failover_when_primary_dies_no_duplicates(simulator, client_context, caplog):
    archive = Archive(generate_mix(6000, seed=3))
    primary = simulator(records=archive, rate=4000, bundle_size=50)
    secondary = simulator(records=archive, bundle_size=50)
    expected = event_count(archive)
    sink = CollectingSink()
    client = make_client([primary, secondary], client_context, sink, MemoryBookmarkStore(),
                         max_events=expected)
    caplog.set_level(logging.WARNING, logger="estreamer.client")
    thread = run_in_thread(client)
    assert _wait(lambda: len(sink.records) > 1500)
    primary.stop()  # the active FMC goes away mid-stream
    thread.join(30)
    assert not thread.is_alive()
    assert_exactly_once(sink, expected)
    assert client.status.server == f"127.0.0.1:{secondary.port}"
    assert client.status.reconnects >= 1
    assert f"trying 127.0.0.1:{secondary.port}" in caplog.text


def test_ha_failover_when_primary_stalls(simulator, client_context, caplog):
    archive = Archive(generate_mix(3000, seed=4))
    stall = Faults(stall_after_bundles=5, stall_seconds=20)
    primary = simulator(records=archive, bundle_size=100, faults=stall,
                        keepalive_interval=0.1)
    secondary = simulator(records=archive, bundle_size=100, keepalive_interval=0.1)
    expected = event_count(archive)
    sink = CollectingSink()
    client = make_client([primary, secondary], client_context, sink, MemoryBookmarkStore(),
                         max_events=expected, idle_timeout=0.8)
    caplog.set_level(logging.WARNING, logger="estreamer.client")
    client.run()
    assert_exactly_once(sink, expected)
    assert "nothing received for 0.8s" in caplog.text
    assert client.status.server == f"127.0.0.1:{secondary.port}"


def test_malformed_record_is_counted_logged_and_skipped(simulator, client_context, caplog):
    archive = Archive(generate_mix(2000, seed=5))
    bad = next(i for i, t in enumerate(archive.types) if i > 300 and t == 71)
    sim = simulator(records=archive, faults=Faults(malformed_record=bad + 1))
    expected = event_count(archive) - 1
    sink = CollectingSink()
    client = make_client(sim, client_context, sink, MemoryBookmarkStore(),
                         max_events=expected)
    caplog.set_level(logging.WARNING, logger="estreamer.client")
    status = client.run()
    assert status.decode_errors == 1
    assert_exactly_once(sink, expected)
    assert "does not decode (record type 71, offset" in caplog.text
    bad_raw = archive.payload(bad)
    assert record_digest(bad_raw) not in {record_digest(r.raw) for r in sink.records}


def test_server_error_is_logged_and_the_stream_resumes(simulator, client_context, caplog):
    sim = simulator(records=3000, bundle_size=200,
                    faults=Faults(error=(19, "No space"), error_after_bundles=3))
    expected = event_count(sim.archive)
    sink = CollectingSink()
    client = make_client(sim, client_context, sink, MemoryBookmarkStore(),
                         max_events=expected)
    caplog.set_level(logging.WARNING, logger="estreamer.client")
    status = client.run()
    assert status.server_errors == 1
    assert "sent error 19: No space" in caplog.text
    assert_exactly_once(sink, expected)


def test_stop_from_another_thread_saves_the_bookmark(simulator, client_context, tmp_path):
    sim = simulator(records=5000, rate=2000)
    store = FileBookmarkStore(tmp_path)
    sink = CollectingSink()
    client = make_client(sim, client_context, sink, store)
    thread = run_in_thread(client)
    assert _wait(lambda: len(sink.records) > 500)
    client.stop()
    thread.join(10)
    assert not thread.is_alive()
    saved = store.load(client.key)
    assert saved.sink == {"count": len(sink.records)}
    assert client.status.state == "stopped"


@pytest.mark.parametrize("start, first_second", [(0, 0), (1, 0xFFFFFFFF)])
def test_start_modes_request_genesis_or_now(simulator, client_context, start, first_second):
    sim = simulator(records=500)
    client = make_client(sim, client_context, CollectingSink(), MemoryBookmarkStore(),
                         start=start, max_events=1 if start == 0 else None)
    if start == 1:
        thread = run_in_thread(client)
        assert _wait(lambda: len(sim.requests) >= 1)
        sim.append(list(generate_mix(5, seed=9, start_time=1_800_000_000,
                                     with_metadata=False)))
        assert _wait(lambda: client.status.handled >= 1)
        client.stop()
        thread.join(10)
    else:
        client.run()
    assert sim.requests[0][0].start == first_second
