"""Hypothesis strategies that build a valid field dict for any catalogue layout."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from estreamer.records.catalogue import (
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
    RecordLayout,
    Step,
)
from estreamer.records.values import TO_TEXT

INT_BITS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64}
WIDTH = {"ipv4": 4, "ipv6": 16, "uuid": 16, "mac": 6, "bytes16": 16, "bytes20": 20,
         "bytes32": 32}

# Text survives the round trip when it is valid UTF-8 and does not end in NUL.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).map(
    lambda s: s.rstrip("\x00"))


def fixed_value(ftype: str) -> st.SearchStrategy[Any]:
    if ftype in INT_BITS:
        return st.integers(0, 2 ** INT_BITS[ftype] - 1)
    convert = TO_TEXT[ftype]
    if ftype == "ipv6":
        # Mix IPv4-mapped addresses (the common case) with real IPv6 ones.
        mapped = st.binary(min_size=4, max_size=4).map(lambda b: b"\0" * 10 + b"\xff\xff" + b)
        return st.one_of(mapped, st.binary(min_size=16, max_size=16)).map(convert)
    return st.binary(min_size=WIDTH[ftype], max_size=WIDTH[ftype]).map(convert)


@st.composite
def steps_values(draw: st.DrawFn, steps: tuple[Step, ...],
                 layout: RecordLayout | None = None) -> tuple[dict[str, Any], int | None]:
    out: dict[str, Any] = {}
    block_type = None
    for step in steps:
        kind = step.kind
        if kind is FIXED:
            for name, ftype in zip(step.names, step.types):
                out[name] = draw(fixed_value(ftype))
        elif kind is STRING:
            out[step.name] = draw(TEXT)
        elif kind is BLOB:
            out[step.name] = draw(st.binary(max_size=10)).hex()
        elif kind is BYTES:
            if step.binary:
                out[step.name] = draw(st.binary(max_size=40)).hex()
            else:
                out[step.name] = draw(TEXT)
            out.pop(step.length_from, None)  # the encoder fills the count
        elif kind is DISCOVERY:
            for name, ftype in zip(DISCOVERY_FIXED.names, DISCOVERY_FIXED.types):
                out[name] = draw(fixed_value(ftype))
            out["hasIpv6"] = draw(st.sampled_from([0, 1]))
            if out["hasIpv6"] == 1:
                out["ipv6Address"] = draw(fixed_value("ipv6"))
        elif kind is BLOCK:
            if step.of == "auto":
                assert layout is not None
                block_type = draw(st.sampled_from(sorted(layout.by_block_type)))
                key = layout.by_block_type[block_type]
            else:
                key = step.of
            inner, _ = draw(steps_values(BLOCKS[key].steps))
            if step.name is None:
                out.update(inner)
            else:
                out[step.name] = inner
        elif kind is LIST:
            item_steps = BLOCKS[step.of].steps
            out[step.name] = [draw(steps_values(item_steps))[0]
                              for _ in range(draw(st.integers(0, 2)))]
        elif kind is UNKNOWN:
            break
    return out, block_type


def record_values(record_type: int) -> st.SearchStrategy[tuple[dict[str, Any], int | None]]:
    layout = RECORDS[record_type]
    return steps_values(layout.steps, layout)
