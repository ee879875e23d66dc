"""Protocol core under Hypothesis: round trips, chunking invariance, hostile bytes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estreamer.errors import EStreamerError
from estreamer.protocol import (
    INNER_FORM_PLAIN,
    INNER_FORM_VERSIONED,
    NEED_DATA,
    Bundle,
    ClientConnection,
    ConnectionClosed,
    Error,
    EventData,
    EventStreamRequest,
    MessageReader,
    RequestFlags,
    ServerConnection,
    ServiceEntry,
    Stream,
    StreamingInformation,
    StreamingRequest,
    UnknownMessage,
    bundle,
    error,
    event_data,
    event_stream_request,
    frame,
    iter_messages,
    null,
    streaming_information,
    streaming_request,
)

u32 = st.integers(0, 0xFFFFFFFF)
u16_nonzero = st.integers(1, 0xFFFF)
payloads = st.binary(max_size=64)
streams = st.lists(st.builds(Stream, u16_nonzero, u16_nonzero), min_size=1, max_size=12)
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=40)
# types the client side parses itself; anything else must come back as UnknownMessage
unknown_types = st.integers(0, 0xFFFF).filter(lambda t: t not in (0, 1, 4, 2051, 4002))


def only_event(data: bytes):
    events = list(iter_messages(data))
    assert len(events) == 1
    return events[0]


@given(u32, u32)
def test_event_stream_request_round_trip(start, flags):
    conn = ServerConnection()
    conn.receive_data(event_stream_request(start, flags))
    assert conn.next_event() == EventStreamRequest(start, flags, 0)


@given(u32, u32, streams, u32)
def test_streaming_request_round_trip(start, flags, wanted, service):
    data = streaming_request(start, flags, wanted, service_id=service)
    conn = ServerConnection()
    conn.receive_data(event_stream_request(start, flags | RequestFlags.EXTENDED) + data)
    conn.next_event()
    event = conn.next_event()
    assert event == StreamingRequest(service, start, flags, tuple(wanted), len(data) - 8, 16)


@given(st.integers(-(1 << 31), (1 << 31) - 1), texts)
def test_error_round_trip(code, text):
    assert only_event(error(code, text)) == Error(code, text, 0)


@given(st.lists(st.builds(ServiceEntry, u32, u32, u32), max_size=6))
def test_streaming_information_round_trip(entries):
    assert only_event(streaming_information(entries)) == StreamingInformation(tuple(entries), 0)


@given(u32, u32, st.lists(payloads, max_size=8), st.sampled_from(
    [INNER_FORM_PLAIN, INNER_FORM_VERSIONED]))
def test_bundle_round_trip(connection_id, sequence, records, form):
    event = only_event(bundle(connection_id, sequence, records, inner_form=form))
    assert isinstance(event, Bundle)
    assert (event.connection_id, event.sequence) == (connection_id, sequence)
    assert [r.payload for r in event.records] == records
    offsets = [16 + sum(8 + len(p) for p in records[:i]) for i in range(len(records))]
    assert [r.offset for r in event.records] == offsets


@given(payloads)
def test_event_data_round_trip(payload):
    assert only_event(event_data(payload)) == EventData(payload, 0)


@given(unknown_types, payloads)
def test_unknown_types_are_kept(message_type, payload):
    assert only_event(frame(message_type, payload)) == UnknownMessage(message_type, payload, 0)


server_messages = st.one_of(
    st.just(null()),
    st.builds(error, st.integers(-5, 5), texts),
    st.builds(event_data, payloads),
    st.builds(bundle, u32, u32, st.lists(payloads, max_size=4)),
    st.builds(frame, unknown_types, payloads),
    st.builds(streaming_information, st.lists(u32, max_size=3)),
)


@given(st.lists(server_messages, max_size=10), st.data())
def test_chunking_never_changes_the_events(messages, data):
    stream = b"".join(messages)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    assert list(iter_messages(iter(chunks))) == list(iter_messages(stream))


def run_to_end(conn, chunks) -> None:
    """Feed chunks and pull events; bounded: each event consumes at least 8 bytes."""
    for chunk in [*chunks, b""]:
        conn.receive_data(chunk)
        for _ in range(len(chunk) // 8 + 2):
            event = conn.next_event()
            if event is NEED_DATA or isinstance(event, ConnectionClosed):
                break
            if isinstance(event, (Bundle, EventData)) and hasattr(conn, "acknowledge"):
                assert conn.acknowledge() == null()
        else:
            raise AssertionError("more events than the bytes can hold")


def hostile(conn_factory, chunks) -> None:
    try:
        run_to_end(conn_factory(), chunks)
    except EStreamerError:
        pass


def mutated(stream: bytes, flips) -> bytes:
    data = bytearray(stream)
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    return bytes(data)


chunk_lists = st.lists(st.binary(max_size=40), max_size=8)
flips = st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=4)
fuzz_settings = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])


def initiated_client(flags):
    conn = ClientConnection(flags=flags, max_message_size=1 << 16)
    conn.initiate()
    return conn


@fuzz_settings
@given(chunk_lists, st.sampled_from([0x48900061, 0x08900061]), st.booleans())
def test_random_bytes_into_client_raise_only_estreamer_errors(chunks, flags, initiate):
    hostile(lambda: initiated_client(flags) if initiate else ClientConnection(), chunks)


@fuzz_settings
@given(st.lists(server_messages, max_size=6), flips, st.integers(1, 50))
def test_damaged_server_streams_raise_only_estreamer_errors(messages, damage, size):
    stream = mutated(streaming_information() + b"".join(messages), damage)
    chunks = [stream[i:i + size] for i in range(0, len(stream), size)]
    hostile(lambda: initiated_client(0x48900061), chunks)
    hostile(MessageReader, chunks)


client_messages = st.one_of(
    st.just(null()),
    st.builds(error, st.integers(-5, 5), texts),
    st.builds(event_stream_request, u32, u32),
    st.builds(streaming_request, u32, u32, streams),
    st.builds(frame, st.integers(0, 0xFFFF), payloads),
)


@fuzz_settings
@given(chunk_lists)
def test_random_bytes_into_server_raise_only_estreamer_errors(chunks):
    hostile(ServerConnection, chunks)


@fuzz_settings
@given(st.lists(client_messages, max_size=6), flips, st.integers(1, 50))
def test_damaged_client_streams_raise_only_estreamer_errors(messages, damage, size):
    stream = mutated(b"".join(messages), damage)
    hostile(ServerConnection, [stream[i:i + size] for i in range(0, len(stream), size)])
