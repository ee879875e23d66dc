"""Decoder benchmark (issue "eStreamer core"): run on demand, prints figures, asserts nothing.

Generates 100,000 events of the issue's mix (70% connection 71 on its newest
block, 15% intrusion 400, 5% file 500, 5% malware 502, packets 2 after some
intrusion events, 2% metadata; consistent ids so decoration finds names) and
measures on one core:
  1. decode only (Event Data payload -> Record);
  2. decode + metadata decoration + Splunk key=value formatting.
For scale: Cisco's eNcore does about 7,400 records/s on such a mix.

    python bench/bench_decode.py [events] [repeats]
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from estreamer.records.decoder import decode_record
from estreamer.records.formatters import get_formatter
from estreamer.records.metadata import MetadataCache
from estreamer.testing.samples import generate_mix

ENCORE_RATE = 7_400
TARGET = 110_000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    payloads = list(generate_mix(n))
    mix = Counter(decode_record(p).record_type for p in payloads)
    share = ", ".join(f"{t}: {c / len(payloads):.1%}" for t, c in mix.most_common(6))
    print(f"{len(payloads)} records ({share}, ...)")

    def decode_only() -> None:
        for p in payloads:
            decode_record(p)

    splunk = get_formatter("splunk")

    def full() -> None:
        cache = MetadataCache()
        update, decorate = cache.update, cache.decorate
        for p in payloads:
            record = decode_record(p)
            update(record)
            decorate(record)
            splunk(record)

    for label, fn in (("decode only", decode_only),
                      ("decode + decorate + Splunk format", full)):
        best = min(_time(fn) for _ in range(repeats))
        rate = len(payloads) / best
        print(f"{label:36} {rate:10,.0f} records/s  ({rate / ENCORE_RATE:4.1f}x eNcore, "
              f"{rate / TARGET:4.2f} of the {TARGET:,} target)")


def _time(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
