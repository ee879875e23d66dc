"""The session state machines: :class:`ClientConnection` and :class:`ServerConnection`.

Bring-your-own-I/O (after h11): feed received bytes with ``receive_data``, pull
events with ``next_event``, send what ``initiate``/``acknowledge``/``data_to_send``
return. Every transition of both sides is in :data:`TRANSITIONS`; an input not in
it is a protocol violation: ours (:class:`LocalProtocolError`) for what we call,
the peer's (:class:`RemoteProtocolError`) for what it sends.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable

from estreamer.errors import ConfigurationError, LocalProtocolError, RemoteProtocolError

from .constants import (
    DEFAULT_FLAGS,
    DEFAULT_MAX_MESSAGE_SIZE,
    ESTREAMER_SERVICE,
    U32_MAX,
    RequestFlags,
)
from .events import (
    NEED_DATA,
    Bundle,
    Event,
    EventData,
    EventStreamRequest,
    Null,
    StreamingInformation,
    StreamingRequest,
    _Sentinel,
)
from .messages import CLIENT_MESSAGE_PARSERS, SERVER_MESSAGE_PARSERS, event_stream_request, null
from .messages import streaming_request as build_streaming_request
from .reader import MessageReader
from .streams import DEFAULT_STREAMS, Stream, check_streams

log = logging.getLogger(__name__)


class State(enum.Enum):
    # client
    IDLE = "IDLE"                        # nothing sent yet
    AWAIT_INFO = "AWAIT_INFO"            # extended request sent, Streaming Information due
    # server
    AWAIT_REQUEST = "AWAIT_REQUEST"      # the client's Event Stream Request is due
    AWAIT_STREAMING_REQUEST = "AWAIT_STREAMING_REQUEST"  # Streaming Information was due
    # both
    STREAMING = "STREAMING"              # records flow (client) / may be sent (server)
    CLOSED = "CLOSED"                    # the peer ended the stream cleanly
    ERROR = "ERROR"                      # a protocol error happened; the session is over


# Inputs are event class names plus the local call initiate(); an Event Stream Request
# (sent by the client, received by the server) is a different input when it sets EXTENDED.
_INITIATE = "initiate"
_INITIATE_EXTENDED = "initiate(extended)"
_EXTENDED_REQUEST = "EventStreamRequest(extended)"

_S = State
#: (state, input) -> next state, for both sides. Anything missing is a violation.
TRANSITIONS: dict[tuple[State, str], State] = {
    # client: what we do
    (_S.IDLE, _INITIATE): _S.STREAMING,
    (_S.IDLE, _INITIATE_EXTENDED): _S.AWAIT_INFO,
    # client: what the FMC may send (an Error or keepalive can come at any time)
    (_S.IDLE, "Null"): _S.IDLE,
    (_S.IDLE, "Error"): _S.IDLE,
    (_S.IDLE, "UnknownMessage"): _S.IDLE,
    (_S.IDLE, "ConnectionClosed"): _S.CLOSED,
    (_S.AWAIT_INFO, "StreamingInformation"): _S.STREAMING,  # -> we queue a Streaming Request
    (_S.AWAIT_INFO, "Null"): _S.AWAIT_INFO,
    (_S.AWAIT_INFO, "Error"): _S.AWAIT_INFO,
    (_S.AWAIT_INFO, "UnknownMessage"): _S.AWAIT_INFO,
    (_S.AWAIT_INFO, "ConnectionClosed"): _S.CLOSED,
    (_S.STREAMING, "EventData"): _S.STREAMING,  # -> one acknowledgement owed
    (_S.STREAMING, "Bundle"): _S.STREAMING,     # -> one acknowledgement owed
    (_S.STREAMING, "Null"): _S.STREAMING,
    (_S.STREAMING, "Error"): _S.STREAMING,
    (_S.STREAMING, "UnknownMessage"): _S.STREAMING,
    (_S.STREAMING, "ConnectionClosed"): _S.CLOSED,
    (_S.CLOSED, "ConnectionClosed"): _S.CLOSED,
    # server: what the client may send
    (_S.AWAIT_REQUEST, "EventStreamRequest"): _S.STREAMING,
    (_S.AWAIT_REQUEST, _EXTENDED_REQUEST): _S.AWAIT_STREAMING_REQUEST,
    (_S.AWAIT_REQUEST, "ConnectionClosed"): _S.CLOSED,
    (_S.AWAIT_STREAMING_REQUEST, "StreamingRequest"): _S.STREAMING,
    # eNcore acknowledges every message, Streaming Information included
    (_S.AWAIT_STREAMING_REQUEST, "Null"): _S.AWAIT_STREAMING_REQUEST,
    (_S.AWAIT_STREAMING_REQUEST, "Error"): _S.AWAIT_STREAMING_REQUEST,
    (_S.AWAIT_STREAMING_REQUEST, "UnknownMessage"): _S.AWAIT_STREAMING_REQUEST,
    (_S.AWAIT_STREAMING_REQUEST, "ConnectionClosed"): _S.CLOSED,
    # (_S.STREAMING, "Null" / "Error" / "UnknownMessage" / "ConnectionClosed") as above
}

_EVENT_NAMES = {
    "Null": "a Null message", "Error": "an Error message", "EventData": "Event Data",
    "Bundle": "a Message Bundle", "StreamingInformation": "Streaming Information",
    "UnknownMessage": "a message of unknown type", "EventStreamRequest": "an Event Stream Request",
    _EXTENDED_REQUEST: "an extended Event Stream Request",
    "StreamingRequest": "a Streaming Request",
}
_STATE_TEXT = {
    _S.IDLE: "before the Event Stream Request was sent",
    _S.AWAIT_INFO: "before Streaming Information, although the request set EXTENDED (bit 30)",
    _S.AWAIT_REQUEST: "before the Event Stream Request",
    _S.AWAIT_STREAMING_REQUEST: "while the Streaming Request was due",
    _S.STREAMING: "while streaming",
    _S.CLOSED: "after the end of the stream",
}


def _check_u32(what: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U32_MAX:
        raise ConfigurationError(f"{what} must be an integer from 0 to {U32_MAX}, not {value!r}")
    return value


class _Connection:
    """What both sides share: the reader, the state and the table lookup."""

    def __init__(self, reader: MessageReader, state: State) -> None:
        self._reader = reader
        self.state = state
        self._error: RemoteProtocolError | None = None

    @property
    def offset(self) -> int:
        """Bytes of the stream consumed so far."""
        return self._reader.offset

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Add received bytes; ``b""`` means the peer closed the stream."""
        self._reader.receive_data(data)

    def next_event(self) -> Event | _Sentinel:
        """The next event, :data:`NEED_DATA`, or :class:`ConnectionClosed` after the end."""
        if self._error is not None:
            raise RemoteProtocolError(f"session is over after an earlier error: {self._error}")
        try:
            event = self._reader.next_event()
            if event is NEED_DATA:
                return event
            self._handle(event)
        except RemoteProtocolError as err:
            self._error = err
            self.state = State.ERROR
            raise
        return event

    def _advance(self, symbol: str, offset: int) -> None:
        next_state = TRANSITIONS.get((self.state, symbol))
        if next_state is None:
            what = _EVENT_NAMES.get(symbol, symbol)
            raise RemoteProtocolError(
                f"peer sent {what} {_STATE_TEXT.get(self.state, self.state.value)}", offset)
        self.state = next_state

    def _handle(self, event: Event) -> None:
        raise NotImplementedError


class ClientConnection(_Connection):
    """The client side of one eStreamer session.

    ``initiate()`` gives the Event Stream Request. When the FMC answers an extended
    request with Streaming Information offering service 6667, the Streaming Request
    is queued for ``data_to_send()``. Each Bundle or standalone EventData event owes
    the FMC one ``acknowledge()`` (a Null), sent after the records are safe.
    """

    def __init__(self, start: int = 0, flags: int = DEFAULT_FLAGS,
                 streams: Iterable[Stream] = DEFAULT_STREAMS, *,
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        super().__init__(MessageReader(SERVER_MESSAGE_PARSERS,
                                       max_message_size=max_message_size), State.IDLE)
        self.start = _check_u32("start", start)
        self.flags = RequestFlags(_check_u32("flags", int(flags)))
        self.streams = check_streams(streams)
        self._outgoing = bytearray()
        self._acks_owed = 0
        #: the services the FMC advertised, once Streaming Information arrived
        self.services: tuple[int, ...] = ()

    @property
    def extended(self) -> bool:
        return bool(self.flags & RequestFlags.EXTENDED)

    @property
    def acks_owed(self) -> int:
        """Bundles and standalone EventData messages returned but not yet acknowledged."""
        return self._acks_owed

    def initiate(self) -> bytes:
        """The Event Stream Request; call once, first."""
        symbol = _INITIATE_EXTENDED if self.extended else _INITIATE
        next_state = TRANSITIONS.get((self.state, symbol))
        if next_state is None:
            raise LocalProtocolError(
                f"initiate() may be called once, before anything else (state {self.state.value})")
        self.state = next_state
        return event_stream_request(self.start, self.flags)

    def acknowledge(self) -> bytes:
        """One Null acknowledging the oldest unacknowledged Bundle or EventData message."""
        if self._acks_owed <= 0:
            raise LocalProtocolError(
                "nothing to acknowledge: acknowledge() follows a Bundle or an EventData event")
        self._acks_owed -= 1
        return null()

    def data_to_send(self) -> bytes:
        """Bytes the session itself must send (the Streaming Request); drains the queue."""
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def _handle(self, event: Event) -> None:
        symbol = type(event).__name__
        if isinstance(event, StreamingInformation) and self.state is State.AWAIT_INFO:
            self.services = event.service_ids
            if ESTREAMER_SERVICE not in self.services:
                offered = ", ".join(str(s) for s in self.services) or "none"
                raise RemoteProtocolError(
                    f"the FMC offers no eStreamer service {ESTREAMER_SERVICE} in Streaming "
                    f"Information (offered: {offered}); it cannot stream events to this client",
                    event.offset)
            self._advance(symbol, event.offset)
            request = build_streaming_request(self.start, self.flags, self.streams)
            self._outgoing += request
            # serviceLength is eNcore's choice (whole payload), unconfirmed by the guide (D2)
            log.debug("Streaming Request queued: service %d, serviceLength %d, start %d, "
                      "streams %s", ESTREAMER_SERVICE, len(request) - 8, self.start,
                      " ".join(f"{s.event_type}v{s.version}" for s in self.streams))
            return
        self._advance(symbol, event.offset)
        if isinstance(event, (Bundle, EventData)):
            self._acks_owed += 1


class ServerConnection(_Connection):
    """The FMC side, for the simulator: parses what a client sends and checks its order.

    The requests received are kept in ``request`` and ``streaming_request``; the
    simulator answers with the builders (``streaming_information``, ``bundle``, ...).
    """

    def __init__(self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        super().__init__(MessageReader(CLIENT_MESSAGE_PARSERS,
                                       max_message_size=max_message_size), State.AWAIT_REQUEST)
        self.request: EventStreamRequest | None = None
        self.streaming_request: StreamingRequest | None = None
        #: the client's acknowledgements: Nulls that answer a bundle sent (bundle_sent)
        self.acks_received = 0
        #: Nulls that answer no bundle (eNcore also acknowledges Streaming Information
        #: and keepalives); counted apart so that they never release the next bundle
        self.other_nulls = 0
        self._bundles_unacknowledged = 0

    @property
    def extended(self) -> bool:
        return self.request is not None and bool(self.request.flags & RequestFlags.EXTENDED)

    def bundle_sent(self) -> None:
        """Note that a Message Bundle went out: the client's next Null acknowledges it."""
        if self.state is not State.STREAMING:
            raise LocalProtocolError(
                f"a Message Bundle may only be sent while streaming (state {self.state.value})")
        self._bundles_unacknowledged += 1

    def _handle(self, event: Event) -> None:
        symbol = type(event).__name__
        if isinstance(event, EventStreamRequest) and event.flags & RequestFlags.EXTENDED:
            symbol = _EXTENDED_REQUEST
        self._advance(symbol, event.offset)
        if isinstance(event, EventStreamRequest):
            self.request = event
        elif isinstance(event, StreamingRequest):
            self.streaming_request = event
        elif isinstance(event, Null):
            # Only a Null that follows a bundle acknowledges it; one that answers
            # Streaming Information or a keepalive must not release the next bundle.
            if self._bundles_unacknowledged:
                self._bundles_unacknowledged -= 1
                self.acks_received += 1
            else:
                self.other_nulls += 1


__all__ = ["TRANSITIONS", "ClientConnection", "ServerConnection", "State"]
