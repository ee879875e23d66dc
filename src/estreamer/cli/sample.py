"""``estreamer sample``: write a realistic eStreamer message stream to try ``decode`` on."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from itertools import islice
from typing import BinaryIO

from estreamer.testing.samples import FMC6_BLOCKS, FMC7_BLOCKS, generate_mix, realistic_mix

from ..errors import ConfigurationError
from ..protocol import bundle, null, streaming_information
from .arguments import integer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample", help="write a generated server-to-client stream (metadata, events, bundles)")
    p.add_argument("--records", type=integer(0), default=100,
                   help="events after the metadata (default 100)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fmc6", action="store_true",
                   help="FMC 6.x body blocks (connection 163, intrusion 60, file 56)")
    p.add_argument("--realistic", action="store_true",
                   help="the benchmark mix: a quarter IPv6 hosts, tens of thousands of "
                        "addresses, real-world string lengths (slower to generate)")
    p.add_argument("--bundle-size", type=integer(1), default=50,
                   help="records per Message Bundle (default 50)")
    p.add_argument("--out", default="-", help="file to write, - for stdout (default)")
    p.set_defaults(func=run)


def write_stream(out: BinaryIO, payloads: Iterable[bytes], bundle_size: int) -> int:
    """Write the messages an FMC sends in extended mode; return the bytes written."""
    written = out.write(streaming_information())
    it = iter(payloads)
    sequence = 0
    while True:
        chunk = list(islice(it, bundle_size))
        if not chunk:
            break
        sequence += 1
        written += out.write(bundle(1, sequence, chunk))
    written += out.write(null())  # an idle keepalive ends the capture
    return written


def run(args: argparse.Namespace) -> int:
    blocks = FMC6_BLOCKS if args.fmc6 else FMC7_BLOCKS
    mix = realistic_mix if args.realistic else generate_mix
    payloads = mix(args.records, seed=args.seed, blocks=blocks)
    if args.out == "-":
        write_stream(sys.stdout.buffer, payloads, args.bundle_size)
    else:
        try:
            with open(args.out, "wb") as fh:
                size = write_stream(fh, payloads, args.bundle_size)
        except OSError as err:
            raise ConfigurationError(f"cannot write --out {args.out}: {err.strerror}; give a "
                                     "file in an existing directory") from err
        print(f"wrote {size} bytes to {args.out}", file=sys.stderr)
    return 0
