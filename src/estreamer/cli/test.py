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
import sys
from typing import Any

from estreamer.cli.run import PasswordCache, setup_logging
from estreamer.errors import EStreamerError
from estreamer.stream import config as cfg
from estreamer.stream import tls
from estreamer.stream.diagnostics import check_connection

log = logging.getLogger("estreamer.diagnostics")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "test", help="check the configuration, certificate and connection to each FMC",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="eNcore-style estreamer.conf (JSON)")
    parser.set_defaults(func=main)


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
