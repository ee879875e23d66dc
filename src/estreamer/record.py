"""The decoded record: what the decoder (layer 2) hands to decoration and formatters."""

from __future__ import annotations

from typing import Any


class Record:
    """One eStreamer record, decoded.

    ``fields`` holds the body with the catalogue's camelCase names
    (``records.yaml``): the discovery event header and flattened blocks are
    merged at the top level, named blocks are nested dicts, lists are lists of
    dicts. Values are ready for output: integers stay ``int``; addresses are
    text (IPv4-mapped IPv6 as a dotted quad); UUIDs canonical; MACs
    ``aa:bb:cc:dd:ee:ff``; fixed raw byte fields and binary data lower-case hex;
    text (String blocks and text ``bytes``) ``str`` with trailing NULs removed.

    ``computed`` is filled by metadata decoration (names for the raw ids); it
    is kept apart so that a raw id is never overwritten by a name.
    """

    __slots__ = ("archive_timestamp", "block_type", "computed", "fields", "offset",
                 "raw", "record_type")

    def __init__(self, record_type: int, fields: dict[str, Any],
                 archive_timestamp: int = 0, block_type: int | None = None,
                 raw: bytes = b"", offset: int = -1) -> None:
        self.record_type = record_type
        self.fields = fields
        #: archive (server) timestamp from the long record header; 0 when absent
        self.archive_timestamp = archive_timestamp
        #: wire block type of the body block for records whose layout is chosen by it
        self.block_type = block_type
        #: the whole Event Data payload (record header + body), for digests
        self.raw = raw
        #: stream offset of the message that carried the record (-1: unknown)
        self.offset = offset
        self.computed: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (f"Record(type={self.record_type}, archive={self.archive_timestamp}, "
                f"fields={len(self.fields)})")
