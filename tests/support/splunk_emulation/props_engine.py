"""Apply the add-on's props.conf / transforms.conf / lookups / eventtypes / tags
to one raw event line, the way Splunk does for the features the add-on uses.

Index time: TIME_PREFIX + TIME_FORMAT ``%s`` + MAX_TIMESTAMP_LOOKAHEAD, then
TRANSFORMS with INGEST_EVAL. Search time, in Splunk's order: REPORT (regex +
FORMAT), FIELDALIAS, EVAL, LOOKUP, then event types and their tags. Aliases
are computed side by side from the extracted fields and EVALs side by side from
the aliased ones (Splunk does not let one calculated field see another), so a
conf file that chains them fails here as it would in Splunk. An EVAL that
yields null removes the field, as in Splunk.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from . import splunk_eval
from .splunk_conf import Conf, load_conf, load_lookup
from .splunk_search import SearchTerms


@dataclass
class Knowledge:
    props: Conf
    transforms: Conf
    eventtypes: Conf
    tags: Conf

    @classmethod
    def load(cls) -> Knowledge:
        return cls(load_conf("props.conf"), load_conf("transforms.conf"),
                   load_conf("eventtypes.conf"), load_conf("tags.conf"))

    def classes(self, sourcetype: str, kind: str) -> list[tuple[str, str]]:
        """(class, value) of ``kind-class`` settings, in Splunk's (ASCII) order."""
        stanza = self.props[sourcetype]
        prefix = kind + "-"
        return sorted((k[len(prefix):], v) for k, v in stanza.items() if k.startswith(prefix))


# --- index time -----------------------------------------------------------------------

def timestamp(knowledge: Knowledge, sourcetype: str, raw: str) -> float | None:
    stanza = knowledge.props[sourcetype]
    prefix = stanza.get("TIME_PREFIX")
    fmt = stanza.get("TIME_FORMAT")
    if prefix is None or fmt != "%s":
        raise NotImplementedError("only TIME_PREFIX with TIME_FORMAT = %s is modelled")
    m = re.search(splunk_eval.pcre_to_python(prefix), raw)
    if m is None:
        return None
    lookahead = int(stanza.get("MAX_TIMESTAMP_LOOKAHEAD", "128"))
    digits = re.match(r"\d+", raw[m.end():m.end() + lookahead])
    if digits is None:
        return None
    value: Any = int(digits.group())
    for _, names in knowledge.classes(sourcetype, "TRANSFORMS"):
        for name in names.split(","):
            transform = knowledge.transforms[name.strip()]
            ingest = transform.get("INGEST_EVAL")
            if ingest is None:
                continue
            target, _, expression = ingest.partition("=")
            if target.strip() != "_time":
                raise NotImplementedError("only INGEST_EVAL _time=... is modelled")
            value = splunk_eval.evaluate(splunk_eval.parse(expression),
                                         {"_raw": raw, "_time": value})
    return value


# --- search time ----------------------------------------------------------------------

def _report(transform: dict[str, str], raw: str) -> dict[str, str]:
    regex = re.compile(splunk_eval.pcre_to_python(transform["REGEX"]))
    fmt = transform["FORMAT"]
    pairs = re.findall(r"(\S+?)::(\S+)", fmt)
    out: dict[str, str] = {}
    for m in regex.finditer(raw):
        def group(ref: str, m: re.Match = m) -> str:
            return re.sub(r"\$(\d+)", lambda g: m.group(int(g.group(1))) or "", ref)
        for key_ref, value_ref in pairs:
            key = group(key_ref)
            value = group(value_ref)
            # MV_ADD = false: the first value stays; Splunk keeps no empty values.
            if key and value and key not in out:
                out[key] = value
    return out


def _aliases(spec: str) -> list[tuple[str, str]]:
    tokens = spec.split()
    if len(tokens) % 3 or any(tokens[i].upper() != "AS" for i in range(1, len(tokens), 3)):
        raise ValueError(f"bad FIELDALIAS {spec!r}")
    return [(tokens[i], tokens[i + 2]) for i in range(0, len(tokens), 3)]


@dataclass
class LookupSpec:
    table: str
    inputs: list[tuple[str, str]]     # (lookup column, event field)
    mode: str                         # OUTPUT or OUTPUTNEW
    outputs: list[tuple[str, str]]    # (lookup column, event field)


def parse_lookup(spec: str) -> LookupSpec:
    tokens = spec.split()
    table, rest = tokens[0], tokens[1:]
    mode_at = next((i for i, t in enumerate(rest) if t.upper() in ("OUTPUT", "OUTPUTNEW")),
                   None)
    if mode_at is None:
        raise ValueError(f"LOOKUP without OUTPUT/OUTPUTNEW: {spec!r}")

    def pairs(items: list[str]) -> list[tuple[str, str]]:
        out, i = [], 0
        while i < len(items):
            if i + 2 < len(items) + 0 and i + 1 < len(items) and items[i + 1].upper() == "AS":
                out.append((items[i], items[i + 2]))
                i += 3
            else:
                out.append((items[i], items[i]))
                i += 1
        return out

    return LookupSpec(table, pairs(rest[:mode_at]), rest[mode_at].upper(),
                      pairs(rest[mode_at + 1:]))


_ROWS: dict[str, list[dict[str, str]]] = {}


def _lookup(knowledge: Knowledge, spec: LookupSpec, event: dict[str, Any]) -> None:
    transform = knowledge.transforms[spec.table]
    filename = transform["filename"]
    rows = _ROWS.get(filename)
    if rows is None:
        rows = _ROWS[filename] = load_lookup(filename)
    fold = transform.get("case_sensitive_match", "true").lower() == "false"
    if spec.mode == "OUTPUTNEW" and all(e in event for _, e in spec.outputs):
        return
    keys = []
    for column, name in spec.inputs:
        value = event.get(name)
        if value is None:
            return
        keys.append((column, str(value)))
    for row in rows:
        if all((row[c].lower() == v.lower()) if fold else row[c] == v for c, v in keys):
            for column, name in spec.outputs:
                if spec.mode == "OUTPUTNEW" and name in event:
                    continue
                if row[column] != "":
                    event[name] = row[column]
            return


def _json_fields(value: Any, prefix: str = "") -> dict[str, str]:
    """KV_MODE = json: every leaf as text, nested keys joined by ".", arrays as "{}"."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            for name, text in _json_fields(item, f"{prefix}{key}.").items():
                out.setdefault(name, text)
    elif isinstance(value, list):
        for item in value:
            for name, text in _json_fields(item, prefix[:-1] + "{}.").items():
                out.setdefault(name, text)
    elif value is not None:
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        out[prefix[:-1]] = text
    return out


def search_time(knowledge: Knowledge, sourcetype: str, raw: str,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fields a search sees for this event, incl. ``eventtype`` and ``tag`` lists."""
    event: dict[str, Any] = {"_raw": raw, "sourcetype": sourcetype, **(extra or {})}
    if knowledge.props[sourcetype].get("KV_MODE") == "json":
        for key, value in _json_fields(json.loads(raw)).items():
            event.setdefault(key, value)
    for _, names in knowledge.classes(sourcetype, "REPORT"):
        for name in names.split(","):
            for key, value in _report(knowledge.transforms[name.strip()], raw).items():
                event.setdefault(key, value)
    snapshot = dict(event)
    for _, spec in knowledge.classes(sourcetype, "FIELDALIAS"):
        for source, target in _aliases(spec):
            if source in snapshot:
                event[target] = snapshot[source]
    snapshot = dict(event)
    results = {}
    for name, expression in knowledge.classes(sourcetype, "EVAL"):
        results[name] = splunk_eval.evaluate(splunk_eval.parse(expression), snapshot)
    for name, value in results.items():
        if value is None:
            event.pop(name, None)
        else:
            event[name] = value
    for _, spec in knowledge.classes(sourcetype, "LOOKUP"):
        _lookup(knowledge, parse_lookup(spec), event)
    types = [name for name, stanza in knowledge.eventtypes.items()
             if name != "default" and SearchTerms(stanza["search"]).evaluate(event)]
    event["eventtype"] = types
    tags = []
    for name in types:
        for tag, state in knowledge.tags.get(f"eventtype={name}", {}).items():
            if state == "enabled" and tag not in tags:
                tags.append(tag)
    event["tag"] = tags
    return event
