"""Straight-line decoders generated from the compiled layouts, for speed.

The generic decoder in :mod:`estreamer.records.decoder` walks a layout's steps one by
one; that costs an interpreter round trip per step and a dict write per field.
Here a layout becomes one small Python function (built by :mod:`.codegen` from the
same steps, like ``collections.namedtuple`` builds its classes) that unpacks
fixed runs into locals, reads String blocks inline and creates the fields with
a single dict display. The generated code only handles the regular case:
whenever something is off (a block shorter than its layout, a bad length, a
kind of step it does not inline) it hands the layout
back to the generic walker, which is the reference behaviour and owns every
error message. tests/test_decoder.py checks the two agree.

Two shapes are generated:

* :func:`compile_block` - a walker for a nested block, with the generic
  walker's signature ``f(buf, p, end, steps, out, state) -> p``;
* :func:`compile_record` - a whole record body ``f(buf, p, end, state) ->
  (names, values) | None`` (None: use the generic walker), with the body block
  chosen by its own type inlined, so a connection record is one function and
  one tuple (a dict of ~130 fields would cost more than the decoding; see
  :class:`estreamer.records.record.Record`).
"""

from __future__ import annotations

import struct
from typing import Any, Callable

from . import codegen
from .catalogue import (
    BLOCK,
    BLOCKS,
    BYTES,
    DISCOVERY,
    DISCOVERY_FIXED,
    FIXED,
    STRING,
    RecordLayout,
    Step,
)
from .record import FieldNames
from .values import TO_TEXT, ip6_text, mac_text, uuid_text

HEADER = struct.Struct(">II")
_CACHE_LIMIT = 1 << 16
_SIMPLE = (FIXED, STRING, BYTES)


class _Memo:
    """Memoised conversion: the same zones, policies and hosts recur in every event.

    Generated code calls ``memo.get(raw) or memo(raw)`` so that a hit costs one
    dict lookup and no Python call. The memo is cleared when it grows too big.
    """

    __slots__ = ("convert", "get", "table")

    def __init__(self, convert: Callable[[bytes], str]) -> None:
        self.convert = convert
        self.table: dict[bytes, str] = {}
        self.get = self.table.get

    def __call__(self, raw: bytes) -> str:
        if len(self.table) >= _CACHE_LIMIT:
            self.table.clear()
        text = self.table[raw] = self.convert(raw)
        return text


MEMO: dict[str, _Memo] = {"ipv6": _Memo(ip6_text), "uuid": _Memo(uuid_text),
                          "mac": _Memo(mac_text)}
CONVERT: dict[str, Callable[[bytes], str]] = dict(TO_TEXT)
CONVERT.update(MEMO)

Walker = Callable[..., int]


class _Source:
    """Accumulates the generated function: its lines, globals and dict entries."""

    def __init__(self, header: str) -> None:
        self.env: dict[str, Any] = {"HDR": HEADER.unpack_from}
        self.lines = [header]
        self.items: list[tuple[str, str]] = []  # (field name, expression) in wire order
        self.local_of: dict[str, str] = {}
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def emit(self, steps: tuple[Step, ...], end: str, bail: str, pad: str) -> bool:
        """Code for simple ``steps`` read up to ``end``; False if a step cannot be inlined."""
        for step in steps:
            if step.kind is FIXED:
                self.fixed(step, end, bail, pad)
            elif step.kind is STRING:
                var = self.name("s")
                self.lines += [
                    f"{pad}if p + 8 > {end}: {bail}",
                    f"{pad}t, n = HDR(buf, p)",
                    f"{pad}if t or n < 8 or p + n > {end}: {bail}",
                    f"{pad}{var} = buf[p + 8:p + n].rstrip(b'\\0').decode('utf-8', "
                    "'backslashreplace') if n > 8 else ''",
                    f"{pad}p += n"]
                self.items.append((step.name, var))  # type: ignore[arg-type]
            elif step.kind is BYTES:
                count = self.local_of.get(step.length_from or "")
                if count is None:
                    return False  # counted by a field of another layout
                var = self.name("b")
                decode = (".hex()" if step.binary
                          else ".rstrip(b'\\0').decode('utf-8', 'backslashreplace')")
                self.lines += [f"{pad}q = p + {count} + {step.adjust}",
                               f"{pad}if q < p or q > {end}: {bail}",
                               f"{pad}{var} = buf[p:q]{decode}",
                               f"{pad}p = q"]
                self.items.append((step.name, var))  # type: ignore[arg-type]
            else:
                return False
        return True

    def fixed(self, step: Step, end: str, bail: str, pad: str) -> None:
        """A size check, one unpack into locals, and the (converted) dict entries."""
        assert step.struct is not None
        unpack = self.name("S")
        self.env[unpack] = step.struct.unpack_from
        names = [self.name("v") for _ in step.names]
        self.lines += [f"{pad}if p + {step.struct.size} > {end}: {bail}",
                       f"{pad}({', '.join(names)},) = {unpack}(buf, p)",
                       f"{pad}p += {step.struct.size}"]
        for var, fname, ftype in zip(names, step.names, step.types):
            self.local_of[fname] = var
            if ftype in MEMO:
                self.env[f"M_{ftype}"] = MEMO[ftype]
                self.env[f"G_{ftype}"] = MEMO[ftype].get
                self.items.append((fname, f"G_{ftype}({var}) or M_{ftype}({var})"))
            elif ftype in CONVERT:
                self.env[f"C_{ftype}"] = CONVERT[ftype]
                self.items.append((fname, f"C_{ftype}({var})"))
            else:
                self.items.append((fname, var))

    def names_and_values(self) -> str:
        """``NAMESn, (values, ...)``: the fields so far as a shared name tuple and values."""
        names = self.name("NAMES")
        self.env[names] = FieldNames([name for name, _ in self.items])
        return f"{names}, ({', '.join(expr for _, expr in self.items)},)"

    def dict_display(self) -> str:
        return "{" + ", ".join(f"{name!r}: {expr}" for name, expr in self.items) + "}"

    def build(self, name: str, on_first_call: bool = False) -> Any:
        make = codegen.build_on_first_call if on_first_call else codegen.build
        return make("\n".join(self.lines) + "\n", name, self.env, name)


def compile_block(steps: tuple[Step, ...], walk: Walker, name: str) -> Walker | None:
    """A fast walker for a block made of fixed runs, Strings and counted bytes, or None."""
    if not steps or any(s.kind not in _SIMPLE for s in steps):
        return None
    src = _Source(f"def {name}(buf, p, end, steps, out, state):")
    src.env["walk"] = walk
    src.lines.append("    start = p")
    if not src.emit(steps, "end", "return walk(buf, start, end, steps, out, state)", "    "):
        return None
    src.lines += [f"    out.update({src.dict_display()})", "    return p"]
    return src.build(name)


def compile_record(layout: RecordLayout, name: str, on_first_call: bool = False
                   ) -> Callable[..., tuple[FieldNames, tuple] | None] | None:
    """``f(buf, p, end, state) -> (names, values)`` for a whole record body, or None
    (``on_first_call``: compiled when first called, see codegen.build_on_first_call).

    Handles bodies made of the discovery event header, simple fields and at most
    one flattened body block at the end (chosen by its wire type when the
    layout says ``auto``), whose candidate layouts are simple. Returns None at
    run time for anything irregular, and the decoder then walks generically.
    """
    steps = layout.steps
    tail = steps[-1] if steps and steps[-1].kind is BLOCK else None
    head = steps[:-1] if tail is not None else steps
    if not head and tail is None:
        return None
    if any(s.kind not in (*_SIMPLE, DISCOVERY) for s in head):
        return None
    keys: dict[int, str] = {}
    if tail is not None:
        if tail.name is not None or tail.of is None:
            return None  # a named (nested) block: the generic walker builds it
        if tail.of == "auto":
            keys = dict(layout.by_block_type)
        elif BLOCKS[tail.of].block_type is not None:
            keys = {BLOCKS[tail.of].block_type: tail.of}  # type: ignore[dict-item]
        if not keys or any(s.kind not in _SIMPLE
                           for key in keys.values() for s in BLOCKS[key].steps):
            return None
        if not all(BLOCKS[key].header for key in keys.values()):
            return None  # the code below reads a block header (header: false has none)
    src = _Source(f"def {name}(buf, p, end, state):")
    if not _emit_body(src, head, tail, keys, "    "):
        return None
    return src.build(name, on_first_call)


def _emit_body(src: _Source, head: tuple[Step, ...], tail: Step | None, keys: dict[int, str],
               pad: str) -> bool:
    """Code that reads ``head`` then the body block ``tail`` and returns names and values.

    Every path of the code ends in a ``return``. A discovery event header splits it:
    FMCs send connection events with hasIpv6 == 1 (the host address, IPv4-mapped for
    IPv4 hosts, in 16 more bytes; spec/PROTOCOL.md 7.2), older or other records without;
    the rest of the body is emitted once for each form, the IPv6 one first.
    """
    for index, step in enumerate(head):
        if step.kind is DISCOVERY:
            src.fixed(DISCOVERY_FIXED, "end", "return None", pad)
            items, local_of = list(src.items), dict(src.local_of)
            inner = pad + "    "
            address = src.name("a")
            src.env["M_ipv6"], src.env["G_ipv6"] = MEMO["ipv6"], MEMO["ipv6"].get
            src.lines += [f"{pad}if {src.local_of['hasIpv6']} == 1:",
                          f"{inner}if p + 16 > end: return None",
                          f"{inner}{address} = buf[p:p + 16]",
                          f"{inner}p += 16"]
            src.items.append(("ipv6Address", f"G_ipv6({address}) or M_ipv6({address})"))
            if not _emit_body(src, head[index + 1:], tail, keys, inner):
                return False
            src.items, src.local_of = items, local_of
            return _emit_body(src, head[index + 1:], tail, keys, pad)
        if not src.emit((step,), "end", "return None", pad):
            return False
    if tail is None:
        src.lines.append(f"{pad}return {src.names_and_values()}")
        return True
    inner = pad + "    "
    src.lines += [f"{pad}if p + 8 > end: return None", f"{pad}t, n = HDR(buf, p)",
                  f"{pad}if n < 8 or p + n > end: return None", f"{pad}bend = p + n",
                  f"{pad}p += 8"]
    head_items, head_locals = list(src.items), dict(src.local_of)
    for block_type, key in sorted(keys.items()):
        src.items, src.local_of = list(head_items), dict(head_locals)
        src.lines.append(f"{pad}if t == {block_type}:")
        if not src.emit(BLOCKS[key].steps, "bend", "return None", inner):
            return False
        if tail.of == "auto":
            src.lines.append(f"{inner}state.block_type = {block_type}")
        src.lines.append(f"{inner}return {src.names_and_values()}")
    src.lines.append(f"{pad}return None")
    return True
