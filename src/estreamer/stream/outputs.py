"""Standalone outputs: where the client writes formatted events (layer 3).

A :class:`Sink` takes decoded records. The client calls ``write(records)`` for each
bundle and then acknowledges the bundle; at each checkpoint it calls ``flush()``,
which must make everything written so far durable and returns a JSON-able
*position* that is stored in the bookmark. On start the client calls
``restore(position)`` with the position of the last bookmark, so output written
after that bookmark (and about to be delivered again) is wound back - a file is
truncated to its checkpointed size.

What each output guarantees:

* files: exactly once, across ``kill -9`` too (:class:`RotatingFileStream`);
* stdout: everything once across clean stops; after a crash the lines written since
  the last checkpoint are written again;
* TCP: at least once for a receiver that reads what it is sent before the next
  checkpoint: after a crash, and after the receiver dies, the lines since the last
  checkpoint are sent again (:class:`TcpStream`);
* UDP: best effort: a datagram nobody listens for, or the network drops, is lost;
  after a crash the lines since the last checkpoint are sent again.

URIs (eNcore's): ``relfile:///dir/name.{0}.log`` (relative to the configuration
file's directory), ``file:///abs/name.{0}.log``, ``udp://host:port``,
``tcp://host:port`` and ``stdout://``. ``{0}`` is the epoch second at which the file
was opened; with ``rotate`` a new file is started at the first checkpoint after
``maxLogs`` lines.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Protocol
from urllib.parse import urlsplit

from estreamer.durable import fsync_directory
from estreamer.errors import ConfigurationError, TransportError
from estreamer.records.record import Record
from estreamer.stream.net import Backoff

log = logging.getLogger("estreamer.outputs")

Position = dict[str, Any]
Formatter = Callable[[Record], str]

#: Largest UDP payload over IPv4; longer events are cut (and said so) rather than lost whole.
MAX_DATAGRAM = 65507

#: size of the pieces a batch of lines is written in (characters)
CHUNK = 1 << 16


def chunks(lines: Sequence[str]) -> Iterator[str]:
    """``lines`` as newline-terminated text in pieces of about :data:`CHUNK` characters.

    A bundle formats to megabytes (a connection event is ~3.6 KB of key=value);
    joining it into one string, then one bytes object, costs more in fresh memory
    pages than the copying itself: writing 64 KiB pieces measured 4x faster.
    """
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= CHUNK:
            batch.append("")
            yield "\n".join(batch)
            batch, size = [], 0
    if batch:
        batch.append("")
        yield "\n".join(batch)


class Sink(Protocol):
    """What the client hands records to (the Splunk input implements its own)."""

    def restore(self, position: Position | None) -> None:
        """Wind back to ``position`` (from the bookmark) before the first write."""

    def write(self, records: Sequence[Record]) -> None:
        """Accept the records of one bundle; raise EStreamerError if they were not."""

    def flush(self) -> Position | None:
        """Make every accepted record durable; return the position to bookmark."""

    def close(self) -> None: ...


class LineStream(Protocol):
    """A destination for newline-free text lines (one event each)."""

    uri: str

    def restore(self, position: Position | None) -> None: ...

    def write_lines(self, lines: Sequence[str]) -> None: ...

    def flush(self) -> Position | None: ...

    def close(self) -> None: ...


class StdoutStream:
    """Lines to standard output; one lock for all streams so lines never interleave."""

    _lock = threading.Lock()

    def __init__(self, stream: Any = None) -> None:
        self.uri = "stdout://"
        self._stream = stream

    def _out(self) -> Any:
        return self._stream if self._stream is not None else sys.stdout

    def restore(self, position: Position | None) -> None:
        pass

    def write_lines(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        with self._lock:
            out = self._out()
            for text in chunks(lines):
                out.write(text)

    def flush(self) -> Position | None:
        with self._lock:
            self._out().flush()
        return None

    def close(self) -> None:
        self.flush()


class RotatingFileStream:
    """Lines appended to ``template`` (``{0}`` = epoch at open), rotated by line count.

    Exactly once across ``kill -9`` rests on one rule: every position this stream
    reports names a file that exists, at a size that is durable. So :meth:`restore`
    always leaves a file open (the bookmarked one wound back, or a new one, created
    before the first byte is written), :meth:`flush` always reports where that file
    ends, and rotation (in :meth:`flush`, i.e. at a checkpoint) creates the next file
    before the position naming it is returned. A restart then finds the file its
    bookmark names and cuts off whatever was written after that bookmark.
    """

    def __init__(self, template: str, *, max_logs: int = 10000, rotate: bool = True,
                 uri: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.template = template
        self.uri = uri or template
        self.max_logs = max_logs
        self.rotate = rotate and "{0}" in template
        if rotate and "{0}" not in template:
            log.warning("output %s has no {0} in its file name: appending to one file "
                        "without rotation", self.uri)
        self._clock = clock
        self._path: str | None = None
        self._handle: Any = None
        self._lines = 0
        head, _, tail = template.partition("{0}")
        self._pattern = re.compile(re.escape(head) + r"\d+(?:-\d+)?" + re.escape(tail)
                                   if "{0}" in template else re.escape(template))

    @property
    def path(self) -> str | None:
        """The file written now (None before the stream is restored or written)."""
        return self._path

    def _new_path(self) -> str:
        if "{0}" not in self.template:
            return self.template
        epoch = int(self._clock())
        path = self.template.replace("{0}", str(epoch))
        n = 0
        # several files may be opened within one second at high rates
        while os.path.exists(path):
            n += 1
            path = self.template.replace("{0}", f"{epoch}-{n}")
        return path

    def _open(self, path: str, truncate_to: int | None = None) -> None:
        """Open ``path`` for appending; its creation is durable before this returns."""
        directory = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(directory, exist_ok=True)
            created = not os.path.exists(path)
            handle = open(path, "ab", buffering=1 << 20)  # noqa: SIM115 - kept open
            if truncate_to is not None:
                handle.truncate(truncate_to)
            if created:
                fsync_directory(directory)
        except OSError as err:
            raise TransportError(f"cannot open output file {path}: {err.strerror or err}; "
                                 "check the directory exists and is writable") from err
        self._handle = handle
        self._path = path

    def _open_new(self) -> None:
        self._open(self._new_path())
        self._lines = 0

    def restore(self, position: Position | None) -> None:
        """Open the bookmarked file cut back to its bookmarked size, else a new file."""
        self.close()
        target = self._restorable(position)
        if target is None:
            self._open_new()
            return
        path, size = target
        self._open(path, truncate_to=size)
        self._lines = _count_lines(path) if self.rotate else 0

    def _restorable(self, position: Position | None) -> tuple[str, int] | None:
        """The (path, size) to wind back to, or None to start a new file."""
        if not position:
            return None
        path = position.get("path")
        size = position.get("size")
        if not isinstance(path, str) or not isinstance(size, int) or size < 0:
            log.warning("output %s: ignoring a bookmark position that is not a file "
                        "position: %r", self.uri, position)
            return None
        if not self._pattern.fullmatch(path):
            log.warning("output %s: bookmarked file %s does not match the configured name; "
                        "starting a new file", self.uri, path)
            return None
        try:
            actual = os.path.getsize(path)
        except FileNotFoundError:
            log.warning("output %s: bookmarked file %s is gone; starting a new file",
                        self.uri, path)
            return None
        except OSError as err:
            raise TransportError(f"cannot read output file {path}: {err}") from err
        if actual < size:
            log.warning("output %s: %s is shorter (%d bytes) than bookmarked (%d); "
                        "appending to it", self.uri, path, actual, size)
            return path, actual
        if actual > size:
            log.info("output %s: removing %d bytes written to %s after the last bookmark "
                     "(they are delivered again)", self.uri, actual - size, path)
        return path, size

    def write_lines(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        if self._handle is None:
            self._open_new()
        write = self._handle.write
        try:
            for text in chunks(lines):
                write(text.encode("utf-8", "surrogateescape"))
        except OSError as err:
            raise TransportError(f"cannot write output file {self._path}: "
                                 f"{err.strerror or err}") from err
        self._lines += len(lines)

    def flush(self) -> Position | None:
        return self._flush(rotate=True)

    def _flush(self, rotate: bool) -> Position | None:
        if self._handle is None:
            self._open_new()
        handle = self._handle
        try:
            handle.flush()
            os.fsync(handle.fileno())
            # not tell(): after a truncation it still reports the old end until a write
            size = os.fstat(handle.fileno()).st_size
        except OSError as err:
            raise TransportError(f"cannot write output file {self._path}: "
                                 f"{err.strerror or err}") from err
        if rotate and self.rotate and self._lines >= self.max_logs:
            # The next file is created now, so the position naming it names a file
            # that exists: a restart winds it back instead of believing it gone.
            handle.close()
            self._handle = None
            self._open_new()
            return {"path": self._path, "size": 0}
        return {"path": self._path, "size": size}

    def close(self) -> None:
        if self._handle is not None:
            try:
                self._flush(rotate=False)
            finally:
                if self._handle is not None:
                    self._handle.close()
                self._handle = None


def _count_lines(path: str) -> int:
    try:
        with open(path, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except FileNotFoundError:
        return 0
    except OSError as err:
        raise TransportError(f"cannot read output file {path}: {err}") from err


def _host_port(uri: str, parts: Any) -> tuple[str, int]:
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or not port:
        raise ConfigurationError(f"output uri {uri!r} needs a host and a port "
                                 "(e.g. udp://127.0.0.1:5514)")
    return parts.hostname, port


class UdpStream:
    """One datagram per event. Best effort by nature; oversized events are cut, logged."""

    def __init__(self, host: str, port: int, uri: str) -> None:
        self.uri = uri
        self.host, self.port = host, port
        self._sock: socket.socket | None = None
        self._warned = False

    def _socket(self) -> socket.socket:
        if self._sock is None:
            try:
                family, kind, proto, _, addr = socket.getaddrinfo(
                    self.host, self.port, type=socket.SOCK_DGRAM)[0]
                sock = socket.socket(family, kind, proto)
                sock.connect(addr)
            except OSError as err:
                raise TransportError(f"output {self.uri}: cannot resolve or reach "
                                     f"{self.host}:{self.port}: {err}") from err
            self._sock = sock
        return self._sock

    def restore(self, position: Position | None) -> None:
        pass

    def write_lines(self, lines: Sequence[str]) -> None:
        sock = self._socket()
        for line in lines:
            data = line.encode("utf-8", "surrogateescape")
            if len(data) > MAX_DATAGRAM:
                if not self._warned:
                    log.warning("output %s: an event of %d bytes was cut to %d (UDP limit)",
                                self.uri, len(data), MAX_DATAGRAM)
                    self._warned = True
                data = data[:MAX_DATAGRAM]
            try:
                sock.send(data)
            except ConnectionRefusedError:
                pass  # ICMP port unreachable from an earlier datagram; UDP is fire-and-forget
            except OSError as err:
                raise TransportError(f"output {self.uri}: send failed: {err}") from err

    def flush(self) -> Position | None:
        return None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class TcpStream:
    """Newline-terminated events over TCP; reconnects with backoff and sends again.

    TCP has no acknowledgement from the receiving program: what the receiver's system
    has taken in is lost when the program dies before reading it. So the stream keeps
    everything it sent since the last checkpoint (:meth:`flush`) and, each time it has
    to reconnect, sends all of that again before going on; :meth:`flush` first checks
    that the receiver is still connected (reconnecting and resending if not), then
    forgets it. A receiver that reads what it is sent before the next checkpoint
    therefore gets every line at least once; after a reconnection some lines arrive
    twice. The memory this takes is one checkpoint interval of output.

    While the receiver is away the writer waits (bounded backoff, jitter) until it is
    back or ``stop`` is set, in which case the batch is refused (TransportError) and
    stays un-bookmarked.
    """

    def __init__(self, host: str, port: int, uri: str, *, stop: threading.Event | None = None,
                 connect_timeout: float = 10.0, backoff_initial: float = 0.5,
                 backoff_max: float = 30.0) -> None:
        self.uri = uri
        self.host, self.port = host, port
        self.stop = stop or threading.Event()
        self.connect_timeout = connect_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._sock: socket.socket | None = None
        #: pieces sent since the last checkpoint, sent again after a reconnection
        self._unconfirmed: list[bytes] = []
        self.reconnects = 0

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        sock.settimeout(None)
        return sock

    def restore(self, position: Position | None) -> None:
        pass

    def write_lines(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        for text in chunks(lines):
            data = text.encode("utf-8", "surrogateescape")
            self._send(data)
            self._unconfirmed.append(data)

    def _send(self, data: bytes) -> None:
        """Send ``data``, reconnecting with backoff until it is sent or the stream stops.

        On a new connection the pieces sent since the last checkpoint go first.
        """
        backoff = Backoff(self.backoff_initial, self.backoff_max)
        while True:
            try:
                if self._sock is None:
                    self._sock = self._connect()
                    if self._unconfirmed:
                        log.info("output %s: connected; sending again the %d bytes sent "
                                 "since the last checkpoint", self.uri,
                                 sum(map(len, self._unconfirmed)))
                    for piece in self._unconfirmed:
                        self._sock.sendall(piece)
                self._sock.sendall(data)
                return
            except OSError as err:
                self._drop()
                self.reconnects += 1
                wait = backoff.next_delay()
                log.warning("output %s: %s; retrying in %.1fs (is the receiver "
                            "listening?)", self.uri, err.strerror or err, wait)
                if self.stop.wait(wait):
                    raise TransportError(f"output {self.uri}: stopped while the receiver "
                                         "was unreachable; the events stay un-bookmarked"
                                         ) from err

    def flush(self) -> Position | None:
        if self._sock is not None and _peer_gone(self._sock):
            log.warning("output %s: the receiver closed the connection; reconnecting",
                        self.uri)
            self._drop()
            self.reconnects += 1
            self._send(b"")  # reconnects and sends the unconfirmed pieces again
        self._unconfirmed.clear()
        return None

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def close(self) -> None:
        # an orderly close hands everything over: nothing to send again afterwards
        self._unconfirmed.clear()
        self._drop()


def _peer_gone(sock: socket.socket) -> bool:
    """True if the peer has closed or reset the connection (checked without blocking)."""
    try:
        sock.setblocking(False)
        try:
            return sock.recv(1, socket.MSG_PEEK) == b""
        finally:
            sock.setblocking(True)
    except BlockingIOError:
        return False  # connected, nothing from the peer: the normal case
    except OSError:
        return True


def open_stream(uri: str, *, base_dir: str = ".", max_logs: int = 10000,
                rotate: bool = True, stop: threading.Event | None = None) -> LineStream:
    """Build the stream a configuration URI names (see the module docstring)."""
    if uri in ("stdout", "stdout:", "stdout://", "-"):
        return StdoutStream()
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "relfile":
        rel = (parts.netloc + parts.path).lstrip("/")
        return RotatingFileStream(os.path.join(base_dir, rel), max_logs=max_logs,
                                  rotate=rotate, uri=uri)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ConfigurationError(f"output uri {uri!r}: file:// takes an absolute path "
                                     "(file:///var/log/estreamer.{0}.log)")
        return RotatingFileStream(parts.path, max_logs=max_logs, rotate=rotate, uri=uri)
    if scheme == "udp":
        return UdpStream(*_host_port(uri, parts), uri=uri)
    if scheme == "tcp":
        return TcpStream(*_host_port(uri, parts), uri=uri, stop=stop)
    raise ConfigurationError(f"output uri {uri!r}: scheme must be one of relfile, file, "
                             "udp, tcp, stdout")


class Outputter:
    """One adapter (formatter) writing to one stream."""

    def __init__(self, formatter: Formatter, stream: LineStream) -> None:
        self.formatter = formatter
        self.stream = stream

    def write(self, records: Sequence[Record]) -> None:
        fmt = self.formatter
        self.stream.write_lines([fmt(record) for record in records])


class OutputSink:
    """The standalone client's sink: every record to every outputter.

    Positions are kept per output URI, so adding or removing an output does not
    wind back the wrong file.
    """

    def __init__(self, outputters: Sequence[Outputter]) -> None:
        self.outputters = list(outputters)

    def restore(self, position: Position | None) -> None:
        positions = (position or {}).get("outputs", {})
        for out in self.outputters:
            out.stream.restore(positions.get(out.stream.uri))

    def write(self, records: Sequence[Record]) -> None:
        if records:
            for out in self.outputters:
                out.write(records)

    def flush(self) -> Position | None:
        positions = {}
        for out in self.outputters:
            pos = out.stream.flush()
            if pos is not None:
                positions[out.stream.uri] = pos
        return {"outputs": positions} if positions else None

    def close(self) -> None:
        errors: list[Exception] = []
        for out in self.outputters:
            try:
                out.stream.close()
            except (OSError, TransportError) as err:  # close every stream even when one fails
                errors.append(err)
        if errors:
            raise TransportError(f"closing outputs failed: {errors[0]}") from errors[0]


class CollectingSink:
    """Keeps records in memory (tests, embedding); the position is the record count."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._flushed = 0

    def restore(self, position: Position | None) -> None:
        count = (position or {}).get("count", len(self.records))
        del self.records[count:]

    def write(self, records: Sequence[Record]) -> None:
        self.records.extend(records)

    def flush(self) -> Position | None:
        self._flushed = len(self.records)
        return {"count": self._flushed}

    def close(self) -> None:
        pass
