"""JSON lines: one compact object per record, with the catalogue's camelCase names.

Keys: ``recordType`` always; ``recordTypeDescription`` and ``recordTypeCategory``
(catalogue name and category) when the type is known; ``archiveTimestamp`` when
non-zero; ``blockType`` for records whose body layout is chosen by it; then the
fields as decoded (string blocks as plain strings, named blocks as objects, lists
as arrays, addresses/UUIDs/MACs/hex as in :class:`~estreamer.records.record.Record`);
then the decorated names from ``record.computed`` (``deviceId`` 5 beside
``deviceName`` "fw1"; naming rule in :mod:`estreamer.records.metadata`). A computed key
never replaces a decoded field of the same name.
"""

from __future__ import annotations

import json
from typing import Any

from estreamer.records import catalogue
from estreamer.records.record import Record

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                            default=lambda v: bytes(v).hex()
                            if isinstance(v, (bytes, bytearray, memoryview)) else str(v))


def format_json(record: Record) -> str:
    """One JSON object for ``record`` on one line (no trailing newline)."""
    out: dict[str, Any] = {"recordType": record.record_type}
    layout = catalogue.RECORDS.get(record.record_type)
    if layout is not None:
        out["recordTypeDescription"] = layout.name
        out["recordTypeCategory"] = layout.category
    if record.archive_timestamp:
        out["archiveTimestamp"] = record.archive_timestamp
    if record.block_type is not None:
        out["blockType"] = record.block_type
    out.update(record.fields)
    for key, value in record.computed.items():
        if key not in out and value is not None:
            out[key] = value
    return _encoder.encode(out)
