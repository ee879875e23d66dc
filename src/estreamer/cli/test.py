"""``estreamer test --config FILE``: the TAC note's connection diagnostics.

For every configured server (HA partners included) in turn: the configuration
exists and is valid, the PKCS12 opens with the password, TCP and TLS connect, the
Event Stream Request (start "now", as eNcore's test) is sent and the FMC's answer
(Streaming Information for an extended request) arrives. Prints
``<host:port>: Connection successful`` per server, or one line with the cause, and
exits non-zero if any server failed.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import time
from typing import Any

from estreamer import config as cfg
from estreamer import tls
from estreamer.cli.run import PasswordCache, setup_logging
from estreamer.errors import EStreamerError, TransportError
from estreamer.protocol import (
    NEED_DATA,
    START_NOW,
    ClientConnection,
    ConnectionClosed,
    Error,
    RequestFlags,
    StreamingInformation,
)

log = logging.getLogger("estreamer.diagnostics")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "test", help="check the configuration, certificate and connection to each FMC",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="eNcore-style estreamer.conf (JSON)")
    parser.set_defaults(func=main)


def check_server(settings: cfg.Settings, server: cfg.ServerSettings,
                 secrets: PasswordCache) -> None:
    """Run the diagnostics against one server; raise EStreamerError naming the cause."""
    log.info("Check certificate %s", server.pkcs12_path)
    identity = secrets.identity(server.pkcs12_path)
    context = tls.client_context(identity, verify=server.verify, cafile=server.ca_file,
                                 check_hostname=server.check_hostname,
                                 min_version=server.tls_version)
    log.info("Connecting to %s using TLS %s or newer", server.address, server.tls_version)
    sock = tls.connect(server.host, server.port, context,
                       connect_timeout=settings.connect_timeout,
                       read_timeout=settings.response_timeout)
    try:
        conn = ClientConnection(start=START_NOW, flags=settings.flags,
                                streams=settings.request_streams)
        request = conn.initiate()
        log.info("Request message=%s", request.hex())
        sock.sendall(request)
        log.info("Receiving response message")
        extended = bool(settings.flags & RequestFlags.EXTENDED)
        deadline = time.monotonic() + max(settings.response_timeout, 10.0)
        received_any = False
        while True:
            event = conn.next_event()
            if event is NEED_DATA:
                if time.monotonic() > deadline:
                    raise TransportError(
                        f"{server.address}: connected, but the FMC sent no answer to the "
                        "request; check eStreamer is enabled on the FMC (System > "
                        "Integration > eStreamer)")
                try:
                    data = sock.recv(65536)
                except socket.timeout:  # not TimeoutError on Python 3.9
                    continue
                except OSError as err:
                    raise tls.explain_io_error(err, server.host, server.port,
                                               received_any=received_any) from err
                received_any = received_any or bool(data)
                conn.receive_data(data)
                continue
            if isinstance(event, ConnectionClosed):
                raise tls.peer_closed(server.host, server.port, received_any=received_any)
            if isinstance(event, Error):
                raise TransportError(f"{server.address}: the FMC answered with error "
                                     f"{event.code}: {event.text}")
            if isinstance(event, StreamingInformation) or not extended:
                log.info("Streaming info response: services %s",
                         getattr(event, "service_ids", ()))
                return
    finally:
        sock.close()


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
                check_server(settings, server, secrets)
            except EStreamerError as err:
                failures += 1
                text = str(err)
                if not text.startswith(server.address):
                    text = f"{server.address}: {text}"
                print(text, file=sys.stderr)
            else:
                print(f"{server.address}: Connection successful")
    return 1 if failures else 0
