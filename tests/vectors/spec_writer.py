"""A record writer made from records.yaml's own words, independent of the package.

The decoder and the encoder both walk the compiled catalogue, so a misreading
of the spec they share (a header where there is none, a wrong type number)
passes every round trip. This writer shares nothing with them: it reads
records.yaml itself (not catalogue.json) and lays out bytes from the spec text
- field widths from ``conventions.types``, ``header: true/false`` per block,
String/BLOB/list framing from ``conventions.types`` and spec/PROTOCOL.md 7.3 - with
the standard library only (``int.to_bytes``, :mod:`ipaddress`, :mod:`uuid`).
It returns the bytes and the field values a correct decoder must produce.

It is anchored to the hand-read spec by tests/test_vectors.py: given the field
values of each hand-written hex vector (tests/vectors/hand.py), it must write
exactly those bytes; and the byte offsets it reaches must equal the ``at`` and
``fixedBlockLength`` numbers records.yaml prints for every block.

Values it invents are distinct per field and made of non-zero bytes that differ
from byte to byte, so a field read one byte off, or a swapped pair, decodes to
something else.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import uuid
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve()

# conventions.types.blob / containerBlocks / spec/PROTOCOL.md 7.3: the type numbers of
# the framing blocks, per block series.
STRING_TYPE = 0
BLOB_TYPE = {1: 10, 2: 1}
LIST_TYPE = {1: 11, 2: 2}

INTEGERS = {"u8", "u16", "u32", "u64"}

# record 2's note: packetData holds raw captured bytes, shown as hex.
BINARY_BYTES = {"packetData"}


def type_corrections() -> dict[tuple[str, str], str]:
    """The project's recorded corrections of records.yaml field types (tools/gen_catalogue.py):
    the one place where we knowingly read the wire otherwise than records.yaml says."""
    path = HERE.parents[2] / "tools" / "gen_catalogue.py"
    loader = importlib.util.spec_from_file_location("gen_catalogue", path)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return dict(module.TYPE_CORRECTIONS)


def find_records_yaml() -> Path:
    """records.yaml: $ESTREAMER_RECORDS_YAML, else the repository's spec/records.yaml."""
    explicit = os.environ.get("ESTREAMER_RECORDS_YAML")
    return Path(explicit) if explicit else HERE.parents[2] / "spec" / "records.yaml"


class Spec:
    """records.yaml, indexed."""

    def __init__(self, path: Path) -> None:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        self.records: dict[int, dict[str, Any]] = {r["type"]: r for r in doc["records"]}
        self.blocks: dict[str, dict[str, Any]] = {
            b["key"]: b for b in doc["blocks"] if "fields" in b}
        for (key, name), ftype in type_corrections().items():
            for f in self.blocks[key]["fields"]:
                if f["name"] == name:
                    f["type"] = ftype
        self.discovery_header: list[dict[str, Any]] = doc["discoveryEventHeader"]["fields"]
        # "u8: 1 byte unsigned", "ipv6: 16 bytes. ...", "bytes20: 20 raw bytes ...":
        # the width is the first word of each fixed type's description.
        self.width: dict[str, int] = {}
        for name, words in doc["conventions"]["types"].items():
            first = str(words).split()[0]
            if first.isdigit():
                self.width[name] = int(first)

    def body_block_types(self, record_type: int) -> list[int | None]:
        """The wire block types a record's body may carry (None: not chosen by type)."""
        choice = self.records[record_type].get("bodyByBlockType")
        return sorted(choice["map"]) if choice else [None]

    def has_discovery_header(self, record_type: int) -> bool:
        return any(i.get("part") == "discoveryEventHeader"
                   for i in self.records[record_type]["body"])


class Writer:
    """Writes one record; ``given`` supplies field values (decoded form), the rest is invented.

    ``given`` has the shape of the decoded fields: flattened blocks merged,
    named blocks as dicts, lists as lists of dicts. Counted ``bytes`` get their
    count from their text; the count fields are part of the expected values.
    """

    def __init__(self, spec: Spec, seed: int = 1) -> None:
        self.spec = spec
        self.n = seed * 1000
        #: block key -> field name -> offset from the first byte of the block
        self.offsets: dict[str, dict[str, int]] = {}
        #: block key -> how many bytes the last written block of it had
        self.lengths: dict[str, int] = {}
        #: bytes written where a field of unknown width would be (the decoder must skip them)
        self.unknown_tail = b"\xee\xee\xee\xee"

    # --- the record ----------------------------------------------------------
    def record(self, record_type: int, given: dict[str, Any] | None = None, *,
               archive: int | None = None, ipv6: bool = False,
               block_type: int | None = None) -> tuple[bytes, dict[str, Any]]:
        """(Event Data payload, expected decoded fields) of ``record_type``."""
        given = given or {}
        spec = self.spec.records[record_type]
        out: dict[str, Any] = {}
        body = b""
        # Runs of plain fields are written together: a count comes before its text.
        items: list[Any] = []
        for item in spec["body"]:
            if "part" in item or item.get("type") == "block":
                items.append(item)
            elif items and isinstance(items[-1], list):
                items[-1].append(item)
            else:
                items.append([item])
        for item in items:
            if isinstance(item, list):
                data, values = self.fields(item, given, series=1)
                body += data
                out.update(values)
            elif item.get("part") == "discoveryEventHeader":
                data, values = self._discovery_header(given, ipv6)
                body += data
                out.update(values)
            elif item.get("type") == "block":
                key = item["of"]
                if key == "auto":
                    choice = spec["bodyByBlockType"]["map"]
                    key = choice[block_type if block_type is not None else max(choice)]["of"]
                sub = given if item.get("flatten") else given.get(item["name"], {})
                data, values = self.block(key, sub)
                body += data
                if item.get("flatten"):
                    out.update(values)
                else:
                    out[item["name"]] = values
        # spec/PROTOCOL.md 7.1: u32 recordType, u32 recordLength (body bytes), and with
        # request bit 23 u32 archiveTimestamp, u32 reserved.
        header = _u(record_type, 4) + _u(len(body), 4)
        if archive is not None:
            header += _u(archive, 4) + _u(0, 4)
        return header + body, out

    def _discovery_header(self, given: dict[str, Any], ipv6: bool
                          ) -> tuple[bytes, dict[str, Any]]:
        # spec/PROTOCOL.md 7.2: 40 bytes, then the IPv6 address only when hasIpv6 == 1.
        given = {"hasIpv6": 1 if ipv6 else 0, **given}
        fields = [f for f in self.spec.discovery_header
                  if "presentIf" not in f or given["hasIpv6"] == 1]
        return self.fields(fields, given, series=1)

    # --- blocks --------------------------------------------------------------
    def block(self, key: str, given: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
        """A block: u32 blockType, u32 blockLength (counting these 8), fields; or,
        with ``header: false``, the fields alone (records.yaml conventions.blockHeader)."""
        spec = self.spec.blocks[key]
        header = spec.get("header", True)
        offsets: dict[str, int] = {}
        data, values = self.fields(spec["fields"], given, series=spec.get("series"),
                                   offsets=offsets, start=8 if header else 0)
        self.offsets[key] = offsets
        if header:
            data = _u(spec["blockType"], 4) + _u(8 + len(data), 4) + data
        self.lengths[key] = len(data)
        return data, values

    def fields(self, fields: list[dict[str, Any]], given: dict[str, Any], *,
               series: Any, offsets: dict[str, int] | None = None, start: int = 0
               ) -> tuple[bytes, dict[str, Any]]:
        out: dict[str, Any] = {}
        # A counted text decides its count field, which comes first on the wire.
        counts: dict[str, int] = {}
        texts: dict[str, bytes] = {}
        for f in fields:
            if f["type"] == "bytes" and f["lengthFrom"] != "blockLength":
                raw = self._bytes(f, given)
                texts[f["name"]] = raw
                counts[f["lengthFrom"]] = len(raw) - f.get("adjust", 0)
        data = b""
        for f in fields:
            name, ftype = f["name"], f["type"]
            if offsets is not None:
                offsets[name] = start + len(data)
            if ftype == "unknown":
                # Width not in the spec: the decoder must skip to the end of the block.
                data += self.unknown_tail
                break
            if name in counts:
                value: Any = counts[name]
                data += _u(value, self.spec.width[ftype])
            elif ftype in self.spec.width:
                raw, value = self._fixed(name, ftype, given)
                data += raw
            elif ftype == "string":
                value = given[name] if name in given else self._text(name)
                text = value.encode("utf-8")
                data += _u(STRING_TYPE, 4) + _u(8 + len(text), 4) + text
            elif ftype == "blob":
                value = given[name] if name in given else self._invent(5).hex()
                blob = bytes.fromhex(value)
                data += _u(BLOB_TYPE[series], 4) + _u(8 + len(blob), 4) + blob
            elif ftype == "bytes":
                raw = texts[name]
                value = raw.hex() if name in BINARY_BYTES else raw.decode("utf-8")
                data += raw
            elif ftype == "list":
                items = given.get(name, [{}, {}])
                item_data = b""
                value = []
                for item in items:
                    raw, item_values = self.block(f["of"], item)
                    item_data += raw
                    value.append(item_values)
                data += _u(LIST_TYPE[series], 4) + _u(8 + len(item_data), 4) + item_data
            else:
                raise ValueError(f"spec type {ftype!r} of {name!r} unknown to the writer")
            out[name] = value
        return data, out

    # --- values ----------------------------------------------------------------
    def _invent(self, width: int) -> bytes:
        """``width`` non-zero bytes, each different from its neighbour, new for each field."""
        self.n += 1
        return bytes((self.n * 37 + i * 11) % 251 + 1 for i in range(width))

    def _text(self, name: str) -> str:
        self.n += 1
        return f"{name}-{self.n}"

    def _bytes(self, f: dict[str, Any], given: dict[str, Any]) -> bytes:
        name = f["name"]
        if name in BINARY_BYTES:
            return bytes.fromhex(given[name]) if name in given else self._invent(9)
        return (given[name] if name in given else self._text(name)).encode("utf-8")

    def _fixed(self, name: str, ftype: str, given: dict[str, Any]) -> tuple[bytes, Any]:
        """(wire bytes, decoded value) of a fixed-width field (conventions.types)."""
        width = self.spec.width[ftype]
        if name in given:
            value = given[name]
            if ftype in INTEGERS:
                return _u(value, width), value
            if ftype == "ipv4":
                return ipaddress.IPv4Address(value).packed, value
            if ftype == "ipv6":
                address = (ipaddress.IPv6Address(value) if ":" in value
                           else ipaddress.IPv6Address("::ffff:" + value))
                return address.packed, value
            if ftype == "uuid":
                return uuid.UUID(value).bytes, value
            if ftype == "mac":
                return bytes.fromhex(value.replace(":", "")), value
            return bytes.fromhex(value), value  # bytes16/20/32: hex in wire order
        raw = self._invent(width)
        if ftype == "ipv6" and self.n % 2:
            raw = bytes(10) + b"\xff\xff" + raw[:4]  # IPv4-mapped, as FMCs send IPv4
        return raw, _shown(ftype, raw)


def _u(value: int, width: int) -> bytes:
    """Unsigned big-endian integer (conventions.byteOrder)."""
    return value.to_bytes(width, "big")


def _shown(ftype: str, raw: bytes) -> Any:
    """How records.yaml conventions.types say a value is printed."""
    if ftype in INTEGERS:
        return int.from_bytes(raw, "big")
    if ftype == "ipv4":
        return str(ipaddress.IPv4Address(raw))
    if ftype == "ipv6":
        address = ipaddress.IPv6Address(raw)
        return str(address.ipv4_mapped) if address.ipv4_mapped else str(address)
    if ftype == "uuid":
        return str(uuid.UUID(bytes=raw))
    if ftype == "mac":
        return ":".join(f"{b:02x}" for b in raw)
    return raw.hex()
