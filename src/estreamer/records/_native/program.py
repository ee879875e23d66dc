"""The native decoder's programs, generated from the catalogue's compiled layouts.

The C core (``_core.c``) knows no record layout. For each record that the Python
fast path compiles (:func:`estreamer.fastpath.compile_record`), this module walks
the same layout steps in the same order and emits a flat program of small ops
that reads the same fields into the same values tuple, with the same
:class:`~estreamer.record.FieldNames`; where the generated Python code would
``return None`` (an irregular record), the program fails too and the C core
calls that Python code, which gives the reference answer. A layout change in
records.yaml therefore changes both paths at once, with no C to regenerate.
"""

from __future__ import annotations

from typing import NamedTuple

from ..catalogue import (
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
from ..record import FieldNames

#: op codes, as in _core.c's enum (tests/test_native.py reads them from the C source)
OPS = {"CHECK": 1, "U8": 2, "U16": 3, "U32": 4, "U64": 5, "IPV4": 6, "IPV6": 7, "UUID": 8,
       "MAC": 9, "HEX": 10, "STRING": 11, "BYTES": 12, "IF_ONE": 13, "BLOCK": 14, "CASE": 15,
       "RETURN": 16, "FAIL": 17}

#: the op reading a fixed-width catalogue type, and its argument (HEX: the width)
_FIXED_OPS: dict[str, tuple[int, ...]] = {
    "u8": (OPS["U8"],), "u16": (OPS["U16"],), "u32": (OPS["U32"],), "u64": (OPS["U64"],),
    "ipv4": (OPS["IPV4"],), "ipv6": (OPS["IPV6"],), "uuid": (OPS["UUID"],),
    "mac": (OPS["MAC"],), "bytes16": (OPS["HEX"], 16), "bytes20": (OPS["HEX"], 20),
    "bytes32": (OPS["HEX"], 32),
}
_INTEGERS = frozenset({"u8", "u16", "u32", "u64"})


class Program(NamedTuple):
    ops: tuple[int, ...]
    names: tuple[FieldNames, ...]  # the field names of each RETURN, by its index


class _Unsupported(Exception):
    """A step the ops cannot express: the record stays on the Python fast path."""


class _Builder:
    def __init__(self, max_values: int) -> None:
        self.ops: list[int] = []
        self.names: list[FieldNames] = []
        self.items: list[str] = []          # field names read so far on this path
        self.slot_of: dict[str, int] = {}   # integer field -> its value's index
        self.max_values = max_values

    def steps(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            if step.kind is FIXED:
                assert step.struct is not None
                self.ops += (OPS["CHECK"], step.struct.size)
                for name, ftype in zip(step.names, step.types):
                    self.ops += _FIXED_OPS[ftype]
                    if ftype in _INTEGERS:
                        self.slot_of[name] = len(self.items)
                    else:
                        self.slot_of.pop(name, None)
                    self.items.append(name)
            elif step.kind is STRING:
                self.ops.append(OPS["STRING"])
                self.items.append(step.name)  # type: ignore[arg-type]
            elif step.kind is BYTES:
                slot = self.slot_of.get(step.length_from or "")
                if slot is None:
                    raise _Unsupported(f"{step.name}: counted by a field of another layout")
                self.ops += (OPS["BYTES"], slot, step.adjust, int(step.binary))
                self.items.append(step.name)  # type: ignore[arg-type]
            else:
                raise _Unsupported(f"step kind {step.kind}")

    def give(self, block_type: int) -> None:
        if len(self.items) >= self.max_values:  # the core stops at max_values
            raise _Unsupported(f"{len(self.items)} values")
        self.names.append(FieldNames(self.items))
        self.ops += (OPS["RETURN"], len(self.names) - 1, block_type)

    def body(self, head: tuple[Step, ...], tail: Step | None, keys: dict[int, str]) -> None:
        """As fastpath._emit_body: the head, split by the discovery header's hasIpv6,
        then the body block chosen by its type."""
        for index, step in enumerate(head):
            if step.kind is DISCOVERY:
                self.steps((DISCOVERY_FIXED,))
                items, slot_of = list(self.items), dict(self.slot_of)
                at = len(self.ops)
                self.ops += (OPS["IF_ONE"], self.slot_of["hasIpv6"], 0,
                             OPS["CHECK"], 16, OPS["IPV6"])
                self.items.append("ipv6Address")
                self.body(head[index + 1:], tail, keys)
                self.ops[at + 2] = len(self.ops)
                self.items, self.slot_of = items, slot_of
                self.body(head[index + 1:], tail, keys)
                return
            self.steps((step,))
        if tail is None:
            self.give(-1)
            return
        self.ops.append(OPS["BLOCK"])
        items, slot_of = list(self.items), dict(self.slot_of)
        for block_type, key in sorted(keys.items()):
            self.items, self.slot_of = list(items), dict(slot_of)
            at = len(self.ops)
            self.ops += (OPS["CASE"], block_type, 0)
            self.steps(BLOCKS[key].steps)
            self.give(block_type if tail.of == "auto" else -1)
            self.ops[at + 2] = len(self.ops)
        self.ops.append(OPS["FAIL"])


def record_program(layout: RecordLayout, max_values: int) -> Program | None:
    """The program of a record layout that compile_record accepted, or None.

    ``layout`` is the one handed to compile_record (body block types with a
    second layout chosen by blockLength already left out).
    """
    steps = layout.steps
    tail = steps[-1] if steps and steps[-1].kind is BLOCK else None
    head = steps[:-1] if tail is not None else steps
    keys: dict[int, str] = {}
    if tail is not None:
        if tail.of == "auto":
            keys = dict(layout.by_block_type)
        elif tail.of is not None and BLOCKS[tail.of].block_type is not None:
            keys = {BLOCKS[tail.of].block_type: tail.of}  # type: ignore[dict-item]
    builder = _Builder(max_values)
    try:
        builder.body(head, tail, keys)
    except _Unsupported:
        return None
    return Program(tuple(builder.ops), tuple(builder.names))
