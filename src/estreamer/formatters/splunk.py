"""Splunk key=value lines, compatible with eNcore 5.2.11's ``cisco:estreamer:data``.

One line per record: ``rec_type=<n> event_sec=<epoch> ...`` (``event_sec`` only
when the record has an event time), then the fields under the names of
:mod:`estreamer.formatters.splunk_names`, then the decorated names, then
``rec_type_desc``, ``rec_type_category`` and ``rec_type_simple`` (the same value,
the record's catalogue category; both because eNcore 3.5.8 and 5.x dashboards
differ, bug B21). An absent value is omitted, never written as ``None`` (B2).

Quoting, so that Splunk's key=value extraction reads every value whole (B1): a
value is wrapped in double quotes when it is empty or contains white space,
``=``, ``"``, ``\\``, ``,`` or a control character; inside the quotes ``\\`` ->
``\\\\``, ``"`` -> ``\\"``, newline -> ``\\n``, CR -> ``\\r``, tab -> ``\\t`` and
any other control character -> ``\\xNN``. Binary values arrive as hex (B9).

Speed: the per-record work is one ``itemgetter`` call and one ``str.format`` on a
template compiled once per (record type, block type, field count); only string
values go through the quoting check.
"""

from __future__ import annotations

import json
import re
from operator import itemgetter
from typing import Any, Callable, NamedTuple

from estreamer import catalogue
from estreamer.formatters.splunk_names import (
    computed_names,
    layout_paths,
    raw_name,
    safe_text_fields,
)
from estreamer.record import Record

_NEEDS_QUOTES = re.compile(r'[\s=",\\\x00-\x1f\x7f]')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_TO_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')


def _escape_char(match: re.Match) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\x{ord(char):02x}"


def quote(value: str) -> str:
    """``value`` as a Splunk KV value: bare when safe, else double-quoted and escaped."""
    if value and _NEEDS_QUOTES.search(value) is None:
        return value
    return '"' + _TO_ESCAPE.sub(_escape_char, value) + '"'


def _value_text(value: Any) -> str:
    """Any decoded value as KV text (slow path: nested parts, lists, odd types)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, dict)):
        return quote(json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                                default=_json_default))
    return quote(str(value))


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


class _Plan(NamedTuple):
    getter: Callable[[dict], Any]   # fields -> tuple of the top-level scalar values
    template: str                   # "rec_type=71 event_sec={} a={} ..."
    strings: tuple[int, ...]        # positions whose values are text (quoting check)
    nested: tuple[tuple[str, tuple[str, ...]], ...]  # (name, path) of nested values
    computed: dict[str, str]        # computed key -> Splunk name
    tail: str                       # " rec_type_desc=... rec_type_category=... ..."
    width: int                      # number of top-level keys covered


_TIME_NAME = "event_sec"


def _flatten(record_type: int, value: dict, prefix: str,
             out: list[tuple[str, tuple[str, ...], Any]], path: tuple[str, ...]) -> None:
    for key, item in value.items():
        if isinstance(item, dict):
            _flatten(record_type, item, prefix + key + ".", out, (*path, key))
        else:
            out.append((raw_name(record_type, prefix + key), (*path, key), item))


def _tail(record_type: int) -> str:
    layout = catalogue.RECORDS.get(record_type)
    if layout is None:
        return ""
    desc, category = quote(layout.name), quote(layout.category)
    return (f" rec_type_desc={desc} rec_type_category={category}"
            f" rec_type_simple={category}")


def _build(record: Record) -> _Plan:
    rt = record.record_type
    top: list[tuple[str, str, Any]] = []       # (key, name, value) of top-level scalars
    nested: list[tuple[str, tuple[str, ...]]] = []
    for key, value in record.fields.items():
        if isinstance(value, dict):
            flat: list[tuple[str, tuple[str, ...], Any]] = []
            _flatten(rt, value, key + ".", flat, (key,))
            nested.extend((name, path) for name, path, _ in flat if name)
            continue
        name = raw_name(rt, key)
        if name:
            top.append((key, name, value))
    # event_sec comes right after rec_type (eNcore's order; Splunk's TIME_PREFIX).
    top.sort(key=lambda entry: entry[1] != _TIME_NAME)
    keys = tuple(entry[0] for entry in top)
    getter: Callable[[dict], Any]
    if len(keys) == 1:
        single = keys[0]

        def getter(fields: dict) -> Any:
            return (fields[single],)
    elif keys:
        getter = itemgetter(*keys)
    else:
        def getter(fields: dict) -> Any:
            return ()
    # Lists and other non-int values take the quoting path too; addresses, UUIDs,
    # MACs and hex (by catalogue type) never need quotes and skip the check.
    safe = safe_text_fields(rt)
    strings = tuple(i for i, (key, _, value) in enumerate(top)
                    if type(value) is not int and not (key in safe and type(value) is str))
    template = f"rec_type={rt}" + "".join(
        f" {name}={{}}" for _, name, _ in top)
    return _Plan(getter, template, strings, tuple(nested), computed_names(rt), _tail(rt),
                 len(record.fields))


_plans: dict[tuple[int, Any, int], _Plan] = {}


def _get_path(fields: dict, path: tuple[str, ...]) -> Any:
    value: Any = fields
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def format_splunk(record: Record) -> str:
    """One Splunk key=value line for ``record`` (no trailing newline)."""
    fields = record.fields
    plan_key = (record.record_type, record.block_type, len(fields))
    plan = _plans.get(plan_key)
    values: Any = None
    if plan is not None:
        try:
            values = plan.getter(fields)
        except KeyError:
            plan = None  # same shape key, different field set: rebuild below
    if plan is None:
        plan = _plans[plan_key] = _build(record)
        values = plan.getter(fields)
    if plan.strings:
        values = list(values)
        for i in plan.strings:
            value = values[i]
            if type(value) is str:
                if not value or _NEEDS_QUOTES.search(value) is not None:
                    values[i] = quote(value)
            else:
                values[i] = _value_text(value)
    line = plan.template.format(*values)
    parts = [line]
    for name, path in plan.nested:
        value = _get_path(fields, path)
        if value is not None:
            parts.append(f"{name}={_value_text(value)}")
    if record.computed:
        names = plan.computed
        for key, value in record.computed.items():
            cname = names.get(key)
            if cname is None or value is None:
                continue
            if type(value) is str:
                if not value or _NEEDS_QUOTES.search(value) is not None:
                    value = quote(value)
                parts.append(f"{cname}={value}")
            else:
                parts.append(f"{cname}={_value_text(value)}")
    if len(parts) == 1:
        return line + plan.tail
    return " ".join(parts) + plan.tail


def field_names_for(record_type: int) -> frozenset[str]:
    """Every field name a line of this record type can carry (from the same tables)."""
    names = {"rec_type"}
    for path, _is_list in layout_paths(record_type):
        name = raw_name(record_type, path)
        if name:
            names.add(name)
    names.update(computed_names(record_type).values())
    if record_type in catalogue.RECORDS:
        names.update(("rec_type_desc", "rec_type_category", "rec_type_simple"))
    return frozenset(names)


def emitted_field_names() -> frozenset[str]:
    """Every field name this formatter can emit, over all catalogue record types."""
    names: set[str] = set()
    for record_type in catalogue.RECORDS:
        names |= field_names_for(record_type)
    return frozenset(names)
