#!/usr/bin/env python3
"""Generate src/estreamer/records/data/catalogue.json from spec/records.yaml.

records.yaml is the project's catalogue of every record and block layout; the
decoder and encoder read the compact JSON made here (no YAML parser needed at
run time, e.g. inside Splunk). tests/test_catalogue.py regenerates it and fails
when the committed copy is stale.

Usage: python tools/gen_catalogue.py [path/to/records.yaml] [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT / "spec" / "records.yaml"
TARGET = ROOT / "src" / "estreamer" / "records" / "data" / "catalogue.json"

# `bytes` fields are text unless listed here (raw captured frames; eNcore bug B9).
BINARY_BYTES = {"packetData"}

# Where records.yaml is wrong, the correction and why (reported in the issue notes).
TYPE_CORRECTIONS = {
    # s1.156 (correlation event 112): the legacy IPv4 source/destination words are
    # addresses (records.yaml's own note says so) but typed u32, which printed them
    # as integers; same width, so the layout does not move.
    ("s1.156", "sourceIp"): "ipv4",
    ("s1.156", "destinationIp"): "ipv4",
}

# records.yaml decorationTables that the metadata decoration uses as static tables.
DECORATION_TABLES = ("blocked", "blockedReasonId", "dispositions", "extraDataTypes",
                     "userAuthTypes", "userProtocols", "vpnTypes")


def _field(f: dict[str, Any], block: str | None = None) -> list[Any]:
    entry: list[Any] = [f["name"], TYPE_CORRECTIONS.get((block, f["name"]), f["type"])]
    opts: dict[str, Any] = {}
    if "of" in f:
        opts["of"] = f["of"]
    if "lengthFrom" in f:
        opts["lengthFrom"] = f["lengthFrom"]
        if f.get("adjust"):
            opts["adjust"] = f["adjust"]
    if f["type"] == "bytes" and f["name"] in BINARY_BYTES:
        opts["binary"] = True
    if opts:
        entry.append(opts)
    return entry


def _body_item(item: dict[str, Any]) -> list[Any]:
    if "part" in item:
        return ["@" + item["part"]]
    if item.get("type") == "block":
        return ["@block", item["of"], None if item.get("flatten") else item["name"]]
    return _field(item)


def build(doc: dict[str, Any]) -> dict[str, Any]:
    blocks: dict[str, Any] = {}
    for b in doc["blocks"]:
        if b.get("encoreKeyOnly"):
            continue  # an eNcore table key, never on the wire
        blocks[b["key"]] = {
            "blockType": b.get("blockType"),
            "header": b.get("header", True),
            "label": b["label"],
            "fields": [_field(f, b["key"]) for f in b["fields"]],
        }
        # A second eNcore 5.2.11 layout of the same wire block with its own length
        # (s2.41: 222 or 223 bytes): a variant block "<key>@<length>" that the
        # decoder picks by blockLength (spec/PROTOCOL.md 11.2 rule 4). s1.121's 5.2.11
        # entry is malformed and has no length: not a variant.
        newer = b.get("encore5211", {})
        if "fields" in newer and "fixedBlockLength" in newer:
            length = newer["fixedBlockLength"]
            variant = f"{b['key']}@{length}"
            blocks[b["key"]]["byLength"] = {str(length): variant}
            blocks[variant] = {
                "blockType": b.get("blockType"),
                "header": b.get("header", True),
                "label": f"{b['label']} (eNcore 5.2.11, blockLength {length})",
                "fields": [_field(f, b["key"]) for f in newer["fields"]],
            }
    records: dict[str, Any] = {}
    for r in doc["records"]:
        entry: dict[str, Any] = {
            "name": r["name"],
            "category": r["category"],
            "encoreGroups": r["encoreGroups"],
            "body": [_body_item(i) for i in r["body"]],
        }
        bbt = r.get("bodyByBlockType")
        if bbt:
            entry["byBlockType"] = {str(k): v["of"] for k, v in bbt["map"].items()}
        records[str(r["type"])] = entry
    dh = doc["discoveryEventHeader"]["fields"]
    types = {
        str(k): {"kind": v["kind"], "subtypes": {str(s): n for s, n in v["subtypes"].items()}}
        for k, v in doc["discoveryEventTypes"].items() if isinstance(k, int)
    }
    tables = {}
    for name in DECORATION_TABLES:
        t = doc["decorationTables"][name]
        values = {**t.get("values358", {}), **t.get("added5211", {}), **t.get("values", {})}
        tables[name] = {str(k): v for k, v in values.items()}
    return {
        "decorationTables": tables,
        "generatedFrom": f"spec/records.yaml schemaVersion {doc['schemaVersion']}",
        "discoveryEventHeader": [_field(f) for f in dh],
        "discoveryEventTypes": types,
        "blocks": blocks,
        "records": records,
    }


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def render(doc: dict[str, Any]) -> str:
    """The catalogue as JSON with one layout (or table) per line, keys sorted, so that a
    diff of the committed file shows which layouts changed."""
    catalogue = build(doc)
    lines = ["{"]
    for i, key in enumerate(sorted(catalogue)):
        value, comma = catalogue[key], "," if i < len(catalogue) - 1 else ""
        if isinstance(value, dict) and value:
            lines.append(f"{json.dumps(key)}: {{")
            lines.extend(f"  {json.dumps(k)}: {_compact(value[k])}"
                         + ("," if j < len(value) - 1 else "")
                         for j, k in enumerate(sorted(value)))
            lines.append("}" + comma)
        else:
            lines.append(f"{json.dumps(key)}: {_compact(value)}{comma}")
    return "\n".join(lines) + "\n}\n"


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    source = Path(args[0]) if args else DEFAULT_SOURCE
    with open(source, encoding="utf-8") as fh:
        text = render(yaml.safe_load(fh))
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run python tools/gen_catalogue.py")
            return 1
        print("catalogue up to date")
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
