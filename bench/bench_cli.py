"""Whole-process ``estreamer decode FILE --format splunk``, as a user runs it (issue 11).

Run on demand, prints figures, asserts nothing:

    python bench/bench_cli.py [--records N] [--repeat R] [--format splunk] [--workers W]

Writes a capture of the realistic mix (:func:`estreamer.samples.realistic_mix`) as an
FMC sends it: Streaming Information, then Message Bundles of varying size with runs of
single Event Data messages between them, then a keepalive. Runs the installed
``estreamer`` command on it in a new process, stdout to a file, best of R runs, and
an empty capture for the start-up alone; then the same with ``--workers W`` (default
2). Target: 15x Cisco eNcore 3.5.8 on this machine kind, about 66,000 records/s.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from typing import BinaryIO

from estreamer.protocol import bundle, event_data, null, streaming_information
from estreamer.testing.samples import realistic_mix

TARGET = 66_000


def write_capture(out: BinaryIO, payloads: list[bytes], seed: int = 0) -> None:
    """Bundles of 1 to 1,024 records (an FMC fills them as events come), and every
    tenth run of records as single Event Data messages."""
    rng = random.Random(seed)
    out.write(streaming_information())
    i = sequence = 0
    while i < len(payloads):
        size = rng.choice((1, 16, 100, 256, 512, 1024))
        chunk = payloads[i:i + size]
        i += len(chunk)
        if rng.random() < 0.1:
            for payload in chunk:
                out.write(event_data(payload))
        else:
            sequence += 1
            out.write(bundle(1, sequence, chunk))
    out.write(null())


def run_once(command: list[str], out_path: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run: on a loaded machine the CPU time is the
    steadier figure, the wall time the one a user waits."""
    with open(out_path, "wb") as out:
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, stdout=out, stderr=subprocess.DEVNULL, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", default="splunk")
    parser.add_argument("--workers", type=int, default=2,
                        help="also time the decode with this many worker processes")
    args = parser.parse_args()
    estreamer = shutil.which("estreamer", path=os.path.dirname(sys.executable)) or "estreamer"
    with tempfile.TemporaryDirectory(prefix="estreamer-bench-") as work:
        capture, empty = os.path.join(work, "capture.bin"), os.path.join(work, "empty.bin")
        payloads = list(realistic_mix(args.records))
        with open(capture, "wb") as fh:
            write_capture(fh, payloads)
        with open(empty, "wb") as fh:
            write_capture(fh, [])
        out = os.path.join(work, "out.log")
        runs = [run_once([estreamer, "decode", empty], out) for _ in range(args.repeat)]
        startup = min(wall for wall, _ in runs), min(cpu for _, cpu in runs)
        n = len(payloads)
        for workers in (1, args.workers):
            runs = [run_once([estreamer, "decode", capture, "--format", args.format,
                              "--workers", str(workers)], out) for _ in range(args.repeat)]
            wall, cpu = min(wall for wall, _ in runs), min(cpu for _, cpu in runs)
            with open(out, "rb") as written:
                lines = sum(1 for _ in written)
            print(f"estreamer decode --format {args.format} --workers {workers}, whole "
                  f"process, realistic mix: {n:,} records ({lines:,} lines), best of "
                  f"{args.repeat}")
            for label, seconds, start in (("wall", wall, startup[0]),
                                          ("CPU", cpu, startup[1])):
                rate = n / seconds
                print(f"  {label:4} {seconds:6.2f} s: {seconds / n * 1e6:6.1f} us/record = "
                      f"{rate:8,.0f} records/s ({rate / TARGET:.2f} of the {TARGET:,} "
                      f"target); start-up {start * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
