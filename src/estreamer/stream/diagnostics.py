"""The connection check of the TAC note, shared by ``estreamer test`` and the Splunk
add-on's account check.

TCP and TLS connect, the Event Stream Request (start "now", as eNcore's test) is sent
and the FMC's answer (Streaming Information for an extended request) awaited; the
result is one line naming the server certificate's names, or an
:class:`~estreamer.errors.EStreamerError` whose text names the cause and the fix.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time

from estreamer.errors import EStreamerError, TransportError
from estreamer.protocol import (
    DEFAULT_FLAGS,
    DEFAULT_STREAMS,
    NEED_DATA,
    START_NOW,
    ClientConnection,
    ConnectionClosed,
    Error,
    RequestFlags,
    Stream,
    StreamingInformation,
)
from estreamer.stream import tls
from estreamer.stream.net import format_address

log = logging.getLogger("estreamer.diagnostics")


def check_connection(host: str, port: int, context: ssl.SSLContext, *,
                     flags: int = int(DEFAULT_FLAGS),
                     streams: tuple[Stream, ...] = DEFAULT_STREAMS,
                     connect_timeout: float = 10.0, response_timeout: float = 2.0) -> str:
    """Connect with ``context``, send the request and wait for the FMC's answer.

    Returns the line ``estreamer test`` prints on success
    (``<host:port>: Connection successful; server certificate names ...: matches ...``);
    raises :class:`EStreamerError` whose text is the one line it prints otherwise (the
    address, the cause and the fix). Used by ``estreamer test`` and by the Splunk
    add-on's account check.
    """
    address = format_address(host, port)
    try:
        names = _exchange(host, port, context, flags, streams, connect_timeout,
                          response_timeout)
    except EStreamerError as err:
        if str(err).startswith((address, f"{host}:{port}")):
            raise
        raise type(err)(f"{address}: {err}") from err
    return f"{address}: Connection successful; {names}"


def _exchange(host: str, port: int, context: ssl.SSLContext, flags: int,
              streams: tuple[Stream, ...], connect_timeout: float,
              response_timeout: float) -> str:
    """The exchange; returns the line on the server certificate's names."""
    address = format_address(host, port)
    log.info("Connecting to %s", address)
    sock = tls.connect(host, port, context, connect_timeout=connect_timeout,
                       read_timeout=response_timeout)
    try:
        names = tls.server_names_report(sock, host)
        log.info("TLS %s; %s", sock.version(), names)
        conn = ClientConnection(start=START_NOW, flags=flags, streams=streams)
        request = conn.initiate()
        log.info("Request message=%s", request.hex())
        try:
            sock.sendall(request)
        except OSError as err:  # how an FMC refuses a client: reset after the handshake
            raise tls.explain_io_error(err, host, port, received_any=False) from err
        log.info("Receiving response message")
        extended = bool(flags & RequestFlags.EXTENDED)
        deadline = time.monotonic() + max(response_timeout, 10.0)
        received_any = False
        while True:
            event = conn.next_event()
            if event is NEED_DATA:
                if time.monotonic() > deadline:
                    raise TransportError(
                        f"{address}: connected, but the FMC sent no answer to the "
                        "request; check eStreamer is enabled on the FMC (System > "
                        "Integration > eStreamer)")
                try:
                    data = sock.recv(65536)
                except socket.timeout:  # not TimeoutError on Python 3.9
                    continue
                except OSError as err:
                    raise tls.explain_io_error(err, host, port,
                                               received_any=received_any) from err
                received_any = received_any or bool(data)
                conn.receive_data(data)
                continue
            if isinstance(event, ConnectionClosed):
                raise tls.peer_closed(host, port, received_any=received_any)
            if isinstance(event, Error):
                raise TransportError(f"{address}: the FMC answered with error "
                                     f"{event.code}: {event.text}")
            if isinstance(event, StreamingInformation) or not extended:
                log.info("Streaming info response: services %s",
                         getattr(event, "service_ids", ()))
                return names
    finally:
        sock.close()
