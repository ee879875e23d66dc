"""Native core benchmark: run on demand, prints figures, asserts nothing.

Per record type of the benchmark mix (samples.generate_mix), µs of CPU per record
for decoding, for metadata decoration and for the Splunk line, with the native
core on and then off (ESTREAMER_PURE_PYTHON=1; each in a child process, since
the switch is read at import), and the in-process rate of the whole mix. CPU
time (time.process_time), not wall time: the figures stay readable on a
machine shared with other work.

    python bench/bench_native.py [events]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

TYPES = (71, 400, 500, 502, 2)


def child(n: int) -> None:
    from estreamer.records import _native
    from estreamer.records.decoder import decode_record, record_header
    from estreamer.records.formatters.splunk import format_splunk
    from estreamer.records.metadata import MetadataCache
    from estreamer.testing.samples import generate_mix

    payloads = list(generate_mix(n))
    cache = MetadataCache()
    for p in payloads:
        cache.update(decode_record(p))
    print(f"  {_native.STATUS}")
    for rt in TYPES:
        group = [p for p in payloads if record_header(p)[0] == rt]
        best = [float("inf")] * 3
        for _ in range(3):
            spent = [0.0, 0.0, 0.0]
            # in chunks, so that (as in a stream) few decoded records are alive at once
            for at in range(0, len(group), 500):
                t0 = time.process_time()
                records = [decode_record(p) for p in group[at:at + 500]]
                t1 = time.process_time()
                for r in records:
                    cache.decorate(r)
                t2 = time.process_time()
                for r in records:
                    format_splunk(r)
                t3 = time.process_time()
                spent = [a + b for a, b in zip(spent, (t1 - t0, t2 - t1, t3 - t2))]
            best = [min(b, t / len(group) * 1e6) for b, t in zip(best, spent)]
        print(f"  record {rt:3} ({len(group):6,}): decode {best[0]:5.2f} µs, decorate "
              f"{best[1]:5.2f} µs, Splunk line {best[2]:5.2f} µs, total {sum(best):5.2f} µs")
    start = time.process_time()
    cache = MetadataCache()
    for p in payloads:
        r = decode_record(p)
        cache.update(r)
        cache.decorate(r)
        format_splunk(r)
    print(f"  whole mix in one process: {n / (time.process_time() - start):,.0f} records/s "
          "(CPU time)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if os.environ.get("BENCH_NATIVE_CHILD"):
        child(n)
        return
    for pure in ("0", "1"):
        env = dict(os.environ, BENCH_NATIVE_CHILD="1", ESTREAMER_PURE_PYTHON=pure)
        subprocess.run([sys.executable, __file__, str(n)], env=env, check=True)


if __name__ == "__main__":
    main()
