"""The optional native core: loads it, or says in one line why the pure-Python path runs.

Four parts stand in for Python code when the core is built, for flat records (those
the fast path decodes into a values tuple): a record decoder per layout
(:func:`accelerate`, for estreamer.decoder), the metadata decoration
(:func:`decorator`, for estreamer.metadata), and the Splunk line: its fields
(:func:`splunk_renderer`), its decorated pairs (:func:`splunk_pairs`) and both in
one call (:func:`splunk_line`, for estreamer.formatters.splunk).

The compiled module ``_core`` is built by ``make setup`` (setup.py) when a C
compiler is present. Pure Python stays the reference and the fallback: nothing
here is needed for correct output, only for speed, and the native path gives
byte-identical results (tests/test_native.py). ``ESTREAMER_PURE_PYTHON=1`` in
the environment switches it off at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from ..record import FieldNames
from .program import record_program


def _load() -> tuple[Any, str]:
    """(the compiled module or None, the one line that says which decoder runs)."""
    if os.environ.get("ESTREAMER_PURE_PYTHON", "") not in ("", "0"):
        return None, "native core off (ESTREAMER_PURE_PYTHON is set): pure-Python decoder"
    try:
        from . import _core  # type: ignore[attr-defined]
    except ImportError as err:
        return None, (f"native core not built ({err}): pure-Python decoder; "
                      "`make setup` with a C compiler builds it")
    return _core, (f"native core loaded ({Path(_core.__file__).name}): "
                   "records decoded and Splunk lines rendered in C")


CORE, STATUS = _load()

#: True when records are decoded by the native core
ACTIVE = CORE is not None

#: record type -> the Python fast path a native decoder stands in for (for tests)
PYTHON_FAST: dict[int, Callable[..., tuple[FieldNames, tuple] | None]] = {}


def accelerate(layout: Any, fast: Callable[..., Any]) -> Callable[..., Any]:
    """The native decoder of ``layout`` calling ``fast`` for irregular records,
    or ``fast`` itself when the core is off or cannot express the layout.

    ``fast`` is what :func:`estreamer.fastpath.compile_record` made of ``layout``.
    """
    if CORE is None:
        return fast
    program = record_program(layout, CORE.MAX_VALUES)
    if program is None:
        return fast
    PYTHON_FAST[layout.record_type] = fast
    return CORE.Decoder(program.ops, program.names, fast)


def splunk_renderer(template: str, where: tuple[int, ...], modes: tuple[int, ...],
                    quoted: dict[str, str], text: Callable[[Any], str],
                    value_text: Callable[[Any], str]) -> Callable[[tuple, str], str] | None:
    """The native ``render(values, rest)`` of a flat record's Splunk plan, or None.

    It fills ``template`` (the plan's own) as the plan's generated Python does:
    mode 0 a value as it is, 1 ``quoted.get(v) or text(v)``, 2 ``value_text(v)``.
    """
    if CORE is None:
        return None
    renderer: Callable[[tuple, str], str] = CORE.Renderer(
        template, template_parts(template), where, modes, quoted, text, value_text)
    return renderer


def decorator(steps: tuple[tuple[Any, ...], ...], generation: list[int] | None = None
              ) -> Callable[[tuple, dict], None] | None:
    """The native ``decorate(values, computed)`` of a flat record type, or None.

    Each step is ``(positions, table, fallback, part, fn, name)``, one decoration of
    metadata.DECORATIONS: the key is the value at ``positions`` (a tuple of them when
    several); ``fn(key)`` when ``fn`` is set, else ``table.get(key)``, then
    ``fallback.get(key)`` (None: no fallback), then ``.get(part)`` of the entry (None:
    the entry itself); a result that is not None is stored as ``computed[name]``.

    ``generation``: a list whose item 0 the owner replaces whenever a table changes
    (the fallbacks never do, and the functions are pure). With it, each step keeps its
    last key and result and skips the look-up while the key and the item stay the same.
    """
    if CORE is None:
        return None
    decorate: Callable[[tuple, dict], None] = CORE.Decorator(steps, generation)
    return decorate


def splunk_pairs(memos: dict[str, dict[Any, str]], bare: dict[str, str],
                 dropped: frozenset[str], ids: tuple[tuple[int, str, str, bool], ...],
                 sparse: bool, unset: frozenset[str], value_text: Callable[[Any], str]
                 ) -> Callable[[tuple, dict], str | None] | None:
    """The native decorated pairs of a flat record's Splunk plan, or None.

    Called as ``pairs(values, computed)``, it gives what formatters/splunk.py's
    ``_rest`` gives, reading the plan's memos (computed key -> {value: pair}); None
    when a value is not in its memo yet (then ``_rest`` runs and fills it). ``bare``:
    keys whose pair is the prefix and the text as it is; ``dropped``: keys left out;
    ``ids``: the plan's raw ids written when their name is missing.
    """
    if CORE is None:
        return None
    pairs: Callable[[tuple, dict], str | None] = CORE.Pairs(
        memos, bare, dropped, ids, sparse, unset, value_text)
    return pairs


def splunk_line(renderer: Any, pairs: Any) -> Callable[..., Any] | None:
    """A flat record's whole line, ``line(values, computed)``: the ``renderer`` of
    :func:`splunk_renderer` with the ``pairs`` of :func:`splunk_pairs` written where its
    ``rest`` goes; None when the Python path must make it. None without the core.

    ``line(values, computed, head, tail)`` gives bytes instead: ``head``, the line as
    XML element text in US-ASCII as ElementTree writes it (``&``, ``<``, ``>`` as
    entities, every non-ASCII character as a decimal reference), ``tail``; None as
    above and for an empty line (formatters.splunk.XML_FORMS)."""
    if CORE is None or renderer is None or pairs is None:
        return None
    line: Callable[..., Any] = CORE.Line(renderer, pairs)
    return line


def template_parts(template: str) -> tuple[bytes, ...]:
    """The UTF-8 text around each ``%s`` of a %-template (``%%`` read as ``%``)."""
    parts, part, i = [], [], 0
    while i < len(template):
        char = template[i]
        if char == "%":
            following = template[i + 1:i + 2]
            if following == "%":
                part.append("%")
            elif following == "s":
                parts.append("".join(part))
                part = []
            else:
                raise ValueError(f"template conversion %{following} is not %s or %%")
            i += 2
            continue
        part.append(char)
        i += 1
    parts.append("".join(part))
    return tuple(p.encode("utf-8") for p in parts)
