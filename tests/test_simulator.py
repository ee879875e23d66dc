"""The FMC simulator over real mutual TLS, driven by a raw protocol.ClientConnection."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import Counter

import pytest

from estreamer.errors import ConfigurationError, RecordDecodeError, RemoteProtocolError
from estreamer.protocol import (
    DEFAULT_STREAMS,
    LEGACY_STREAMS,
    NEED_DATA,
    START_NOW,
    Bundle,
    ClientConnection,
    ConnectionClosed,
    Error,
    EventData,
    Null,
    RequestFlags,
    Stream,
    StreamingInformation,
    bundle,
    null,
)
from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.stream import tls
from estreamer.testing.samples import FMC6_BLOCKS, generate_mix
from estreamer.testing.simulator import Archive, Simulator
from estreamer.testing.simulator.versions import served_blocks

F = RequestFlags
BASE = F.EXTENDED | F.ARCHIVE_TIMESTAMPS | F.METADATA
ALL_FLAGS = BASE | F.PACKET_DATA | F.EXTRA_DATA | F.INTRUSION | F.IMPACT_ALERTS
CONNECTION_ONLY = (Stream(17, 71),)
ALL_STREAMS = (Stream(11, 12), Stream(4, 21), Stream(17, 71), Stream(8, 101), Stream(7, 111))
HEAD = struct.Struct(">II")
METADATA_TYPES_MIN = 1  # metadata present in every generated mix


class RawClient:
    """protocol.ClientConnection over tls.connect(), acknowledging like a client."""

    def __init__(self, sim, context, *, start=0, flags=BASE, streams=ALL_STREAMS):
        self.sock = tls.connect(*sim.address, context, read_timeout=0.05)
        self.conn = ClientConnection(start, flags, streams)
        self.sock.sendall(self.conn.initiate())
        self.events: list = []

    def close(self):
        self.sock.close()

    def next(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.conn.next_event()
            if event is not NEED_DATA:
                out = self.conn.data_to_send()
                if out:
                    self.sock.sendall(out)
                self.events.append(event)
                return event
            try:
                self.conn.receive_data(self.sock.recv(1 << 17))
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                self.conn.receive_data(b"")
        return None

    def records(self, count, *, ack=True, timeout=10.0, until_idle=True):
        """Payloads of the next ``count`` records (fewer if the stream stops).

        ``until_idle``: also stop at a keepalive, i.e. when the server has no more.
        """
        got: list[bytes] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            event = self.next(deadline - time.monotonic())
            if event is None or isinstance(event, ConnectionClosed):
                break
            if until_idle and isinstance(event, Null):
                break
            if isinstance(event, Bundle):
                got.extend(r.payload for r in event.records)
            elif isinstance(event, EventData):
                got.append(event.payload)
            else:
                continue
            if ack:
                self.sock.sendall(self.conn.acknowledge())
        return got


@pytest.fixture
def client(client_context):
    made: list[RawClient] = []

    def connect(sim, **options):
        raw = RawClient(sim, client_context, **options)
        made.append(raw)
        return raw

    yield connect
    for raw in made:
        raw.close()


def _types(payloads):
    return Counter(HEAD.unpack_from(p, 0)[0] for p in payloads)


def _archive_times(payloads):
    return [struct.unpack_from(">I", p, 8)[0] for p in payloads]


def test_extended_session_streaming_information_bundles_and_acks(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=3000, bundle_size=500)
    raw = client(sim)
    info = raw.next()
    assert isinstance(info, StreamingInformation)
    assert info.service_ids == (5001, 5000, 6667)
    payloads = raw.records(len(sim.archive))
    bundles = [e for e in raw.events if isinstance(e, Bundle)]
    assert [b.sequence for b in bundles] == list(range(1, len(bundles) + 1))
    assert len({b.connection_id for b in bundles}) == 1
    assert all(len(b.records) <= 500 for b in bundles)
    assert sim.wait_for(lambda s: s.acks == len(bundles), 5)
    assert sim.served == len(payloads)
    esr, sreq = sim.requests[0]
    assert esr.flags == BASE and sreq is not None and sreq.streams == ALL_STREAMS


def test_only_requested_streams_are_served(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=2000)
    archive_types = Counter(sim.archive.types)
    got = _types(client(sim, streams=CONNECTION_ONLY).records(len(sim.archive), timeout=5))
    assert got[71] == archive_types[71] > 0
    assert not {400, 2, 500, 502} & set(got)
    assert len(set(got) - {71}) >= METADATA_TYPES_MIN  # metadata comes with flag bit 20


def test_packets_only_with_the_packet_flag(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=2000)
    expected = Counter(sim.archive.types)
    without = _types(client(sim, flags=BASE, streams=(Stream(11, 12),)).records(10**6,
                                                                                timeout=3))
    with_packets = _types(client(sim, flags=BASE | F.PACKET_DATA,
                                 streams=(Stream(11, 12),)).records(10**6, timeout=3))
    assert without[400] == with_packets[400] == expected[400]
    assert without[2] == 0 and with_packets[2] == expected[2] > 0


def test_start_timestamp_filters_by_archive_time(simulator, client):
    payloads = list(generate_mix(1000, per_second=100, start_time=1_700_000_000))
    sim = simulator(keepalive_interval=0.1, records=payloads)
    start = 1_700_000_005
    got = client(sim, start=start, flags=ALL_FLAGS, streams=DEFAULT_STREAMS).records(
        10**6, timeout=3)
    times = _archive_times(got)
    wanted = [t for t in _archive_times(payloads) if t == 0 or t >= start]
    assert sorted(times) == sorted(wanted)
    assert min(t for t in times if t) == start


def test_start_now_serves_only_appended_records_with_keepalives(simulator, client):
    sim = simulator(records=500, keepalive_interval=0.1)
    raw = client(sim, start=START_NOW, flags=ALL_FLAGS, streams=DEFAULT_STREAMS)
    assert isinstance(raw.next(), StreamingInformation)
    assert isinstance(raw.next(2), Null)  # idle: keepalive, none of the 500 old records
    live = list(generate_mix(30, seed=7, with_metadata=False))
    sim.append(live)
    got = raw.records(len(live), timeout=5, until_idle=False)
    assert got == live


def test_short_record_header_without_flag_bit_23(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=200)
    got = client(sim, flags=F.EXTENDED | F.METADATA).records(50)
    for payload in got:
        assert len(payload) == 8 + HEAD.unpack_from(payload, 0)[1]
    assert decode_record(got[-1]).archive_timestamp == 0


def test_without_extended_one_event_data_per_record(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=300)
    raw = client(sim, flags=F.METADATA | F.INTRUSION | F.ARCHIVE_TIMESTAMPS)
    got = raw.records(10**6, timeout=2)
    assert not any(isinstance(e, (Bundle, StreamingInformation)) for e in raw.events)
    types = _types(got)
    assert types[400] == Counter(sim.archive.types)[400] and 71 not in types


def test_ha_pair_shares_one_archive(simulator, client):
    archive = Archive(generate_mix(100))
    first = simulator(keepalive_interval=0.1, records=archive)
    second = simulator(keepalive_interval=0.1, records=archive)
    assert first.port != second.port
    a = client(first).records(len(archive))
    b = client(second).records(len(archive))
    assert a == b and len(a) > 0


def test_records_from_a_capture_file(simulator, client, tmp_path):
    payloads = list(generate_mix(50))
    capture = tmp_path / "capture.bin"
    capture.write_bytes(bundle(1, 1, payloads[:20]) + bundle(1, 2, payloads[20:]))
    sim = simulator(keepalive_interval=0.1, records=str(capture))
    assert len(sim.archive) == len(payloads)
    got = client(sim, flags=ALL_FLAGS, streams=DEFAULT_STREAMS).records(len(payloads))
    assert got == payloads


def test_bad_record_sources_are_refused(fmc_certs, tmp_path):
    with pytest.raises(ConfigurationError, match="header says"):
        Simulator(fmc_certs.directory, records=[b"\x00\x00\x00\x47\x00\x00\x00\x09abc"])
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00\x07" + b"\xff" * 20)
    with pytest.raises(ConfigurationError, match="not a stream of eStreamer server messages"):
        Simulator(fmc_certs.directory, records=junk)
    with pytest.raises(ConfigurationError, match=r"lacks server\.pem"):
        Simulator(tmp_path)


# -- faults --------------------------------------------------------------------------------

def test_fault_drop_in_bundle(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=1000, bundle_size=100)
    sim.inject(drop_in_bundle=3)
    raw = client(sim)
    assert len(raw.records(200, timeout=5)) == 200  # bundles 1 and 2 arrive whole
    with pytest.raises(RemoteProtocolError, match="stream ended inside a message"):
        raw.records(1, timeout=5)
    assert sim.drops == 1
    assert len(client(sim).records(10**6, timeout=5)) > 200  # one-shot: a reconnect works


def test_fault_stall_sends_nothing(simulator, client):
    sim = simulator(records=300, bundle_size=100, keepalive_interval=0.05)
    sim.inject(stall_seconds=0.6, stall_after_bundles=1)
    raw = client(sim)
    assert len(raw.records(100)) == 100
    before = time.monotonic()
    event = raw.next(5)
    assert isinstance(event, Bundle) and time.monotonic() - before >= 0.5
    assert not any(isinstance(e, Null) for e in raw.events)


def test_fault_malformed_record(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=50, faults=None)
    sim.inject(malformed_record=3)
    got = client(sim).records(10)
    decode_record(got[1])
    with pytest.raises(RecordDecodeError):
        decode_record(got[2])
    decode_record(got[3])


def test_fault_error_message_then_close(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=300, bundle_size=100)
    sim.inject(error=(19, "No space"), error_after_bundles=1)
    raw = client(sim)
    assert len(raw.records(100)) == 100
    event = raw.next()
    assert isinstance(event, Error) and (event.code, event.text) == (19, "No space")
    assert isinstance(raw.next(), ConnectionClosed)


def test_fault_reject_client_certificate(simulator, client_context):
    sim = simulator(keepalive_interval=0.1, records=10)
    sim.inject(reject_client_cert=True)
    with tls.connect(*sim.address, client_context) as sock:
        sock.settimeout(5)
        try:
            data = sock.recv(10)
        except OSError as err:
            data = None
            message = str(tls.explain_io_error(err, *sim.address, received_any=False))
        else:
            message = str(tls.peer_closed(*sim.address, received_any=False))
    assert not data and "rejected our client certificate" in message
    assert sim.rejected == 1


def test_stop_ends_connections_and_threads(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=100)
    raw = client(sim, start=START_NOW)
    raw.next()
    assert sim.wait_for(lambda s: s.active_connections == 1, 5)
    sim.stop()
    assert sim.active_connections == 0
    assert isinstance(raw.next(3), ConnectionClosed)


@pytest.mark.slow
def test_cli_simulate_runs_until_sigterm(fmc_certs, client_context, tmp_path):
    code = ("import argparse, sys; from estreamer.cli import simulate; "
            "p = argparse.ArgumentParser(); simulate.register(p.add_subparsers()); "
            "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))")
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "simulate", "--listen", "127.0.0.1:0", "--certs",
         str(fmc_certs.directory), "--records", "100"],
        stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        port = None
        for _ in range(50):
            line = proc.stderr.readline()
            if "listening on 127.0.0.1:" in line:
                port = int(line.rsplit(":", 1)[1].split()[0])
                break
        assert port
        sock = tls.connect("127.0.0.1", port, client_context, read_timeout=0.05)
        raw = RawClient.__new__(RawClient)
        raw.sock, raw.events = sock, []
        raw.conn = ClientConnection(0, BASE, ALL_STREAMS)
        sock.sendall(raw.conn.initiate())
        assert len(raw.records(100)) >= 100  # metadata records come first
        sock.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert "simulator stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


# ---- what an FMC serves for the versions requested (simulator/versions.py) -------------

FMC7_LAYOUTS = {71: 174, 400: 85, 500: 79, 502: 79}
FMC6_LAYOUTS = {71: 163, 400: 60, 500: 56, 502: 56}
# the fields a record keeps in every layout, to check a re-encoded record is the same event
KEPT = {71: ("initiatorIpAddress", "responderIpAddress", "connectionCounter", "eventSecond",
             "ipv6Address", "clientUrl"),
        400: ("eventId", "sourceIpAddress", "ruleId", "applicationId", "policyUuid"),
        500: ("shaHash", "fileName", "fileSize", "sourceIpAddress", "connectionCounter"),
        502: ("shaHash", "fileName", "fileSize", "sourceIpAddress", "connectionCounter")}


@pytest.mark.parametrize("streams,expected", [(DEFAULT_STREAMS, FMC7_LAYOUTS),
                                              (LEGACY_STREAMS, FMC6_LAYOUTS)],
                         ids=["encore-5.2.11-versions", "encore-3.5.8-versions"])
@pytest.mark.parametrize("archived", [None, FMC6_BLOCKS], ids=["fmc7-archive", "fmc6-archive"])
def test_records_are_served_in_the_layout_of_the_requested_version(
        simulator, client, streams, expected, archived):
    payloads = list(generate_mix(400, seed=5, blocks=archived))
    sim = simulator(keepalive_interval=0.1, records=payloads)
    got = client(sim, flags=ALL_FLAGS, streams=streams).records(10**6, timeout=5)
    assert len(got) == len(payloads)
    served = Counter()
    for original, payload in zip(payloads, got):
        record, before = decode_record(payload), decode_record(original)
        assert record.record_type == before.record_type
        assert record.archive_timestamp == before.archive_timestamp
        if record.record_type in expected:
            assert record.block_type == expected[record.record_type]
            served[record.record_type] += 1
            for name in KEPT[record.record_type]:
                assert record.fields.get(name) == before.fields.get(name), name
        else:
            assert payload == original  # nothing else changes
    assert set(served) == set(expected)


def test_requested_version_picks_the_row_at_or_below_it():
    assert served_blocks([Stream(16, 71), Stream(10, 12)]) == {71: 163, 400: 60}
    assert served_blocks([Stream(18, 71), Stream(12, 12)]) == {71: 174, 400: 85}
    assert served_blocks([Stream(5, 91)])[95] == 127 and served_blocks([Stream(7, 91)])[95] == 167
    assert served_blocks([Stream(4, 21), Stream(2, 131)]) == {}


def test_short_record_header_sessions_get_the_requested_layout_too(simulator, client):
    sim = simulator(keepalive_interval=0.1, records=200)
    got = client(sim, flags=F.EXTENDED | F.METADATA, streams=LEGACY_STREAMS).records(10**6,
                                                                                    timeout=3)
    connections = [decode_record(p) for p in got if HEAD.unpack_from(p, 0)[0] == 71]
    assert connections and {r.block_type for r in connections} == {163}
    assert all(len(r.raw) == 8 + HEAD.unpack_from(r.raw, 0)[1] for r in connections)


def _user_records() -> list[bytes]:
    header = {"deviceId": 1, "hasIpv6": 1, "ipv6Address": "::ffff:10.1.2.3",
              "legacyIpAddress": "0.0.0.0", "eventType": 1004}
    login = {"username": "alice", "ipv4Address": "10.1.2.3"}
    return [encode_record(95, {**header, "user": login}, archive_timestamp=1_700_000_000,
                          block_type=167),
            encode_record(170, {**header, "userLogin": login}, archive_timestamp=1_700_000_001),
            encode_record(171, {**header, "userLogoff": login},
                          archive_timestamp=1_700_000_002)]


def test_vpn_records_only_from_user_version_7_and_user_login_in_the_version_4_layout(
        simulator, client):
    sim = simulator(keepalive_interval=0.1, records=_user_records())
    old = client(sim, streams=(Stream(4, 91),)).records(10, timeout=3)
    new = client(sim, streams=(Stream(7, 91),)).records(10, timeout=3)
    assert list(_types(old)) == [95] and list(_types(new)) == [95, 170, 171]
    assert decode_record(old[0]).block_type == 127
    assert decode_record(new[0]).block_type == 167
    assert decode_record(old[0]).fields["user"]["username"] == "alice"


def test_a_client_that_acknowledges_every_message_gets_one_bundle_per_acknowledgement(
        simulator, client):
    # eNcore answers Streaming Information and keepalives with a Null as well as bundles
    sim = simulator(keepalive_interval=0.05, records=3000, bundle_size=200)
    raw = client(sim, flags=ALL_FLAGS, streams=DEFAULT_STREAMS)
    records = 0
    while records < len(sim.archive):
        event = raw.next(5)
        assert event is not None
        if isinstance(event, Bundle):
            records += len(event.records)
            raw.conn.acknowledge()  # keep the protocol object's count; send the Null below
        raw.sock.sendall(null())
    for _ in range(3):  # idle: keepalives, each answered with a Null as eNcore does
        assert isinstance(raw.next(5), Null)
        raw.sock.sendall(null())
    assert sim.wait_for(lambda s: s.keepalives >= 3 and s.acks == s.bundles, 5)
    assert sim.served == len(sim.archive)
