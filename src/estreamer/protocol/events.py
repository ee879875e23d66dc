"""Events: what ``next_event()`` returns, one per message (immutable).

Every event carries ``offset``: the stream offset where its message started (bytes
received before it), so errors and records can point into a capture.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Union

from .streams import Stream


class _Sentinel(enum.Enum):
    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return self.value


#: Returned by ``next_event()`` when the buffered bytes hold no complete message.
NEED_DATA = _Sentinel.NEED_DATA


# frozen dataclasses with hand-written __slots__ (slots=True needs Python 3.10);
# EventData is made once per record on the hot path, so no per-instance dict.

@dataclass(frozen=True)
class Null:
    """Null message: the server's keepalive, or the client's acknowledgement."""

    __slots__ = ("offset",)
    offset: int


@dataclass(frozen=True)
class Error:
    """Error message: signed code and text (NULs stripped)."""

    __slots__ = ("code", "offset", "text")
    code: int
    text: str
    offset: int


@dataclass(frozen=True, init=False)
class EventData:
    """One record: ``payload`` is the record header plus body (the decoder's input).

    Inside a bundle, ``offset`` is the stream offset of the inner message.
    """

    __slots__ = ("offset", "payload")
    payload: bytes
    offset: int

    def __init__(self, payload: bytes, offset: int) -> None:
        # one is made for every record: the slots are set through their own setters,
        # past the frozen __setattr__ that the generated __init__ calls (313 against
        # 510 ns a record on CPython 3.13); the instance is as frozen as any other
        _set_payload(self, payload)
        _set_offset(self, offset)

    def __repr__(self) -> str:
        return f"EventData(<{len(self.payload)} bytes>, offset={self.offset})"


# the slots' member descriptors
_set_payload = vars(EventData)["payload"].__set__
_set_offset = vars(EventData)["offset"].__set__


@dataclass(frozen=True)
class ServiceEntry:
    """One service advertised in Streaming Information."""

    __slots__ = ("flags", "service_id", "timestamp")
    service_id: int
    flags: int
    timestamp: int


@dataclass(frozen=True)
class StreamingInformation:
    """The FMC's list of services (6667 is eStreamer), sent after an extended request."""

    __slots__ = ("offset", "services")
    services: tuple[ServiceEntry, ...]
    offset: int

    @property
    def service_ids(self) -> tuple[int, ...]:
        return tuple(entry.service_id for entry in self.services)


@dataclass(frozen=True)
class Bundle:
    """Message Bundle: several records; acknowledged as a whole with one Null."""

    __slots__ = ("connection_id", "offset", "records", "sequence")
    connection_id: int
    sequence: int
    records: tuple[EventData, ...]
    offset: int

    def __repr__(self) -> str:
        return (f"Bundle(connection_id={self.connection_id}, sequence={self.sequence}, "
                f"records=<{len(self.records)}>, offset={self.offset})")


@dataclass(frozen=True)
class UnknownMessage:
    """A message of a type this side does not parse; kept, never fatal."""

    __slots__ = ("message_type", "offset", "payload")
    message_type: int
    payload: bytes
    offset: int

    def __repr__(self) -> str:
        return (f"UnknownMessage(message_type={self.message_type}, "
                f"payload=<{len(self.payload)} bytes>, offset={self.offset})")


@dataclass(frozen=True)
class EventStreamRequest:
    """The client's first message (server side)."""

    __slots__ = ("flags", "offset", "start")
    start: int
    flags: int
    offset: int


@dataclass(frozen=True)
class StreamingRequest:
    """The client's answer to Streaming Information (server side).

    ``service_length`` is kept as sent: eNcore writes the whole payload length, the
    guide's example the payload minus 8 (spec/PROTOCOL.md D2).
    """

    __slots__ = ("flags", "offset", "service_id", "service_length", "start", "streams")
    service_id: int
    start: int
    flags: int
    streams: tuple[Stream, ...]
    service_length: int
    offset: int


@dataclass(frozen=True)
class ConnectionClosed:
    """The peer closed the stream at a message boundary; ``offset`` = total bytes received."""

    __slots__ = ("offset",)
    offset: int


Event = Union[Null, Error, EventData, StreamingInformation, Bundle, UnknownMessage,
              EventStreamRequest, StreamingRequest, ConnectionClosed]
