"""One client connection of the simulated FMC: handshake, CN rule, request, streaming.

Runs in its own thread. Every wait is a short socket timeout or a slice of the
simulator's stop event, so ``Simulator.stop()`` ends it within a fraction of a second.
Log lines follow the FMC's wording (Cisco TAC note 215631) where one is known.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
from typing import TYPE_CHECKING

from estreamer.errors import EStreamerError
from estreamer.protocol import (
    ESTREAMER_SERVICE,
    NEED_DATA,
    START_GENESIS,
    START_NOW,
    ConnectionClosed,
    Error,
    EventStreamRequest,
    MessageType,
    RequestFlags,
    ServerConnection,
    State,
    StreamingRequest,
    error,
    frame,
    null,
    streaming_information,
)
from estreamer.protocol.messages import BUNDLE_HEAD, BUNDLE_INNER_HEAD

from .faults import Faults
from .routing import RecordFilter
from .versions import served_blocks

if TYPE_CHECKING:
    from . import Simulator

log = logging.getLogger("estreamer.simulator")

#: the services an FMC advertises in Streaming Information (TAC note 215631)
ADVERTISED_SERVICES = (5001, 5000, ESTREAMER_SERVICE)
#: socket read timeout: how often loops look at the stop flag and the archive
POLL = 0.05


class SessionEnd(Exception):
    """Ends a session quietly (the peer left, the simulator stops, a fault fired)."""


class Session:
    def __init__(self, sim: Simulator, raw: socket.socket, peer: tuple[str, int]) -> None:
        self.sim = sim
        self.raw = raw
        self.peer_ip = peer[0]
        self.peer = f"{peer[0]}:{peer[1]}"
        self.sock: ssl.SSLSocket | None = None
        self.conn = ServerConnection()
        self.faults = Faults()
        self.served = 0
        self.bundles = 0
        #: record type -> body block type served (from the requested versions)
        self.blocks: dict[int, int] = {}
        self.long_header = True

    # -- plumbing -----------------------------------------------------------------------

    def close(self) -> None:
        """Close the socket now (also called by ``Simulator.stop`` from another thread)."""
        target = self.sock if self.sock is not None else self.raw
        try:
            target.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        target.close()

    def _check_stop(self) -> None:
        if self.sim.stopping:
            raise SessionEnd("simulator stopping")

    def _send(self, data: bytes) -> None:
        assert self.sock is not None
        try:
            self.sock.sendall(data)
        except OSError as err:
            raise SessionEnd(f"send failed: {err}") from err

    def _pump(self, timeout: float = POLL) -> list[object]:
        """Read what the client sent within ``timeout``; return the parsed events."""
        assert self.sock is not None
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 16)
        except (socket.timeout, ssl.SSLWantReadError):
            data = None
        except OSError as err:
            raise SessionEnd(f"receive failed: {err}") from err
        if data is not None:
            self.conn.receive_data(data)
        events: list[object] = []
        while True:
            try:
                event = self.conn.next_event()
            except EStreamerError as err:
                log.warning("%s: protocol error from client: %s", self.peer, err)
                raise SessionEnd(str(err)) from err
            if event is NEED_DATA:
                break
            events.append(event)
            if isinstance(event, ConnectionClosed):
                raise SessionEnd("client closed the connection")
            if isinstance(event, Error):
                log.info("%s: client sent Error %d: %s", self.peer, event.code, event.text)
        return events

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self.sim._stop.wait(min(left, POLL)):
                raise SessionEnd("simulator stopping")

    # -- phases -------------------------------------------------------------------------

    def run(self) -> None:
        try:
            if not self._handshake():
                return
            self._check_cn_and_faults()
            esr, sreq = self._await_requests()
            self._stream(esr, sreq)
        except SessionEnd as end:
            log.debug("%s: session ends: %s", self.peer, end)
        except Exception:  # a simulator bug must not kill the server; log it fully
            log.exception("%s: session failed", self.peer)
        finally:
            self.close()
            self.sim._session_done(self)

    def _handshake(self) -> bool:
        try:
            self.raw.settimeout(self.sim.handshake_timeout)
            sock = self.sim._context.wrap_socket(self.raw, server_side=True,
                                                 do_handshake_on_connect=False)
            self.sock = sock
            sock.do_handshake()
        except (ssl.SSLError, OSError) as err:
            # the FMC's wording for a foreign, expired or missing client certificate
            reason = getattr(err, "reason", None) or type(err).__name__
            log.warning("%s: SSL_accept failed, SSL_get_error reports %s", self.peer, reason)
            self.sim._count("rejected")
            return False
        self.sim._count("connections")
        return True

    def _check_cn_and_faults(self) -> None:
        assert self.sock is not None
        cert = self.sock.getpeercert() or {}
        cn = None
        for rdn in cert.get("subject", ()):
            for attribute in rdn:
                if attribute[0] == "commonName":
                    cn = str(attribute[1])
        if self.sim.faults.reject_client_cert:
            log.warning("%s: client certificate CN=%s rejected (fault injection: revoked)",
                        self.peer, cn)
            self.sim._count("rejected")
            raise SessionEnd("client certificate rejected")
        if self.sim.enforce_cn:
            matched = _cn_matches(cn or "", self.peer_ip)
            if matched is None:
                log.warning("Certificate Common Name %s does not match remote host: %s. "
                            "It was issued to a different client.", cn, self.peer_ip)
                self.sim._count("rejected")
                raise SessionEnd("CN mismatch")
            if cn != matched:
                log.info("Resolved CN %s to %s", cn, matched)
            family = "IPv6" if ":" in self.peer_ip else "IPv4"
            log.info("Matched Certificate CN:%s to %s (%s)", cn, self.peer_ip, family)

    def _await_requests(self) -> tuple[EventStreamRequest, StreamingRequest | None]:
        deadline = time.monotonic() + self.sim.request_timeout
        advertised = False
        while time.monotonic() < deadline:
            self._check_stop()
            self._pump()
            request = self.conn.request
            if request is not None and not advertised:
                log.info("%s: Got EVENT_STREAM_REQUEST length 8: start %d flags 0x%08x",
                         self.peer, request.start, request.flags)
                if not self.conn.extended:
                    return request, None
                info = streaming_information(ADVERTISED_SERVICES)
                log.info("%s: Publishing service INFO total data size %d", self.peer,
                         len(info) - 8)
                self._send(info)
                advertised = True
            sreq = self.conn.streaming_request
            if request is not None and sreq is not None:
                log.info("%s: Got UEC_STREAM_REQUEST length %d; requested service [%d] "
                         "timestamp [%d]; streams %s", self.peer, 16 + 4 * (len(sreq.streams) + 1),
                         sreq.service_id, sreq.start,
                         ", ".join(f"{s.event_type}v{s.version}" for s in sreq.streams))
                if sreq.service_id != ESTREAMER_SERVICE:
                    self._send(error(-1, f"unknown service {sreq.service_id}"))
                    raise SessionEnd("unknown service requested")
                return request, sreq
        raise SessionEnd("no request within the request timeout")

    # -- streaming ----------------------------------------------------------------------

    def _stream(self, esr: EventStreamRequest, sreq: StreamingRequest | None) -> None:
        sim = self.sim
        self.faults = sim._take_faults()
        sim._record_request(esr, sreq)
        flags = sreq.flags if sreq is not None else esr.flags
        start = sreq.start if sreq is not None else esr.start
        if sreq is None:
            wanted = RecordFilter(flags, None)
            self.blocks = {}  # the legacy request names no versions: records as archived
        else:
            versions = {s.event_type: s.version for s in sreq.streams}
            wanted = RecordFilter(flags, list(versions), versions)
            self.blocks = served_blocks(sreq.streams)
        archive = sim.archive
        self.long_header = bool(flags & RequestFlags.ARCHIVE_TIMESTAMPS)
        inners = archive.long_inner if self.long_header else archive.short_inner
        cursor = len(archive) if start == START_NOW else 0
        min_time = start if start not in (START_GENESIS, START_NOW) else 0
        connection_id = sim._next_connection_id()
        extended = sreq is not None
        last_sent = time.monotonic()
        began = last_sent
        faults = self.faults
        while True:
            self._check_stop()
            if faults.stall_seconds and self.bundles >= faults.stall_after_bundles:
                log.info("%s: stalling for %.1f s (fault injection)", self.peer,
                         faults.stall_seconds)
                self._sleep(faults.stall_seconds)
                faults.stall_seconds = 0.0
                last_sent = time.monotonic()
            if faults.error is not None and self.bundles >= faults.error_after_bundles:
                code, text = faults.error
                log.info("%s: sending Error %d %r and closing (fault injection)", self.peer,
                         code, text)
                self._send(error(code, text))
                sim._count("errors_sent")
                raise SessionEnd("error fault")
            limit = sim.bundle_size
            if sim.rate:
                budget = int(sim.rate * (time.monotonic() - began)) - self.served
                if budget <= 0:
                    self._pump(min(POLL, 1.0 / sim.rate))
                    continue
                limit = min(limit, budget)
            batch, cursor = self._collect(cursor, limit, wanted, inners, min_time)
            if not batch:
                if time.monotonic() - last_sent >= sim.keepalive_interval:
                    self._send(null())
                    sim._count("keepalives")
                    last_sent = time.monotonic()
                self._pump()
                continue
            if extended:
                self._send_bundle(connection_id, batch)
            else:
                # one Event Data message per record; FMCs do not wait for these acks
                self._send(b"".join(
                    frame(MessageType.EVENT_DATA, inner[BUNDLE_INNER_HEAD.size:])
                    for inner in batch))
                self.bundles += 1
                sim._count("served", len(batch))
                self._pump(0.0)
            last_sent = time.monotonic()

    def _collect(self, cursor: int, limit: int, wanted: RecordFilter, inners: list[bytes],
                 min_time: int) -> tuple[list[bytes], int]:
        archive = self.sim.archive
        end = len(archive)
        types = archive.types
        stamps = archive.timestamps
        archived_blocks = archive.block_types
        served = self.blocks
        batch: list[bytes] = []
        size = 0
        max_bytes = self.sim.bundle_bytes
        while cursor < end and len(batch) < limit and size < max_bytes:
            if wanted(types[cursor]):
                stamp = stamps[cursor]
                # FMC-generated records (metadata) carry archive time 0: always served
                if not min_time or not stamp or stamp >= min_time:
                    inner = inners[cursor]
                    block = served.get(types[cursor])
                    if block is not None and block != archived_blocks[cursor]:
                        # the requested version has another layout: the FMC renders it so
                        inner = archive.inner_as(cursor, block, long_header=self.long_header)
                    if self.faults.malformed_record == self.served + len(batch) + 1:
                        inner = _corrupt(inner, inners is archive.long_inner)
                        log.info("%s: record %d of this connection is corrupted (fault "
                                 "injection)", self.peer, self.faults.malformed_record)
                        self.faults.malformed_record = None
                    batch.append(inner)
                    size += len(inner)
            cursor += 1
        return batch, cursor

    def _send_bundle(self, connection_id: int, batch: list[bytes]) -> None:
        sequence = self.bundles + 1
        message = frame(MessageType.MESSAGE_BUNDLE,
                        BUNDLE_HEAD.pack(connection_id, sequence) + b"".join(batch))
        if self.faults.drop_in_bundle == sequence:
            log.info("%s: dropping the connection inside bundle %d (fault injection)",
                     self.peer, sequence)
            self._send(message[:len(message) // 2])
            self.sim._count("drops")
            raise SessionEnd("drop fault")
        acks_before = self.conn.acks_received
        self.conn.bundle_sent()
        self._send(message)
        self.bundles = sequence
        self.served += len(batch)
        self.sim._count("served", len(batch))
        self.sim._count("bundles")
        # the FMC sends the next bundle only after the client's Null for this one
        deadline = time.monotonic() + self.sim.ack_timeout
        while self.conn.acks_received == acks_before:
            self._check_stop()
            if time.monotonic() > deadline:
                log.warning("%s: no acknowledgement for bundle %d within %.0f s; closing",
                            self.peer, sequence, self.sim.ack_timeout)
                raise SessionEnd("ack timeout")
            self._pump()
        self.sim._count("acks", self.conn.acks_received - acks_before)
        if self.conn.state is State.ERROR:
            raise SessionEnd("protocol error")


def _corrupt(inner: bytes, long_header: bool) -> bytes:
    """The record with its body overwritten by 0xFF: lengths stay, decoding must fail."""
    head = BUNDLE_INNER_HEAD.size + (16 if long_header else 8)
    return inner[:head] + b"\xff" * (len(inner) - head)


def _cn_matches(cn: str, peer_ip: str) -> str | None:
    """The address ``cn`` stands for if it is ``peer_ip`` (directly or via DNS), else None."""
    try:
        peer = ipaddress.ip_address(peer_ip.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    try:
        if ipaddress.ip_address(cn) == peer:
            return cn
        return None
    except ValueError:
        pass
    if not cn:
        return None
    try:
        infos = socket.getaddrinfo(cn, None)
    except OSError:
        return None
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        try:
            if ipaddress.ip_address(address) == peer:
                return address
        except ValueError:
            continue
    return None
