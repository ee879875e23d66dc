"""The simulated FMC's event archive: records with archive timestamps, shared and growable.

Each record is kept pre-encoded as a bundle inner message in both record-header
forms (long: with the archive timestamp, flag bit 23; short: without), so serving
is list slicing and ``b"".join``. One :class:`Archive` may back several simulators
(an HA pair streams the same events); ``append`` adds live records and wakes them.
A record whose body layout the requested version changes is re-encoded when served
(:meth:`Archive.inner_as`, versions.py).
"""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Callable, Union

from estreamer.errors import ConfigurationError, EStreamerError
from estreamer.protocol import Bundle, EventData, iter_messages
from estreamer.protocol.messages import BUNDLE_INNER_HEAD, INNER_FORM_PLAIN

from .versions import body_block_type, transcode

#: recordType, recordLength (body bytes after the header)
RECORD_HEAD = struct.Struct(">II")
#: the long header's extra words: archiveTimestamp, reserved
ARCHIVE_WORDS = struct.Struct(">II")

RecordSource = Union[None, int, str, "os.PathLike[str]", Iterable[bytes], "Archive"]


def to_long_form(payload: bytes, archive_timestamp: int) -> bytes:
    """A payload with the long record header; a short one gets ``archive_timestamp``."""
    if len(payload) < RECORD_HEAD.size:
        raise ConfigurationError(f"record of {len(payload)} bytes is shorter than its header")
    record_type, length = RECORD_HEAD.unpack_from(payload, 0)
    if len(payload) == 16 + length:
        return bytes(payload)
    if len(payload) == 8 + length:
        return (payload[:8] + ARCHIVE_WORDS.pack(archive_timestamp & 0xFFFFFFFF, 0)
                + payload[8:])
    raise ConfigurationError(
        f"record type {record_type}: header says {length} body bytes but the payload has "
        f"{len(payload)} bytes (neither 8 nor 16 bytes of header)")


def _inner(payload: bytes) -> bytes:
    return BUNDLE_INNER_HEAD.pack(INNER_FORM_PLAIN, len(payload)) + payload


def read_capture(path: str | os.PathLike[str]) -> list[bytes]:
    """The record payloads of a file of raw server messages (Event Data and bundles)."""
    payloads: list[bytes] = []
    try:
        with Path(path).open("rb") as handle:
            for event in iter_messages(handle):
                if isinstance(event, EventData):
                    payloads.append(event.payload)
                elif isinstance(event, Bundle):
                    payloads.extend(record.payload for record in event.records)
    except OSError as err:
        raise ConfigurationError(f"cannot read record file {os.fspath(path)!r}: "
                                 f"{err.strerror}") from err
    except EStreamerError as err:
        raise ConfigurationError(f"record file {os.fspath(path)!r} is not a stream of "
                                 f"eStreamer server messages: {err}") from err
    return payloads


class Archive:
    """Records in arrival order; thread-safe; readers poll ``len()`` and take slices."""

    def __init__(self, payloads: Iterable[bytes] = (), *,
                 clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.types: list[int] = []
        self.timestamps: list[int] = []
        #: the body block type of records whose layout it chooses (else None)
        self.block_types: list[int | None] = []
        #: inner bundle messages with the long / the short record header
        self.long_inner: list[bytes] = []
        self.short_inner: list[bytes] = []
        self.append(payloads)

    def __len__(self) -> int:
        return len(self.types)

    def append(self, payloads: Iterable[bytes]) -> int:
        """Add records (long or short header; short ones are stamped now); returns the count."""
        now = int(self._clock())
        types: list[int] = []
        stamps: list[int] = []
        blocks: list[int | None] = []
        longs: list[bytes] = []
        shorts: list[bytes] = []
        for payload in payloads:
            if not isinstance(payload, (bytes, bytearray, memoryview)):
                raise ConfigurationError(
                    f"records must be bytes (Event Data payloads), not {type(payload).__name__}")
            long_form = to_long_form(bytes(payload), now)
            record_type, _ = RECORD_HEAD.unpack_from(long_form, 0)
            stamp, _ = ARCHIVE_WORDS.unpack_from(long_form, 8)
            types.append(record_type)
            stamps.append(stamp)
            blocks.append(body_block_type(long_form))
            longs.append(_inner(long_form))
            shorts.append(_inner(long_form[:8] + long_form[16:]))
        with self._lock:
            # extend the list every reader indexes by last, so a reader that sees the new
            # length also sees the records
            self.timestamps.extend(stamps)
            self.block_types.extend(blocks)
            self.long_inner.extend(longs)
            self.short_inner.extend(shorts)
            self.types.extend(types)
        return len(types)

    def inner_as(self, index: int, block_type: int, *, long_header: bool) -> bytes:
        """Record ``index`` as an inner bundle message with body block ``block_type``.

        A record that does not decode is served as archived (it is malformed either way).
        """
        long_form = transcode(self.payload(index), block_type)
        if long_form is None:
            return (self.long_inner if long_header else self.short_inner)[index]
        return _inner(long_form if long_header else long_form[:8] + long_form[16:])

    def payload(self, index: int, *, long_header: bool = True) -> bytes:
        """Record ``index`` as an Event Data payload."""
        inner = self.long_inner[index] if long_header else self.short_inner[index]
        return inner[BUNDLE_INNER_HEAD.size:]


def make_archive(records: RecordSource, *, seed: int = 0) -> Archive:
    """The archive for a simulator's ``records`` option (see :class:`Simulator`)."""
    if records is None:
        return Archive()
    if isinstance(records, Archive):
        return records
    if isinstance(records, bool):
        raise ConfigurationError("records must be a count, a file path or payloads, not a bool")
    if isinstance(records, int):
        if records < 0:
            raise ConfigurationError(f"record count must be 0 or more, not {records}")
        from estreamer.testing.samples import generate_mix  # only needed for generated archives

        return Archive(generate_mix(records, seed=seed))
    if isinstance(records, (str, os.PathLike)):
        return Archive(read_capture(records))
    if isinstance(records, (bytes, bytearray)):
        raise ConfigurationError("records must be an iterable of payloads, not one bytes value")
    return Archive(records)
