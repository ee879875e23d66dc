"""Bytes per record of the Splunk formats, and their formatting cost (issue 13).

Run on demand (a benchmark, not a test; no assertions)::

    python bench/bench_bytes.py [records] [--encore-log FILE]

On the benchmark mix (``samples.realistic_mix`` when present, else ``generate_mix``;
the script says which) it prints, per record type (71, 400, 500, 502, 2, the rest)
and overall, the bytes of a line with its newline for ``splunk-full``, ``splunk``,
``splunk-sparse`` and ``splunk-lean``, and the microseconds per record to format
(best of three passes, decoration excluded), then the ratios the issue asks about.

``--encore-log`` takes the Splunk output of Cisco eNcore 3.5.8 (its
``data/splunk/encore.log``) and adds two eNcore columns:

- *eNcore 3.5.8 (projected)*: our records as eNcore would write them: the pairs of our
  ``splunk-full`` line whose names eNcore wrote for that record type in the log, the
  decorated name replacing the raw id the way eNcore does (``X`` for ``X_id``);
- *eNcore 3.5.8 (its log)*: the mean line length per record type in the log itself,
  weighted by this mix. Those are eNcore's own records (the simulator's stream at the
  older block versions eNcore requests), so this is only a cross-check.

Measured on a 100,000-record ``generate_mix`` (seed 7; the realistic mix had not
landed; 2 shared cores, so the µs are rough), bytes per record with the newline::

                       71    400    500    502     2  other  overall  µs/rec
    splunk-full      3804   1995   1527   1570   376    173     3038    14.2
    splunk           2257   1234   1078   1114   353    143     1833    14.4
    splunk-sparse    1118    967    828    874   353    132      998     8.9
    splunk-lean       564    515    398    410   205     37      505    16.2
    eNcore 3.5.8 p.  2151   1018    988   1003   351    137     1719
    eNcore 3.5.8 log 2219   1031   1015   1032   352    131     1770

sparse 54.5% and lean 27.5% of splunk; splunk 1.07x eNcore 3.5.8 projected (1.04x
its own log); splunk-full 1.77x.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from estreamer.records.decoder import decode_record
from estreamer.records.formatters import FORMATTERS
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import Record
from estreamer.testing import samples

FORMATS = ("splunk-full", "splunk", "splunk-sparse", "splunk-lean")
GROUPS = ("71", "400", "500", "502", "2", "other")
_PAIR = re.compile(r'(?:^| )([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)')


def group(record_type: int) -> str:
    return str(record_type) if str(record_type) in GROUPS else "other"


def records(count: int) -> tuple[str, list[Record]]:
    mix = getattr(samples, "realistic_mix", None)
    name = "realistic_mix" if mix else "generate_mix"
    payloads = mix(count, seed=7) if mix else samples.generate_mix(count, seed=7)
    cache = MetadataCache()
    out = []
    for payload in payloads:
        record = decode_record(payload)
        if not cache.update(record):
            cache.decorate(record)
        out.append(record)
    return name, out


def sizes(formatter: Callable[[Record], str], batch: list[Record]) -> dict[str, list[int]]:
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in batch:
        entry = by[group(record.record_type)]
        entry[0] += len(formatter(record).encode()) + 1
        entry[1] += 1
    return by


def microseconds(formatter: Callable[[Record], str], batch: list[Record]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for record in batch:
            formatter(record)
        best = min(best, time.perf_counter() - start)
    return best / len(batch) * 1e6


def encore_names(log: Path) -> tuple[dict[int, set[str]], dict[str, list[int]]]:
    """Names eNcore wrote per record type, and its own bytes per group, from its log."""
    names: dict[int, set[str]] = defaultdict(set)
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in log.read_text(errors="replace").splitlines():
        match = re.match(r"rec_type=(\d+)", line)
        if not match:
            continue
        record_type = int(match.group(1))
        names[record_type].update(name for name, _ in _PAIR.findall(line))
        entry = by[group(record_type)]
        entry[0] += len(line.encode()) + 1
        entry[1] += 1
    return names, by


def projected(names: dict[int, set[str]]) -> Callable[[Record], str]:
    full = FORMATTERS["splunk-full"]

    def encore(record: Record) -> str:
        wrote = names.get(record.record_type)
        pairs = dict(_PAIR.findall(full(record)))
        if not wrote:
            return " ".join(f"{k}={v}" for k, v in pairs.items())
        out = []
        for name, value in pairs.items():
            if name in wrote:
                out.append(f"{name}={value}")
            elif name.endswith("_id") and name[:-3] in wrote and name[:-3] not in pairs:
                out.append(f"{name[:-3]}={value}")  # eNcore: the id under the name
        return " ".join(out)
    return encore


def mean(entry: list[int]) -> float:
    return entry[0] / entry[1] if entry[1] else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("records", nargs="?", type=int, default=100_000)
    parser.add_argument("--encore-log", type=Path)
    args = parser.parse_args()
    mix, batch = records(args.records)
    counts = {g: sum(1 for r in batch if group(r.record_type) == g) for g in GROUPS}
    print(f"{len(batch)} records of samples.{mix}: " +
          ", ".join(f"{g}: {counts[g] / len(batch):.1%}" for g in GROUPS))
    columns: dict[str, dict[str, list[int]]] = {}
    cost: dict[str, float] = {}
    for name in FORMATS:
        columns[name] = sizes(FORMATTERS[name], batch)
        cost[name] = microseconds(FORMATTERS[name], batch[:20_000])
    if args.encore_log:
        names, own = encore_names(args.encore_log)
        columns["eNcore 3.5.8 (projected)"] = sizes(projected(names), batch)
        # its own lines, weighted by this mix's record type shares
        columns["eNcore 3.5.8 (its log)"] = {
            g: [int(mean(own[g]) * counts[g]), counts[g]] for g in GROUPS if own[g][1]}
    print(f"\n{'bytes/record':26s}" + "".join(f"{g:>8s}" for g in GROUPS)
          + f"{'overall':>9s}{'µs/rec':>8s}")
    overall = {}
    for name, by in columns.items():
        total = sum(e[0] for e in by.values()), sum(e[1] for e in by.values())
        overall[name] = total[0] / total[1]
        print(f"{name:26s}" + "".join(f"{mean(by.get(g, [0, 0])):8.0f}" for g in GROUPS)
              + f"{overall[name]:9.0f}" + (f"{cost[name]:8.1f}" if name in cost else ""))
    base = overall["splunk"]
    print(f"\nsplunk-sparse / splunk: {overall['splunk-sparse'] / base:.1%} (issue: <= 60%)")
    print(f"splunk-lean / splunk:   {overall['splunk-lean'] / base:.1%} (issue: <= 40%)")
    print(f"splunk-full / splunk:   {overall['splunk-full'] / base:.2f}x")
    for name in ("eNcore 3.5.8 (projected)", "eNcore 3.5.8 (its log)"):
        if name in overall:
            print(f"splunk / {name}: {base / overall[name]:.2f}x (issue: <= 1.15x); "
                  f"splunk-full: {overall['splunk-full'] / overall[name]:.2f}x")


if __name__ == "__main__":
    main()
