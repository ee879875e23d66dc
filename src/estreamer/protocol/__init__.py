"""eStreamer protocol core (layer 1): bytes in, events out; no sockets, clocks or logging setup.

Facts: ``spec/PROTOCOL.md`` sections 3-6, 8, 9, 10 (D1-D3) and 11.1.

May import: :mod:`estreamer.errors` only; no socket, ssl or time (tests/test_layers.py).

Client session (bring your own I/O, after h11)::

    conn = ClientConnection(start=START_GENESIS, flags=DEFAULT_FLAGS, streams=DEFAULT_STREAMS)
    sock.sendall(conn.initiate())                 # Event Stream Request, once
    while True:
        event = conn.next_event()
        if event is NEED_DATA:
            conn.receive_data(sock.recv(65536))   # b"" = the FMC closed the stream
            continue
        sock.sendall(conn.data_to_send())         # the Streaming Request, when it is due
        if isinstance(event, ConnectionClosed):
            break
        if isinstance(event, (Bundle, EventData)):
            ...                                   # decode and store event.records / .payload
            sock.sendall(conn.acknowledge())      # one Null per Bundle or EventData

Public API

Constants
    ``MessageType`` (IntEnum of message types), ``HEADER_VERSION`` (1),
    ``ESTREAMER_SERVICE`` (6667), ``RequestFlags`` (IntFlag: PACKET_DATA, METADATA_V1,
    INTRUSION_LEGACY, IMPACT_ALERTS, INTRUSION, HOST_ONLY, METADATA_V2, METADATA_V3,
    METADATA, ARCHIVE_TIMESTAMPS, EXTRA_DATA, POLICY, EXTENDED), ``DEFAULT_FLAGS``
    (0x48900061), ``flag_names(flags)``, ``START_GENESIS`` (0), ``START_NOW``
    (0xFFFFFFFF), ``DEFAULT_MAX_MESSAGE_SIZE`` (64 MiB).
Streams
    ``Stream(version, event_type)``; ``DEFAULT_STREAMS`` (eNcore 5.2.11 / FMC 7.x),
    ``LEGACY_STREAMS`` (eNcore 3.5.8); ``STREAM_TYPES`` (name -> event type:
    intrusion 12, metadata 21, correlation 31, discovery 61, connection 71, user 91,
    malware 101, file 111, impact 131); ``STREAM_PROFILES``;
    ``select_streams(include=None, *, versions=None, profile="default")`` for
    configurations (subset and version overrides; raises ConfigurationError).
Builders (return bytes)
    ``event_stream_request(start, flags)``, ``streaming_request(start, flags, streams)``
    (serviceLength = whole payload length, as eNcore), ``null()`` / ``NULL_MESSAGE``,
    ``error(code, text)``; server side: ``streaming_information(services=(6667,))``,
    ``event_data(payload)``, ``bundle(connection_id, sequence, payloads, inner_form=4)``;
    ``frame(message_type, payload)`` for any other message. Bad arguments raise
    LocalProtocolError.
Events (immutable; each has ``offset`` = stream offset where its message started)
    ``Null``, ``Error(code, text)``, ``EventData(payload)`` (record header + body),
    ``StreamingInformation(services)`` of ``ServiceEntry(service_id, flags, timestamp)``,
    ``Bundle(connection_id, sequence, records)`` (records: EventData, each with its inner
    message's offset), ``UnknownMessage(message_type, payload)``, and on the server side
    ``EventStreamRequest(start, flags)``, ``StreamingRequest(service_id, start, flags,
    streams, service_length)``; ``ConnectionClosed`` after a clean end of stream;
    ``NEED_DATA`` when no complete message is buffered.
Connections
    ``ClientConnection(start, flags, streams, *, max_message_size)``: ``initiate()``,
    ``receive_data(data)``, ``next_event()``, ``data_to_send()``, ``acknowledge()``,
    ``acks_owed``, ``state``, ``services``. ``ServerConnection(*, max_message_size)``
    for the simulator: ``receive_data``, ``next_event``, ``request``,
    ``streaming_request``, ``acks_received``. ``TRANSITIONS`` holds every state
    transition of both; ``State`` names the states.
Offline
    ``MessageReader(parsers, *, max_message_size)``: framing without session rules;
    ``iter_messages(source, *, chunk_size, max_message_size)``: events of a capture
    (bytes, binary file or iterable of chunks), for ``estreamer decode``.

Errors: RemoteProtocolError (the peer broke framing or session order; carries
``offset``; the connection stays broken), LocalProtocolError (a call out of order).
"""

from __future__ import annotations

from .connection import TRANSITIONS, ClientConnection, ServerConnection, State
from .constants import (
    DEFAULT_FLAGS,
    DEFAULT_MAX_MESSAGE_SIZE,
    ESTREAMER_SERVICE,
    HEADER_VERSION,
    START_GENESIS,
    START_NOW,
    MessageType,
    RequestFlags,
    flag_names,
)
from .events import (
    NEED_DATA,
    Bundle,
    ConnectionClosed,
    Error,
    Event,
    EventData,
    EventStreamRequest,
    Null,
    ServiceEntry,
    StreamingInformation,
    StreamingRequest,
    UnknownMessage,
)
from .messages import (
    HEADER_SIZE,
    INNER_FORM_PLAIN,
    INNER_FORM_VERSIONED,
    MESSAGE_HEADER,
    NULL_MESSAGE,
    bundle,
    error,
    event_data,
    event_stream_request,
    frame,
    null,
    streaming_information,
    streaming_request,
)
from .reader import MessageReader, iter_messages
from .streams import (
    DEFAULT_STREAMS,
    LEGACY_STREAMS,
    STREAM_NAMES,
    STREAM_PROFILES,
    STREAM_TYPES,
    Stream,
    select_streams,
)

__all__ = [
    "DEFAULT_FLAGS",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_STREAMS",
    "ESTREAMER_SERVICE",
    "HEADER_SIZE",
    "HEADER_VERSION",
    "INNER_FORM_PLAIN",
    "INNER_FORM_VERSIONED",
    "LEGACY_STREAMS",
    "MESSAGE_HEADER",
    "NEED_DATA",
    "NULL_MESSAGE",
    "START_GENESIS",
    "START_NOW",
    "STREAM_NAMES",
    "STREAM_PROFILES",
    "STREAM_TYPES",
    "TRANSITIONS",
    "Bundle",
    "ClientConnection",
    "ConnectionClosed",
    "Error",
    "Event",
    "EventData",
    "EventStreamRequest",
    "MessageReader",
    "MessageType",
    "Null",
    "RequestFlags",
    "ServerConnection",
    "ServiceEntry",
    "State",
    "Stream",
    "StreamingInformation",
    "StreamingRequest",
    "UnknownMessage",
    "bundle",
    "error",
    "event_data",
    "event_stream_request",
    "flag_names",
    "frame",
    "iter_messages",
    "null",
    "select_streams",
    "streaming_information",
    "streaming_request",
]
