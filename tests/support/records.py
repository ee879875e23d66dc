"""Minimal records of every catalogue type, with hostile text, for the formatter tests."""

from __future__ import annotations

from typing import Any

from estreamer.records import catalogue
from estreamer.records.decoder import decode_record
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import Record
from estreamer.testing import samples

HOSTILE = 'ET "quoted" UA=curl, back\\slash\nnew\tline \u00e9\u2603 end'

_SAMPLE = {
    "u8": 1, "u16": 2, "u32": 3, "u64": 4, "ipv4": "10.0.0.1", "ipv6": "2001:db8::1",
    "uuid": "5d6d2a2e-0000-4000-8000-000000000001", "mac": "00:50:56:8a:0b:0c",
    "bytes16": "00" * 16, "bytes20": "ab" * 20, "bytes32": "cd" * 32,
}


def _fill(steps: tuple[catalogue.Step, ...], out: dict[str, Any], block_types: dict[int, str]
          ) -> int | None:
    chosen = None
    for step in steps:
        if step.kind == catalogue.DISCOVERY:
            for sub in catalogue.DISCOVERY_HEADER:
                for name, ftype in zip(sub.names, sub.types):
                    out[name] = _SAMPLE[ftype]
        elif step.kind == catalogue.FIXED:
            for name, ftype in zip(step.names, step.types):
                out[name] = _SAMPLE[ftype]
        elif step.kind == catalogue.LIST:
            out[str(step.name)] = [{"id": 1, "name": HOSTILE}]
        elif step.kind == catalogue.BLOCK:
            target = out if step.name is None else out.setdefault(step.name, {})
            key = step.of
            if key == "auto":
                chosen, key = max(block_types.items())
            if key in catalogue.BLOCKS:
                _fill(catalogue.BLOCKS[key].steps, target, {})
        else:
            out[str(step.name)] = HOSTILE
    return chosen


def minimal_record(record_type: int) -> Record:
    layout = catalogue.RECORDS[record_type]
    fields: dict[str, Any] = {}
    block_type = _fill(layout.steps, fields, layout.by_block_type)
    return Record(record_type, fields, block_type=block_type, archive_timestamp=1_700_000_001)


def all_minimal_records() -> list[Record]:
    return [minimal_record(rt) for rt in sorted(catalogue.RECORDS)]

def stream_records() -> list:
    """A realistic stream (FMC 7 blocks), decorated, metadata records left out."""
    metadata = MetadataCache()
    records = []
    for payload in samples.generate_mix(300, seed=7):
        record = decode_record(payload)
        if metadata.update(record):
            continue
        metadata.decorate(record)
        records.append(record)
    return records
