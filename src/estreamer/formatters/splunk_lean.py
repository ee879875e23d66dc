"""The ``splunk-lean`` format: values only, names at search time.

A line is the layout tag (record type and body block version, ``71.173``; the record
type alone when it has one layout) and the values of that layout's slots
(:func:`estreamer.formatters.splunk_names.lean_slots`: ``event_sec``, ``event_usec``,
the raw fields in wire order, the decorated names), separated by ``|``::

    71.173|1700000000|0|1|0.0.0.0|...|fw-edge-01|...

The add-on names the values back at search time: one ``REPORT-`` transform per
layout, anchored on its tag, generated from the same slots by
``tools/gen_splunk_formats.py`` (a test fails when the two differ). The field set
is the default format's: an id beside a decorated name is empty when the name is
known. Empty values at the end are cut.

Escaping: a value keeps the escapes of a quoted key=value value (``\\\\``, ``\\"``,
``\\n``, ``\\r``, ``\\t``, ``\\xNN``), so the add-on's search-time unescaping is the
same for both, and ``|`` inside a value is ``\\|``; the transforms read escaped
values whole.

A layout this version does not know (a newer FMC) is still written, tagged, with
the record's values in wire order; :data:`UNKNOWN_LAYOUTS` counts them by tag for
the status events.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from estreamer.formatters.splunk_names import lean_slots, lean_tag
from estreamer.record import Record

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
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, dict)):
        return escape(json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                                 default=_json_default))
    return escape(str(value))


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def _leaves(value: dict) -> list[Any]:
    out: list[Any] = []
    for item in value.values():
        out.extend(_leaves(item) if isinstance(item, dict) else (item,))
    return out


def format_splunk_lean(record: Record) -> str:
    """One lean line for ``record`` (no trailing newline)."""
    tag = lean_tag(record.record_type, record.block_type)
    slots = lean_slots(record.record_type, record.block_type)
    if slots is None:
        UNKNOWN_LAYOUTS[tag] += 1
        values = [value_text(v) for v in _leaves(record.fields)]
    else:
        computed = record.computed
        get = record.get  # top-level values without building ``fields`` (flat records)
        values = []
        for slot in slots:
            if slot.computed:
                value = computed.get(slot.computed)
            elif slot.beside and computed.get(slot.beside) is not None:
                value = None  # the name is on the line: the id stays in splunk-full
            elif len(slot.path) == 1:
                value = get(slot.path[0])
            elif not slot.path:
                value = None  # a time slot the layout does not have
            else:
                value = record.fields
                for part in slot.path:
                    value = value.get(part) if isinstance(value, dict) else None
            values.append(value_text(value))
    while values and not values[-1]:
        values.pop()
    return SEPARATOR.join((tag, *values))
