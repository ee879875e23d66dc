"""Record decoder: one Event Data payload in, one :class:`Record` out.

Everything is driven by the compiled layouts of :mod:`estreamer.records.catalogue`;
there is no per-record parsing code. Rules (spec/PROTOCOL.md sections 7 and 11.2):

* the record header is short (8 bytes) or long (16, with the archive
  timestamp) as the payload length says; anything else is an error;
* every nested block is bounded by its ``blockLength``: unread trailing bytes
  are skipped (newer FMCs append fields), and a block that ends exactly at a
  field boundary leaves the remaining fields absent (older, shorter versions);
* a pseudo-block (``header: false`` in spec/records.yaml: the id/length/name body of
  35 metadata records, the VPN session list item) has no type/length header:
  its fields start at once and end where their own widths say;
* the body block of records 71, 92-95, 125, 400, 500 and 502 is chosen from
  the block type found where the block really starts; an unknown block type
  is an error, never a guessed layout; a block type with two layouts (s2.41)
  is told by its ``blockLength``;
* record 98's body may come without its block header (HEADER_OPTIONAL);
* the discovery event header's IPv6 address is read right after its 40 bytes
  when ``hasIpv6`` is 1.

A malformed record raises :class:`RecordDecodeError` naming the record type and
the stream offset; nothing else escapes (the caller counts, logs, skips).
"""

from __future__ import annotations

import struct
from typing import Any, Callable

from estreamer.errors import RecordDecodeError

from . import _native as native
from . import codegen
from .catalogue import (
    BLOB,
    BLOCK,
    BLOCKS,
    BYTES,
    DISCOVERY,
    DISCOVERY_FIXED,
    FIXED,
    LIST,
    RECORDS,
    STRING,
    UNKNOWN,
    Layout,
    RecordLayout,
    Step,
)
from .fastpath import compile_block, compile_record
from .record import Record
from .values import TO_TEXT, ip6_text, text

RECORD_HEADER = struct.Struct(">II")
ARCHIVE_HEADER = struct.Struct(">II")
BLOCK_HEADER = struct.Struct(">II")
IPV6 = struct.Struct(">16s")

__all__ = ["decode_record", "record_header"]


class _Malformed(Exception):
    """Internal: carries a message up to decode_record, which adds type and offset."""


def record_header(payload: bytes | bytearray | memoryview, offset: int = -1
                  ) -> tuple[int, int, int]:
    """(record type, where the body starts, archive timestamp) of an Event Data payload.

    The long (16-byte) header is told from the short one by the payload length
    (spec/PROTOCOL.md 7.1); the archive timestamp is 0 with the short one. Cheap enough
    for callers that only need to know which record and which second it is.
    """
    size = len(payload)
    if size < 8:
        raise RecordDecodeError(f"record header truncated: {size} bytes", None, offset)
    record_type, length = RECORD_HEADER.unpack_from(payload, 0)
    if size == 8 + length:
        return record_type, 8, 0
    if size == 16 + length:
        return record_type, 16, ARCHIVE_HEADER.unpack_from(payload, 8)[0]
    raise RecordDecodeError(
        f"recordLength {length} does not fit the {size}-byte message payload "
        "(expected payload = recordLength + 8 or + 16)", record_type, offset)


def decode_record(payload: bytes | bytearray | memoryview, offset: int = -1,
                  header: tuple[int, int, int] | None = None) -> Record:
    """Decode one Event Data payload (record header + body); ``header``: what
    :func:`record_header` returned for it, when the caller has read it already."""
    buf = payload if type(payload) is bytes else bytes(payload)
    size = len(buf)
    record_type, start, archive = record_header(buf, offset) if header is None else header
    layout = RECORDS.get(record_type)
    if layout is None:
        raise RecordDecodeError(
            f"unknown record type, {size - start} bytes skipped", record_type, offset)
    state = _State(layout)
    try:
        fast = _RECORD_FAST[record_type]
        flat = fast(buf, start, size, state) if fast is not None else None
        if flat is not None:
            names, values = flat
            return Record(record_type, None, archive, state.block_type, buf, offset,
                          values, names)
        # irregular or not compiled: the reference walker
        fields: dict[str, Any] = {}
        _walk(buf, start, size, layout.steps, fields, state)
    except _Malformed as err:
        raise RecordDecodeError(str(err), record_type, offset) from None
    except (struct.error, ValueError, IndexError, KeyError, UnicodeError) as err:
        raise RecordDecodeError(f"malformed body: {err}", record_type, offset) from err
    return Record(record_type, fields, archive, state.block_type, buf, offset)


class _State:
    __slots__ = ("block_type", "record")

    def __init__(self, record: RecordLayout) -> None:
        self.record = record
        self.block_type: int | None = None


def _walk(buf: bytes, p: int, end: int, steps: tuple[Step, ...], out: dict[str, Any],
          state: _State) -> int:
    """Decode ``steps`` from ``buf[p:end]`` into ``out``; return the position reached."""
    for step in steps:
        kind = step.kind
        if p >= end and kind is not BYTES:
            # The block ends here: the remaining fields are absent. (Counted bytes
            # still decode, so a zero count at the very end gives an empty value.)
            return p
        if kind is FIXED:
            st = step.struct
            assert st is not None
            if p + st.size <= end:
                values = st.unpack_from(buf, p)
                p += st.size
                out.update(zip(step.names, values))
                for index, convert in step.converts:
                    out[step.names[index]] = convert(values[index])
            else:
                p = _fixed_one_by_one(buf, p, end, step, out)
        elif kind is STRING:
            q = _sub_end(buf, p, end, "String", step.name)
            out[step.name] = text(buf[p + 8:q])  # type: ignore[index]
            p = q
        elif kind is BYTES:
            count = out.get(step.length_from)  # type: ignore[arg-type]
            if not isinstance(count, int):
                raise _Malformed(f"{step.name}: its length field {step.length_from} is absent")
            q = p + count + step.adjust
            if count + step.adjust < 0 or q > end:
                raise _Malformed(f"{step.name}: {count} bytes announced, {end - p} left")
            raw = buf[p:q]
            out[step.name] = raw.hex() if step.binary else text(raw)  # type: ignore[index]
            p = q
        elif kind is BLOCK:
            p = _block(buf, p, end, step, out, state)
        elif kind is DISCOVERY:
            p = _discovery_header(buf, p, end, out)
        elif kind is LIST:
            p = _list(buf, p, end, step, out, state)
        elif kind is BLOB:
            q = _sub_end(buf, p, end, "BLOB", step.name)
            out[step.name] = buf[p + 8:q].hex()  # type: ignore[index]
            p = q
        elif kind is UNKNOWN:
            # The catalogue does not know this field's width: stop here; the
            # enclosing block's length skips the rest.
            return end
    return p


def _sub_end(buf: bytes, p: int, end: int, what: str, name: str | None) -> int:
    """End of the String/BLOB block at ``p``, checked against ``end``."""
    if p + 8 > end:
        raise _Malformed(f"{name}: {what} block header truncated")
    block_type, length = BLOCK_HEADER.unpack_from(buf, p)
    if length < 8 or p + length > end:
        raise _Malformed(f"{name}: {what} blockLength {length} overruns its container "
                         f"({end - p} bytes left)")
    if what == "String" and block_type != 0:
        raise _Malformed(f"{name}: expected a String block (type 0), found type {block_type}")
    return p + length


def _fixed_one_by_one(buf: bytes, p: int, end: int, step: Step, out: dict[str, Any]) -> int:
    """A fixed run that the container cuts short: decode field by field up to ``end``."""
    for single in step.singles:
        if p == end:
            return p
        size = single.struct.size
        if p + size > end:
            raise _Malformed(f"{single.name}: {size}-byte field cut by the end of its block "
                             f"({end - p} bytes left)")
        value = single.struct.unpack_from(buf, p)[0]
        convert = TO_TEXT.get(single.type)
        out[single.name] = convert(value) if convert else value
        p += size
    return p


def _discovery_header(buf: bytes, p: int, end: int, out: dict[str, Any]) -> int:
    # Both forms are compiled (fastpath); this is the reference reading.
    p = _walk(buf, p, end, (DISCOVERY_FIXED,), out, _NO_STATE)
    if out.get("hasIpv6") == 1:
        if p + 16 > end:
            raise _Malformed("discovery header: hasIpv6 is 1 but the IPv6 address is missing")
        out["ipv6Address"] = ip6_text(buf[p:p + 16])
        p += 16
    return p


def _block_bounds(buf: bytes, p: int, end: int, what: str) -> tuple[int, int]:
    if p + 8 > end:
        raise _Malformed(f"{what}: block header truncated ({end - p} bytes left)")
    block_type, length = BLOCK_HEADER.unpack_from(buf, p)
    if length < 8 or p + length > end:
        raise _Malformed(f"{what}: blockLength {length} of block type {block_type} overruns "
                         f"its container ({end - p} bytes left)")
    return block_type, p + length


#: Records whose body block may arrive without its header (spec/records.yaml record 98
#: note, spec/PROTOCOL.md D8): eNcore 3.5.8 and 5.2.11 read a series-2 block 57, eNcore
#: 3.8.4 the same fields straight after the record header. Which form an FMC sends
#: is unconfirmed, so the decoder peeks (see _bare_fields).
HEADER_OPTIONAL = frozenset({98})


def _bare_fields(buf: bytes, p: int, end: int, layout: Layout, state: _State) -> bool:
    """True when the block at ``p`` is only its fields: always for a pseudo-block
    (header: false), and for a record of HEADER_OPTIONAL whose body does not start
    with the block's own type and a blockLength that fits."""
    if not layout.header:
        return True
    if state.record.record_type not in HEADER_OPTIONAL or p + 8 > end:
        return False
    block_type, length = BLOCK_HEADER.unpack_from(buf, p)
    return block_type != layout.block_type or not 8 <= length <= end - p


def _block(buf: bytes, p: int, end: int, step: Step, out: dict[str, Any],
           state: _State) -> int:
    target = out if step.name is None else {}
    if step.of != "auto" and _bare_fields(buf, p, end, BLOCKS[step.of], state):  # type: ignore[index]
        # No type/length header (a pseudo-block such as x.idLengthName): the
        # fields start here and their own widths say where they end, inside the
        # container.
        layout = BLOCKS[step.of]  # type: ignore[index]
        p = _BLOCK_WALKERS[layout.key](buf, p, end, layout.steps, target, state)
        if step.name is not None:
            out[step.name] = target
        return p
    block_type, block_end = _block_bounds(buf, p, end, f"block {step.of}")
    if step.of == "auto":
        key = state.record.by_block_type.get(block_type)
        if key is None:
            known = ", ".join(str(t) for t in sorted(state.record.by_block_type))
            raise _Malformed(f"body block type {block_type} (blockLength {block_end - p}) is "
                             f"not a known layout for this record (known: {known})")
        state.block_type = block_type
        layout = BLOCKS[key]
    else:
        layout = BLOCKS[step.of]  # type: ignore[index]
        _check_type(layout, block_type)
    if layout.by_length:
        # Another layout of this block type has this length (spec/PROTOCOL.md 11.2 rule 4).
        layout = BLOCKS[layout.by_length.get(block_end - p, layout.key)]
    _BLOCK_WALKERS[layout.key](buf, p + 8, block_end, layout.steps, target, state)
    if step.name is not None:
        out[step.name] = target
    return block_end


def _check_type(layout: Layout, block_type: int) -> None:
    if layout.block_type is not None and block_type != layout.block_type:
        raise _Malformed(f"expected block {layout.key} (type {layout.block_type}), "
                         f"found block type {block_type}")


def _list(buf: bytes, p: int, end: int, step: Step, out: dict[str, Any], state: _State) -> int:
    _, list_end = _block_bounds(buf, p, end, f"list {step.name}")
    layout = BLOCKS[step.of]  # type: ignore[index]
    items: list[dict[str, Any]] = []
    q = p + 8
    while q < list_end:
        item: dict[str, Any] = {}
        if layout.header:
            block_type, item_end = _block_bounds(buf, q, list_end, f"{step.name} item")
            _check_type(layout, block_type)
            _BLOCK_WALKERS[layout.key](buf, q + 8, item_end, layout.steps, item, state)
            q = item_end
        else:
            after = _walk(buf, q, list_end, layout.steps, item, state)
            if after <= q:
                raise _Malformed(f"{step.name}: list item decoded no bytes")
            q = after
        items.append(item)
    out[step.name] = items  # type: ignore[index]
    return list_end


_NO_STATE = _State(RecordLayout(0, "", "", (), {}))


def _block_walker(key: str) -> Any:
    """The generated straight-line walker for a block, or the generic one."""
    name = "block_" + key.replace(".", "_").replace("@", "_at_")  # a Python identifier
    fast = compile_block(BLOCKS[key].steps, _walk, name)
    return fast if fast is not None else _walk


def _record_fast(record: RecordLayout) -> Any:
    """The generated decoder of a whole record, or None.

    Body block types with a second layout chosen by blockLength are left out of
    it (the generated code knows one layout per type): the generic walker reads
    them.
    """
    if any(s.kind is BLOCK and s.of not in (None, "auto") and BLOCKS[s.of].by_length
           for s in record.steps):
        return None
    plain = {t: key for t, key in record.by_block_type.items() if not BLOCKS[key].by_length}
    layout = record._replace(by_block_type=plain)
    # the native core, when built, runs the same layout in C and calls ``fast`` only
    # for the irregular records (estreamer/records/_native): compiled when first needed
    fast = compile_record(layout, f"record_{record.record_type}", on_first_call=native.ACTIVE)
    return fast if fast is None else native.accelerate(layout, fast)


class _OnFirstUse(dict):
    """key -> ``make(key)``, made when first looked up: a process compiles the layouts of
    the record types it meets, not all of them (compiling every layout at import took
    about 0.15 s of every command's start-up)."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


#: the walker of each block layout and the fast decoder of each record type (None: the
#: reference walker reads it): the generated ones, or the generic walker alone when code
#: generation is off
_BLOCK_WALKERS: dict[str, Any] = _OnFirstUse(
    lambda key: _block_walker(key) if codegen.enabled() else _walk)
_RECORD_FAST: dict[int, Any] = _OnFirstUse(
    lambda rt: _record_fast(RECORDS[rt]) if codegen.enabled() else None)


def compile_all() -> None:
    """Make every block walker and record decoder now (for tests and tools that list
    them, and ``estreamer explain``, which shows their code)."""
    for key in BLOCKS:
        _BLOCK_WALKERS[key]  # the lookup makes it
    for record_type in RECORDS:
        _RECORD_FAST[record_type]  # the lookup makes it


def _use_generated(enabled: bool) -> None:
    _BLOCK_WALKERS.clear()
    _RECORD_FAST.clear()


codegen.on_switch(_use_generated)
