"""Bookmarks: where a stream resumes, precise enough for exactly-once delivery.

eNcore kept only the highest archive second written, so a restart sent every record
of that second again (spec/ENCORE_COMPAT.md B18). A :class:`Bookmark` keeps, with that
second, a digest of each record of the second already delivered; on resume the second
is requested again and the records whose digest is known are skipped (the digests are
a multiset, so two byte-identical records in one second are both delivered once).
Records of earlier seconds that the FMC re-sends are skipped too, and records without
an archive timestamp (0: metadata) never move the bookmark.

A bookmark may also carry ``sink``: the position the sink reported when it was made
durable (for a file: its path and size). On restart the sink is wound back to that
position, so output written after the last bookmark is neither lost nor doubled.

Storage is behind the two-method :class:`BookmarkStore` interface (``load(key)`` /
``save(key, bookmark)``) with JSON-able values, so the Splunk add-on can keep
bookmarks in the KV store; :class:`FileBookmarkStore` is the file implementation. Keys
are ``"host:port"`` of the stream's primary server (an HA pair shares one key).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

from estreamer.durable import atomic_write
from estreamer.errors import BookmarkError

#: Format version written into every saved bookmark.
BOOKMARK_VERSION = 1
_DIGEST_SIZE = 8


def record_digest(payload: bytes) -> str:
    """Identity of one record: blake2b (8 bytes, hex) of its whole Event Data payload.

    The payload includes the record header with the archive timestamp, so equal
    digests within one second mean byte-identical records.
    """
    return hashlib.blake2b(payload, digest_size=_DIGEST_SIZE).hexdigest()


class Bookmark:
    """Highest archive second delivered and the digests of that second's records."""

    __slots__ = ("digests", "second", "sink")

    def __init__(self, second: int = 0, digests: Iterable[str] | Counter[str] = (),
                 sink: dict[str, Any] | None = None) -> None:
        if isinstance(second, bool) or not isinstance(second, int) \
                or not 0 <= second <= 0xFFFFFFFF:
            raise BookmarkError(f"bookmark second must be an integer from 0 to 2**32-1, "
                                f"not {second!r}")
        self.second = second
        self.digests: Counter[str] = Counter(digests)
        self.sink = sink

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bookmark):
            return NotImplemented
        return (self.second, self.digests, self.sink) == (other.second, other.digests,
                                                          other.sink)

    def __repr__(self) -> str:
        return (f"Bookmark(second={self.second}, digests=<{sum(self.digests.values())}>, "
                f"sink={self.sink!r})")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (digests listed once per delivery, sorted)."""
        data: dict[str, Any] = {"version": BOOKMARK_VERSION, "second": self.second,
                                "digests": sorted(self.digests.elements())}
        if self.sink is not None:
            data["sink"] = self.sink
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Bookmark:
        """Parse :meth:`to_dict` output; raise :class:`BookmarkError` if it is not one."""
        if not isinstance(data, dict):
            raise BookmarkError("bookmark is not a JSON object")
        version = data.get("version")
        if version != BOOKMARK_VERSION:
            raise BookmarkError(f"bookmark version {version!r} is not supported "
                                f"(this client writes version {BOOKMARK_VERSION})")
        digests = data.get("digests", [])
        if not isinstance(digests, list) or not all(
                isinstance(d, str) and re.fullmatch(r"[0-9a-f]{16}", d) for d in digests):
            raise BookmarkError("bookmark digests must be a list of 16 hex digits each")
        sink = data.get("sink")
        if sink is not None and not isinstance(sink, dict):
            raise BookmarkError("bookmark sink position must be a JSON object")
        return cls(data.get("second"), digests, sink)  # type: ignore[arg-type]


class BookmarkStore(Protocol):
    """Where bookmarks live. ``load`` returns None when the key has none yet."""

    def load(self, key: str) -> Bookmark | None: ...

    def save(self, key: str, bookmark: Bookmark) -> None: ...


class MemoryBookmarkStore:
    """Bookmarks in a dict (for embedding and tests); copies on save and load."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}

    def load(self, key: str) -> Bookmark | None:
        data = self._data.get(key)
        return None if data is None else Bookmark.from_dict(json.loads(json.dumps(data)))

    def save(self, key: str, bookmark: Bookmark) -> None:
        self._data[key] = json.loads(json.dumps(bookmark.to_dict()))


def key_filename(key: str) -> str:
    """A file-name-safe form of a stream key (``10.0.0.1:8302`` -> ``10.0.0.1-8302``)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", key)
    if not safe.strip("."):
        raise BookmarkError(f"stream key {key!r} cannot name a file")
    return safe


class FileBookmarkStore:
    """One JSON file per key, ``<dir>/<host>-<port>.bookmark.json``, replaced atomically.

    Save writes a temporary file in the same directory, fsyncs it, renames it over
    the old one and fsyncs the directory: after ``kill -9`` or a power cut the file
    holds either the old or the new bookmark, never a torn one.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = os.fspath(directory)

    def path(self, key: str) -> str:
        return os.path.join(self.directory, key_filename(key) + ".bookmark.json")

    def load(self, key: str) -> Bookmark | None:
        path = self.path(key)
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise BookmarkError(f"cannot read bookmark {path}: {err}; fix or remove the "
                                "file (removing it restarts the stream from genesis)") from err
        try:
            return Bookmark.from_dict(data)
        except BookmarkError as err:
            raise BookmarkError(f"bookmark {path} is invalid: {err}") from err

    def save(self, key: str, bookmark: Bookmark) -> None:
        path = self.path(key)
        try:
            os.makedirs(self.directory, exist_ok=True)
            atomic_write(path, json.dumps(bookmark.to_dict(), separators=(",", ":")))
        except OSError as err:
            raise BookmarkError(f"cannot write bookmark {path}: {err}") from err


class Tracker:
    """Applies a bookmark to a live stream: skips re-sent records, advances on delivery.

    ``begin_session()`` at each (re)connection freezes what the server will re-send:
    the requested second and its known digests. ``is_new()`` says whether a record
    must be delivered; ``delivered()`` records it once the sink has accepted it.
    The FMC sends the archive in archive-time order, so a record older than the
    requested second can only be a re-send.

    Both take the record's payload, and digest it only when the answer needs it: a
    bookmark keeps the digests of its last second alone, so the records of a second
    are kept as payloads and digested when a bookmark is taken (a few at each
    checkpoint) or when more than ``pending_limit`` wait; a record whose second is
    already over is never digested. Hashing every record cost a tenth of the add-on's
    CPU (issue 11).
    """

    __slots__ = ("_digests", "_pending", "_resume_budget", "_resume_second",
                 "pending_limit", "second")

    def __init__(self, bookmark: Bookmark | None = None, pending_limit: int = 4096) -> None:
        bookmark = bookmark or Bookmark()
        #: payloads of the current second kept undigested at most (bounds their memory)
        self.pending_limit = pending_limit
        self.second = bookmark.second
        self._digests: Counter[str] = Counter(bookmark.digests)
        self._pending: list[bytes] = []
        self._resume_second = self.second
        self._resume_budget: Counter[str] = Counter()

    @property
    def has_position(self) -> bool:
        """True once anything with an archive timestamp was delivered or loaded."""
        return self.second > 0

    @property
    def digests(self) -> Counter[str]:
        """The digests of the records of :attr:`second` delivered so far (a multiset)."""
        self._fold()
        return self._digests

    def _fold(self) -> None:
        """Digest the payloads kept so far."""
        if self._pending:
            self._digests.update(map(record_digest, self._pending))
            self._pending = []

    def begin_session(self) -> int:
        """Start a connection; return the second to request."""
        self._resume_second = self.second
        self._resume_budget = Counter(self.digests)
        return self.second

    def is_new(self, archive_second: int, payload: bytes) -> bool:
        if archive_second == 0:
            return True
        if archive_second < self._resume_second:
            return False
        if archive_second == self._resume_second and self._resume_budget:
            digest = record_digest(payload)
            if self._resume_budget[digest] > 0:
                self._resume_budget[digest] -= 1
                return False
        return True

    def delivered(self, archive_second: int, payload: bytes) -> None:
        if archive_second > self.second:
            self.second = archive_second
            self._digests = Counter()
            self._pending = [payload]
        elif archive_second == self.second and archive_second:
            self._pending.append(payload)
            if len(self._pending) >= self.pending_limit:
                self._fold()

    def bookmark(self, sink: dict[str, Any] | None = None) -> Bookmark:
        return Bookmark(self.second, self.digests, sink)
