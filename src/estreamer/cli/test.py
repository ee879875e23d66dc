"""``estreamer test --config FILE``: the TAC note's connection diagnostics.

For every configured server (HA partners included) in turn: the configuration
exists and is valid, the PKCS12 opens with the password, TCP and TLS connect, the
Event Stream Request (start "now", as eNcore's test) is sent and the FMC's answer
(Streaming Information for an extended request) arrives. Prints
``<host:port>: Connection successful`` per server, followed by the names the FMC's
certificate carries and whether they match the host (host-name checking, the
``checkHostname`` option, is off by default), or one line with the cause; exits
non-zero if any server failed.
"""

from __future__ import annotations

import argparse
import logging
import socket
import ssl
import sys
import time
from typing import Any

from estreamer.cli.run import PasswordCache, setup_logging
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
from estreamer.stream import config as cfg
from estreamer.stream import tls

log = logging.getLogger("estreamer.diagnostics")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "test", help="check the configuration, certificate and connection to each FMC",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="eNcore-style estreamer.conf (JSON)")
    parser.set_defaults(func=main)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_connection(host: str, port: int, context: ssl.SSLContext, *,
                     flags: int = int(DEFAULT_FLAGS),
                     streams: tuple[Stream, ...] = DEFAULT_STREAMS,
                     connect_timeout: float = 10.0, response_timeout: float = 2.0) -> str:
    """Connect with ``context``, send the request and wait for the FMC's answer.

    Returns the line ``estreamer test`` prints on success
    (``<host:port>: Connection successful; server certificate names ...: matches ...``);
    raises :class:`EStreamerError` whose text is the one line it prints otherwise (the
    address, the cause and the fix). Used by ``estreamer test`` and by the Splunk
    add-on's "test the connection".
    """
    address = _address(host, port)
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
    address = _address(host, port)
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


def check_server(settings: cfg.Settings, server: cfg.ServerSettings,
                 secrets: PasswordCache) -> str:
    """Run the diagnostics against one configured server: the line to print, or raise
    EStreamerError naming the cause."""
    log.info("Check certificate %s", server.pkcs12_path)
    try:
        identity = secrets.identity(server.pkcs12_path)
        context = tls.client_context(identity, verify=server.verify, cafile=server.ca_file,
                                     check_hostname=server.check_hostname,
                                     min_version=server.tls_version)
    except EStreamerError as err:
        raise type(err)(f"{server.address}: {err}") from err
    log.info("Using TLS %s or newer", server.tls_version)
    return check_connection(server.host, server.port, context, flags=settings.flags,
                            streams=settings.request_streams,
                            connect_timeout=settings.connect_timeout,
                            response_timeout=settings.response_timeout)


def main(args: argparse.Namespace) -> int:
    log.info("Checking that configFilepath (%s) exists", args.config)
    try:
        settings = cfg.load(args.config)
    except EStreamerError as err:
        print(f"estreamer test: {err}", file=sys.stderr)
        return 2
    setup_logging(settings.logging)
    secrets = PasswordCache()
    failures = 0
    for stream in settings.streams:
        for server in stream.servers:
            try:
                line = check_server(settings, server, secrets)
            except EStreamerError as err:
                failures += 1
                print(err, file=sys.stderr)
            else:
                print(line)
    return 1 if failures else 0
