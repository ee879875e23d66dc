"""``estreamer certs``: write FMC-style test certificates (CA, server, client PKCS12)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from estreamer.errors import EStreamerError
from estreamer.testing.certs import MAX_DAYS, make_fmc_certs

from .arguments import integer

PASSWORD_ENV = "ESTREAMER_PKCS12_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "certs", help="write test certificates as an FMC issues them",
        description="Write ca.pem, server.pem, server.key (for `estreamer simulate`) and "
                    "client.pkcs12 (for the client) into DIR. The PKCS12 password comes "
                    f"from --password, else the environment variable {PASSWORD_ENV}, "
                    "else a prompt.")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory to write to")
    parser.add_argument("--client-cn", required=True, metavar="NAME",
                        help="client certificate CN: the address the FMC (or simulator) sees "
                             "the client connect from, or a DNS name resolving to it")
    parser.add_argument("--password", metavar="PW",
                        help="PKCS12 password; only for throw-away test certificates (a "
                             "command line is visible to other users and kept in shell "
                             f"history): prefer {PASSWORD_ENV} or the prompt")
    parser.add_argument("--legacy", action="store_true",
                        help="encrypt the PKCS12 like older FMCs (RC2-40 / 3DES, SHA-1 MAC)")
    parser.add_argument("--server-name", action="append", metavar="NAME",
                        help="name or address in the server certificate (repeatable; "
                             "default 127.0.0.1 and localhost)")
    parser.add_argument("--days", type=integer(1, MAX_DAYS), default=365,
                        help=f"validity in days, 1 to {MAX_DAYS} (365)")
    parser.set_defaults(func=run)


def _password(args: argparse.Namespace) -> str | None:
    if args.password is not None:  # given, even empty: never fall back to another source
        if not args.password:
            print("estreamer certs: --password is empty: give a password (or leave "
                  f"--password out to use {PASSWORD_ENV} or the prompt)", file=sys.stderr)
            return None
        return str(args.password)
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    if sys.stdin.isatty():
        first = getpass.getpass("PKCS12 password: ")
        if first and first == getpass.getpass("again: "):
            return first
        print("estreamer certs: passwords empty or different", file=sys.stderr)
        return None
    print(f"estreamer certs: no password: give --password, set {PASSWORD_ENV}, or run on a "
          "terminal to be prompted", file=sys.stderr)
    return None


def run(args: argparse.Namespace) -> int:
    password = _password(args)
    if password is None:
        return 2
    try:
        made = make_fmc_certs(args.out, args.client_cn, password, legacy=args.legacy,
                              server_names=args.server_name or ("127.0.0.1", "localhost"),
                              days=args.days)
    except EStreamerError as err:
        print(f"estreamer certs: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"estreamer certs: cannot write to {args.out}: {err.strerror}", file=sys.stderr)
        return 2
    for path in made.files:
        print(path)
    return 0
