"""The record and block layouts, compiled once from ``data/catalogue.json``.

``catalogue.json`` is generated from the shared ``spec/records.yaml`` by
``tools/gen_catalogue.py`` (a test keeps the two in step). Here every layout
becomes a tuple of *steps*: consecutive fixed-width fields are merged into one
precompiled ``struct.Struct`` so that the decoder reads a run of fields with a
single ``unpack_from``; variable fields (String blocks, BLOBs, counted bytes,
lists, nested blocks) are one step each. The decoder and the encoder both walk
these steps, so a layout is described exactly once.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, Callable, NamedTuple

from .values import TO_TEXT

# Width and struct code of every fixed-width catalogue type (big-endian on the wire).
FIXED_TYPES: dict[str, str] = {
    "u8": "B", "u16": "H", "u32": "I", "u64": "Q",
    "ipv4": "4s", "ipv6": "16s", "uuid": "16s", "mac": "6s",
    "bytes16": "16s", "bytes20": "20s", "bytes32": "32s",
}

# Type numbers of the framing blocks inside a block of series 1 or 2 (spec/PROTOCOL.md 7.3;
# a String is type 0 in both). The decoder accepts any list or BLOB type, as eNcore does.
BLOB_TYPE = {1: 10, 2: 1}
LIST_TYPE = {1: 11, 2: 2}

# Step kinds.
FIXED = "fixed"
STRING = "string"
BLOB = "blob"
BYTES = "bytes"
LIST = "list"
BLOCK = "block"
DISCOVERY = "discovery"
UNKNOWN = "unknown"


class Single(NamedTuple):
    """One fixed-width field, used when a block ends inside a fixed run."""

    name: str
    type: str
    struct: struct.Struct


class Step(NamedTuple):
    kind: str
    # FIXED: the merged struct, field names and types, and the single fields.
    struct: struct.Struct | None = None
    names: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    singles: tuple[Single, ...] = ()
    # FIXED: (index, conversion) for the fields that are not plain integers
    converts: tuple[tuple[int, Callable[[bytes], str]], ...] = ()
    # STRING / BLOB / BYTES / LIST / BLOCK / UNKNOWN: the field (None: flattened block).
    name: str | None = None
    # BYTES: the earlier field holding the count, an adjustment, and text or hex.
    length_from: str | None = None
    adjust: int = 0
    binary: bool = False
    # LIST / BLOCK: the layout key ("auto": chosen by the wire block type).
    of: str | None = None


class Layout(NamedTuple):
    key: str
    block_type: int | None
    header: bool
    steps: tuple[Step, ...]
    label: str
    #: blockLength -> the key of another layout of the same wire block type with
    #: that length (s2.41's eNcore 5.2.11 form; chosen by blockLength)
    by_length: dict[int, str] = {}  # shared default, never mutated

    @property
    def series(self) -> int | None:
        """1 or 2 (``s1.N`` / ``s2.N`` keys), None for a pseudo-block (``x.``).

        The series decides the type numbers of the BLOBs and lists inside the
        block (BLOB_TYPE, LIST_TYPE).
        """
        return int(self.key[1]) if self.key[0] == "s" else None


class RecordLayout(NamedTuple):
    record_type: int
    name: str
    category: str
    steps: tuple[Step, ...]
    by_block_type: dict[int, str]
    #: eNcore's output groups of the record (spec/records.yaml encoreGroups)
    encore_groups: tuple[str, ...] = ()


def _compile(fields: list[list[Any]]) -> tuple[Step, ...]:
    steps: list[Step] = []
    run: list[tuple[str, str]] = []

    def close_run() -> None:
        if run:
            fmt = ">" + "".join(FIXED_TYPES[t] for _, t in run)
            steps.append(Step(
                FIXED, struct=struct.Struct(fmt),
                names=tuple(n for n, _ in run), types=tuple(t for _, t in run),
                singles=tuple(Single(n, t, struct.Struct(">" + FIXED_TYPES[t])) for n, t in run),
                converts=tuple((i, TO_TEXT[t]) for i, (_, t) in enumerate(run) if t in TO_TEXT),
            ))
            run.clear()

    for entry in fields:
        if entry[0] == "@discoveryEventHeader":
            close_run()
            steps.append(Step(DISCOVERY))
            continue
        if entry[0] == "@block":
            close_run()
            steps.append(Step(BLOCK, of=entry[1], name=entry[2]))
            continue
        name, ftype = entry[0], entry[1]
        opts: dict[str, Any] = entry[2] if len(entry) > 2 else {}
        if ftype in FIXED_TYPES:
            run.append((name, ftype))
            continue
        close_run()
        if ftype == "string":
            steps.append(Step(STRING, name=name))
        elif ftype == "blob":
            steps.append(Step(BLOB, name=name))
        elif ftype == "bytes":
            steps.append(Step(BYTES, name=name, length_from=opts["lengthFrom"],
                              adjust=opts.get("adjust", 0), binary=opts.get("binary", False)))
        elif ftype == "list":
            steps.append(Step(LIST, name=name, of=opts["of"]))
        elif ftype == "unknown":
            steps.append(Step(UNKNOWN, name=name))
        else:  # pragma: no cover - the catalogue test guards the type list
            raise ValueError(f"catalogue type {ftype!r} of field {name!r} is not supported")
    close_run()
    return tuple(steps)


def _load() -> tuple[dict[str, Layout], dict[int, RecordLayout], tuple[Step, ...],
                     dict[str, Any], dict[str, dict[int, str]]]:
    path = Path(__file__).with_name("data") / "catalogue.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    blocks = {
        key: Layout(key, b["blockType"], b["header"], _compile(b["fields"]), b["label"],
                    {int(n): k for n, k in b.get("byLength", {}).items()})
        for key, b in doc["blocks"].items()
    }
    records = {
        int(rt): RecordLayout(
            int(rt), r["name"], r["category"], _compile(r["body"]),
            {int(k): v for k, v in r.get("byBlockType", {}).items()},
            tuple(r["encoreGroups"]),
        )
        for rt, r in doc["records"].items()
    }
    dh = doc["discoveryEventHeader"]
    # The IPv6 address is present only when hasIpv6 == 1; the decoder handles it.
    assert dh[-1][0] == "ipv6Address", dh[-1]
    header = _compile(dh[:-1])
    tables = {name: {int(k): v for k, v in t.items()}
              for name, t in doc["decorationTables"].items()}
    return blocks, records, header, doc["discoveryEventTypes"], tables


BLOCKS, RECORDS, DISCOVERY_HEADER, DISCOVERY_EVENT_TYPES, DECORATION_TABLES = _load()

#: the discovery event header without its optional IPv6 address (40 bytes)
DISCOVERY_FIXED: Step = DISCOVERY_HEADER[0]
assert len(DISCOVERY_HEADER) == 1 and DISCOVERY_FIXED.struct is not None
assert DISCOVERY_FIXED.struct.size == 40
