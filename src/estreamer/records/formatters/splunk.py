"""Splunk key=value lines, compatible with eNcore 5.2.11's ``cisco:estreamer:data``.

One line per record: ``rec_type=<n> event_sec=<epoch> ...`` (``event_sec`` only
when the record has an event time), then the fields under the names of
:mod:`estreamer.records.formatters.splunk_names`, then the decorated names, then
``rec_type_desc``, ``rec_type_category`` and ``rec_type_simple`` (the same value,
the record's catalogue category; both because eNcore 3.5.8 and 5.x dashboards
differ, bug B21). An absent value is omitted, never written as ``None`` (B2).

Three renderings share this code (issue 13): ``splunk-full`` writes every field as
above; the default ``splunk`` leaves out the fields of
:data:`estreamer.formatters.splunk_names.FULL_ONLY` (``rec_type_simple`` among them)
and writes a raw id beside its decorated name only when the name is unknown;
``splunk-sparse`` (:mod:`estreamer.formatters.splunk_sparse`) is the default without
unset values.

Quoting, so that Splunk's key=value extraction reads every value whole (B1): a
value is wrapped in double quotes when it is empty or contains white space,
``=``, ``"``, ``\\``, ``,`` or a control character; inside the quotes ``\\`` ->
``\\\\``, ``"`` -> ``\\"``, newline -> ``\\n``, CR -> ``\\r``, tab -> ``\\t`` and
any other control character -> ``\\xNN``. Binary values arrive as hex (B9).

Speed: the per-record work is one ``itemgetter`` call and one ``%`` on a template
compiled once per (record type, block type, field count); only text values that
are not addresses/UUIDs/MACs/hex go through the quoting check, and that check
is memoised (:data:`_QUOTED`), as are the decorated ``name=value`` pairs.
"""

from __future__ import annotations

import json
import re
from operator import itemgetter
from typing import Any, Callable, NamedTuple

from estreamer.records import _native as native
from estreamer.records import catalogue, codegen
from estreamer.records.formatters.splunk_names import (
    computed_names,
    full_only,
    id_beside_name,
    layout_paths,
    raw_name,
    safe_text_fields,
)
from estreamer.records.record import Record

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


def value_as_text(value: Any, text: Callable[[str], str]) -> str:
    """Any decoded value as line text: numbers and bytes as they are written in every
    Splunk format, texts (lists and dicts as JSON) through ``text``, the format's own
    quoting (:func:`quote`) or escaping (``splunk_lean.escape``)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, dict)):
        return text(json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                               default=_json_default))
    return text(str(value))


def _value_text(value: Any) -> str:
    """Any decoded value as KV text (slow path: nested parts, lists, odd types)."""
    return value_as_text(value, quote)


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


# Memoised quoting. The same texts recur in every event (empty strings, "::",
# URLs, host names, and above all the decorated names), so each text is checked
# and quoted once; later a dict hit replaces the regex and the call. The memos
# are cleared when they grow past the limit, which bounds their memory when
# texts do not recur (URLs, user agents).
_MEMO_LIMIT = 1 << 14

#: raw text -> its KV value (bare or quoted); keys are only ever ``str``
_QUOTED: dict[str, str] = {}


def _text(value: Any) -> str:
    """KV text of a value at a text position of a line (fills the memo for ``str``)."""
    if type(value) is not str:
        return _value_text(value)
    if len(_QUOTED) >= _MEMO_LIMIT:
        _QUOTED.clear()
    text = _QUOTED[value] = quote(value)
    return text


#: Splunk name -> {computed value -> " name=value"}, shared by all record types.
#: Only ``str`` and ``int`` values are stored (see :func:`_computed_slow`).
_PAIRS: dict[str, dict[Any, str]] = {}


class _Dropped(dict):
    """The memo of a decorated name a format leaves out: every value renders as ""."""

    def __missing__(self, key: Any) -> str:
        return ""


_DROPPED = _Dropped()

#: computed keys whose values are address text (the discovery header's host, a VPN
#: client), which never needs quoting: see _BarePairs
_BARE_COMPUTED = frozenset({"hostIpAddress", "vpnClientIp"})


class _BarePairs(dict):
    """A memo that stores nothing: the pair of a value that never needs quoting is made
    on each lookup. Host addresses differ from record to record (tens of thousands in a
    real stream), so a memo of them would miss on nearly every record and send the whole
    line's decorated pairs down the slow path. Anything but non-empty text (None, which
    is left out; "", which is quoted) still takes the slow path."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def __missing__(self, value: Any) -> str:
        if type(value) is not str or not value:
            raise KeyError(value)
        return f" {self.name}={value}"


class _Plan(NamedTuple):
    # render(fields, rest) -> the whole line; rest is " " + nested and computed
    # pairs (or ""). Raises KeyError when ``fields`` lacks a key of the plan.
    render: Callable[[Any, str], str]  # reads a fields dict, or a flat record's values
    nested: tuple[tuple[str, tuple[str, ...]], ...]  # (name, path) of nested values
    pairs: dict[str, dict[Any, str]]  # computed key -> its memo in _PAIRS
    names: dict[str, str]             # computed key -> Splunk name
    source: str                       # the generated code (for reading and debugging)
    # (where, " name=", computed key, always written) of raw ids written only when
    # the computed name is missing (default and sparse formats; empty for splunk-full)
    ids: tuple[tuple[Any, str, str, bool], ...] = ()
    sparse: bool = False              # leave out ids that are zero unless always written
    # native _rest of a flat record: fast(values, computed) -> the pairs, or None when
    # a value is not in its memo yet (then _rest fills it); None: no native core
    fast_rest: Callable[[tuple, dict], str | None] | None = None
    # native whole line of a flat record: fast_line(values, computed) -> the line, or
    # None when the Python path must make it; None: no native core (or a sparse plan).
    # fast_line(values, computed, head, tail) -> an XML element's bytes (format_xml).
    fast_line: Callable[..., Any] | None = None


_TIME_NAME = "event_sec"


def _flatten(record_type: int, value: dict, prefix: str,
             out: list[tuple[str, tuple[str, ...], Any]], path: tuple[str, ...]) -> None:
    for key, item in value.items():
        if isinstance(item, dict):
            _flatten(record_type, item, prefix + key + ".", out, (*path, key))
        else:
            out.append((raw_name(record_type, prefix + key), (*path, key), item))


def _tail(record_type: int, full: bool = True) -> str:
    layout = catalogue.RECORDS.get(record_type)
    if layout is None:
        return ""
    desc, category = quote(layout.name), quote(layout.category)
    tail = f" rec_type_desc={desc} rec_type_category={category}"
    return tail + f" rec_type_simple={category}" if full else tail


#: the formats one plan can render: every field, the default's set, the default's
#: set without unset values (splunk_sparse.py)
FULL, DEFAULT, SPARSE = "full", "default", "sparse"


def _build(record: Record, mode: str = FULL) -> _Plan:
    """The plan for records shaped like ``record`` (same keys, same value types).

    A flat record (``record.values``) gets a plan that reads its values tuple by
    position; any other record, one that reads ``record.fields`` by key.

    The line is one ``%`` template (``"rec_type=71 event_sec=%s ..."``, the
    fastest of str.format, f-strings and %% for ~120 values), filled by a
    generated function: one ``itemgetter`` call unpacked into locals, then
    each value as it is (int, or text that never needs quotes: addresses,
    UUIDs, MACs, hex by catalogue type), or through the quoting memo (other
    text), or through :func:`_value_text` (lists and other types).
    """
    rt = record.record_type
    top: list[tuple[str, str, Any]] = []       # (key, name, value) of top-level scalars
    nested: list[tuple[str, tuple[str, ...]]] = []
    values, names = record.values, record.names
    if values is not None:
        assert names is not None
        # the pairs record.fields would hold, built without replacing the values
        items = list(dict(zip(names, values)).items())
    else:
        items = list(record.fields.items())
    for key, value in items:
        if isinstance(value, dict):
            flat: list[tuple[str, tuple[str, ...], Any]] = []
            _flatten(rt, value, key + ".", flat, (key,))
            nested.extend((name, path) for name, path, _ in flat if name)
            continue
        name = raw_name(rt, key)
        if name:
            top.append((key, name, value))
    ids: list[tuple[str, str, str]] = []  # (key, name, computed key)
    if mode != FULL:
        dropped, beside = full_only(rt), id_beside_name(rt)
        ids = [(key, name, beside[name]) for key, name, _ in top
               if name in beside and name not in dropped]
        top = [entry for entry in top if entry[1] not in dropped and entry[1] not in beside]
    # event_sec comes right after rec_type (eNcore's order; Splunk's TIME_PREFIX).
    top.sort(key=lambda entry: entry[1] != _TIME_NAME)
    safe = safe_text_fields(rt)
    args = []
    modes = []  # the same choice for the native renderer: 0 as is, 1 quoting memo, 2 other
    for i, (key, _, value) in enumerate(top):
        if type(value) is int or (key in safe and type(value) is str):
            args.append(f"v{i}")
            modes.append(0)
        elif type(value) is str:
            # a hit costs one dict lookup; a quoted or bare text is never empty
            args.append(f"(quoted(v{i}) or text(v{i}))")
            modes.append(1)
        else:
            args.append(f"value_text(v{i})")
            modes.append(2)
    args.append("rest")
    template = (f"rec_type={rt}" + "".join(f" {name}=%s" for _, name, _ in top)
                + "%s" + _tail(rt, mode == FULL).replace("%", "%%"))
    lines = ["def render(F, rest):"]

    def position(key: str) -> Any:
        """Where a value is found: its key in ``fields``, or its index in ``values``."""
        return key if values is None else names.position[key]  # type: ignore[union-attr]

    where: list[Any] = [position(key) for key, _, _ in top]
    if len(top) == 1:
        lines.append(f"    v0 = F[{where[0]!r}]")
    elif top:
        lines.append(f"    {', '.join(f'v{i}' for i in range(len(top)))}, = get(F)")
    if mode == SPARSE:
        lines += _sparse_body(rt, top, args)
    else:
        lines.append(f"    return TEMPLATE % ({', '.join(args)},)")
    source = "\n".join(lines) + "\n"
    env: dict[str, Any] = {"TEMPLATE": template, "quoted": _QUOTED.get, "text": _text,
                           "value_text": _value_text, "UNSET": UNSET_TEXTS,
                           "TAIL": _tail(rt, False)}
    if len(top) > 1:
        env["get"] = itemgetter(*where)
    fast = None  # the native renderer
    if codegen.enabled():
        # the label tells the layouts apart in tracebacks and profiles
        form = "" if values is None else f"_flat{names.serial}"  # type: ignore[union-attr]
        # a flat record's line rendered in C from this same template, when built: then
        # the Python render is only kept to be read (estreamer explain), never compiled
        fast = None if values is None or mode == SPARSE else native.splunk_renderer(
            template, tuple(where), tuple(modes), _QUOTED, _text, _value_text)
        make = codegen.build if fast is None else codegen.build_on_first_call
        python = make(source, f"splunk_{mode}_{rt}_{record.block_type}{form}", env, "render")
        render = python if fast is None else fast
    else:
        render = _reference_render(rt, mode, template, where, top, args[:-1])
    computed = computed_names(rt)
    left_out = full_only(rt) if mode != FULL else frozenset()
    pairs = {key: _DROPPED if name in left_out
             else _BarePairs(name) if key in _BARE_COMPUTED else _PAIRS.setdefault(name, {})
             for key, name in computed.items()}
    id_pairs = tuple((position(key), f" {name}=", ckey, name in _always_kept(rt))
                     for key, name, ckey in ids)
    fast_rest = None
    if values is not None and codegen.enabled():
        fast_rest = native.splunk_pairs(
            {key: memo for key, memo in pairs.items() if type(memo) is dict},
            {key: f" {memo.name}=" for key, memo in pairs.items() if type(memo) is _BarePairs},
            frozenset(key for key, memo in pairs.items() if memo is _DROPPED),
            id_pairs, mode == SPARSE, UNSET_TEXTS, _value_text)
    return _Plan(render, tuple(nested), pairs, computed, source, id_pairs, mode == SPARSE,
                 fast_rest, native.splunk_line(fast, fast_rest))


def _reference_render(rt: int, mode: str, template: str, where: list[Any],
                      top: list[tuple[str, str, Any]], args: list[str]
                      ) -> Callable[[Any, str], str]:
    """What the generated ``render`` does, value by value (code generation off):
    ``args`` says how each value is written, as the generated expressions do, and a
    sparse line keeps a pair under the generated code's test (:func:`_sparse_body`)."""
    keep = _always_kept(rt) if mode == SPARSE else frozenset()
    fixed = safe_text_fields(rt)
    tail = _tail(rt, False)

    def written(value: Any, arg: str) -> Any:
        if arg.startswith("(quoted("):
            return _QUOTED.get(value) or _text(value)
        if arg.startswith("value_text("):
            return _value_text(value)
        return value

    def is_set(key: str, value: Any, sample: Any) -> bool:
        if type(sample) is str and key in fixed:
            return bool(value) and value not in UNSET_TEXTS
        if type(sample) in (str, int, bool):
            return bool(value)
        return value not in (None, "", [], {})

    def render(fields: Any, rest: str) -> str:
        values = [fields[place] for place in where]
        out = [written(value, arg) for value, arg in zip(values, args)]
        if mode != SPARSE:
            return template % (*out, rest)
        pairs = [f" {name}={text}"
                 for (key, name, sample), value, text in zip(top, values, out)
                 if name in keep or is_set(key, value, sample)]
        return f"rec_type={rt}" + "".join(pairs) + rest + tail
    return render


#: Texts of an unset address, UUID, MAC or hash (values of fixed-width types): the
#: sparse format leaves them out like zero and empty values.
UNSET_TEXTS = frozenset(("0.0.0.0", "::", "00000000-0000-0000-0000-000000000000",
                         "00:00:00:00:00:00", "0" * 32, "0" * 40, "0" * 64))


def _always_kept(rt: int) -> frozenset[str]:
    from estreamer.records.formatters.splunk_sparse import always_kept  # it imports this module

    return always_kept(rt)


def _sparse_body(rt: int, top: list[tuple[str, str, Any]], args: list[str]) -> list[str]:
    """Render lines of a sparse plan: each pair only when its value is set or its name
    is one the sparse format always keeps. Only a fixed-width value (address, UUID, MAC,
    hash: :func:`safe_text_fields`) can be unset by its text; free text such as a file
    name reading "0.0.0.0" is kept."""
    keep, fixed = _always_kept(rt), safe_text_fields(rt)
    lines = [f"    out = [{f'rec_type={rt}'!r}]"]
    for i, (key, name, value) in enumerate(top):
        test = "" if name in keep else (
            f"if v{i} and v{i} not in UNSET: " if type(value) is str and key in fixed
            else f"if v{i}: " if type(value) in (str, int, bool)
            else f"if v{i} not in (None, '', [], {{}}): ")
        lines.append(f"    {test}out.append({f' {name}='!r} + str({args[i]}))")
    lines.append("    return ''.join(out) + rest + TAIL")
    return lines


def _get_path(fields: dict, path: tuple[str, ...]) -> Any:
    value: Any = fields
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _computed_slow(plan: _Plan, computed: dict[str, Any]) -> str:
    """The decorated pairs of a line (" a=b c=d" or ""), filling the memos.

    Keys the record type does not emit and None values are left out. A memo
    keeps only ``str`` and ``int`` (and bool, which renders like the equal
    int) values: no other type can equal one of them and render differently.
    """
    out = []
    for key, value in computed.items():
        memo = plan.pairs.get(key)
        if memo is None or memo is _DROPPED or value is None:
            continue
        if type(value) is str:
            text = f" {plan.names[key]}={quote(value)}"
        else:
            text = f" {plan.names[key]}={_value_text(value)}"
        if type(value) in (str, int, bool) and type(memo) is dict:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[value] = text
        out.append(text)
    return "".join(out)


def _rest(plan: _Plan, record: Record) -> str:
    """The nested and decorated pairs of a line, then the raw ids whose name is
    missing: " a=b c=d" or ""."""
    rest = ""
    if plan.nested:
        fields = record.fields
        for name, path in plan.nested:
            value = _get_path(fields, path)
            if value is not None:
                rest += f" {name}={_value_text(value)}"
    computed = record.computed
    if computed:
        pairs = plan.pairs
        try:
            # Every pair already seen: one comprehension of dict hits. A key or
            # value not in the memos (new name, key not emitted, None value,
            # unhashable value) raises and takes the slow path once.
            rest += "".join([pairs[key][value] for key, value in computed.items()])
        except (KeyError, TypeError):
            rest += _computed_slow(plan, computed)
    if plan.ids:
        source: Any = record.fields if record.values is None else record.values
        for where, prefix, key, kept in plan.ids:
            if computed.get(key) is None:
                value = source[where]
                if plan.sparse and not kept and (not value or value in UNSET_TEXTS):
                    continue
                rest += prefix + _value_text(value)
    return rest


#: every mode's plan caches, emptied when code generation is switched on or off
_PLAN_CACHES: list[dict] = []


def _forget_plans(enabled: bool) -> None:
    """Plans are generated or interpreted (codegen); a switch makes them again."""
    for plans in _PLAN_CACHES:
        plans.clear()


codegen.on_switch(_forget_plans)


#: formatter -> ``xml(record, head, tail)``: the bytes of an XML element whose text is
#: the record's line (``head``, the line escaped as XML text in US-ASCII as ElementTree
#: writes it, ``tail``), made by the native core without a str of the line; None when
#: the formatter must make the line (a record not flat, a layout not seen yet, a memo
#: miss, an empty line). Filled only when the native core is loaded, for the formats
#: whose whole line the core writes. The add-on's event writer uses it (issue 11).
XML_FORMS: dict[Callable[[Record], str], Callable[[Record, bytes, bytes], bytes | None]] = {}


def _formatter(mode: str, name: str, doc: str) -> Callable[[Record], str]:
    """The line formatter of one mode, with plan caches of its own; public as it is
    (``name``, ``doc``), since a wrapper's call is a cost on every record."""
    #: plans of flat records, by record type and FieldNames serial
    flat_plans: dict[tuple[int, int], _Plan] = {}
    plans: dict[tuple[int, Any, int], _Plan] = {}
    _PLAN_CACHES.extend((flat_plans, plans))

    def format_line(record: Record) -> str:
        values = record.values
        if values is not None:
            key = (record.record_type, record.names.serial)  # type: ignore[union-attr]
            flat = flat_plans.get(key)
            if flat is None:
                flat = flat_plans[key] = _build(record, mode)
            # a flat record holds ints and text only: its plan always applies
            # one native attempt (the whole line, or the pairs of a sparse line); when it
            # declines, the Python path makes the pairs and fills the memos
            if flat.fast_line is not None:
                line = flat.fast_line(values, record.computed)
                if line is not None:
                    return line
            elif flat.fast_rest is not None:
                rest = flat.fast_rest(values, record.computed)
                if rest is not None:
                    return flat.render(values, rest)
            return flat.render(values, _rest(flat, record))
        fields = record.fields
        plan_key = (record.record_type, record.block_type, len(fields))
        plan = plans.get(plan_key)
        if plan is None:
            plan = plans[plan_key] = _build(record, mode)
        try:
            return plan.render(fields, _rest(plan, record))
        except KeyError:
            # same shape key, different field set: rebuild the plan for this shape
            plan = plans[plan_key] = _build(record, mode)
        except TypeError:
            # an unhashable value where the plan saw text: format with a plan of its own
            plan = _build(record, mode)
        return plan.render(fields, _rest(plan, record))

    def format_xml(record: Record, head: bytes, tail: bytes) -> bytes | None:
        values = record.values
        if values is None:
            return None
        flat = flat_plans.get((record.record_type, record.names.serial))  # type: ignore[union-attr]
        if flat is None or flat.fast_line is None:
            return None
        xml: bytes | None = flat.fast_line(values, record.computed, head, tail)
        return xml

    format_line.__name__ = format_line.__qualname__ = name
    format_line.__doc__ = doc
    if native.CORE is not None and mode != SPARSE:  # a sparse line has no native form
        XML_FORMS[format_line] = format_xml
    return format_line


format_splunk = _formatter(DEFAULT, "format_splunk", """One Splunk key=value line for
    ``record`` (no trailing newline): eNcore's names, without the fields of
    :data:`splunk_names.FULL_ONLY` and ids beside known names.""")

format_splunk_full = _formatter(FULL, "format_splunk_full", """The line with every field
    (``splunk-full``): ids beside their names included.""")

#: public in formatters/splunk_sparse.py, which holds what the sparse line leaves out
_format_sparse = _formatter(SPARSE, "format_splunk_sparse", """One sparse Splunk
    key=value line for ``record`` (no trailing newline).""")


def field_names_for(record_type: int, full: bool = True) -> frozenset[str]:
    """Every field name a line of this record type can carry (from the same tables):
    in ``splunk-full`` lines, or (``full=False``) in default and sparse lines."""
    names = {"rec_type"}
    for path, _is_list in layout_paths(record_type):
        name = raw_name(record_type, path)
        if name:
            names.add(name)
    names.update(computed_names(record_type).values())
    if record_type in catalogue.RECORDS:
        names.update(("rec_type_desc", "rec_type_category", "rec_type_simple"))
    return frozenset(names) if full else frozenset(names - full_only(record_type))


def emitted_field_names(full: bool = True) -> frozenset[str]:
    """Every field name this formatter can emit, over all catalogue record types (with
    ``full=False``: in the default and sparse lines)."""
    names: set[str] = set()
    for record_type in catalogue.RECORDS:
        names |= field_names_for(record_type, full)
    return frozenset(names)
