"""The live client: one eStreamer stream (an FMC or an HA pair) into a sink (layer 3).

Embedding (the Splunk modular input drives one stream like this)::

    client = StreamClient(
        [Endpoint("fmc1", 8302, ctx), Endpoint("fmc1-standby", 8302, ctx)],
        key="fmc1:8302",                 # bookmark / metadata key (HA pair: one key)
        sink=my_sink,                    # outputs.Sink: restore / write / flush / close
        bookmarks=my_bookmark_store,     # bookmark.BookmarkStore: load(key) / save(key, bm)
        metadata=my_metadata_store,      # MetadataStore: load(key) / save(key, cache)
        on_status=report,                # called with a StreamStatus copy at checkpoints
    )
    signal.signal(signal.SIGTERM, lambda *_: client.stop())   # safe in a handler
    client.run()                          # blocks; returns the final StreamStatus

What ``run()`` guarantees:

* Records flow socket -> ``decode_record`` -> metadata cache (metadata records are
  always decoded and cached, written only if selected) -> decoration -> selection ->
  ``sink.write(records)`` once per bundle; the bundle is acknowledged when it arrives
  (the acknowledgement is flow control, the bookmark is what counts as delivered). The
  socket is read only when every buffered message has been handed to the sink, so
  the sink paces the FMC (which waits for each acknowledgement); buffers stay bounded.
* Once at start, before anything is written, and then every ``checkpoint_interval``
  seconds (and when the connection ends or the client stops) the sink is flushed,
  then the bookmark saved, so a bookmark never covers output that is not durable.
  The metadata cache is saved after it, best effort, every
  ``METADATA_SAVE_INTERVAL`` seconds and at the end (only its changed parts): a failed
  save is logged, counted in the status and retried, never a reason to hold the
  bookmark back or to stop; lost names are learned again from the stream.
  With a sink that can wind back (files) ``kill -9`` at any moment neither loses nor
  repeats a record; see :mod:`estreamer.stream.bookmark`.
* A record that does not decode (RecordDecodeError) is counted, logged with its type
  and offset, and skipped. An FMC Error message is logged with code and text.
* On a failure (connect, TLS, reset, protocol violation, no bytes for
  ``idle_timeout`` seconds) one log line names the cause; the client moves on to the
  next server of the list (HA partner) and, after trying them all, waits with
  exponential backoff and jitter. It resumes from the in-memory bookmark, so a
  switch between HA partners that share an archive delivers no duplicates.
* ``refresh_servers`` (optional): called after each backoff wait, before the next
  round of connection attempts, to get the servers again - so a renewed client
  certificate or a changed password is used without a restart. An EStreamerError from
  it is logged and the previous servers are kept.
* ``stop()`` (thread- and signal-safe) ends ``run()`` within about ``read_timeout``
  seconds with a final checkpoint; so does reaching ``max_events`` written records.

Several FMCs are several StreamClients, each on its own thread (:func:`run_streams`).
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Callable, NamedTuple, Protocol

from estreamer.durable import atomic_write
from estreamer.errors import (
    ConfigurationError,
    EStreamerError,
    ProtocolError,
    RecordDecodeError,
    TransportError,
)
from estreamer.protocol import (
    DEFAULT_FLAGS,
    DEFAULT_STREAMS,
    NEED_DATA,
    START_GENESIS,
    START_NOW,
    Bundle,
    ClientConnection,
    ConnectionClosed,
    Error,
    EventData,
    Null,
    Stream,
    StreamingInformation,
    UnknownMessage,
    flag_names,
)
from estreamer.records.decoder import decode_record, record_header
from estreamer.records.metadata import MetadataCache, read_text, set_aside
from estreamer.records.record import Record
from estreamer.stream import tls
from estreamer.stream.bookmark import Bookmark, BookmarkStore, Tracker, key_filename
from estreamer.stream.config import METADATA_RECORDS, RecordSelection, StartMode
from estreamer.stream.net import Backoff, format_address
from estreamer.stream.outputs import Sink

log = logging.getLogger("estreamer.client")

#: eNcore's ``start`` values.

_RECV_SIZE = 256 * 1024
#: records of a bundle handled (decoded, decorated, written) at a time
_SLICE = 256

#: Seconds between two saves of the metadata cache (and one at the end of the run): a
#: crash costs at most the names learned since, and the FMC sends those again.
METADATA_SAVE_INTERVAL = 30.0


class Endpoint(NamedTuple):
    """One FMC address and the TLS context to reach it."""

    host: str
    port: int
    context: ssl.SSLContext

    @property
    def address(self) -> str:
        return format_address(self.host, self.port)


class MetadataStore(Protocol):
    """Where a stream's metadata cache persists between runs.

    ``save`` writes what changed since the last save (``cache.changed_parts()``, then
    ``cache.mark_saved``) and raises EStreamerError when it cannot; the client then
    goes on and retries at a later checkpoint (names are learned again from the stream,
    the bookmark never waits for them). ``load`` sets a damaged cache aside and returns
    what it could read (possibly an empty cache).
    """

    def load(self, key: str) -> MetadataCache: ...

    def save(self, key: str, cache: MetadataCache) -> None: ...


class FileMetadataStore:
    """``<dir>/<host>-<port>.metadata/<table>.<part>.json``: a file per part of a table,
    each replaced atomically when it changed (an emptied part's file is removed). A
    damaged file is renamed aside and its names learned again from the stream. The
    single ``<host>-<port>.metadata.json`` of earlier versions is read once and removed
    after the first save."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = os.fspath(directory)

    def path(self, key: str) -> str:
        """The directory of ``key``'s parts."""
        return os.path.join(self.directory, key_filename(key) + ".metadata")

    def _legacy(self, key: str) -> str:
        return self.path(key) + ".json"

    def load(self, key: str) -> MetadataCache:
        folder = self.path(key)
        cache = MetadataCache()
        parts = []
        try:
            names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        except OSError as err:
            raise ConfigurationError(f"cannot read metadata cache {folder}: {err.strerror}; "
                                     "check its permissions") from err
        for name in names:
            if not name.endswith(".json"):
                continue  # set-aside and temporary files
            path = os.path.join(folder, name)
            text = read_text(path)
            if text is None:
                continue
            try:
                parts.append(MetadataCache.parse_part(text))
            except ConfigurationError as err:
                set_aside(path, err)
        cache.add_parts(parts)
        legacy = self._legacy(key)
        if os.path.exists(legacy):
            cache.merge(MetadataCache.load(legacy))
            cache.mark_all_changed()
        return cache

    def save(self, key: str, cache: MetadataCache) -> None:
        folder = self.path(key)
        changed = cache.changed_parts()
        try:
            os.makedirs(folder, exist_ok=True)
            for (table, part), text in changed.items():
                path = os.path.join(folder, f"{table}.{part}.json")
                if text is not None:
                    atomic_write(path, text)
                elif os.path.exists(path):
                    os.unlink(path)
            cache.mark_saved(changed)
            if os.path.exists(self._legacy(key)):
                os.unlink(self._legacy(key))
        except OSError as err:
            raise TransportError(f"cannot save metadata cache in {folder}: {err.strerror}; "
                                 "check that the directory is writable and the disk not "
                                 "full") from err


@dataclass
class StreamStatus:
    """The monitor's numbers for one stream (a copy is handed to ``on_status``)."""

    key: str
    state: str = "starting"   # starting, connecting, streaming, waiting, stopped, failed
    server: str = ""
    received: int = 0          # records received (incl. skipped re-sends)
    handled: int = 0           # records written to the sink
    duplicates: int = 0        # re-sent records recognised by the bookmark and skipped
    decode_errors: int = 0
    reconnects: int = 0
    server_errors: int = 0
    bookmark_second: int = 0   # archive second of the last bookmark saved
    metadata_save_errors: int = 0  # checkpoints whose metadata cache save failed (retried)
    last_error: str = ""
    started: float = 0.0       # wall clock when run() began

    def copy(self) -> StreamStatus:
        return replace(self)


class _Stopped(Exception):
    """Internal: stop requested or max_events reached inside a session."""


class _SinkFailed(EStreamerError):
    """Internal: the sink refused records; the stream cannot go on without losing them."""


class StreamClient:
    """Streams one FMC (or HA pair) into a sink until stopped; see the module docstring."""

    def __init__(self, servers: Sequence[Endpoint], *, key: str, sink: Sink,
                 bookmarks: BookmarkStore, metadata: MetadataStore | None = None,
                 start: int = StartMode.BOOKMARK, flags: int = DEFAULT_FLAGS,
                 streams: Sequence[Stream] = DEFAULT_STREAMS,
                 selection: RecordSelection | None = None,
                 connect_timeout: float = 10.0, read_timeout: float = 2.0,
                 idle_timeout: float = 120.0, backoff: Backoff | None = None,
                 checkpoint_interval: float = 1.0, max_events: int | None = None,
                 on_status: Callable[[StreamStatus], None] | None = None,
                 stop_event: threading.Event | None = None,
                 connect: Callable[..., ssl.SSLSocket] = tls.connect,
                 refresh_servers: Callable[[], Sequence[Endpoint]] | None = None) -> None:
        if not servers:
            raise ValueError("a stream needs at least one server")
        if start not in tuple(StartMode):
            raise ValueError(f"start must be 0, 1 or 2, not {start!r}")
        self.servers = list(servers)
        self.key = key
        self.sink = sink
        self.bookmarks = bookmarks
        self.metadata_store = metadata
        self.start = start
        self.flags = flags
        self.streams = tuple(streams)
        self.selection = selection
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self.backoff = backoff or Backoff()
        self.checkpoint_interval = checkpoint_interval
        self.max_events = max_events
        self.on_status = on_status
        self.stop_event = stop_event or threading.Event()
        self._connect = connect
        self.refresh_servers = refresh_servers
        self.status = StreamStatus(key)
        self.cache = MetadataCache()
        self.tracker = Tracker()
        self.metadata_interval = METADATA_SAVE_INTERVAL
        self._metadata_saved_at = time.monotonic()
        self._metadata_failing = False
        self._unsaved = 0
        self._last_checkpoint = time.monotonic()
        self._saved = Bookmark()

    # --- control ------------------------------------------------------------------

    def stop(self) -> None:
        """Ask ``run()`` to finish (checkpoint included); safe from signal handlers."""
        self.stop_event.set()

    def run(self) -> StreamStatus:
        """Stream until stopped or ``max_events``; return the final status.

        Raises EStreamerError only for what retrying cannot fix: an unreadable
        bookmark or a sink that refuses records.
        """
        self.status.started = time.time()
        self._restore()
        index = 0
        tried_in_cycle = 0
        try:
            while not self.stop_event.is_set() and not self._limit_reached():
                endpoint = self.servers[index]
                try:
                    self._session(endpoint)
                except _Stopped:
                    break
                except (TransportError, ProtocolError) as err:
                    self._checkpoint()
                    self.status.reconnects += 1
                    self.status.last_error = str(err)
                    tried_in_cycle += 1
                    if len(self.servers) > 1:
                        index = (index + 1) % len(self.servers)
                    if tried_in_cycle < len(self.servers):
                        log.warning("%s: %s; trying %s", self.key, err,
                                    self.servers[index].address)
                        continue
                    tried_in_cycle = 0
                    delay = self.backoff.next_delay()
                    self.status.state = "waiting"
                    log.warning("%s: %s; retrying %s in %.1fs", self.key, err,
                                self.servers[index].address, delay)
                    if self.stop_event.wait(delay):
                        break
                    self._refresh_servers()
                    index %= len(self.servers)
                    continue
                else:  # a session that ends without error only ends on stop
                    break
            self.status.state = "stopped"
        except _SinkFailed as err:
            self.status.state = "failed"
            self.status.last_error = str(err)
            log.error("%s: %s; stopping this stream (the bookmark stays at the last "
                      "durable record)", self.key, err)
            raise
        finally:
            if self.status.state != "failed":
                self._checkpoint(final=True)
            self._report()
        return self.status.copy()

    def _refresh_servers(self) -> None:
        if self.refresh_servers is None:
            return
        try:
            servers = list(self.refresh_servers())
        except EStreamerError as err:
            log.warning("%s: keeping the previous servers and credentials: %s", self.key, err)
            return
        if servers:
            self.servers = servers

    # --- state --------------------------------------------------------------------

    def _restore(self) -> None:
        bookmark = self.bookmarks.load(self.key)
        # also without a bookmark: a sink that can wind back opens where it starts
        self.sink.restore(None if bookmark is None else bookmark.sink)
        if self.metadata_store is not None:
            try:
                self.cache = self.metadata_store.load(self.key)
            except EStreamerError as err:  # names only decorate: never a reason to stop
                log.warning("%s: metadata cache not loaded (%s); names are learned again "
                            "from the stream", self.key, err)
        if self.start == StartMode.BOOKMARK:
            self.tracker = Tracker(bookmark)
            where = (f"bookmark {bookmark.second} ({len(bookmark.digests)} records of "
                     "that second already delivered)") if bookmark and bookmark.second \
                else "genesis (no bookmark yet)"
        else:
            where = "genesis" if self.start == StartMode.GENESIS else "now"
            if bookmark is not None and bookmark.second:
                log.info("%s: start=%d ignores the stored bookmark %d", self.key, self.start,
                         bookmark.second)
        # no bookmark stored is the same as an empty one: nothing to save for it
        self._saved = bookmark or Bookmark()
        self.status.bookmark_second = self.tracker.second
        log.info("%s: starting from %s", self.key, where)
        # The first checkpoint comes before the first byte is written: it records where
        # the output starts, so a run killed before its first regular checkpoint is
        # wound back to here on restart instead of leaving its output to be doubled.
        self._checkpoint()

    def _limit_reached(self) -> bool:
        return self.max_events is not None and self.status.handled >= self.max_events

    def _request_start(self) -> int:
        if self.tracker.has_position:
            return self.tracker.begin_session()
        self.tracker.begin_session()
        return START_NOW if self.start == StartMode.NOW else START_GENESIS

    def _checkpoint(self, final: bool = False) -> None:
        try:
            position = self.sink.flush()
        except EStreamerError as err:
            raise _SinkFailed(f"the output could not be flushed: {err}") from err
        bookmark = self.tracker.bookmark(position)
        if bookmark != self._saved:
            self.bookmarks.save(self.key, bookmark)
            self._saved = bookmark
        self.status.bookmark_second = self.tracker.second
        if final or self._metadata_due():
            self._save_metadata()
        self._unsaved = 0
        self._last_checkpoint = time.monotonic()
        self._report()

    def _maybe_checkpoint(self) -> None:
        if (self._unsaved or self._metadata_due()) and \
                time.monotonic() - self._last_checkpoint >= self.checkpoint_interval:
            self._checkpoint()

    def _metadata_due(self) -> bool:
        return self.metadata_store is not None and self.cache.changed and \
            time.monotonic() - self._metadata_saved_at >= self.metadata_interval

    def _save_metadata(self) -> None:
        """Best effort, after the bookmark, which never waits for it: names only decorate
        events, and names a failed save loses are learned again from the stream."""
        self._metadata_saved_at = time.monotonic()
        if self.metadata_store is None or not self.cache.changed:
            return
        try:
            self.metadata_store.save(self.key, self.cache)
        except EStreamerError as err:
            self.status.metadata_save_errors += 1
            self.status.last_error = f"metadata cache not saved: {err}"
            if not self._metadata_failing:
                log.warning("%s: metadata cache not saved (%s); events are still delivered "
                            "and bookmarked, the save is retried every %gs", self.key, err,
                            self.metadata_interval)
            self._metadata_failing = True
            return
        if self._metadata_failing:
            log.info("%s: metadata cache saved again", self.key)
            self._metadata_failing = False

    def _report(self) -> None:
        if self.on_status is not None:
            self.on_status(self.status.copy())

    # --- one connection -----------------------------------------------------------

    def _session(self, endpoint: Endpoint) -> None:
        status = self.status
        status.state = "connecting"
        status.server = endpoint.address
        host, port = endpoint.host, endpoint.port
        sock = self._connect(host, port, endpoint.context, connect_timeout=self.connect_timeout,
                             read_timeout=self.read_timeout)
        try:
            start = self._request_start()
            conn = ClientConnection(start=start, flags=self.flags, streams=self.streams)
            # the FMC refuses a client by resetting right after the handshake: this first
            # write is where that shows, and it is a transport failure like any other
            self._send(sock, conn.initiate(), endpoint, received_any=False)
            log.info("%s: connected to %s; requested %s from %s", self.key, endpoint.address,
                     "|".join(flag_names(self.flags)),
                     {START_GENESIS: "genesis", START_NOW: "now"}.get(start, start))
            status.state = "streaming"
            received_any = False
            last_data = time.monotonic()
            while True:
                if self.stop_event.is_set():
                    raise _Stopped
                event = conn.next_event()
                if event is NEED_DATA:
                    self._send(sock, conn.data_to_send(), endpoint, received_any)
                    self._maybe_checkpoint()
                    try:
                        data = sock.recv(_RECV_SIZE)
                    except socket.timeout:
                        if self.idle_timeout and time.monotonic() - last_data > self.idle_timeout:
                            raise TransportError(
                                f"{endpoint.address}: nothing received for "
                                f"{self.idle_timeout:g}s (not even a keepalive); the FMC "
                                "stalled or the network dropped the connection") from None
                        continue
                    except OSError as err:
                        raise tls.explain_io_error(err, host, port,
                                                   received_any=received_any) from err
                    if data:
                        if not received_any:
                            self.backoff.reset()
                        received_any = True
                        last_data = time.monotonic()
                    conn.receive_data(data)
                    continue
                self._send(sock, conn.data_to_send(), endpoint, received_any)
                if isinstance(event, (Bundle, EventData)):
                    # Acknowledge first, so the FMC prepares and sends the next bundle
                    # while this one is decoded and written (otherwise the two sides take
                    # turns and each waits for the other). Nothing is lost by it: the ack
                    # only means "ready for more"; what counts as delivered is the
                    # bookmark, which moves only after the sink has flushed. At most one
                    # more bundle waits in the socket until we read it, so the sink
                    # still paces the FMC.
                    self._send(sock, conn.acknowledge(), endpoint, received_any)
                    items = event.records if isinstance(event, Bundle) else (event,)
                    # in slices: the records of a slice are decoded, written and freed
                    # while their memory is still in the CPU's cache (a whole bundle is
                    # megabytes of objects, and pages the allocator maps anew each time)
                    for start in range(0, len(items), _SLICE):
                        self._deliver(items[start:start + _SLICE])
                        if self._limit_reached():
                            break
                    # a slow sink is not a silent FMC: the idle clock starts after delivery
                    last_data = time.monotonic()
                elif isinstance(event, Null):
                    pass  # keepalive
                elif isinstance(event, Error):
                    status.server_errors += 1
                    log.error("%s: %s sent error %d: %s", self.key, endpoint.address,
                              event.code, event.text)
                elif isinstance(event, StreamingInformation):
                    log.debug("%s: services offered: %s", self.key, event.service_ids)
                elif isinstance(event, UnknownMessage):
                    log.warning("%s: skipped a message of unknown type %d (%d bytes) at "
                                "offset %d", self.key, event.message_type, len(event.payload),
                                event.offset)
                elif isinstance(event, ConnectionClosed):
                    raise tls.peer_closed(host, port, received_any=received_any)
                if self._limit_reached():
                    raise _Stopped
                self._maybe_checkpoint()
        finally:
            sock.close()

    def _send(self, sock: ssl.SSLSocket, data: bytes, endpoint: Endpoint,
              received_any: bool) -> None:
        if not data:
            return
        try:
            sock.sendall(data)
        except OSError as err:
            raise tls.explain_io_error(err, endpoint.host, endpoint.port,
                                       received_any=received_any) from err

    def _deliver(self, items: Sequence[EventData]) -> None:
        status = self.status
        tracker = self.tracker
        cache = self.cache
        wanted_types = None if self.selection is None else self.selection.types
        room = None if self.max_events is None else self.max_events - status.handled
        out: list[Record] = []
        notes: list[tuple[int, bytes]] = []
        for item in items:
            if room is not None and len(out) >= room:
                break  # the rest is neither delivered nor bookmarked
            payload = item.payload
            status.received += 1
            try:
                # type and archive second only: records that are skipped need no decoding
                header = record_header(payload, item.offset)
            except RecordDecodeError as err:
                self._decode_error(err, err.record_type, item.offset)
                continue
            record_type, _, second = header
            fresh = tracker.is_new(second, payload)
            if fresh:
                notes.append((second, payload))
            else:
                status.duplicates += 1
            wanted = fresh and (wanted_types is None or record_type in wanted_types)
            metadata = record_type in METADATA_RECORDS
            if not (wanted or metadata):
                continue
            try:
                record = decode_record(payload, item.offset, header)
            except RecordDecodeError as err:
                self._decode_error(err, record_type, item.offset)
                continue
            if metadata:
                cache.update(record)  # a name it knows already changes nothing to save
            if wanted:
                out.append(record)
        decorate = cache.decorate
        for record in out:
            decorate(record)
        if out:
            try:
                self.sink.write(out)
            except EStreamerError as err:
                raise _SinkFailed(f"the output refused {len(out)} records: {err}") from err
        delivered = tracker.delivered
        for second, payload in notes:
            delivered(second, payload)
        status.handled += len(out)
        # Work for the next checkpoint: records written, or records that move the
        # bookmark. Metadata sent again on each connection (archive second 0) is
        # neither unless written; a changed cache has its own flag.
        self._unsaved += len(out) or sum(1 for second, _ in notes if second)

    def _decode_error(self, err: RecordDecodeError, record_type: int | None,
                      offset: int) -> None:
        self.status.decode_errors += 1
        log.warning("%s: skipped a record that does not decode (record type %s, offset %d): %s",
                    self.key, record_type if err.record_type is None else err.record_type,
                    offset, err)


def run_streams(clients: Sequence[StreamClient], stop: threading.Event,
                poll: float = 0.2) -> list[BaseException | None]:
    """Run each client on its own thread until all end; ``stop`` ends them all.

    Returns one entry per client: None, or the exception that ended it. The calling
    thread only waits (in short joins), so a signal handler that sets ``stop`` runs
    promptly in it.
    """
    results: list[BaseException | None] = [None] * len(clients)

    def target(i: int, client: StreamClient) -> None:
        try:
            client.run()
        except BaseException as err:  # reported to the caller, not lost in the thread
            results[i] = err

    threads = [threading.Thread(target=target, args=(i, c), name=f"stream-{c.key}",
                                daemon=True) for i, c in enumerate(clients)]
    for client in clients:
        if client.stop_event is not stop:
            # one stop for all: chain each client's event to the shared one
            client.stop_event = stop
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        for thread in threads:
            thread.join(poll)
    return results
