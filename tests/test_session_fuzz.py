"""Fuzzing the whole client session: only EStreamerError may escape.

The target is :meth:`StreamClient.run` - the protocol state machine, the record decoder,
the metadata cache and decoration, the three formatters, bookmark and metadata-cache
loading and saving - fed through a stand-in socket. Inputs start from valid ones and
are mutated, so most examples get past the framing into bundles and records:

* the records: payloads of generated records (metadata first) mutated inside valid
  framing, so the decoder, the metadata cache and the formatters see them;
* the server's byte stream: Streaming Information, Message Bundles of those records,
  a lone Event Data message, an FMC Error, a keepalive; bytes flipped, overwritten,
  inserted, deleted, repeated or cut, delivered in chunks of drawn sizes;
* the stream's state directory (bookmark, metadata cache) as a previous run left it,
  with the same mutations applied to one of its files.

``ESTREAMER_FUZZ_EXAMPLES=N`` runs N random examples (default: 300, derandomized,
a few seconds: part of every test run and of CI).
"""

from __future__ import annotations

import io
import os
import shutil
import ssl
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estreamer.errors import EStreamerError, TransportError
from estreamer.protocol import bundle, error, event_data, null, streaming_information
from estreamer.records.formatters import FORMATTERS
from estreamer.stream.bookmark import FileBookmarkStore
from estreamer.stream.client import Endpoint, FileMetadataStore, StreamClient
from estreamer.stream.config import RecordSelection
from estreamer.stream.net import Backoff
from estreamer.stream.outputs import OutputSink, Outputter, StdoutStream
from estreamer.testing.samples import generate_mix

KEY = "fmc:8302"
_CONTEXT = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # never used: the socket is a stand-in
_EXAMPLES = int(os.environ.get("ESTREAMER_FUZZ_EXAMPLES", "0"))


def record_payloads(seed: int, start_time: int, records: int = 40) -> list[bytes]:
    """Metadata records, then events of every kind (connections, intrusions, packets,
    files, malware), five per archive second."""
    return list(generate_mix(records, seed=seed, start_time=start_time, per_second=5))


def server_stream(payloads: list[bytes]) -> bytes:
    """What an FMC sends after an extended request: valid framing, in stream order."""
    half = len(payloads) // 2
    return b"".join((
        streaming_information(),
        bundle(1, 1, payloads[:half]),
        null(),
        event_data(payloads[half]),
        bundle(1, 2, payloads[half + 1:]),
        error(17, "fuzz: an FMC error message"),
    ))


class StandInSocket:
    """Replays ``data`` in chunks of the given sizes (cycled), then an orderly EOF."""

    def __init__(self, data: bytes, chunks: list[int]) -> None:
        self._data = memoryview(data)
        self._chunks = chunks
        self._pos = 0
        self._turn = 0

    def sendall(self, data: bytes) -> None:
        pass

    def recv(self, size: int) -> bytes:
        step = min(size, self._chunks[self._turn % len(self._chunks)])
        self._turn += 1
        piece = bytes(self._data[self._pos:self._pos + step])
        self._pos += len(piece)
        return piece

    def close(self) -> None:
        pass


def run_session(data: bytes, chunks: list[int], state: Path) -> StreamClient:
    """One client run over the stand-in socket; stops at the first reconnection.

    Returns the client (its status tells how far it got). Any exception that is not
    an EStreamerError propagates: that is the bug this target looks for.
    """
    stop = threading.Event()
    connects = []

    def connect(host, port, context, **_):
        connects.append(host)
        if len(connects) > 1:  # the recorded session is over: end the run
            stop.set()
            raise TransportError(f"{host}:{port}: end of the recorded session")
        return StandInSocket(data, chunks)

    out = io.StringIO()
    sink = OutputSink([Outputter(fmt, StdoutStream(out)) for fmt in FORMATTERS.values()])
    client = StreamClient(
        [Endpoint("fmc", 8302, _CONTEXT)], key=KEY, sink=sink,
        bookmarks=FileBookmarkStore(state), metadata=FileMetadataStore(state),
        selection=RecordSelection(frozenset(range(1 << 16))),  # write everything decoded
        backoff=Backoff(0.001, 0.001), checkpoint_interval=3600, idle_timeout=0,
        stop_event=stop, connect=connect)
    try:
        client.run()
    except EStreamerError:
        pass  # a verdict on bad input (an unreadable bookmark, say): allowed to escape
    return client


_MUTATION = st.tuples(
    st.sampled_from(("flip", "set", "insert", "delete", "repeat", "truncate")),
    st.integers(0, 1 << 20),      # position, taken modulo the current length
    st.binary(min_size=1, max_size=12))


def mutate(data: bytes, mutations: list[tuple[str, int, bytes]]) -> bytes:
    buf = bytearray(data)
    for kind, where, blob in mutations:
        at = where % (len(buf) + 1)
        if kind == "flip" and at < len(buf):
            buf[at] ^= blob[0] or 0xFF
        elif kind == "set":
            buf[at:at + len(blob)] = blob
        elif kind == "insert":
            buf[at:at] = blob
        elif kind == "delete":
            del buf[at:at + blob[0]]
        elif kind == "repeat":
            buf[at:at] = buf[at:at + blob[0]]
        elif kind == "truncate":
            del buf[at:]
    return bytes(buf)


@pytest.fixture(scope="module")
def previous_state(tmp_path_factory) -> Path:
    """The state directory a clean earlier run left: bookmark and metadata cache."""
    state = tmp_path_factory.mktemp("state")
    client = run_session(server_stream(record_payloads(1, 1_700_000_000)), [1 << 16], state)
    assert client.status.handled > 0 and client.status.decode_errors == 0
    assert sorted(p.name for p in state.iterdir())  # something to mutate
    return state


def test_the_unmutated_session_reaches_every_record(previous_state, tmp_path):
    """The harness itself: a valid stream, delivered one byte at a time, is all written."""
    state = tmp_path / "state"
    shutil.copytree(previous_state, state)
    data = server_stream(record_payloads(2, 1_700_000_100))
    client = run_session(data, [1], state)
    assert client.status.decode_errors == 0
    assert client.status.handled == client.status.received > 40


def test_session_fuzz_only_estreamer_errors_escape(previous_state):
    payloads = record_payloads(2, 1_700_000_100)
    # the bookmark and every metadata cache part file (a directory per stream)
    files = sorted(p.relative_to(previous_state) for p in previous_state.rglob("*")
                   if p.is_file())
    seen = {"examples": 0, "records": 0, "decode_errors": 0}

    @settings(max_examples=_EXAMPLES or 300, derandomize=not _EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(records=st.lists(st.tuples(st.integers(0, len(payloads) - 1), _MUTATION),
                            max_size=6),
           stream=st.one_of(st.just([]), st.lists(_MUTATION, min_size=1, max_size=3)),
           chunks=st.lists(st.integers(1, 70_000), min_size=1, max_size=6),
           state_file=st.integers(0, len(files) - 1),
           state_mutations=st.one_of(st.just([]), st.lists(_MUTATION, min_size=1,
                                                           max_size=3)))
    def one(records, stream, chunks, state_file, state_mutations):
        mutated = list(payloads)
        for index, mutation in records:
            mutated[index] = mutate(mutated[index], [mutation])
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "state"
            shutil.copytree(previous_state, state)
            target = state / files[state_file]
            target.write_bytes(mutate(target.read_bytes(), state_mutations))
            client = run_session(mutate(server_stream(mutated), stream), chunks, state)
        seen["examples"] += 1
        seen["records"] += client.status.handled > 0
        seen["decode_errors"] += client.status.decode_errors > 0

    one()
    # the mutations reached the records, not only the framing and the state files
    print("session fuzz:", seen)
    assert seen["records"] > seen["examples"] // 4, seen
    assert seen["decode_errors"] > 0, seen
