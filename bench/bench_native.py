"""Native core benchmark: run on demand, prints figures, asserts nothing.

Per record type of the benchmark mix, µs per record for the record body decoder
(the Python fast path against the native core standing in for it) and for the
whole decode + decorate + Splunk line, with the native core on and off (each
measured in a child process, since ESTREAMER_PURE_PYTHON is read at import).

    python bench/bench_native.py [events]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import defaultdict


def _best(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def child(n: int) -> None:
    from estreamer import _native, decoder
    from estreamer.decoder import decode_record, record_header
    from estreamer.formatters import get_formatter
    from estreamer.metadata import MetadataCache
    from estreamer.samples import generate_mix

    payloads = list(generate_mix(n))
    by_type: dict[int, list[bytes]] = defaultdict(list)
    for p in payloads:
        by_type[record_header(p)[0]].append(p)
    splunk = get_formatter("splunk")
    print(f"  {_native.STATUS}")
    for rt in (71, 400, 500, 502, 2):
        group = by_type.get(rt, [])
        if not group:
            continue
        line = f"  record {rt:3} ({len(group):6} records):"
        fast = decoder._RECORD_FAST.get(rt)
        python = _native.PYTHON_FAST.get(rt)
        state = decoder._State(decoder.RECORDS[rt])
        for label, fn in (("body python", python), ("body native", fast if python else None)):
            if fn is None:
                continue
            items = [(p, record_header(p)[1], len(p)) for p in group]
            t = _best(lambda fn=fn, items=items, state=state: [fn(p, s, e, state)
                                                                  for p, s, e in items])
            line += f" {label} {t / len(group) * 1e6:5.2f} µs,"
        cache = MetadataCache()
        for p in payloads:
            r = decode_record(p)
            if r.record_type not in by_type or r.record_type < 2 or r.record_type in (71, 400,
                                                                                     500, 502):
                continue
            cache.update(r)

        def full(group=group, cache=cache) -> None:
            for p in group:
                r = decode_record(p)
                cache.decorate(r)
                splunk(r)
        t = _best(full)
        print(line + f" decode+decorate+splunk {t / len(group) * 1e6:5.2f} µs")

    def whole() -> None:
        cache = MetadataCache()
        for p in payloads:
            r = decode_record(p)
            cache.update(r)
            cache.decorate(r)
            splunk(r)
    t = _best(whole)
    print(f"  whole mix in-process: {n / t:,.0f} records/s")


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
