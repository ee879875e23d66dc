"""A simulated FMC eStreamer server: for users without an FMC at hand, and for tests.

Usage::

    certs = make_fmc_certs(directory, client_cn="127.0.0.1", password="...")
    with Simulator(directory, records=10_000) as sim:      # 127.0.0.1, ephemeral port
        ...connect to sim.address with certs.client_pkcs12...
        sim.append(more_payloads)                          # live records ("now" tests)
        sim.wait_for(lambda s: s.acks >= 3, timeout=5)

``Simulator(certs_dir, host="127.0.0.1", port=0, *, records=None, rate=None,
enforce_cn=True, faults=None, ...)``

* TLS with mutual authentication: ``server.pem``/``server.key`` from ``certs_dir``; the
  client certificate must chain to ``ca.pem`` (see :mod:`estreamer.testing.certs`).
* The FMC's CN rule (``enforce_cn``): the client certificate's CN must be the
  connection's source address, or a name resolving to it; otherwise the FMC's line
  "Certificate Common Name X does not match remote host: Y. It was issued to a
  different client." is logged and the connection closed.
* Protocol: Event Stream Request; with EXTENDED, Streaming Information (services 5001,
  5000, 6667) and the Streaming Request, then Message Bundles (connection id, sequence
  from 1), each sent only after the client's Null for the previous one, Null
  keepalives when idle (``keepalive_interval``). Without EXTENDED, one Event Data
  message per record. Only the requested streams are served (routing.py); the long
  record header is sent when flag bit 23 is set, else the short one.
* Versions: each record is served in the layout of the version the Streaming Request
  asked for (connection v14: block 163, v17: block 174, ...; versions.py), re-encoded
  when the archive holds it in another; VPN records 170/171 only from user v7.
* Start: 0 = the whole archive, 0xFFFFFFFF = only records appended later, else records
  whose archive timestamp >= start (records with archive time 0, such as metadata,
  are always served, as FMC-generated data).
* ``records``: None (empty), an int (that many from :func:`estreamer.testing.samples.generate_mix`),
  a path to a file of raw server messages, an iterable of Event Data payloads, or an
  :class:`Archive` (share one between two simulators for an HA pair).
* ``rate``: records per second per connection; None = as fast as the client acks.
* ``faults``: a :class:`Faults`; also :meth:`inject`. See faults.py for the semantics.
* Counters (read them, or use :meth:`wait_for`): ``served`` (records sent),
  ``connections`` (TLS handshakes completed), ``acks`` (bundles acknowledged),
  ``bundles``, ``rejected`` (handshake failures, CN mismatches, rejection faults),
  ``keepalives``, ``drops``, ``errors_sent``; ``requests`` lists the
  (EventStreamRequest, StreamingRequest or None) of every streaming session.

Thread-safe; ``stop()`` closes every connection and joins every thread.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Callable

from estreamer.errors import ConfigurationError, TransportError
from estreamer.protocol import EventStreamRequest, StreamingRequest

from .archive import Archive, RecordSource, make_archive, read_capture
from .faults import Faults
from .routing import is_wanted
from .session import Session

log = logging.getLogger("estreamer.simulator")

_TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
_COUNTERS = ("served", "connections", "acks", "bundles", "rejected", "keepalives", "drops",
             "errors_sent")


class Simulator:
    """See the module docstring."""

    def __init__(self, certs_dir: str | os.PathLike[str], host: str = "127.0.0.1",
                 port: int = 0, *, records: RecordSource = None, rate: float | None = None,
                 enforce_cn: bool = True, faults: Faults | None = None,
                 bundle_size: int = 1024, bundle_bytes: int = 1024 * 1024,
                 keepalive_interval: float = 1.0, ack_timeout: float = 30.0,
                 request_timeout: float = 30.0, handshake_timeout: float = 10.0,
                 tls_min_version: str = "1.2", tls_max_version: str | None = None,
                 seed: int = 0) -> None:
        if rate is not None and rate <= 0:
            raise ConfigurationError(f"rate must be positive records/s, not {rate!r}")
        if bundle_size < 1 or bundle_bytes < 1:
            raise ConfigurationError("bundle_size and bundle_bytes must be positive")
        for name, version in (("tls_min_version", tls_min_version),
                              ("tls_max_version", tls_max_version)):
            if version is not None and version not in _TLS_VERSIONS:
                raise ConfigurationError(f"{name} must be one of {', '.join(_TLS_VERSIONS)}")
        self.certs_dir = Path(certs_dir)
        self.host = host
        self._requested_port = port
        self.archive = make_archive(records, seed=seed)
        self.rate = rate
        self.enforce_cn = enforce_cn
        self.faults = faults if faults is not None else Faults()
        self.bundle_size = bundle_size
        self.bundle_bytes = bundle_bytes
        self.keepalive_interval = keepalive_interval
        self.ack_timeout = ack_timeout
        self.request_timeout = request_timeout
        self.handshake_timeout = handshake_timeout
        self._context = self._server_context(tls_min_version, tls_max_version)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._sessions: dict[Session, threading.Thread] = {}
        self._connection_ids = 0
        self.requests: list[tuple[EventStreamRequest, StreamingRequest | None]] = []
        for name in _COUNTERS:
            setattr(self, name, 0)
        self.port = 0

    # -- configuration ------------------------------------------------------------------

    def _server_context(self, min_version: str, max_version: str | None) -> ssl.SSLContext:
        paths = {name: self.certs_dir / name for name in ("server.pem", "server.key", "ca.pem")}
        missing = [name for name, path in paths.items() if not path.is_file()]
        if missing:
            raise ConfigurationError(
                f"certificate directory {str(self.certs_dir)!r} lacks {', '.join(missing)}; "
                "create it with `estreamer certs --out DIR --client-cn ADDRESS`")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = _TLS_VERSIONS[min_version]
        if max_version is not None:
            context.maximum_version = _TLS_VERSIONS[max_version]
        context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS, as the FMC
        try:
            context.load_cert_chain(paths["server.pem"], paths["server.key"])
            context.load_verify_locations(cafile=str(paths["ca.pem"]))
        except (ssl.SSLError, OSError) as err:
            raise ConfigurationError(f"certificate files in {str(self.certs_dir)!r} could "
                                     f"not be loaded: {err}") from err
        return context

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> Simulator:
        if self._listener is not None:
            raise ConfigurationError("simulator already started")
        try:
            listener = socket.create_server((self.host, self._requested_port), backlog=16)
        except OSError as err:
            raise TransportError(f"{self.host}:{self._requested_port}: simulator cannot "
                                 f"listen: {err.strerror or err}") from err
        listener.settimeout(0.1)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True,
                                               name=f"fmc-sim-{self.port}")
        self._accept_thread.start()
        log.info("FMC simulator listening on %s:%d with %d archived records", self.host,
                 self.port, len(self.archive))
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listener and every connection; join every thread."""
        self._stop.set()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
        with self._lock:
            sessions = list(self._sessions.items())
        for session, _ in sessions:
            session.close()
        for _, thread in sessions:
            thread.join(timeout)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                raw, peer = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                if self._stop.is_set():
                    break
                time.sleep(0.05)  # e.g. EMFILE: do not spin
                continue
            session = Session(self, raw, peer)
            thread = threading.Thread(target=session.run, daemon=True,
                                      name=f"fmc-sim-{self.port}-{peer[1]}")
            with self._lock:
                self._sessions[session] = thread
            thread.start()
        self._listener.close()

    def _session_done(self, session: Session) -> None:
        with self._lock:
            self._sessions.pop(session, None)

    # -- shared state for sessions --------------------------------------------------------

    def _count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def _next_connection_id(self) -> int:
        with self._lock:
            self._connection_ids += 1
            return self._connection_ids

    def _take_faults(self) -> Faults:
        with self._lock:
            return self.faults.take_one_shot()

    def _record_request(self, esr: EventStreamRequest, sreq: StreamingRequest | None) -> None:
        with self._lock:
            self.requests.append((esr, sreq))

    # -- public helpers -------------------------------------------------------------------

    def append(self, payloads: Iterable[bytes]) -> int:
        """Add live records (served to "now" sessions and to everyone streaming)."""
        return self.archive.append(payloads)

    def inject(self, **faults: object) -> None:
        """Set faults for the next streaming connection (fields of :class:`Faults`)."""
        with self._lock:
            current = {name: getattr(self.faults, name)
                       for name in Faults.__dataclass_fields__}
            current.update(faults)
            self.faults = Faults(**current)

    def wait_for(self, condition: Callable[[Simulator], bool], timeout: float = 10.0) -> bool:
        """Poll ``condition(self)`` until true or ``timeout``; returns the last result."""
        deadline = time.monotonic() + timeout
        while True:
            if condition(self):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    @property
    def active_connections(self) -> int:
        with self._lock:
            return len(self._sessions)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {name: getattr(self, name) for name in _COUNTERS}

    # counters are plain attributes set in __init__; declared for type checkers
    served: int
    connections: int
    acks: int
    bundles: int
    rejected: int
    keepalives: int
    drops: int
    errors_sent: int


__all__ = ["Archive", "Faults", "Simulator", "is_wanted", "read_capture"]
