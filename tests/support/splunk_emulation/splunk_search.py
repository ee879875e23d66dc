"""SPL sanity checks and a search-term matcher (test support only).

``check_spl`` expands macros, splits the pipeline, and for every command it
knows lists the fields it reads and the fields it creates, so a test can say
"this dashboard reads a field nobody writes". Unknown commands, unknown macros
and unknown event types are errors, as are unbalanced quotes, brackets and
subsearches. ``SearchTerms`` evaluates the search-command language (terms,
NOT/OR/AND, parentheses, wildcards) against one event, for event types.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from . import splunk_eval
from .splunk_conf import Conf


class SplError(ValueError):
    pass


# --- lexical checks -----------------------------------------------------------

def check_balance(text: str) -> None:
    """Quotes closed, brackets and parentheses nested, backticks paired."""
    stack: list[str] = []
    pairs = {")": "(", "]": "["}
    in_quote = False
    i = 0
    while i < len(text):
        char = text[i]
        if in_quote:
            if char == "\\":
                i += 2
                continue
            if char == '"':
                in_quote = False
        elif char == '"':
            in_quote = True
        elif char in "([":
            stack.append(char)
        elif char in ")]" and (not stack or stack.pop() != pairs[char]):
            raise SplError(f"unbalanced {char!r} at {i} in {text!r}")
        i += 1
    if in_quote:
        raise SplError(f"unterminated quote in {text!r}")
    if stack:
        raise SplError(f"unclosed {stack[-1]!r} in {text!r}")
    if _outside_quotes(text).count("`") % 2:
        raise SplError(f"unpaired backtick in {text!r}")


def _outside_quotes(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


# --- macros ---------------------------------------------------------------------

_MACRO = re.compile(r"`([A-Za-z0-9_\-]+)(?:\(([^`]*)\))?`")


def expand_macros(text: str, macros: Conf, depth: int = 0) -> str:
    if depth > 10:
        raise SplError(f"macro recursion too deep in {text!r}")

    def one(m: re.Match) -> str:
        name, arg_text = m.group(1), m.group(2)
        args = [a.strip() for a in arg_text.split(",")] if arg_text else []
        key = f"{name}({len(args)})" if args else name
        stanza = macros.get(key)
        if stanza is None:
            raise SplError(f"unknown macro `{key}`")
        definition = stanza.get("definition")
        if definition is None:
            raise SplError(f"macro {key} has no definition")
        names = [a.strip() for a in stanza.get("args", "").split(",") if a.strip()]
        if len(names) != len(args):
            raise SplError(f"macro {key} declares args {names}, called with {args}")
        for arg_name, value in zip(names, args):
            definition = definition.replace(f"${arg_name}$", value)
        return expand_macros(definition, macros, depth + 1)

    return _MACRO.sub(one, text)


# --- the search-term language -------------------------------------------------------

_TERM = re.compile(r'\s*(\(|\)|(?:[^\s()"]+|"(?:[^"\\]|\\.)*")+)')
_COMPARISON = re.compile(r"^([A-Za-z_][A-Za-z0-9_.:]*)(!=|<=|>=|=|<|>)(.*)$", re.S)


def _value(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        return re.sub(r'\\(.)', r"\1", raw[1:-1])
    return raw


def search_tokens(text: str) -> list[str]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TERM.match(text, pos)
        if m is None:
            raise SplError(f"cannot read search terms at {pos} in {text!r}")
        tokens.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


class SearchTerms:
    """A parsed search-command expression: ``evaluate(event)`` -> bool."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = search_tokens(text)
        self.i = 0
        self.tree = self._or() if self.tokens else ("all",)
        if self.i != len(self.tokens):
            raise SplError(f"unexpected {self.tokens[self.i]!r} in {text!r}")
        self.fields: set[str] = set()
        self.eventtypes: set[str] = set()
        self._collect(self.tree)

    def _peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _or(self) -> tuple:
        node = self._and()
        while self._peek() == "OR":
            self.i += 1
            node = ("or", node, self._and())
        return node

    def _and(self) -> tuple:
        node = self._not()
        while self._peek() not in (None, ")", "OR"):
            if self._peek() == "AND":
                self.i += 1
            node = ("and", node, self._not())
        return node

    def _not(self) -> tuple:
        if self._peek() == "NOT":
            self.i += 1
            return ("not", self._not())
        return self._atom()

    def _atom(self) -> tuple:
        token = self._peek()
        if token is None:
            raise SplError(f"search ends early: {self.text!r}")
        self.i += 1
        if token == "(":
            node = self._or()
            if self._peek() != ")":
                raise SplError(f"missing ')' in {self.text!r}")
            self.i += 1
            return node
        if token in (")", "OR", "AND"):
            raise SplError(f"misplaced {token!r} in {self.text!r}")
        if self._peek() == "IN" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.:]*", token):
            return self._in(token)
        m = _COMPARISON.match(token)
        if m:
            return ("cmp", m.group(1), m.group(2), _value(m.group(3)))
        return ("word", _value(token))

    def _in(self, name: str) -> tuple:
        """``field IN (a, "b c", ...)``: field=a OR field="b c" OR ..."""
        self.i += 1
        if self._peek() != "(":
            raise SplError(f"IN without '(' in {self.text!r}")
        self.i += 1
        values: list[str] = []
        while self._peek() not in (None, ")"):
            token = self.tokens[self.i].strip(",")
            self.i += 1
            if token:
                values.extend(_value(v.strip()) for v in
                              re.findall(r'"(?:[^"\\]|\\.)*"|[^,]+', token))
        if self._peek() != ")" or not values:
            raise SplError(f"bad IN list in {self.text!r}")
        self.i += 1
        node: tuple = ("cmp", name, "=", values[0])
        for value in values[1:]:
            node = ("or", node, ("cmp", name, "=", value))
        return node

    def _collect(self, node: tuple) -> None:
        if node[0] == "cmp":
            if node[1] == "eventtype":
                self.eventtypes.add(node[3])
            elif node[1] not in ("index", "tag"):
                self.fields.add(node[1])
        for child in node[1:]:
            if isinstance(child, tuple):
                self._collect(child)

    def evaluate(self, event: dict[str, Any]) -> bool:
        return self._eval(self.tree, event)

    def _eval(self, node: tuple, event: dict[str, Any]) -> bool:
        kind = node[0]
        if kind == "all":
            return True
        if kind == "and":
            return self._eval(node[1], event) and self._eval(node[2], event)
        if kind == "or":
            return self._eval(node[1], event) or self._eval(node[2], event)
        if kind == "not":
            return not self._eval(node[1], event)
        if kind == "word":
            return node[1].lower() in str(event.get("_raw", "")).lower()
        _, name, op, expected = node
        actual = event.get(name)
        values = actual if isinstance(actual, (list, tuple, set)) else [actual]
        return any(_term_matches(op, v, expected) for v in values if v is not None)


def _term_matches(op: str, actual: Any, expected: str) -> bool:
    if op in ("=", "!="):
        hit = fnmatch.fnmatchcase(str(actual).lower(), expected.lower())
        return hit if op == "=" else not hit
    result = splunk_eval._compare(op, actual, expected)
    return bool(result)


# --- pipelines ------------------------------------------------------------------------

def split_pipeline(text: str) -> list[str]:
    """Split on ``|`` outside quotes and brackets; subsearches stay whole."""
    parts, depth, start, in_quote, i = [], 0, 0, False, 0
    while i < len(text):
        char = text[i]
        if in_quote:
            if char == "\\":
                i += 2
                continue
            if char == '"':
                in_quote = False
        elif char == '"':
            in_quote = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    parts.append(text[start:].strip())
    return parts


_SUBSEARCH = re.compile(r"\[([^\[\]]*)\]")
_ARG = re.compile(r'[A-Za-z_][\w.]*\((?:[^()]|\([^()]*\))*\)|"(?:[^"\\]|\\.)*"|[^\s,]+')
_OPTION = re.compile(r"^[A-Za-z_]+=\S+$")
_AGGREGATES = {"count", "dc", "distinct_count", "sum", "avg", "min", "max", "latest",
               "earliest", "values", "list", "first", "last", "sparkline", "median",
               "mode", "range", "stdev", "latest_time", "earliest_time"}
_GEO_FIELDS = {"City", "Country", "Region", "lat", "lon"}
#: fields every event has, or that Splunk adds at search time
DEFAULT_FIELDS = {"_time", "_raw", "host", "source", "sourcetype", "index", "eventtype",
                  "tag", "splunk_server", "linecount", "punct", "_indextime"}


@dataclass
class Usage:
    """What a search reads and makes."""
    used: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)   # read but not available at that point
    eventtypes: set[str] = field(default_factory=set)
    commands: list[str] = field(default_factory=list)


KNOWN_COMMANDS = {"search", "stats", "eventstats", "timechart", "chart", "top", "rare",
                  "table", "fields", "dedup", "sort", "eval", "where", "rename",
                  "iplocation", "geostats", "head", "fillnull"}


def check_spl(text: str, macros: Conf, available: set[str]) -> Usage:
    """Check one search; ``available`` are the event fields at its start."""
    check_balance(text)
    expanded = expand_macros(text, macros)
    check_balance(expanded)
    usage = Usage()
    for sub in _SUBSEARCH.findall(expanded):
        inner = check_spl(sub.strip(), macros, available)
        usage.used |= inner.used
        usage.missing |= inner.missing
        usage.eventtypes |= inner.eventtypes
    expanded = _SUBSEARCH.sub("", expanded)
    segments = split_pipeline(expanded)
    if segments and segments[0] == "":
        raise SplError(f"search starts with a pipe but no generating command: {text!r}")
    current: set[str] | None = None  # None: the event fields (``available``)
    for index, segment in enumerate(segments):
        if not segment:
            raise SplError(f"empty pipeline segment in {text!r}")
        if index == 0:
            command, args = "search", segment
            if segment.split(None, 1)[0] == "search":
                args = segment.split(None, 1)[1] if " " in segment else ""
        else:
            command, _, args = segment.partition(" ")
        if command not in KNOWN_COMMANDS:
            raise SplError(f"unknown command {command!r} in {text!r}")
        usage.commands.append(command)
        reads, makes, keeps = _command(command, args.strip(), usage)
        pool = (available if current is None else current)
        for name in reads:
            usage.used.add(name)
            if name not in pool and name not in DEFAULT_FIELDS and "*" not in name:
                usage.missing.add(name)
        if keeps is not None:
            current = keeps | makes
        elif makes:
            current = set(pool) | makes
    return usage


def _names(args: str) -> list[str]:
    return [_value(a) for a in _ARG.findall(args)]


def _command(command: str, args: str, usage: Usage) -> tuple[set[str], set[str], set[str] | None]:
    """(fields read, fields made, fields kept or None for "all still there")."""
    if command == "search":
        terms = SearchTerms(args)
        usage.eventtypes |= terms.eventtypes
        return terms.fields, set(), None
    if command == "where":
        return splunk_eval.fields_used(splunk_eval.parse(args)), set(), None
    if command == "eval":
        reads, makes = set(), set()
        for assignment in _split_top(args, ","):
            name, sep, expression = assignment.partition("=")
            if not sep or not re.fullmatch(r"\s*[A-Za-z_][\w.]*\s*", name):
                raise SplError(f"bad eval assignment {assignment!r}")
            reads |= splunk_eval.fields_used(splunk_eval.parse(expression))
            makes.add(name.strip())
        return reads, makes, None
    if command in ("stats", "eventstats", "timechart", "chart", "geostats"):
        reads, makes = _aggregation(command, args)
        return reads, makes, (None if command == "eventstats" else set())
    if command in ("top", "rare"):
        names = [n for n in _names(args) if not _OPTION.match(n)]
        if "by" in names:
            names.remove("by")
        return set(names), {"count", "percent"}, set(names)
    if command in ("table", "fields"):
        names = [n for n in _names(args) if n not in ("-", "+")]
        if args.startswith("-"):
            return set(names), set(), None
        return set(names), set(), set(names)
    if command == "dedup":
        names = [n for n in _names(args) if not _OPTION.match(n) and not n.isdigit()]
        names = [n.lstrip("+-") for n in names if n not in ("sortby", "-", "+")]
        return set(names), set(), None
    if command == "sort":
        names = [n.lstrip("+-") for n in _names(args) if n not in ("-", "+") and not n.isdigit()]
        return set(names), set(), None
    if command == "rename":
        reads, makes = set(), set()
        for pair in _split_top(args, ","):
            parts = _names(pair)
            if len(parts) != 3 or parts[1].lower() != "as":
                raise SplError(f"bad rename {pair!r}")
            reads.add(parts[0])
            makes.add(parts[2])
        return reads, makes, None
    if command == "iplocation":
        names = [n for n in _names(args) if not _OPTION.match(n)]
        return set(names), set(_GEO_FIELDS), None
    if command == "head":
        if not re.fullmatch(r"\d+", args):
            raise SplError(f"head takes a number: {args!r}")
        return set(), set(), None
    if command == "fillnull":
        names = [n for n in _names(args) if not _OPTION.match(n)]
        return set(), set(names), None
    raise SplError(f"unhandled command {command}")


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, start, in_quote = [], 0, 0, False
    for i, char in enumerate(text):
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            in_quote = not in_quote
        elif not in_quote and char == "(":
            depth += 1
        elif not in_quote and char == ")":
            depth -= 1
        elif not in_quote and depth == 0 and char == sep:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _aggregation(command: str, args: str) -> tuple[set[str], set[str]]:
    tokens = _names(args)
    reads: set[str] = set()
    makes: set[str] = {"_time"} if command == "timechart" else set()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if _OPTION.match(token) and "(" not in token:
            key, _, value = token.partition("=")
            if key in ("latfield", "longfield"):
                reads.add(value)
            i += 1
            continue
        if token in ("by", "over"):
            reads.update(t for t in tokens[i + 1:] if t not in ("by", "over")
                         and not _OPTION.match(t))
            makes.update(t for t in tokens[i + 1:] if t not in ("by", "over"))
            break
        name, inner = _function(token)
        if name not in _AGGREGATES:
            raise SplError(f"unknown aggregation {token!r} in {command} {args!r}")
        reads |= inner
        label = token
        if i + 2 < len(tokens) + 1 and i + 1 < len(tokens) and tokens[i + 1].lower() == "as":
            label = tokens[i + 2]
            i += 2
        makes.add(label)
        i += 1
    if command == "geostats":
        reads |= {"lat", "lon"} if not any(t.startswith("latfield") for t in tokens) else set()
        makes |= {"geobin", "latitude", "longitude"}
    return reads, makes


def _function(token: str) -> tuple[str, set[str]]:
    m = re.fullmatch(r"([A-Za-z_]+)(?:\((.*)\))?", token, re.S)
    if m is None:
        raise SplError(f"cannot read aggregation {token!r}")
    name, inner = m.group(1), m.group(2)
    fields: set[str] = set()
    if inner:
        for part in _split_top(inner, ","):
            sub = re.fullmatch(r"([A-Za-z_]+)\((.*)\)", part)
            if sub:
                fields |= _function(part)[1]
            elif part not in _AGGREGATES and re.fullmatch(r"[A-Za-z_][\w.]*", part):
                fields.add(part)
    return name, fields
