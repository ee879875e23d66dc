"""Decoder, decoration and Splunk formatting per record type and per stage (issue 11).

Run on demand, prints figures, asserts nothing:

    python bench/bench_decode.py [--records N] [--repeat R] [--mix realistic|simple]

On the realistic mix (:func:`estreamer.samples.realistic_mix`: 70% connection 71, a
quarter of them between IPv6 hosts, tens of thousands of host addresses, real-world
strings; 15% intrusion 400, 5% file 500, 5% malware 502, 3% packets, 2% metadata) it
measures, on one core, microseconds per record for each record type and stage:
framing (the capture's bytes -> payloads through the protocol core), decode (payload
-> Record), decorate (metadata names), splunk (the key=value line), and their sum.
Each stage runs over all records of a type in a row, best of R runs; decoration reads
a cache that learned every metadata record first. ``--mix simple`` measures the
stamped mix of the demo (16 connection templates: every memo hits), for comparison.
"""

from __future__ import annotations

import argparse
import io
import time
from collections import defaultdict
from typing import Callable

from estreamer.cli.sample import write_stream
from estreamer.protocol import NEED_DATA, Bundle, ClientConnection, EventData
from estreamer.records.decoder import decode_record
from estreamer.records.formatters import get_formatter
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import Record
from estreamer.testing.samples import generate_mix, realistic_mix

#: Cisco eNcore 3.5.8 on this machine kind, whole process on the realistic mix (issue 11:
#: the 15x target is about 66,000 records/s)
ENCORE_358 = 4_400


def best_of(repeat: int, run: Callable[..., object], *args: object) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run(*args)
        best = min(best, time.perf_counter() - start)
    return best


def framing(capture: bytes) -> int:
    """Payloads out of a capture through the protocol core, as the client reads them."""
    conn = ClientConnection()
    conn.initiate()
    count = 0
    for i in range(0, len(capture), 65536):
        conn.receive_data(capture[i:i + 65536])
        while (event := conn.next_event()) is not NEED_DATA:
            if isinstance(event, Bundle):
                count += len(event.records)
                conn.acknowledge()
            elif isinstance(event, EventData):
                count += 1
                conn.acknowledge()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mix", choices=("realistic", "simple"), default="realistic")
    args = parser.parse_args()
    mix = realistic_mix if args.mix == "realistic" else generate_mix
    payloads = list(mix(args.records))
    total = len(payloads)

    buf = io.BytesIO()
    write_stream(buf, payloads, bundle_size=256)
    capture = buf.getvalue()
    frame_time = best_of(args.repeat, framing, capture)

    by_type: dict[int, list[bytes]] = defaultdict(list)
    for payload in payloads:
        by_type[int.from_bytes(payload[:4], "big")].append(payload)
    cache = MetadataCache()
    for payload in payloads:  # every name first, as a stream's metadata comes first
        cache.update(decode_record(payload))
    splunk = get_formatter("splunk")

    def decode(group: list[bytes]) -> list[Record]:
        return [decode_record(p) for p in group]

    def decorate(records: list[Record]) -> None:
        for record in records:
            record.computed = {}
            cache.decorate(record)

    def fmt(records: list[Record]) -> None:
        for record in records:
            splunk(record)

    print(f"{args.mix} mix: {total:,} records, {len(capture) / total:,.0f} bytes per record "
          f"on the wire; microseconds per record, best of {args.repeat}")
    print(f"{'type':>6} {'share':>6} {'decode':>8} {'decorate':>9} {'splunk':>8} {'sum':>8}")
    sums = {"decode": 0.0, "decorate": 0.0, "splunk": 0.0}
    for rt, group in sorted(by_type.items(), key=lambda item: -len(item[1])):
        t_decode = best_of(args.repeat, decode, group)
        records = decode(group)
        t_decorate = best_of(args.repeat, decorate, records)
        t_format = best_of(args.repeat, fmt, records)
        sums["decode"] += t_decode
        sums["decorate"] += t_decorate
        sums["splunk"] += t_format
        n = len(group)
        if n / total >= 0.005:
            print(f"{rt:>6} {n / total:6.1%} {t_decode / n * 1e6:8.2f} "
                  f"{t_decorate / n * 1e6:9.2f} {t_format / n * 1e6:8.2f} "
                  f"{(t_decode + t_decorate + t_format) / n * 1e6:8.2f}")
    per = {stage: t / total * 1e6 for stage, t in sums.items()}
    whole = frame_time / total * 1e6 + sum(per.values())
    print(f"{'mix':>6} {'100%':>6} {per['decode']:8.2f} {per['decorate']:9.2f} "
          f"{per['splunk']:8.2f} {sum(per.values()):8.2f}")
    print(f"framing {frame_time / total * 1e6:.2f} us/record; framing + decode + decorate + "
          f"splunk: {whole:.2f} us/record = {1e6 / whole:,.0f} records/s on one core "
          f"({1e6 / whole / ENCORE_358:.1f}x eNcore 3.5.8's whole process)")


if __name__ == "__main__":
    main()
