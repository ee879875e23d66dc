"""Record encoder: the inverse of :func:`estreamer.records.decoder.decode_record`.

Builds Event Data payloads from the same field dicts the decoder produces, so
tests can round-trip every layout and the FMC simulator can serve records.
Fields left out take zero values (empty strings, zero addresses); counted
``bytes`` fields fill their length field themselves.
"""

from __future__ import annotations

import struct
from typing import Any

from estreamer.errors import LocalProtocolError

from .catalogue import (
    BLOB,
    BLOB_TYPE,
    BLOCK,
    BLOCKS,
    BYTES,
    DISCOVERY,
    DISCOVERY_FIXED,
    FIXED,
    LIST,
    LIST_TYPE,
    RECORDS,
    STRING,
    UNKNOWN,
    RecordLayout,
    Step,
)
from .values import TO_WIRE, ZERO, ip6_bytes, text_bytes

HEADER = struct.Struct(">II")
LONG_HEADER = struct.Struct(">IIII")

__all__ = ["encode_record"]


def encode_record(record_type: int, fields: dict[str, Any], *,
                  archive_timestamp: int | None = None, block_type: int | None = None) -> bytes:
    """Encode one record as an Event Data payload.

    ``archive_timestamp`` None gives the short (8-byte) record header, an
    integer the long one. ``block_type`` picks the body layout of records whose
    body is chosen by block type (default: the newest layout).
    """
    layout = RECORDS.get(record_type)
    if layout is None:
        raise LocalProtocolError(f"record type {record_type} is not in the catalogue")
    body = _steps(layout.steps, fields, layout, block_type)
    if archive_timestamp is None:
        return HEADER.pack(record_type, len(body)) + body
    return LONG_HEADER.pack(record_type, len(body), archive_timestamp, 0) + body


def _steps(steps: tuple[Step, ...], fields: dict[str, Any], layout: RecordLayout | None,
           block_type: int | None, series: int | None = None) -> bytes:
    values = dict(fields)
    # Counted bytes carry their own length: fill the length field before the fixed runs.
    for step in steps:
        if step.kind is BYTES and step.length_from != "blockLength":
            data = _bytes_value(step, values.get(step.name, ""))  # type: ignore[arg-type]
            values[step.length_from] = len(data) - step.adjust  # type: ignore[index]
    parts: list[bytes] = []
    for step in steps:
        kind = step.kind
        if kind is FIXED:
            parts.append(_fixed(step, values))
        elif kind is STRING:
            parts.append(_wrap(0, text_bytes(values.get(step.name) or "")))  # type: ignore[arg-type]
        elif kind is BLOB:
            parts.append(_wrap(BLOB_TYPE[series or 1],
                               bytes.fromhex(values.get(step.name) or "")))  # type: ignore[arg-type]
        elif kind is BYTES:
            parts.append(_bytes_value(step, values.get(step.name, "")))  # type: ignore[arg-type]
        elif kind is DISCOVERY:
            parts.append(_fixed(DISCOVERY_FIXED, values))
            if values.get("hasIpv6") == 1:
                parts.append(ip6_bytes(values.get("ipv6Address") or "::"))
        elif kind is BLOCK:
            parts.append(_block(step, values, layout, block_type))
        elif kind is LIST:
            item_layout = BLOCKS[step.of]  # type: ignore[index]
            items = b"".join(
                _wrap(item_layout.block_type or 0,
                      _steps(item_layout.steps, item, None, None, item_layout.series))
                if item_layout.header
                else _steps(item_layout.steps, item, None, None, item_layout.series)
                for item in values.get(step.name) or ()  # type: ignore[arg-type]
            )
            parts.append(_wrap(LIST_TYPE[series or 1], items))
        elif kind is UNKNOWN:
            break  # width unknown: nothing after it can be encoded
    return b"".join(parts)


def _block(step: Step, values: dict[str, Any], layout: RecordLayout | None,
           block_type: int | None) -> bytes:
    if step.of == "auto":
        assert layout is not None
        if block_type is None:
            block_type = max(layout.by_block_type)
        key = layout.by_block_type.get(block_type)
        if key is None:
            raise LocalProtocolError(
                f"record {layout.record_type} has no layout for block type {block_type}")
        block = BLOCKS[key]
    else:
        block = BLOCKS[step.of]  # type: ignore[index]
    source = values if step.name is None else values.get(step.name) or {}
    body = _steps(block.steps, source, None, None, block.series)
    # A pseudo-block (header: false) is its fields alone, with no type/length header.
    return _wrap(block.block_type or 0, body) if block.header else body


def _fixed(step: Step, values: dict[str, Any]) -> bytes:
    out = []
    for name, ftype in zip(step.names, step.types):
        value = values.get(name, ZERO[ftype])
        if ftype in TO_WIRE:
            value = TO_WIRE[ftype](value)
        out.append(value)
    assert step.struct is not None
    return step.struct.pack(*out)


def _bytes_value(step: Step, value: str) -> bytes:
    return bytes.fromhex(value) if step.binary else text_bytes(value)


def _wrap(block_type: int, body: bytes) -> bytes:
    return HEADER.pack(block_type, len(body) + 8) + body
