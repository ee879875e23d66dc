"""The ``splunk-lean`` format: values only, names at search time.

A line is the layout tag (record type and body block version, ``71.173``; the record
type alone when it has one layout) and the values of that layout's slots
(:func:`estreamer.formatters.splunk_names.lean_slots`: ``event_sec``, ``event_usec``,
the raw fields in wire order, the decorated names), separated by ``|``::

    71.173|1700000000|0|1|0.0.0.0|...|fw-edge-01|...

The add-on names the values back at search time: one ``REPORT-`` transform per
layout, anchored on its tag, generated from the same slots by
``tools/gen_splunk_formats.py`` (a test fails when the two differ). The values are
those of the sparse format (:mod:`estreamer.formatters.splunk_sparse`): a value the
sparse line leaves out (zero, empty, unset address/UUID/hash, an id beside its known
name) is an empty value here, so the two read alike at search time, with the same
search-time defaults. Empty values at the end are cut.

Escaping: a value keeps the escapes of a quoted key=value value (``\\\\``, ``\\"``,
``\\n``, ``\\r``, ``\\t``, ``\\xNN``), so the add-on's search-time unescaping is the
same for both, and ``|`` inside a value is ``\\|``; the transforms read escaped
values whole.

A layout this version does not know (a newer FMC) is still written, tagged, with
the record's values in wire order; :data:`UNKNOWN_LAYOUTS` counts them by tag for
the status events.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Callable

from estreamer.records import codegen
from estreamer.records.formatters.splunk import UNSET_TEXTS, value_as_text
from estreamer.records.formatters.splunk_names import (
    LeanSlot,
    lean_slots,
    lean_tag,
    safe_text_fields,
)
from estreamer.records.formatters.splunk_sparse import always_kept
from estreamer.records.record import Record

SEPARATOR = "|"
_NEEDS_ESCAPE = re.compile(r'[\\"|\x00-\x1f\x7f]')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "|": "\\|", "\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: layout tag -> records written with a layout the add-on's transforms do not know
UNKNOWN_LAYOUTS: Counter[str] = Counter()

_MEMO_LIMIT = 1 << 14
_TEXTS: dict[str, str] = {}


def _escape_char(match: re.Match) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\x{ord(char):02x}"


def escape(value: str) -> str:
    """``value`` as a lean value: the key=value escapes, and ``|`` as ``\\|``."""
    text = _TEXTS.get(value)
    if text is None:
        if len(_TEXTS) >= _MEMO_LIMIT:
            _TEXTS.clear()
        text = _TEXTS[value] = _NEEDS_ESCAPE.sub(_escape_char, value)
    return text


def value_text(value: Any) -> str:
    """Any decoded or decorated value as lean text ("" for None)."""
    if type(value) is int:
        return str(value)
    if type(value) is str:
        return escape(value)
    if value is None:
        return ""
    return value_as_text(value, escape)


def _leaves(value: dict) -> list[Any]:
    out: list[Any] = []
    for item in value.values():
        out.extend(_leaves(item) if isinstance(item, dict) else (item,))
    return out


def set_text(value: Any) -> str:
    """A value as lean text, "" when the sparse format would leave it out (zero, empty)."""
    return value_text(value) if value else ""


def fixed_set_text(value: Any) -> str:
    """The same for a fixed-width value, also "" when its text is unset (an all-zero
    UUID/MAC/hash, an unset address); free text reading "0.0.0.0" is kept."""
    if not value or (type(value) is str and value in UNSET_TEXTS):
        return ""
    return value_text(value)


def _path_get(fields: dict, path: tuple[str, ...]) -> Any:
    value: Any = fields
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _compile(record: Record, tag: str, slots: tuple[LeanSlot, ...]) -> Callable[[Record], str]:
    """A function writing records shaped like ``record`` (generated once per layout, as
    in :mod:`estreamer.records.formatters.splunk`): a flat record's values are read by position,
    any other record's fields by key; no per-slot decisions are left for run time."""
    names = record.names if record.values is not None else None
    keep, fixed = always_kept(record.record_type), safe_text_fields(record.record_type)
    exprs = []
    for slot in slots:
        if slot.computed:
            exprs.append(f"t(c({slot.computed!r}))")
            continue
        if not slot.path:
            exprs.append("''")  # a time slot the layout does not have
            continue
        if names is not None:
            index = names.position.get(slot.path[0]) if len(slot.path) == 1 else None
            value = "None" if index is None else f"V[{index}]"
        elif len(slot.path) == 1:
            value = f"F.get({slot.path[0]!r})"
        else:
            value = f"path_get(F, {slot.path!r})"
        # a value of a named block (discovery, user records) is written as the sparse
        # line writes it: always
        text = f"t({value})" if slot.name in keep or len(slot.path) > 1 \
            else f"f({value})" if slot.path[0] in fixed else f"s({value})"
        # an id beside its known name stays in splunk-full
        exprs.append(f"('' if c({slot.beside!r}) is not None else {text})" if slot.beside
                     else text)
    source = "\n".join([
        "def render(R):",
        "    V = R.values" if names is not None else "    F = R.fields",
        "    c = R.computed.get",
        f"    values = [{', '.join(exprs)}]",
        "    while values and not values[-1]:",
        "        values.pop()  # empty values at the end are cut",
        "    return SEPARATOR.join((TAG, *values))",
    ]) + "\n"
    env: dict[str, Any] = {"t": value_text, "s": set_text, "f": fixed_set_text,
                           "path_get": _path_get,
                           "SEPARATOR": SEPARATOR,
                           "TAG": tag}
    return codegen.build(source, f"splunk_lean_{tag}", env, "render")


def _reference(record: Record, tag: str, slots: tuple[LeanSlot, ...]
               ) -> Callable[[Record], str]:
    """What the function of :func:`_compile` does, slot by slot (code generation off)."""
    flat = record.values is not None
    keep, fixed = always_kept(record.record_type), safe_text_fields(record.record_type)

    def value_of(rec: Record, path: tuple[str, ...]) -> Any:
        if flat:
            index = rec.names.position.get(path[0]) if len(path) == 1 else None  # type: ignore[union-attr]
            return None if index is None else rec.values[index]  # type: ignore[index]
        return rec.fields.get(path[0]) if len(path) == 1 else _path_get(rec.fields, path)

    def render(rec: Record) -> str:
        computed = rec.computed.get
        values = []
        for slot in slots:
            if slot.computed:
                values.append(value_text(computed(slot.computed)))
            elif not slot.path or (slot.beside and computed(slot.beside) is not None):
                values.append("")
            else:
                value = value_of(rec, slot.path)
                always = slot.name in keep or len(slot.path) > 1
                values.append(value_text(value) if always
                              else fixed_set_text(value) if slot.path[0] in fixed
                              else set_text(value))
        while values and not values[-1]:
            values.pop()
        return SEPARATOR.join((tag, *values))
    return render


#: (record type, block type, FieldNames serial or -1 for dict records) -> render function
_RENDERERS: dict[tuple[int, Any, int], Callable[[Record], str]] = {}
codegen.on_switch(lambda _enabled: _RENDERERS.clear())


def format_splunk_lean(record: Record) -> str:
    """One lean line for ``record`` (no trailing newline)."""
    serial = record.names.serial if record.values is not None else -1  # type: ignore[union-attr]
    key = (record.record_type, record.block_type, serial)
    render = _RENDERERS.get(key)
    if render is None:
        tag = lean_tag(record.record_type, record.block_type)
        slots = lean_slots(record.record_type, record.block_type)
        if slots is None:
            UNKNOWN_LAYOUTS[tag] += 1
            values = [value_text(v) for v in _leaves(record.fields)]
            while values and not values[-1]:
                values.pop()
            return SEPARATOR.join((tag, *values))
        build = _compile if codegen.enabled() else _reference
        render = _RENDERERS[key] = build(record, tag, slots)
    return render(record)
