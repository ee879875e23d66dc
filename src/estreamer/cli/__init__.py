"""The ``estreamer`` command: one subcommand per module in this package.

Thin: each parses its options and calls the layers below (protocol, records, stream,
testing), which it may all import; nothing imports it (the Splunk add-on does not ship it).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from ..errors import EStreamerError
from .arguments import OneLineParser

# Each module defines register(subparsers), which adds its parser with func=handler.
COMMANDS = ("run", "test", "demo", "decode", "sample", "certs", "simulate", "explain")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: with a command named, only that command's module is
    imported (``decode`` then never loads TLS, cryptography or the client: 0.2 s of
    start-up per run); otherwise every command, for ``--help`` and a bad command."""
    parser = OneLineParser(
        prog="estreamer",
        description="eStreamer client for Cisco Secure Firewall Management Center.")
    parser.add_argument("--log-level", default="INFO",
                        choices=("TRACE", "VERBOSE", "DEBUG", "INFO", "WARNING", "ERROR"),
                        help="diagnostics on stderr (default INFO)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # Before the command only global options come, whose values are never a command
    # name, so the first argument that is a command name is the command.
    named = [arg for arg in (sys.argv[1:] if argv is None else argv) if arg in COMMANDS][:1]
    for name in named or COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def _logging(level: str) -> None:
    # eNcore's two extra levels below DEBUG, kept so eNcore configs and habits work.
    logging.addLevelName(5, "TRACE")
    logging.addLevelName(7, "VERBOSE")
    numeric = {"TRACE": 5, "VERBOSE": 7}.get(level, getattr(logging, level, logging.INFO))
    logging.basicConfig(level=numeric, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; every error a user can cause ends in one line and exit 2."""
    args = build_parser(argv).parse_args(argv)
    _logging(args.log_level)
    try:
        return int(args.func(args))
    except EStreamerError as err:
        print(f"estreamer {args.command}: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        # a file or directory a command was given and could not use; commands name the
        # option where they can, this is the net for the rest (never a traceback)
        where = f"{err.filename}: " if err.filename else ""
        print(f"estreamer {args.command}: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
