"""Protocol core: golden vectors, builders and parsers, session rules of both sides."""

from __future__ import annotations

import dataclasses
import gc
import logging
import struct
import weakref

import pytest

from estreamer.errors import (
    ConfigurationError,
    EStreamerError,
    LocalProtocolError,
    RemoteProtocolError,
)
from estreamer.protocol import (
    DEFAULT_FLAGS,
    DEFAULT_STREAMS,
    INNER_FORM_VERSIONED,
    LEGACY_STREAMS,
    NEED_DATA,
    START_GENESIS,
    START_NOW,
    Bundle,
    ClientConnection,
    ConnectionClosed,
    Error,
    EventData,
    EventStreamRequest,
    MessageReader,
    MessageType,
    Null,
    RequestFlags,
    ServerConnection,
    ServiceEntry,
    State,
    Stream,
    StreamingInformation,
    StreamingRequest,
    UnknownMessage,
    bundle,
    error,
    event_data,
    event_stream_request,
    flag_names,
    frame,
    iter_messages,
    null,
    select_streams,
    streaming_information,
    streaming_request,
)

# Cisco TAC note 215631 (spec/PROTOCOL.md 8.1, 8.2, 8.3) and spec/PROTOCOL.md 11.1
TAC_EVENT_STREAM_REQUEST = "0001000200000008ffffffff48900061"
TAC_STREAMING_REQUEST = (
    "000108010000003800001a0b0000003848900061000000000009000c000400150009001f"
    "000b003d000e00470004005b000700650006006f0002008300000000")
FMC7_STREAMING_REQUEST = (
    "0001 0801 00000038  00001a0b 00000038 48900061 00000000"
    "000b000c 00040015 0009001f 000b003d 00110047 0007005b 00080065 0007006f 00020083 00000000")
TAC_STREAMING_INFORMATION = (
    "0001 0803 00000030"
    "00001389 00000008 00000000 00000000"
    "00001388 00000008 00000000 00000000"
    "00001a0b 00000008 00000000 00000000")


def record(record_type: int, body: bytes, archive: int | None = None) -> bytes:
    """A record payload: short header, or long header with an archive timestamp."""
    if archive is None:
        return struct.pack(">II", record_type, len(body)) + body
    return struct.pack(">IIII", record_type, len(body), archive, 0) + body


INFO_SIZE = len(streaming_information())  # one service entry: 24 bytes
RECORDS = [record(71, b"\x01" * 40, archive=1591210934), record(400, b"\x02" * 9),
           record(21, b"")]


def chunkings(data: bytes):
    """The same bytes whole, one byte at a time, and in uneven pieces."""
    yield "whole", [data]
    yield "bytewise", [data[i:i + 1] for i in range(len(data))]
    yield "uneven", [data[i:i + 7] for i in range(0, len(data), 7)]


def drain(conn, chunks, eof=True):
    """Feed chunks, collecting events; return them (and ConnectionClosed if eof)."""
    events = []
    for chunk in [*chunks, b""] if eof else chunks:
        conn.receive_data(chunk)
        for _ in range(len(chunk) + 2):
            event = conn.next_event()
            if event is NEED_DATA:
                break
            events.append(event)
            if isinstance(event, ConnectionClosed):
                return events
    return events


def streaming_client(flags=DEFAULT_FLAGS, streams=DEFAULT_STREAMS) -> ClientConnection:
    """A client that has sent its request and (if extended) got Streaming Information."""
    conn = ClientConnection(start=START_GENESIS, flags=flags, streams=streams)
    conn.initiate()
    if flags & RequestFlags.EXTENDED:
        conn.receive_data(streaming_information())
        assert isinstance(conn.next_event(), StreamingInformation)
        conn.data_to_send()
    return conn


# ------------------------------------------------------------------ golden vectors

def test_event_stream_request_matches_tac_capture():
    assert event_stream_request(START_NOW, DEFAULT_FLAGS).hex() == TAC_EVENT_STREAM_REQUEST


def test_default_flags_are_the_named_bits_of_the_tac_note():
    expected = (RequestFlags.PACKET_DATA | RequestFlags.IMPACT_ALERTS | RequestFlags.INTRUSION
                | RequestFlags.METADATA | RequestFlags.ARCHIVE_TIMESTAMPS
                | RequestFlags.EXTRA_DATA | RequestFlags.EXTENDED)
    assert DEFAULT_FLAGS == expected == 0x48900061
    assert flag_names(DEFAULT_FLAGS) == ["PACKET_DATA", "IMPACT_ALERTS", "INTRUSION", "METADATA",
                                         "ARCHIVE_TIMESTAMPS", "EXTRA_DATA", "EXTENDED"]
    assert flag_names(RequestFlags.HOST_ONLY | (1 << 3)) == ["bit3", "HOST_ONLY"]


def test_streaming_request_matches_tac_capture_with_legacy_streams():
    data = streaming_request(START_GENESIS, DEFAULT_FLAGS, LEGACY_STREAMS)
    assert len(data) == 64
    assert data.hex() == TAC_STREAMING_REQUEST


def test_streaming_request_for_fmc7_matches_protocol_11_1():
    data = streaming_request(START_GENESIS, DEFAULT_FLAGS, DEFAULT_STREAMS)
    assert data == bytes.fromhex(FMC7_STREAMING_REQUEST)


def test_client_sends_both_tac_requests_byte_for_byte():
    conn = ClientConnection(start=START_NOW, flags=DEFAULT_FLAGS, streams=LEGACY_STREAMS)
    assert conn.initiate().hex() == TAC_EVENT_STREAM_REQUEST
    assert conn.data_to_send() == b""
    conn.receive_data(bytes.fromhex(TAC_STREAMING_INFORMATION))
    info = conn.next_event()
    assert info == StreamingInformation(
        (ServiceEntry(5001, 0, 0), ServiceEntry(5000, 0, 0), ServiceEntry(6667, 0, 0)), 0)
    sent = conn.data_to_send()
    # same as the capture except the timestamp word (start "now" here)
    assert sent.hex() == TAC_STREAMING_REQUEST.replace("4890006100000000", "48900061ffffffff")
    assert conn.data_to_send() == b""
    assert conn.services == (5001, 5000, 6667)
    assert conn.state is State.STREAMING


def test_queued_streaming_request_is_logged_with_its_service_length(caplog):
    caplog.set_level(logging.DEBUG, logger="estreamer.protocol")
    streaming_client(streams=LEGACY_STREAMS)
    (line,) = [r.getMessage() for r in caplog.records if "Streaming Request" in r.getMessage()]
    assert "serviceLength 56" in line and "12v9" in line and "131v2" in line


def test_null_message_is_the_eight_header_bytes():
    assert null() == bytes.fromhex("0001000000000000")


# ------------------------------------------------------------------ builders and parsers

@pytest.mark.parametrize("name,chunks", list(chunkings(bytes.fromhex(TAC_STREAMING_INFORMATION))))
def test_tac_streaming_information_parses_in_any_chunking(name, chunks):
    events = drain(MessageReader(), chunks)
    assert [type(e) for e in events] == [StreamingInformation, ConnectionClosed]
    assert events[0].service_ids == (5001, 5000, 6667)
    assert events[1].offset == 56


def server_stream() -> tuple[bytes, list]:
    """Every kind of server message back to back, with the events they must give."""
    parts = [
        (streaming_information([5000, ServiceEntry(6667, 1, 2)]),
         StreamingInformation((ServiceEntry(5000, 0, 0), ServiceEntry(6667, 1, 2)), 0)),
        (null(), Null(0)),
        (error(19, "No space\x00"), Error(19, "No space", 0)),
        (error(-1, "ü"), Error(-1, "ü", 0)),
        (event_data(RECORDS[0]), EventData(RECORDS[0], 0)),
        (bundle(7, 1, RECORDS), None),
        (bundle(7, 2, []), Bundle(7, 2, (), 0)),
        (frame(3, b"abc"), UnknownMessage(3, b"abc", 0)),
        (frame(MessageType.MULTIPLE_HOST_DATA), UnknownMessage(7, b"", 0)),
    ]
    data = b""
    expected = []
    for message, event in parts:
        if event is None:  # the bundle: inner offsets follow from the bundle's
            first = len(data) + 16
            records = []
            for payload in RECORDS:
                records.append(EventData(payload, first))
                first += 8 + len(payload)
            event = Bundle(7, 1, tuple(records), len(data))
        else:
            event = type(event)(**{**_fields(event), "offset": len(data)})
        expected.append(event)
        data += message
    return data, expected


def _fields(event) -> dict:
    return {name: getattr(event, name) for name in event.__dataclass_fields__}


@pytest.mark.parametrize("name,chunks", list(chunkings(server_stream()[0])))
def test_every_server_message_parses_with_offsets_in_any_chunking(name, chunks):
    data, expected = server_stream()
    events = drain(MessageReader(), chunks)
    assert events == [*expected, ConnectionClosed(len(data))]


def test_trailing_bytes_stay_for_the_next_message():
    reader = MessageReader()
    reader.receive_data(null() + event_data(RECORDS[1])[:5])
    assert reader.next_event() == Null(0)
    assert reader.next_event() is NEED_DATA
    assert reader.buffered == 5
    reader.receive_data(event_data(RECORDS[1])[5:] + null()[:3])
    assert reader.next_event() == EventData(RECORDS[1], 8)
    assert reader.next_event() is NEED_DATA
    reader.receive_data(null()[3:])
    assert reader.next_event() == Null(8 + 8 + len(RECORDS[1]))


def test_bundle_accepts_both_inner_forms_and_logs_each_once(caplog):
    caplog.set_level(logging.DEBUG, logger="estreamer.protocol")
    data = (bundle(1, 1, RECORDS[:2]) + bundle(1, 2, RECORDS[:1], inner_form=INNER_FORM_VERSIONED)
            + bundle(1, 3, RECORDS[1:], inner_form=INNER_FORM_VERSIONED))
    events = list(iter_messages(data))
    assert [[r.payload for r in e.records] for e in events] == [
        RECORDS[:2], RECORDS[:1], RECORDS[1:]]
    assert [e.sequence for e in events] == [1, 2, 3]
    forms = [r.getMessage() for r in caplog.records if "inner" in r.getMessage()]
    assert len(forms) == 2
    assert "0x00000004" in forms[0] and "0x00010004" in forms[1]


def test_bundle_inner_message_overrunning_the_bundle_is_remote_error():
    good = bundle(9, 4, [RECORDS[0]])
    # inner length one byte more than the bundle holds
    bad = bytearray(good)
    struct.pack_into(">I", bad, 8 + 8 + 4, len(RECORDS[0]) + 1)
    with pytest.raises(RemoteProtocolError, match="claims") as info:
        list(iter_messages(null() + bytes(bad)))
    assert info.value.offset == 8


@pytest.mark.parametrize("payload,match", [
    (b"\x00\x00\x00\x01\x00\x00\x00\x02" + b"\x00\x00\x00", "stray bytes"),
    (b"\x00\x00\x00\x01", "shorter than its 8-byte head"),
    (b"\x00\x00\x00\x01\x00\x00\x00\x02" + struct.pack(">II", 3, 0), "type word 0x00000003"),
])
def test_malformed_bundles_are_remote_errors(payload, match):
    with pytest.raises(RemoteProtocolError, match=match):
        list(iter_messages(frame(MessageType.MESSAGE_BUNDLE, payload)))


@pytest.mark.parametrize("payload,match", [
    (struct.pack(">iH", 19, 10) + b"No space", "does not match its text length"),
    (b"\x00\x00", "shorter than its 6-byte head"),
])
def test_malformed_errors_are_remote_errors(payload, match):
    with pytest.raises(RemoteProtocolError, match=match):
        list(iter_messages(frame(MessageType.ERROR, payload)))


@pytest.mark.parametrize("payload,match", [
    (struct.pack(">II", 6667, 4) + b"\x00" * 4, "must be 8 or more"),
    (struct.pack(">II", 6667, 8) + b"\x00" * 7, "must be 8 or more and fit"),
    (struct.pack(">IIII", 6667, 8, 0, 0) + b"\x00", "stray bytes"),
])
def test_malformed_streaming_information_is_remote_error(payload, match):
    with pytest.raises(RemoteProtocolError, match=match):
        list(iter_messages(frame(MessageType.STREAMING_INFORMATION, payload)))


def test_streaming_information_entries_may_carry_a_reserved_tail():
    payload = struct.pack(">IIII", 6667, 12, 5, 6) + b"\xff" * 4
    (info,) = iter_messages(frame(MessageType.STREAMING_INFORMATION, payload))
    assert info.services == (ServiceEntry(6667, 5, 6),)


@pytest.mark.parametrize("call", [
    lambda: event_stream_request(-1, 0),
    lambda: event_stream_request(1 << 32, 0),
    lambda: event_stream_request(0, True),
    lambda: streaming_request(0, 0, []),
    lambda: streaming_request(0, 0, [Stream(0, 12)]),
    lambda: streaming_request(0, 0, [Stream(1, 1 << 16)]),
    lambda: error(1 << 31, "x"),
    lambda: error(0, "x" * 70000),
    lambda: bundle(1, 1, [b""], inner_form=3),
    lambda: frame(1 << 16),
    lambda: streaming_information([-5]),
])
def test_builders_refuse_values_that_do_not_fit(call):
    with pytest.raises(LocalProtocolError):
        call()


# ------------------------------------------------------------------ framing errors

def test_bad_header_version_names_the_fmc_bug():
    reader = MessageReader()
    reader.receive_data(null() + bytes.fromhex("0002000400000000"))
    assert reader.next_event() == Null(0)
    with pytest.raises(RemoteProtocolError, match="CSCve44987") as info:
        reader.next_event()
    assert info.value.offset == 8
    # the stream stays broken: no silent resynchronisation on garbage
    with pytest.raises(RemoteProtocolError, match="earlier error"):
        reader.next_event()


def test_oversize_message_is_refused_from_its_header_alone():
    reader = MessageReader(max_message_size=1024)
    reader.receive_data(frame(MessageType.EVENT_DATA, b"x" * 1024)[:8])
    assert reader.next_event() is NEED_DATA  # exactly the limit is fine
    reader = MessageReader(max_message_size=1024)
    reader.receive_data(struct.pack(">HHI", 1, 4, 1025))  # header only: nothing buffered yet
    with pytest.raises(RemoteProtocolError, match=r"1025 bytes.*1024-byte limit"):
        reader.next_event()


def test_default_limit_is_64_mib():
    conn = streaming_client()
    conn.receive_data(struct.pack(">HHI", 1, 4002, 64 * 1024 * 1024 + 1))
    with pytest.raises(RemoteProtocolError, match="max_message_size"):
        conn.next_event()
    assert conn.state is State.ERROR


@pytest.mark.parametrize("value", [0, 7, 1 << 32, True, "64"])
def test_max_message_size_must_be_sane(value):
    with pytest.raises(ConfigurationError, match="max_message_size"):
        ClientConnection(max_message_size=value)


@pytest.mark.parametrize("cut,missing,what", [(3, 5, "message header"), (12, 4, "message")])
def test_eof_inside_a_message_names_offset_and_missing_bytes(cut, missing, what):
    message = event_data(b"\x00" * 8)
    conn = streaming_client()
    events = None
    with pytest.raises(RemoteProtocolError) as info:
        events = drain(conn, [null() + message[:cut]])
    assert events is None
    text = str(info.value)
    assert f"inside a {what}" in text and f"{missing} missing" in text
    assert info.value.offset == INFO_SIZE + 8  # after the Streaming Information and the Null


def test_eof_at_a_boundary_is_connection_closed_every_time():
    conn = streaming_client()
    conn.receive_data(null())
    conn.receive_data(b"")
    assert conn.next_event() == Null(INFO_SIZE)
    assert conn.next_event() == ConnectionClosed(INFO_SIZE + 8)
    assert conn.next_event() == ConnectionClosed(INFO_SIZE + 8)
    assert conn.state is State.CLOSED
    with pytest.raises(LocalProtocolError, match="after the end"):
        conn.receive_data(b"x")


def test_iter_messages_reads_files_and_chunk_iterables(tmp_path):
    data, expected = server_stream()
    path = tmp_path / "capture.estreamer"
    path.write_bytes(data)
    with path.open("rb") as stream:
        assert list(iter_messages(stream, chunk_size=5)) == expected
    assert list(iter_messages(iter([data[:10], b"", data[10:]]))) == expected
    with pytest.raises(RemoteProtocolError, match="stream ended inside") as info:
        list(iter_messages(data[:-1]))
    assert info.value.offset == len(data) - 8


# ------------------------------------------------------------------ client session rules

def test_initiate_only_once():
    conn = ClientConnection()
    conn.initiate()
    with pytest.raises(LocalProtocolError, match="once"):
        conn.initiate()


def test_non_extended_session_streams_event_data_without_negotiation():
    flags = DEFAULT_FLAGS & ~RequestFlags.EXTENDED
    conn = ClientConnection(start=1591210934, flags=flags)
    assert conn.initiate() == bytes.fromhex("00010002000000085ed7f3b608900061")
    assert conn.state is State.STREAMING
    events = drain(conn, [event_data(r) for r in RECORDS])
    assert [e.payload for e in events[:-1]] == RECORDS
    assert conn.data_to_send() == b""
    assert conn.acks_owed == 3


def test_streaming_information_without_extended_is_remote_error():
    conn = ClientConnection(flags=RequestFlags.INTRUSION)
    conn.initiate()
    conn.receive_data(streaming_information())
    with pytest.raises(RemoteProtocolError, match="Streaming Information while streaming"):
        conn.next_event()


def test_streaming_information_without_6667_is_a_clear_remote_error():
    conn = ClientConnection()
    conn.initiate()
    conn.receive_data(streaming_information([5000, 5001]))
    with pytest.raises(RemoteProtocolError, match=r"no eStreamer service 6667.*5000, 5001"):
        conn.next_event()
    assert conn.data_to_send() == b""
    with pytest.raises(RemoteProtocolError, match="earlier error"):
        conn.next_event()


def test_records_before_streaming_information_are_remote_error():
    conn = ClientConnection()
    conn.initiate()
    conn.receive_data(bundle(1, 1, RECORDS))
    with pytest.raises(RemoteProtocolError, match="before Streaming Information"):
        conn.next_event()


def test_second_streaming_information_is_remote_error():
    conn = streaming_client()
    conn.receive_data(streaming_information())
    with pytest.raises(RemoteProtocolError, match="Streaming Information"):
        conn.next_event()


def test_data_before_initiate_is_remote_error_but_an_error_message_is_shown():
    conn = ClientConnection()
    conn.receive_data(error(5, "refused") + event_data(RECORDS[0]))
    assert conn.next_event() == Error(5, "refused", 0)
    with pytest.raises(RemoteProtocolError, match="before the Event Stream Request"):
        conn.next_event()


def test_errors_nulls_and_unknown_types_never_end_the_session():
    conn = streaming_client()
    data = error(19, "No space") + null() + frame(9999, b"zz") + bundle(3, 1, RECORDS)
    events = drain(conn, [data], eof=False)
    assert [type(e) for e in events] == [Error, Null, UnknownMessage, Bundle]
    assert conn.acks_owed == 1


def test_acknowledge_only_when_owed_and_counted():
    conn = streaming_client()
    with pytest.raises(LocalProtocolError, match="nothing to acknowledge"):
        conn.acknowledge()
    conn.receive_data(bundle(3, 1, RECORDS) + null() + event_data(RECORDS[0]) + error(1, "x"))
    for _ in range(4):
        conn.next_event()
    assert conn.acks_owed == 2  # the bundle and the standalone record; not Null, not Error
    assert conn.acknowledge() == null()
    assert conn.acknowledge() == null()
    with pytest.raises(LocalProtocolError):
        conn.acknowledge()
    assert conn.data_to_send() == b""  # acknowledgements are returned, never queued twice


def test_ack_is_owed_only_after_the_event_is_returned():
    conn = streaming_client()
    conn.receive_data(bundle(3, 1, RECORDS))
    with pytest.raises(LocalProtocolError):
        conn.acknowledge()
    assert isinstance(conn.next_event(), Bundle)
    conn.acknowledge()


@pytest.mark.parametrize("name,chunks", list(chunkings(
    streaming_information() + bundle(1, 1, RECORDS) + null() + bundle(1, 2, RECORDS[:1]))))
def test_full_client_session_in_any_chunking(name, chunks):
    conn = ClientConnection(start=0, flags=DEFAULT_FLAGS, streams=DEFAULT_STREAMS)
    conn.initiate()
    events = drain(conn, chunks)
    assert [type(e) for e in events] == [StreamingInformation, Bundle, Null, Bundle,
                                         ConnectionClosed]
    assert conn.data_to_send() == bytes.fromhex(FMC7_STREAMING_REQUEST)
    assert [len(e.records) for e in events if isinstance(e, Bundle)] == [3, 1]
    assert conn.acks_owed == 2


@pytest.mark.parametrize("kwargs,match", [
    ({"start": -1}, "start"),
    ({"flags": 1 << 32}, "flags"),
    ({"streams": []}, "at least one stream"),
    ({"streams": [(0, 71)]}, "version"),
    ({"streams": [12]}, "pair"),
])
def test_client_settings_are_checked_up_front(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        ClientConnection(**kwargs)


# ------------------------------------------------------------------ server side

def client_stream(flags=DEFAULT_FLAGS) -> bytes:
    return (event_stream_request(0, flags) + null()
            + streaming_request(0, flags, DEFAULT_STREAMS) + null() + null()
            + error(-1, "bye"))


@pytest.mark.parametrize("name,chunks", list(chunkings(client_stream())))
def test_server_parses_a_client_session_in_any_chunking(name, chunks):
    conn = ServerConnection()
    events = drain(conn, chunks)
    assert events == [
        EventStreamRequest(0, DEFAULT_FLAGS, 0),
        Null(16),
        StreamingRequest(6667, 0, DEFAULT_FLAGS, DEFAULT_STREAMS, 56, 24),
        Null(88), Null(96), Error(-1, "bye", 104), ConnectionClosed(104 + 8 + 9)]
    assert conn.extended
    assert conn.request == events[0] and conn.streaming_request == events[2]
    # no bundle was sent: none of these Nulls acknowledges anything
    assert conn.acks_received == 0 and conn.other_nulls == 3


def test_server_counts_only_nulls_that_follow_a_bundle_as_acknowledgements():
    # eNcore answers Streaming Information and every keepalive with a Null too; such a
    # Null, arriving after the first bundle went out, must not count as its acknowledgement
    conn = ServerConnection()
    drain(conn, [event_stream_request(0, DEFAULT_FLAGS)
                 + streaming_request(0, DEFAULT_FLAGS, DEFAULT_STREAMS)], eof=False)
    conn.bundle_sent()
    conn.receive_data(null())          # eNcore's answer to Streaming Information...
    assert conn.next_event() == Null(80)
    assert conn.acks_received == 1     # ...cannot be told apart: one bundle, one Null
    conn.receive_data(null())          # an answer to a keepalive, no bundle outstanding
    conn.next_event()
    assert conn.acks_received == 1 and conn.other_nulls == 1
    conn.bundle_sent()
    conn.bundle_sent()
    drain(conn, [null() * 3], eof=False)
    assert conn.acks_received == 3 and conn.other_nulls == 2


def test_server_refuses_to_send_a_bundle_before_streaming():
    conn = ServerConnection()
    with pytest.raises(LocalProtocolError, match="only be sent while streaming"):
        conn.bundle_sent()


def test_server_parses_the_tac_streaming_request_and_guide_service_length():
    conn = ServerConnection()
    guide_form = bytearray(bytes.fromhex(TAC_STREAMING_REQUEST))
    struct.pack_into(">I", guide_form, 12, 48)  # payload - 8, as in the guide's example
    conn.receive_data(bytes.fromhex(TAC_EVENT_STREAM_REQUEST) + bytes(guide_form))
    assert conn.next_event() == EventStreamRequest(START_NOW, 0x48900061, 0)
    request = conn.next_event()
    assert isinstance(request, StreamingRequest)
    assert request.streams == LEGACY_STREAMS and request.service_length == 48


@pytest.mark.parametrize("data,match", [
    (null(), "Null message before the Event Stream Request"),
    (streaming_request(0, DEFAULT_FLAGS, DEFAULT_STREAMS), "Streaming Request before"),
    (event_stream_request(0, RequestFlags.INTRUSION) * 2, "Event Stream Request while streaming"),
    (event_stream_request(0, RequestFlags.INTRUSION)
     + streaming_request(0, 0, DEFAULT_STREAMS), "Streaming Request while streaming"),
    (frame(2, b"\x00" * 9), "must be 8 bytes"),
    (event_stream_request(0) + frame(2049, bytes(16) + b"\x00\x0b\x00\x0c"), "no 0/0 terminator"),
    (event_stream_request(0) + frame(2049, bytes(20) + b"\x00"), "too short|1 bytes after"),
])
def test_server_rejects_out_of_order_or_malformed_client_messages(data, match):
    conn = ServerConnection()
    with pytest.raises(RemoteProtocolError, match=match):
        drain(conn, [data])


def test_client_and_server_talk_to_each_other():
    client = ClientConnection(start=1591210934, streams=LEGACY_STREAMS)
    server = ServerConnection()
    server.receive_data(client.initiate())
    request = server.next_event()
    assert isinstance(request, EventStreamRequest) and request.start == 1591210934
    client.receive_data(streaming_information([5001, 5000, 6667]))
    client.next_event()
    server.receive_data(client.data_to_send())
    stream_request = server.next_event()
    assert isinstance(stream_request, StreamingRequest)
    assert stream_request.streams == LEGACY_STREAMS and stream_request.start == 1591210934
    assert stream_request.flags == client.flags
    client.receive_data(bundle(5, 1, RECORDS))
    got = client.next_event()
    assert isinstance(got, Bundle) and [r.payload for r in got.records] == RECORDS
    server.bundle_sent()
    server.receive_data(client.acknowledge())
    assert server.next_event() == Null(16 + 64) and server.acks_received == 1


# ------------------------------------------------------------------ stream selection

def test_select_streams_subset_and_version_override_keep_wire_order():
    streams = select_streams(["connection", 12, "metadata"], versions={"connection": 16})
    assert streams == (Stream(11, 12), Stream(4, 21), Stream(16, 71))
    assert [s.name for s in streams] == ["intrusion", "metadata", "connection"]
    assert select_streams(profile="legacy") == LEGACY_STREAMS
    assert select_streams() == DEFAULT_STREAMS
    assert streaming_request(0, DEFAULT_FLAGS, select_streams(profile="legacy")).hex() \
        == TAC_STREAMING_REQUEST


@pytest.mark.parametrize("args,kwargs,match", [
    ((["netflow"],), {}, "unknown stream 'netflow'"),
    (([],), {}, "no stream selected"),
    (("connection",), {}, "must be a list"),
    ((["connection"],), {"versions": {"connection": 0}}, "from 1 to 65535"),
    ((None,), {"versions": {"file": "7"}}, "from 1 to 65535"),
    ((["connection"],), {"versions": {999: 1}}, "not requested"),
    ((), {"profile": "fmc9"}, "unknown stream profile"),
    (([True],), {}, "stream name or event type"),
])
def test_select_streams_rejects_bad_settings(args, kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        select_streams(*args, **kwargs)


def test_every_error_raised_here_is_an_estreamer_error():
    for exc in (LocalProtocolError, RemoteProtocolError, ConfigurationError):
        assert issubclass(exc, EStreamerError)


def test_event_data_is_a_frozen_value() -> None:
    """EventData sets its slots past the frozen __setattr__ (it is made for every record);
    it is still a frozen dataclass: equal by value, hashable, and not assignable."""
    event = EventData(b"\x00\x00\x00\x47", 12)
    assert (event.payload, event.offset) == (b"\x00\x00\x00\x47", 12)
    assert event == EventData(b"\x00\x00\x00\x47", 12) != EventData(b"", 12)
    assert hash(event) == hash(EventData(b"\x00\x00\x00\x47", 12))
    assert [f.name for f in dataclasses.fields(event)] == ["payload", "offset"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.offset = 13  # type: ignore[misc]


def test_a_reader_is_freed_with_its_session_without_a_collection() -> None:
    """A session's reader (and its buffer) goes when the session drops it: no reference
    cycle that only a full collection would free (streaming makes those rare, and
    readers piled up a session's buffer each)."""
    gc.disable()
    try:
        reader = MessageReader()
        events = drain(reader, [bundle(7, 1, RECORDS[:3])])
        assert isinstance(events[0], Bundle) and len(events[0].records) == 3
        probe = weakref.ref(reader)
        del reader
        assert probe() is None
    finally:
        gc.enable()
