"""Security Cloud JSON (``cisco:sfw:estreamer``): the events ESCU's detections read.

One compact JSON object per record. Connection (71), intrusion (400), file (500)
and malware (502, 125) records carry Security Cloud's FTD names and value forms
(tables in :mod:`estreamer.formatters.sfw_names`): ``EventType`` first, then the
keys of the family in table order. Every other record type keeps the JSON
formatter's camelCase fields and decorated names under an ``EventType`` of its
own, the catalogue name in PascalCase (``IntrusionEventExtraData``,
``UserLogin``; ``Record<n>`` for a type the catalogue does not know), so nothing
is dropped.

Speed: the plan of a record type (which keys, read how) is built once; a record
costs one pass over its table with ``record.get`` (no field dict is built for a
flat record) and ``dict.get`` on the decorated names.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from estreamer.records import catalogue
from estreamer.records.formatters.countries import CONTINENTS, COUNTRIES
from estreamer.records.formatters.json import format_json
from estreamer.records.formatters.sfw_names import EVENT_TYPES, FAMILIES, INLINE_RESULTS
from estreamer.records.formatters.splunk_names import layout_paths
from estreamer.records.metadata import decorated_names
from estreamer.records.record import Record

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                            default=lambda v: bytes(v).hex()
                            if isinstance(v, (bytes, bytearray, memoryview)) else str(v))


def _unset(text: str) -> bool:
    """An empty text, or an address, UUID or hash that is all zeros ("not set")."""
    return not text.strip("0:.-")


def _duration(record: Record) -> Any:
    first, last = record.get("firstPacketTimestamp"), record.get("lastPacketTimestamp")
    if first and last and last >= first:
        return last - first
    return None


def _icmp(name: str) -> Callable[[Record], Any]:
    def read(record: Record) -> Any:
        # ICMP and ICMPv6 intrusion events carry type and code in the port fields.
        return record.get(name) if record.get("ipProtocolId") in (1, 58) else None
    return read


def _signature_id(record: Record) -> Any:
    # The SID metadata 66 renders for (generator, rule); the rule id when it has not.
    rendered = record.computed.get("renderedSignatureId")
    return rendered if rendered is not None else record.get("ruleId")


def _country(name: str, part: int) -> Callable[[Record], Any]:
    def read(record: Record) -> Any:
        # The numeric ISO 3166-1 code of the record; 0 and unknown codes give nothing.
        found = COUNTRIES.get(record.get(name))
        return None if found is None else found[part]
    return read


def _continent(name: str) -> Callable[[Record], Any]:
    code = _country(name, 1)

    def read(record: Record) -> Any:
        found = code(record)
        return None if found is None else CONTINENTS[found]
    return read


_DERIVED: dict[str, Callable[[Record], Any]] = {
    "duration": _duration,
    "icmpType": _icmp("sourcePortOrIcmpType"),
    "icmpCode": _icmp("destinationPortOrIcmpType"),
    "signatureId": _signature_id,
    # "<field>Code", "<field>ContinentCode", "<field>Continent" of each country field
    **{derived: read
       for field in ("initiatorCountry", "responderCountry", "sourceCountry",
                     "destinationCountry")
       for derived, read in ((field + "Code", _country(field, 0)),
                             (field + "ContinentCode", _country(field, 1)),
                             (field + "Continent", _continent(field)))},
}

_FORMS: dict[str, Callable[[Any], Any]] = {
    "lower": lambda v: v.lower() if isinstance(v, str) else v,
    "inline": lambda v: INLINE_RESULTS.get(v, v),
}

# kind of a plan step
_FIELD, _NAME, _DERIVE = 0, 1, 2
_Step = tuple[str, int, Any, Any]   # (key, kind, field / computed key / function, form)

_plans: dict[int, tuple[_Step, ...]] = {}


def _plan(record_type: int) -> tuple[_Step, ...]:
    plan = _plans.get(record_type)
    if plan is None:
        steps: list[_Step] = []
        for key, source, form in FAMILIES[record_type]:
            kind, _, name = source.partition(":")
            convert = _FORMS[form] if form else None
            if kind == "f":
                steps.append((key, _FIELD, name, convert))
            elif kind == "c":
                steps.append((key, _NAME, name, convert))
            else:
                steps.append((key, _DERIVE, _DERIVED[name], convert))
        plan = _plans[record_type] = tuple(steps)
    return plan


def _family_object(record: Record, event_type: str) -> dict[str, Any]:
    out: dict[str, Any] = {"EventType": event_type}
    get, computed = record.get, record.computed
    for key, kind, source, convert in _plan(record.record_type):
        if kind == _FIELD:
            value = get(source)
        elif kind == _NAME:
            value = computed.get(source)
        else:
            value = source(record)
        if value is None or (type(value) is str and _unset(value)):
            continue
        out[key] = convert(value) if convert is not None else value
    return out


_WORD = re.compile(r"[A-Za-z0-9]+")


def _pascal(text: str) -> str:
    return "".join(w[0].upper() + w[1:] for w in _WORD.findall(text))


def _other_event_types() -> dict[int, str]:
    names = {rt: _pascal(layout.name) for rt, layout in catalogue.RECORDS.items()}
    taken = [name for rt, name in names.items() if rt not in EVENT_TYPES]
    # two catalogue names that read alike (280 and 282) keep apart by their type number
    return {rt: f"{name}{rt}" if taken.count(name) > 1 else name for rt, name in names.items()}


_OTHER_EVENT_TYPES = _other_event_types()


def other_event_type(record_type: int) -> str:
    """``EventType`` of a record outside the ESCU families: its catalogue name in PascalCase."""
    return _OTHER_EVENT_TYPES.get(record_type) or f"Record{record_type}"


def event_type(record_type: int) -> str:
    """The ``EventType`` this formatter writes for a record type."""
    return EVENT_TYPES.get(record_type) or other_event_type(record_type)


def sfw_object(record: Record) -> dict[str, Any]:
    """The Security Cloud object of ``record`` (what :func:`format_sfw` encodes)."""
    name = EVENT_TYPES.get(record.record_type)
    if name is not None:
        return _family_object(record, name)
    out: dict[str, Any] = {"EventType": other_event_type(record.record_type)}
    out.update(json.loads(format_json(record)))
    return out


def emitted_field_names() -> frozenset[str]:
    """Every field Splunk's JSON reading can find in this format: the keys of the ESCU
    families (``EventType`` included) and, for the other records, the json format's
    keys (nested blocks as ``block.field``; lists left out, Splunk names their items
    ``list{}.field``)."""
    names = {"EventType", "recordType", "recordTypeDescription", "recordTypeCategory",
             "archiveTimestamp", "blockType"}
    names.update(key for table in FAMILIES.values() for key, _, _ in table)
    for record_type in catalogue.RECORDS:
        if record_type not in EVENT_TYPES:
            names.update(path for path, is_list in layout_paths(record_type) if not is_list)
            names.update(decorated_names(record_type))
    return frozenset(names)


def format_sfw(record: Record) -> str:
    """One Security Cloud JSON object for ``record`` on one line (no trailing newline)."""
    name = EVENT_TYPES.get(record.record_type)
    if name is not None:
        return _encoder.encode(_family_object(record, name))
    # Other records: the JSON formatter's object with EventType put first.
    return '{"EventType":' + _encoder.encode(other_event_type(record.record_type)) + "," \
        + format_json(record)[1:]
