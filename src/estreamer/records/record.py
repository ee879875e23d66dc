"""The decoded record: what the decoder (layer 2) hands to decoration and formatters."""

from __future__ import annotations

from itertools import count
from typing import Any

_serials = count()


class FieldNames(tuple):
    """The field names of a flat record layout, in wire order (a tuple of str).

    The decoder's compiled fast path returns a record's values as a tuple beside
    one of these, shared by every record of that layout; ``position`` maps a name
    to the index holding its value (the last one when a name repeats, as a dict
    built from the pairs would keep it). ``serial`` identifies the tuple cheaply
    (hashing ~130 names for every record would not be): plans compiled for one
    layout are cached under it.
    """

    position: dict[str, int]
    serial: int

    def __new__(cls, names: tuple[str, ...] | list[str]) -> FieldNames:
        self = super().__new__(cls, names)
        self.position = {name: i for i, name in enumerate(self)}
        self.serial = next(_serials)
        return self


class Record:
    """One eStreamer record, decoded.

    ``fields`` holds the body with the catalogue's camelCase names
    (``spec/records.yaml``): the discovery event header and flattened blocks are
    merged at the top level, named blocks are nested dicts, lists are lists of
    dicts. Values are ready for output: integers stay ``int``; addresses are
    text (IPv4-mapped IPv6 as a dotted quad); UUIDs canonical; MACs
    ``aa:bb:cc:dd:ee:ff``; fixed raw byte fields and binary data lower-case hex;
    text (String blocks and text ``bytes``) ``str`` with trailing NULs removed.

    A flat record from the decoder's fast path arrives as ``values`` (a tuple)
    and ``names`` (:class:`FieldNames`) instead: building a dict of ~130 fields
    costs more than decoding them, and decoration and the Splunk formatter read
    the tuple by position. ``fields`` then builds the dict on first use, and from
    then on the dict is the record (``values`` is dropped, so an edit of
    ``fields`` can never be shadowed by stale values).

    ``computed`` is filled by metadata decoration (names for the raw ids); it
    is kept apart so that a raw id is never overwritten by a name.
    """

    __slots__ = ("_fields", "archive_timestamp", "block_type", "computed", "names", "offset",
                 "raw", "record_type", "values")

    def __init__(self, record_type: int, fields: dict[str, Any] | None = None,
                 archive_timestamp: int = 0, block_type: int | None = None,
                 raw: bytes = b"", offset: int = -1, values: tuple | None = None,
                 names: FieldNames | None = None) -> None:
        self.record_type = record_type
        self._fields = {} if fields is None and values is None else fields
        #: the fast path's field values, in the order of ``names`` (None once
        #: ``fields`` is a dict)
        self.values = values
        self.names = names
        #: archive (server) timestamp from the long record header; 0 when absent
        self.archive_timestamp = archive_timestamp
        #: wire block type of the body block for records whose layout is chosen by it
        self.block_type = block_type
        #: the whole Event Data payload (record header + body), for digests
        self.raw = raw
        #: stream offset of the message that carried the record (-1: unknown)
        self.offset = offset
        self.computed: dict[str, Any] = {}

    @property
    def fields(self) -> dict[str, Any]:
        fields = self._fields
        if fields is None:
            assert self.values is not None and self.names is not None
            fields = self._fields = dict(zip(self.names, self.values))
            self.values = None
        return fields

    @fields.setter
    def fields(self, fields: dict[str, Any]) -> None:
        self._fields, self.values = fields, None

    def get(self, name: str, default: Any = None) -> Any:
        """A top-level field's value (``default`` when absent), without building ``fields``."""
        if self.values is not None:
            assert self.names is not None
            index = self.names.position.get(name)
            return default if index is None else self.values[index]
        return self.fields.get(name, default)

    def field_names(self) -> tuple[str, ...]:
        """The top-level field names, in order, without building ``fields``."""
        if self.values is not None:
            assert self.names is not None
            return self.names
        return tuple(self.fields)

    def __repr__(self) -> str:
        size = len(self.values) if self.values is not None else len(self.fields)
        return f"Record(type={self.record_type}, archive={self.archive_timestamp}, fields={size})"
