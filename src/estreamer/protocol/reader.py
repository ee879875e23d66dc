"""Message framing over a byte stream, shared by both connections and offline decoding.

:class:`MessageReader` buffers what it is given, cuts it into messages (8-byte header,
then ``messageLength`` bytes) and turns each into an event with a parser table. It
knows no session rules; :func:`iter_messages` uses it to read a capture file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from typing import IO, Union

from estreamer.errors import ConfigurationError, LocalProtocolError, RemoteProtocolError

from .constants import DEFAULT_MAX_MESSAGE_SIZE, HEADER_VERSION, U32_MAX, MessageType
from .events import NEED_DATA, ConnectionClosed, Event, UnknownMessage, _Sentinel
from .messages import (
    HEADER_SIZE,
    MESSAGE_HEADER,
    SERVER_MESSAGE_PARSERS,
    Parser,
    parse_bundle,
)

_unpack_header = MESSAGE_HEADER.unpack_from


def check_max_message_size(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) \
            or not HEADER_SIZE <= value <= U32_MAX:
        raise ConfigurationError(
            f"max_message_size must be an integer from {HEADER_SIZE} to {U32_MAX}, "
            f"not {value!r}")
    return value


class MessageReader:
    """Cut a byte stream into messages and parse them.

    ``receive_data(data)`` appends bytes (``b""`` means end of stream);
    ``next_event()`` returns the next event, :data:`NEED_DATA`, or
    :class:`ConnectionClosed` once the stream ended at a message boundary.
    Framing errors raise :class:`RemoteProtocolError` with the stream offset; the
    reader then stays broken. ``parsers`` maps message types to payload parsers;
    other types give :class:`UnknownMessage`.
    """

    def __init__(self, parsers: Mapping[int, Parser] = SERVER_MESSAGE_PARSERS, *,
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.max_message_size = check_max_message_size(max_message_size)
        table = dict(parsers)
        self._bundle_forms: set[int] = set()
        if table.get(MessageType.MESSAGE_BUNDLE) is parse_bundle:
            # not a method of self: a reader in a cycle with its own parsers outlives its
            # session (and its buffer) until a full collection, which streaming makes rare
            table[MessageType.MESSAGE_BUNDLE] = partial(parse_bundle,
                                                        forms_seen=self._bundle_forms)
        self._parsers = table
        self._buffer = bytearray()
        self._pos = 0  # read position in _buffer
        self._buffer_offset = 0  # stream offset of _buffer[0]
        self._eof = False
        self._broken: RemoteProtocolError | None = None

    @property
    def offset(self) -> int:
        """Stream offset of the next unread byte (bytes consumed so far)."""
        return self._buffer_offset + self._pos

    @property
    def buffered(self) -> int:
        """Bytes received and not yet consumed."""
        return len(self._buffer) - self._pos

    @property
    def eof(self) -> bool:
        return self._eof

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        if self._eof:
            if data:
                raise LocalProtocolError("received data after the end of the stream")
            return
        if not data:
            self._eof = True
            return
        if self._pos:
            # drop consumed messages so at most the unread tail stays buffered
            del self._buffer[:self._pos]
            self._buffer_offset += self._pos
            self._pos = 0
        self._buffer += data

    def next_event(self) -> Event | _Sentinel:
        if self._broken is not None:
            raise RemoteProtocolError(
                f"stream is unusable after an earlier error: {self._broken}")
        try:
            return self._next_event()
        except RemoteProtocolError as err:
            self._broken = err
            raise

    def _next_event(self) -> Event | _Sentinel:
        buffer = self._buffer
        pos = self._pos
        available = len(buffer) - pos
        offset = self._buffer_offset + pos
        if available < HEADER_SIZE:
            return self._short(available, HEADER_SIZE, offset)
        version, message_type, length = _unpack_header(buffer, pos)
        if version != HEADER_VERSION:
            raise RemoteProtocolError(
                f"message header version is {version}, expected {HEADER_VERSION}: the stream "
                "is out of step, or the FMC has bug CSCve44987 (some 6.1.0.3-6.2 builds; "
                "upgrade the FMC)", offset)
        if length > self.max_message_size:
            raise RemoteProtocolError(
                f"message type {message_type} announces {length} bytes, more than the "
                f"{self.max_message_size}-byte limit (max_message_size); the framing is "
                "probably broken", offset)
        total = HEADER_SIZE + length
        if available < total:
            return self._short(available, total, offset)
        start = pos + HEADER_SIZE
        self._pos = pos + total
        parser = self._parsers.get(message_type)
        with memoryview(buffer) as view, view[start:start + length] as payload:
            if parser is None:
                return UnknownMessage(message_type, bytes(payload), offset)
            return parser(payload, offset)

    def _short(self, available: int, needed: int, offset: int) -> Event | _Sentinel:
        if not self._eof:
            return NEED_DATA
        if available == 0:
            return ConnectionClosed(offset)
        what = "message header" if needed == HEADER_SIZE else "message"
        raise RemoteProtocolError(
            f"stream ended inside a {what}: {available} of {needed} bytes received, "
            f"{needed - available} missing", offset)


Source = Union[bytes, bytearray, memoryview, IO[bytes], Iterable[bytes]]


def iter_messages(source: Source, *, chunk_size: int = 1 << 16,
                  max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> Iterator[Event]:
    """Events of a stream of server-to-client messages, e.g. a capture file.

    ``source`` is bytes, a binary file object (read in ``chunk_size`` pieces) or an
    iterable of byte chunks. Messages may come in any mix and order (no session
    rules); unknown types give :class:`UnknownMessage`. Stops at the end of the
    stream; a stream cut inside a message, or broken framing, raises
    :class:`RemoteProtocolError` with the byte offset.
    """
    if chunk_size <= 0:
        raise ConfigurationError(f"chunk_size must be positive, not {chunk_size!r}")
    reader = MessageReader(SERVER_MESSAGE_PARSERS, max_message_size=max_message_size)
    chunks: Iterable[bytes | bytearray | memoryview]
    if isinstance(source, (bytes, bytearray, memoryview)):
        chunks = (source,)
    elif hasattr(source, "read"):
        read = source.read
        chunks = iter(lambda: read(chunk_size), b"")
    else:
        chunks = source
    for chunk in chunks:
        if not chunk:
            continue
        reader.receive_data(chunk)
        while True:
            event = reader.next_event()
            if event is NEED_DATA:
                break
            yield event
    reader.receive_data(b"")
    while True:
        event = reader.next_event()
        # after the end of the stream the reader never asks for more data
        if event is NEED_DATA or isinstance(event, ConnectionClosed):
            return
        yield event
