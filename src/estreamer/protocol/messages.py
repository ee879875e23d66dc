"""Message formats: builders (bytes out) and payload parsers (memoryview in, event out).

Facts: spec/PROTOCOL.md sections 4 and 5. Every integer is big-endian. Parsers get the
message payload (header removed) and the stream offset where the message started.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable
from typing import Callable

from estreamer.errors import LocalProtocolError, RemoteProtocolError

from .constants import (
    DEFAULT_FLAGS,
    ESTREAMER_SERVICE,
    HEADER_VERSION,
    U16_MAX,
    U32_MAX,
    MessageType,
)
from .events import (
    Bundle,
    Error,
    Event,
    EventData,
    EventStreamRequest,
    Null,
    ServiceEntry,
    StreamingInformation,
    StreamingRequest,
)
from .streams import Stream

log = logging.getLogger(__name__)

#: headerVersion u16, messageType u16, messageLength u32 (payload bytes after the header)
MESSAGE_HEADER = struct.Struct(">HHI")
HEADER_SIZE = MESSAGE_HEADER.size
#: Event Stream Request payload: initialTimestamp, requestFlags
EVENT_STREAM_REQUEST_BODY = struct.Struct(">II")
#: Streaming Request payload head: serviceId, serviceLength, flags, initialTimestamp
STREAMING_REQUEST_HEAD = struct.Struct(">IIII")
#: one requested stream: eventVersion, eventType (version first)
STREAM_PAIR = struct.Struct(">HH")
#: Error payload head: errorCode (signed), textLength
ERROR_HEAD = struct.Struct(">iH")
#: Streaming Information entry head: serviceId, serviceLength (bytes after these 8)
SERVICE_ENTRY_HEAD = struct.Struct(">II")
#: Streaming Information entry body: flags, initialTimestamp
SERVICE_ENTRY_BODY = struct.Struct(">II")
#: Message Bundle payload head: connectionId, sequenceNumber
BUNDLE_HEAD = struct.Struct(">II")
#: bundle inner message head: type word (4, or 0x00010004 with a version), length
BUNDLE_INNER_HEAD = struct.Struct(">II")

#: inner first word as eNcore reads it (u32 type 4)
INNER_FORM_PLAIN = int(MessageType.EVENT_DATA)
#: inner first word if the inner message carried a full header (version 1, type 4); D3
INNER_FORM_VERSIONED = (HEADER_VERSION << 16) | int(MessageType.EVENT_DATA)
_INNER_FORMS = {INNER_FORM_PLAIN: "u32 type 4", INNER_FORM_VERSIONED: "u16 version 1 + u16 type 4"}

_ERROR_CODE_MIN = -(1 << 31)
_ERROR_CODE_MAX = (1 << 31) - 1


# ---------------------------------------------------------------------------- builders

def _check_u32(what: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U32_MAX:
        raise LocalProtocolError(f"{what} must be an integer from 0 to {U32_MAX}, not {value!r}")
    return value


def frame(message_type: int, payload: bytes = b"") -> bytes:
    """One message: the 8-byte header (version 1) followed by ``payload``."""
    if isinstance(message_type, bool) or not isinstance(message_type, int) \
            or not 0 <= message_type <= U16_MAX:
        raise LocalProtocolError(f"message type must fit in a u16, not {message_type!r}")
    if len(payload) > U32_MAX:
        raise LocalProtocolError(f"payload of {len(payload)} bytes does not fit in a message")
    return MESSAGE_HEADER.pack(HEADER_VERSION, message_type, len(payload)) + bytes(payload)


#: The acknowledgement (client) and keepalive (server): a header with no payload.
NULL_MESSAGE = MESSAGE_HEADER.pack(HEADER_VERSION, MessageType.NULL, 0)


def null() -> bytes:
    """A Null message."""
    return NULL_MESSAGE


def error(code: int, text: str) -> bytes:
    """An Error message with a signed 32-bit ``code`` and UTF-8 ``text``."""
    if isinstance(code, bool) or not isinstance(code, int) \
            or not _ERROR_CODE_MIN <= code <= _ERROR_CODE_MAX:
        raise LocalProtocolError(f"error code must fit in a signed 32-bit integer, not {code!r}")
    encoded = text.encode("utf-8")
    if len(encoded) > U16_MAX:
        raise LocalProtocolError(f"error text of {len(encoded)} bytes exceeds {U16_MAX}")
    return frame(MessageType.ERROR, ERROR_HEAD.pack(code, len(encoded)) + encoded)


def event_stream_request(start: int, flags: int = DEFAULT_FLAGS) -> bytes:
    """The Event Stream Request: where to start (UNIX seconds, 0 or 0xFFFFFFFF) and flags."""
    return frame(MessageType.EVENT_STREAM_REQUEST, EVENT_STREAM_REQUEST_BODY.pack(
        _check_u32("start", start), _check_u32("flags", flags)))


def streaming_request(start: int, flags: int, streams: Iterable[Stream],
                      service_id: int = ESTREAMER_SERVICE) -> bytes:
    """The Streaming Request for ``service_id`` with the (version, eventType) pairs.

    serviceLength is the whole payload length, as eNcore sends it and the FMC
    accepts (spec/PROTOCOL.md D2). ``start`` and ``flags`` copy the Event Stream Request.
    """
    pairs = bytearray()
    for stream in streams:
        version, event_type = stream
        for what, value in (("version", version), ("event type", event_type)):
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not 0 < value <= U16_MAX:
                raise LocalProtocolError(
                    f"stream {stream!r}: {what} must be an integer from 1 to {U16_MAX}")
        pairs += STREAM_PAIR.pack(version, event_type)
    if not pairs:
        raise LocalProtocolError("a Streaming Request needs at least one stream")
    pairs += STREAM_PAIR.pack(0, 0)
    length = STREAMING_REQUEST_HEAD.size + len(pairs)
    head = STREAMING_REQUEST_HEAD.pack(_check_u32("service id", service_id), length,
                                       _check_u32("flags", flags),
                                       _check_u32("start", start))
    return frame(MessageType.STREAMING_REQUEST, head + pairs)


def streaming_information(services: Iterable[int | ServiceEntry] = (ESTREAMER_SERVICE,)) -> bytes:
    """Streaming Information (server side): one 8-byte entry per service, flags and time 0."""
    payload = bytearray()
    for service in services:
        if isinstance(service, ServiceEntry):
            service_id, flags, timestamp = service.service_id, service.flags, service.timestamp
        else:
            service_id, flags, timestamp = service, 0, 0
        payload += SERVICE_ENTRY_HEAD.pack(_check_u32("service id", service_id),
                                           SERVICE_ENTRY_BODY.size)
        payload += SERVICE_ENTRY_BODY.pack(_check_u32("flags", flags),
                                           _check_u32("timestamp", timestamp))
    return frame(MessageType.STREAMING_INFORMATION, bytes(payload))


def event_data(payload: bytes) -> bytes:
    """An Event Data message carrying one record (record header + body)."""
    return frame(MessageType.EVENT_DATA, payload)


def bundle(connection_id: int, sequence: int, payloads: Iterable[bytes], *,
           inner_form: int = INNER_FORM_PLAIN) -> bytes:
    """A Message Bundle (server side) of Event Data records.

    Each inner message is ``u32 inner_form`` + ``u32 length`` + payload; ``inner_form``
    is 4 (what FMCs send) or :data:`INNER_FORM_VERSIONED` (the guide's wording).
    """
    if inner_form not in _INNER_FORMS:
        raise LocalProtocolError(f"bundle inner form must be 4 or 0x00010004, not {inner_form!r}")
    body = bytearray(BUNDLE_HEAD.pack(_check_u32("connection id", connection_id),
                                      _check_u32("sequence", sequence)))
    for payload in payloads:
        body += BUNDLE_INNER_HEAD.pack(inner_form, len(payload))
        body += payload
    return frame(MessageType.MESSAGE_BUNDLE, bytes(body))


# ----------------------------------------------------------------------------- parsers

Parser = Callable[[memoryview, int], Event]


def parse_null(view: memoryview, offset: int) -> Null:
    # A Null has no payload; one that carries bytes means nothing more, so they are ignored.
    return Null(offset)


def parse_error(view: memoryview, offset: int) -> Error:
    if len(view) < ERROR_HEAD.size:
        raise RemoteProtocolError(
            f"Error message of {len(view)} bytes is shorter than its 6-byte head", offset)
    code, text_length = ERROR_HEAD.unpack_from(view, 0)
    if ERROR_HEAD.size + text_length != len(view):
        raise RemoteProtocolError(
            f"Error message length {len(view)} does not match its text length {text_length} + 6",
            offset)
    text = bytes(view[ERROR_HEAD.size:]).replace(b"\x00", b"").decode("utf-8", "replace")
    return Error(code, text, offset)


def parse_event_data(view: memoryview, offset: int) -> EventData:
    return EventData(bytes(view), offset)


def parse_streaming_information(view: memoryview, offset: int) -> StreamingInformation:
    services = []
    end = len(view)
    pos = 0
    while pos < end:
        if end - pos < SERVICE_ENTRY_HEAD.size:
            raise RemoteProtocolError(
                f"Streaming Information: {end - pos} stray bytes at payload offset {pos}", offset)
        service_id, length = SERVICE_ENTRY_HEAD.unpack_from(view, pos)
        body = pos + SERVICE_ENTRY_HEAD.size
        if length < SERVICE_ENTRY_BODY.size or length > end - body:
            raise RemoteProtocolError(
                f"Streaming Information: service {service_id} at payload offset {pos} has "
                f"length {length}; it must be 8 or more and fit the {end - body} bytes left",
                offset)
        flags, timestamp = SERVICE_ENTRY_BODY.unpack_from(view, body)
        services.append(ServiceEntry(service_id, flags, timestamp))
        pos = body + length
    return StreamingInformation(tuple(services), offset)


def parse_bundle(view: memoryview, offset: int,
                 forms_seen: set[int] | None = None) -> Bundle:
    """Parse a bundle; ``forms_seen`` records inner forms already logged (log each once)."""
    end = len(view)
    if end < BUNDLE_HEAD.size:
        raise RemoteProtocolError(
            f"Message Bundle of {end} bytes is shorter than its 8-byte head", offset)
    connection_id, sequence = BUNDLE_HEAD.unpack_from(view, 0)
    records: list[EventData] = []
    append = records.append
    inner_head = BUNDLE_INNER_HEAD.unpack_from
    head_size = BUNDLE_INNER_HEAD.size
    base = offset + HEADER_SIZE  # stream offset of payload byte 0
    pos = BUNDLE_HEAD.size
    checked = None  # the inner form of the message before: checked already
    while pos < end:
        if end - pos < head_size:
            raise RemoteProtocolError(
                f"Message Bundle: {end - pos} stray bytes at payload offset {pos}", offset)
        form, length = inner_head(view, pos)
        if form != checked:  # checked where a run of one form starts (a bundle is one run)
            if form not in _INNER_FORMS:
                raise RemoteProtocolError(
                    f"Message Bundle: inner message at payload offset {pos} has type word "
                    f"0x{form:08x}; only Event Data (0x00000004 or 0x00010004) may be "
                    "bundled", offset)
            if forms_seen is not None and form not in forms_seen:
                forms_seen.add(form)
                log.debug("bundle inner messages use form 0x%08x (%s)", form,
                          _INNER_FORMS[form])
            checked = form
        start = pos + head_size
        stop = start + length
        if stop > end:
            raise RemoteProtocolError(
                f"Message Bundle: inner message at payload offset {pos} claims {length} bytes "
                f"but only {end - start} are left in the bundle", offset)
        append(EventData(bytes(view[start:stop]), base + pos))
        pos = stop
    return Bundle(connection_id, sequence, tuple(records), offset)


def parse_event_stream_request(view: memoryview, offset: int) -> EventStreamRequest:
    if len(view) != EVENT_STREAM_REQUEST_BODY.size:
        raise RemoteProtocolError(
            f"Event Stream Request payload must be 8 bytes, not {len(view)}", offset)
    start, flags = EVENT_STREAM_REQUEST_BODY.unpack_from(view, 0)
    return EventStreamRequest(start, flags, offset)


def parse_streaming_request(view: memoryview, offset: int) -> StreamingRequest:
    end = len(view)
    if end < STREAMING_REQUEST_HEAD.size + STREAM_PAIR.size:
        raise RemoteProtocolError(
            f"Streaming Request of {end} bytes is too short for its head and terminator", offset)
    service_id, service_length, flags, start = STREAMING_REQUEST_HEAD.unpack_from(view, 0)
    streams = []
    pos = STREAMING_REQUEST_HEAD.size
    while True:
        if end - pos < STREAM_PAIR.size:
            raise RemoteProtocolError(
                "Streaming Request: stream list has no 0/0 terminator", offset)
        version, event_type = STREAM_PAIR.unpack_from(view, pos)
        pos += STREAM_PAIR.size
        if version == 0 and event_type == 0:
            break
        streams.append(Stream(version, event_type))
    if pos != end:
        raise RemoteProtocolError(
            f"Streaming Request: {end - pos} bytes after the stream list terminator", offset)
    return StreamingRequest(service_id, start, flags, tuple(streams), service_length, offset)


#: What a client parses (messages a server sends); other types become UnknownMessage.
SERVER_MESSAGE_PARSERS: dict[int, Parser] = {
    MessageType.NULL: parse_null,
    MessageType.ERROR: parse_error,
    MessageType.EVENT_DATA: parse_event_data,
    MessageType.STREAMING_INFORMATION: parse_streaming_information,
    MessageType.MESSAGE_BUNDLE: parse_bundle,
}
#: What a server parses (messages a client sends); other types become UnknownMessage.
CLIENT_MESSAGE_PARSERS: dict[int, Parser] = {
    MessageType.NULL: parse_null,
    MessageType.ERROR: parse_error,
    MessageType.EVENT_STREAM_REQUEST: parse_event_stream_request,
    MessageType.STREAMING_REQUEST: parse_streaming_request,
}
