"""Decorate and format speed on the realistic mix (run on demand: python bench/bench_format.py).

Prints records/s and microseconds per record for decoration, for each formatter
and for decoration + Splunk formatting together (the per-record cost the issue's
pipeline target is about), for connection records (71, ~70% of a real stream) and
for the whole mix. Each line is dropped once made, as a streaming sink would do.
No assertions: the figures are for people to compare.

    python bench/bench_format.py [events]
"""

from __future__ import annotations

import sys
import time
from typing import Callable

from estreamer.records.decoder import decode_record
from estreamer.records.formatters import FORMATTERS
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import Record
from estreamer.testing.samples import realistic_mix


def _best(func: Callable[[], None], count: int, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best / count


def main(n: int = 20_000) -> None:
    payloads = realistic_mix(n, seed=7)
    cache = MetadataCache()
    records = [decode_record(p) for p in payloads]
    cache.update_all(records)
    events = [r for r in records if r.record_type not in (4, 63, 98, 115, 116, 118, 119, 120,
                                                          123, 145, 520, 700)]
    connections = [r for r in events if r.record_type == 71]

    def decorate(batch: list[Record]) -> Callable[[], None]:
        def run() -> None:
            for r in batch:
                r.computed = {}
                cache.decorate(r)
        return run

    def format_with(fmt: Callable[[Record], str], batch: list[Record]) -> Callable[[], None]:
        def run() -> None:
            for r in batch:
                fmt(r)
        return run

    splunk = FORMATTERS["splunk"]

    def decorate_and_format(batch: list[Record]) -> Callable[[], None]:
        def run() -> None:
            for r in batch:
                r.computed = {}
                cache.decorate(r)
                splunk(r)
        return run

    print(f"python {sys.version.split()[0]}; {len(events)} events, "
          f"{len(connections)} connection records")
    for label, batch in (("connection 71", connections), ("event mix", events)):
        per = _best(decorate(batch), len(batch))
        print(f"{label:14s} decorate      {1 / per:12,.0f} rec/s  {per * 1e6:6.2f} us/rec")
        for name, fmt in FORMATTERS.items():
            per = _best(format_with(fmt, batch), len(batch))
            print(f"{label:14s} format {name:6s} {1 / per:12,.0f} rec/s  {per * 1e6:6.2f} us/rec")
        per = _best(decorate_and_format(batch), len(batch))
        print(f"{label:14s} deco + splunk {1 / per:12,.0f} rec/s  {per * 1e6:6.2f} us/rec")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
