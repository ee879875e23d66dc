"""``estreamer simulate``: run the FMC simulator in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from estreamer.errors import EStreamerError
from estreamer.testing.simulator import Simulator

from .arguments import integer, positive_number

log = logging.getLogger("estreamer.simulator")


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT`` -> (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:8302)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "127.0.0.1", int(port)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate", help="run a simulated FMC eStreamer server",
        description="Serve eStreamer like an FMC (mutual TLS, CN rule, bundles) until "
                    "interrupted. Make the certificates with `estreamer certs`.")
    parser.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 8302),
                        metavar="HOST:PORT", help="address to listen on (127.0.0.1:8302)")
    parser.add_argument("--certs", required=True, metavar="DIR",
                        help="directory with ca.pem, server.pem, server.key")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--records", type=integer(0), default=10_000, metavar="N",
                        help="serve N generated records (10000)")
    source.add_argument("--file", metavar="F", help="serve the records of a file of raw "
                                                    "server messages instead")
    parser.add_argument("--rate", type=positive_number, metavar="R",
                        help="records per second per connection (default: as fast as acked)")
    parser.add_argument("--no-enforce-cn", action="store_true",
                        help="accept any client CN (the FMC does not)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    host, port = args.listen
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        sim = Simulator(args.certs, host, port, records=args.file or args.records,
                        rate=args.rate, enforce_cn=not args.no_enforce_cn)
        sim.start()
    except EStreamerError as err:
        print(f"estreamer simulate: {err}", file=sys.stderr)
        return 2
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        log.info("simulated FMC ready on %s:%d (stop with Ctrl-C)", sim.host, sim.port)
        last = sim.stats()
        while not stop.wait(10.0):
            now = sim.stats()
            if now != last:
                log.info("served %d records in %d bundles to %d connections, %d rejected",
                         now["served"], now["bundles"], now["connections"], now["rejected"])
                last = now
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sim.stop()
    log.info("simulator stopped: %s", sim.stats())
    return 0
