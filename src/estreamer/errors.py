"""The one exception tree of the client (see docs/design.md, "Errors").

Foreign exceptions are wrapped with ``raise ... from err`` so callers only ever
need to catch :class:`EStreamerError`. No message may carry a secret.
"""

from __future__ import annotations


class EStreamerError(Exception):
    """Base of every error this package raises on purpose."""


class ProtocolError(EStreamerError):
    """The eStreamer conversation went wrong."""


class LocalProtocolError(ProtocolError):
    """We tried to do something the protocol does not allow (a bug on our side)."""


class RemoteProtocolError(ProtocolError):
    """The peer sent bytes that break the framing or the session rules.

    ``offset`` is the stream offset (bytes received before the bad message)
    when it is known, so a broken capture can be inspected with a hex viewer.
    """

    def __init__(self, message: str, offset: int | None = None) -> None:
        if offset is not None:
            message = f"{message} (at stream offset {offset})"
        super().__init__(message)
        self.offset = offset


class RecordDecodeError(EStreamerError):
    """One record could not be decoded. Never fatal: count it, log it, skip it."""

    def __init__(self, message: str, record_type: int | None = None,
                 offset: int | None = None) -> None:
        where = []
        if record_type is not None:
            where.append(f"record type {record_type}")
        if offset is not None:
            where.append(f"offset {offset}")
        if where:
            message = f"{message} ({', '.join(where)})"
        super().__init__(message)
        self.record_type = record_type
        self.offset = offset


class TransportError(EStreamerError):
    """Connecting to, or talking TLS with, the FMC failed; the text names cause and fix."""


class ConfigurationError(EStreamerError):
    """A setting is missing or invalid; the text names the key and the allowed values."""


class BookmarkError(EStreamerError):
    """The bookmark could not be read or written."""
