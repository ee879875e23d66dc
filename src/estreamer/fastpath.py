"""Straight-line decoders generated from the compiled layouts, for speed.

The generic decoder in :mod:`estreamer.decoder` walks a layout's steps one by
one; that costs an interpreter round trip per step and a dict write per field.
Here each layout becomes one small Python function (built with ``exec`` from
the same steps, like ``collections.namedtuple`` builds its classes) that
unpacks fixed runs into locals, reads String blocks inline and writes the
fields with a single dict update. The generated code only handles the regular
case: whenever something is off (a block shorter than its layout, a bad
length, a kind of step it does not inline) it hands the whole layout back to
the generic walker, which is the reference behaviour and owns every error
message. tests/test_decoder.py checks the two agree on every layout.
"""

from __future__ import annotations

import struct
from typing import Any, Callable

from .catalogue import BLOCK, BYTES, DISCOVERY, DISCOVERY_FIXED, FIXED, STRING, Step
from .values import TO_TEXT, ip6_text, mac_text, uuid_text

HEADER = struct.Struct(">II")
_CACHE_LIMIT = 1 << 16


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


def compile_steps(steps: tuple[Step, ...], walk: Walker, name: str,
                  blocks: dict[str, tuple[Walker, tuple[Step, ...]]] | None = None,
                  by_block_type: dict[int, str] | None = None) -> Walker | None:
    """A fast ``f(buf, p, end, steps, out, state) -> p`` for ``steps`` (the walker's
    signature), or None.

    Compiled: fixed runs, String blocks, counted bytes, and - for record bodies,
    given ``blocks`` (key -> walker and steps) - the discovery event header
    (IPv4 form) and nested blocks, including the body block chosen by its own
    type through ``by_block_type``. Other layouts keep the generic walker.
    """
    allowed = {FIXED, STRING, BYTES} | ({DISCOVERY, BLOCK} if blocks is not None else set())
    if not steps or any(s.kind not in allowed for s in steps):
        return None
    env: dict[str, Any] = {"walk": walk, "HDR": HEADER.unpack_from}
    lines = [f"def {name}(buf, p, end, steps, out, state):", "    start = p"]
    items: list[str] = []  # dict-literal entries for the next update
    local_of: dict[str, str] = {}
    bail = "return walk(buf, start, end, steps, out, state)"

    def flush() -> None:
        if items:
            lines.append("    out.update({" + ", ".join(items) + "})")
            items.clear()

    for k, step in enumerate(steps):
        if step.kind is DISCOVERY:
            _fixed(DISCOVERY_FIXED, k, env, lines, items, local_of, bail)
            has_ipv6 = local_of["hasIpv6"]
            lines.append(f"    if {has_ipv6} == 1: {bail}")  # rare: the generic path reads it
            continue
        if step.kind is BLOCK:
            assert blocks is not None
            flush()
            lines += [f"    if p + 8 > end: {bail}", "    t, n = HDR(buf, p)",
                      f"    if n < 8 or p + n > end: {bail}"]
            if step.of == "auto":
                assert by_block_type is not None
                env[f"B{k}"] = {t: blocks[key] for t, key in by_block_type.items()}
                lines += [f"    entry = B{k}.get(t)", f"    if entry is None: {bail}",
                          "    state.block_type = t"]
            else:
                env[f"B{k}"] = blocks[step.of]  # type: ignore[index]
                env[f"T{k}"] = _block_type(step.of)  # type: ignore[arg-type]
                lines += [f"    entry = B{k}", f"    if T{k} is not None and t != T{k}: {bail}"]
            target = "out" if step.name is None else "sub"
            if step.name is not None:
                lines.append("    sub = {}")
            lines += [f"    entry[0](buf, p + 8, p + n, entry[1], {target}, state)", "    p += n"]
            if step.name is not None:
                lines.append(f"    out[{step.name!r}] = sub")
            continue
        if step.kind is FIXED:
            _fixed(step, k, env, lines, items, local_of, bail)
        elif step.kind is STRING:
            var = f"s{k}"
            lines += [f"    if p + 8 > end: {bail}",
                      "    t, n = HDR(buf, p)",
                      f"    if t or n < 8 or p + n > end: {bail}",
                      f"    {var} = buf[p + 8:p + n].rstrip(b'\\0').decode('utf-8', "
                      "'backslashreplace') if n > 8 else ''",
                      "    p += n"]
            items.append(f"{step.name!r}: {var}")
        else:  # BYTES, counted by an earlier field of this layout
            count = local_of.get(step.length_from or "")
            if count is None:
                return None
            var = f"b{k}"
            lines += [f"    q = p + {count} + {step.adjust}",
                      f"    if q < p or q > end: {bail}",
                      f"    {var} = buf[p:q]" + (".hex()" if step.binary else
                                                 ".rstrip(b'\\0').decode('utf-8', "
                                                 "'backslashreplace')"),
                      "    p = q"]
            items.append(f"{step.name!r}: {var}")
    flush()
    lines.append("    return p")
    exec("\n".join(lines), env)
    return env[name]



def _fixed(step: Step, k: int, env: dict[str, Any], lines: list[str], items: list[str],
           local_of: dict[str, str], bail: str) -> None:
    """Code for one fixed run: a size check, one unpack into locals, converted entries."""
    assert step.struct is not None
    env[f"S{k}"] = step.struct.unpack_from
    names = [f"v{k}_{i}" for i in range(len(step.names))]
    lines += [f"    if p + {step.struct.size} > end: {bail}",
              f"    ({', '.join(names)},) = S{k}(buf, p)",
              f"    p += {step.struct.size}"]
    for i, (fname, ftype) in enumerate(zip(step.names, step.types)):
        local_of[fname] = names[i]
        if ftype in MEMO:
            env[f"M_{ftype}"] = MEMO[ftype]
            env[f"G_{ftype}"] = MEMO[ftype].get
            items.append(f"{fname!r}: G_{ftype}({names[i]}) or M_{ftype}({names[i]})")
        elif ftype in CONVERT:
            env[f"C_{ftype}"] = CONVERT[ftype]
            items.append(f"{fname!r}: C_{ftype}({names[i]})")
        else:
            items.append(f"{fname!r}: {names[i]}")


def _block_type(key: str) -> int | None:
    from .catalogue import BLOCKS

    return BLOCKS[key].block_type
