"""The one way layer 2 generates code: the fast decoders (``fastpath``), the decoration
plans (``metadata``) and the Splunk line plans (``formatters.splunk``).

Each generated function is compiled under a file name such as
``<estreamer-generated record_71>`` whose source is registered with :mod:`linecache`,
so a traceback through it shows the generated line, and kept in :data:`SOURCES` for
``estreamer explain``. ``ESTREAMER_NO_CODEGEN=1`` in the environment switches every
generated path off: the decoder walks every layout with its generic walker, and the
decorator and the Splunk formatter interpret their plans step by step. Those plain
paths are the reference; the tests compare the two with :func:`disabled`.
"""

from __future__ import annotations

import linecache
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

#: file name -> generated source, for every function generated in this process
SOURCES: dict[str, str] = {}

_enabled = os.environ.get("ESTREAMER_NO_CODEGEN", "") != "1"
_listeners: list[Callable[[bool], None]] = []


def enabled() -> bool:
    """Whether generated code is used (not switched off by ``ESTREAMER_NO_CODEGEN=1``)."""
    return _enabled


def on_switch(callback: Callable[[bool], None]) -> None:
    """Call ``callback(enabled)`` now and whenever :func:`disabled` switches."""
    _listeners.append(callback)
    callback(_enabled)


def _switch(value: bool) -> None:
    global _enabled
    _enabled = value
    for callback in _listeners:
        callback(value)


@contextmanager
def disabled() -> Iterator[None]:
    """Run the reference paths inside the block (what ``ESTREAMER_NO_CODEGEN=1`` does for
    a whole process). Objects holding plans made before (a MetadataCache) keep them."""
    before = _enabled
    _switch(False)
    try:
        yield
    finally:
        _switch(before)


def filename(label: str) -> str:
    return f"<estreamer-generated {label}>"


def compile_source(source: str, label: str) -> Any:
    """The code object of ``source``, its text kept and shown in tracebacks."""
    path = filename(label)
    SOURCES[path] = source
    # linecache entries with a None mtime are never checked against a file
    linecache.cache[path] = (len(source), None, source.splitlines(keepends=True), path)
    return compile(source, path, "exec")


def build(source: str, label: str, env: dict[str, Any], name: str) -> Any:
    """Compile and run ``source`` in ``env``; the object it defines as ``name``."""
    exec(compile_source(source, label), env)
    return env[name]


def build_on_first_call(source: str, label: str, env: dict[str, Any], name: str
                        ) -> Callable[..., Any]:
    """The function ``source`` defines as ``name``, compiled when first called. For code
    that may never run: the Python fast path behind the native decoder, called only for
    irregular records (compiling a connection record's took a tenth of start-up). The
    source is registered now, for ``estreamer explain``."""
    SOURCES[filename(label)] = source
    made: list[Callable[..., Any]] = []

    def call(*args: Any) -> Any:
        if not made:
            made.append(build(source, label, env, name))
        return made[0](*args)

    call.__name__ = call.__qualname__ = name
    return call


def source(label: str) -> str | None:
    """The generated source of ``label`` (e.g. ``record_71``), if it was generated."""
    return SOURCES.get(filename(label))
