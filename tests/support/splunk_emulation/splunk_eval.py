"""A small Splunk ``eval`` language: parse, list the fields used, evaluate.

Covers what the add-on's props.conf, transforms.conf and searches use: numbers,
double-quoted strings (``\\\\`` and ``\\"`` escapes), fields (bare or in single
quotes), ``OR AND NOT``, comparisons, ``+ - * / % .`` and the functions in
``FUNCTIONS``. Semantics follow Splunk where it matters for the tests: a null
operand makes arithmetic, concatenation and comparisons null; null is false;
numeric-looking strings compare and add as numbers; ``case`` and ``if`` return
null when nothing matches.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any, Callable

Node = tuple  # ("num", v) ("str", v) ("field", name) ("call", name, args) ("bin", op, l, r) ...


class EvalSyntaxError(ValueError):
    pass


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<qfield>'[^']+')
  | (?P<op>==|!=|<=|>=|[=<>+\-*/%.(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
""", re.VERBOSE)

#: function name -> (minimum, maximum) argument count (None: any)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "if": (3, 3), "case": (2, None), "coalesce": (1, None), "isnull": (1, 1),
    "isnotnull": (1, 1), "match": (2, 2), "replace": (3, 3), "lower": (1, 1),
    "upper": (1, 1), "tonumber": (1, 2), "tostring": (1, 2), "floor": (1, 1),
    "round": (1, 2), "len": (1, 1), "in": (2, None), "true": (0, 0), "false": (0, 0),
    "null": (0, 0), "now": (0, 0), "substr": (2, 3), "abs": (1, 1), "isnum": (1, 1),
    "strftime": (2, 2), "mvcount": (1, 1), "trim": (1, 2),
}


def _unquote(literal: str) -> str:
    """A Splunk eval string literal's value: ``\\\\`` -> ``\\``, ``\\"`` -> ``"``."""
    body = literal[1:-1]
    return re.sub(r'\\([\\"])', r"\1", body)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise EvalSyntaxError(f"unexpected character {text[pos]!r} at {pos} in {text!r}")
        pos = m.end()
        kind = m.lastgroup
        assert kind is not None
        if kind != "ws":
            tokens.append((kind, m.group()))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise EvalSyntaxError(f"expected {value or 'more'} in {self.text!r}")
        self.i += 1
        return token

    def at(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token[1] in values and token[0] in ("op", "name")

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise EvalSyntaxError(f"unexpected {self.peek()[1]!r} in {self.text!r}")  # type: ignore[index]
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.at("OR"):
            self.take()
            node = ("bin", "OR", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.at("AND"):
            self.take()
            node = ("bin", "AND", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.at("NOT"):
            self.take()
            return ("not", self.not_())
        return self.cmp()

    def cmp(self) -> Node:
        node = self.add()
        if self.at("==", "=", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            node = ("bin", "==" if op == "=" else op, node, self.add())
        return node

    def add(self) -> Node:
        node = self.mul()
        while self.at("+", "-", "."):
            op = self.take()[1]
            node = ("bin", op, node, self.mul())
        return node

    def mul(self) -> Node:
        node = self.unary()
        while self.at("*", "/", "%"):
            op = self.take()[1]
            node = ("bin", op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("-"):
            self.take()
            return ("neg", self.unary())
        return self.atom()

    def atom(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return ("num", float(value) if "." in value else int(value))
        if kind == "str":
            return ("str", _unquote(value))
        if kind == "qfield":
            return ("field", value[1:-1])
        if kind == "op" and value == "(":
            node = self.or_()
            self.take(")")
            return node
        if kind == "name":
            if value in ("AND", "OR", "NOT"):
                raise EvalSyntaxError(f"misplaced {value} in {self.text!r}")
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                return self.call(value)
            return ("field", value)
        raise EvalSyntaxError(f"unexpected {value!r} in {self.text!r}")

    def call(self, name: str) -> Node:
        if name not in FUNCTIONS:
            raise EvalSyntaxError(f"unknown eval function {name}() in {self.text!r}")
        self.take("(")
        args: list[Node] = []
        if not self.at(")"):
            args.append(self.or_())
            while self.at(","):
                self.take()
                args.append(self.or_())
        self.take(")")
        low, high = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            raise EvalSyntaxError(f"{name}() takes {low}..{high} arguments, got {len(args)}")
        if name == "case" and len(args) % 2:
            raise EvalSyntaxError(f"case() needs condition/value pairs in {self.text!r}")
        return ("call", name, args)


def parse(text: str) -> Node:
    return _Parser(text).parse()


def fields_used(node: Node) -> set[str]:
    kind = node[0]
    if kind == "field":
        return {node[1]}
    if kind == "call":
        out: set[str] = set()
        for arg in node[2]:
            out |= fields_used(arg)
        return out
    if kind == "bin":
        return fields_used(node[2]) | fields_used(node[3])
    if kind in ("not", "neg"):
        return fields_used(node[1])
    return set()


def pcre_to_python(pattern: str) -> str:
    """Splunk's PCRE named groups in Python spelling."""
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern)


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(op: str, left: Any, right: Any) -> bool | None:
    if left is None or right is None:
        return None
    a, b = _number(left), _number(right)
    if a is None or b is None:
        a, b = _text(left), _text(right)  # type: ignore[assignment]
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def truthy(value: Any) -> bool:
    return value is not None and value is not False


def evaluate(node: Node, event: dict[str, Any]) -> Any:
    kind = node[0]
    if kind in ("num", "str"):
        return node[1]
    if kind == "field":
        return event.get(node[1])
    if kind == "neg":
        value = _number(evaluate(node[1], event))
        return None if value is None else -value
    if kind == "not":
        value = evaluate(node[1], event)
        return None if value is None else not truthy(value)
    if kind == "bin":
        return _binary(node[1], node[2], node[3], event)
    return _CALLS[node[1]](node[2], event)


def _binary(op: str, left_node: Node, right_node: Node, event: dict[str, Any]) -> Any:
    if op == "AND":
        return truthy(evaluate(left_node, event)) and truthy(evaluate(right_node, event))
    if op == "OR":
        return truthy(evaluate(left_node, event)) or truthy(evaluate(right_node, event))
    left, right = evaluate(left_node, event), evaluate(right_node, event)
    if op in ("==", "!=", "<", ">", "<=", ">="):
        return _compare(op, left, right)
    if left is None or right is None:
        return None
    if op == ".":
        return _text(left) + _text(right)
    a, b = _number(left), _number(right)
    if a is None or b is None:
        if op == "+":
            return _text(left) + _text(right)
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return None
    return a / b if op == "/" else a % b


def _args(args: list[Node], event: dict[str, Any]) -> list[Any]:
    return [evaluate(arg, event) for arg in args]


def _case(args: list[Node], event: dict[str, Any]) -> Any:
    for i in range(0, len(args), 2):
        if truthy(evaluate(args[i], event)):
            return evaluate(args[i + 1], event)
    return None


def _if(args: list[Node], event: dict[str, Any]) -> Any:
    return evaluate(args[1] if truthy(evaluate(args[0], event)) else args[2], event)


def _coalesce(args: list[Node], event: dict[str, Any]) -> Any:
    for arg in args:
        value = evaluate(arg, event)
        if value is not None:
            return value
    return None


def _match(args: list[Node], event: dict[str, Any]) -> Any:
    text, pattern = _args(args, event)
    if text is None or pattern is None:
        return None
    return re.search(pcre_to_python(pattern), _text(text)) is not None


def _replace(args: list[Node], event: dict[str, Any]) -> Any:
    text, pattern, replacement = _args(args, event)
    if text is None or pattern is None or replacement is None:
        return None
    return re.sub(pcre_to_python(pattern), replacement, _text(text))


def _unary_text(func: Callable[[str], Any]) -> Callable[[list[Node], dict[str, Any]], Any]:
    def call(args: list[Node], event: dict[str, Any]) -> Any:
        value = evaluate(args[0], event)
        return None if value is None else func(_text(value))
    return call


def _unary_number(func: Callable[[float], Any]) -> Callable[[list[Node], dict[str, Any]], Any]:
    def call(args: list[Node], event: dict[str, Any]) -> Any:
        value = _number(evaluate(args[0], event))
        return None if value is None else func(value)
    return call


def _round(args: list[Node], event: dict[str, Any]) -> Any:
    values = _args(args, event)
    number = _number(values[0])
    if number is None:
        return None
    digits = int(values[1]) if len(values) > 1 else 0
    return round(number, digits) if digits else round(number)


def _in(args: list[Node], event: dict[str, Any]) -> Any:
    values = _args(args, event)
    if values[0] is None:
        return None
    return any(_compare("==", values[0], v) for v in values[1:])


def _substr(args: list[Node], event: dict[str, Any]) -> Any:
    values = _args(args, event)
    if values[0] is None:
        return None
    start = int(values[1]) - 1
    text = _text(values[0])
    return text[start:start + int(values[2])] if len(values) > 2 else text[start:]


def _strftime(args: list[Node], event: dict[str, Any]) -> Any:
    value, fmt = _args(args, event)
    number = _number(value)
    if number is None or fmt is None:
        return None
    return time.strftime(fmt, time.gmtime(number))


_CALLS: dict[str, Callable[[list[Node], dict[str, Any]], Any]] = {
    "if": _if, "case": _case, "coalesce": _coalesce, "match": _match, "replace": _replace,
    "isnull": lambda a, e: evaluate(a[0], e) is None,
    "isnotnull": lambda a, e: evaluate(a[0], e) is not None,
    "lower": _unary_text(str.lower), "upper": _unary_text(str.upper),
    "len": _unary_text(len), "trim": _unary_text(str.strip),
    "tonumber": lambda a, e: _number(evaluate(a[0], e)),
    "tostring": lambda a, e: None if evaluate(a[0], e) is None else _text(evaluate(a[0], e)),
    "isnum": lambda a, e: isinstance(evaluate(a[0], e), (int, float)),
    "floor": _unary_number(math.floor), "abs": _unary_number(abs), "round": _round,
    "in": _in, "true": lambda a, e: True, "false": lambda a, e: False,
    "null": lambda a, e: None, "now": lambda a, e: int(time.time()),
    "substr": _substr, "strftime": _strftime,
    "mvcount": lambda a, e: None if evaluate(a[0], e) is None else 1,
}
