"""Imports point down only (DESIGN.md): the core knows nothing of Splunk, layer 1 no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "estreamer"
SPLUNK = {"splunklib", "solnlib", "splunktaucclib", "splunk"}
IO = {"socket", "ssl", "select", "selectors", "asyncio", "threading", "time"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_does_not_import_splunk_libraries() -> None:
    for path in SRC.rglob("*.py"):
        assert not (_imports(path) & SPLUNK), path


def test_protocol_core_does_no_io() -> None:
    files = list((SRC / "protocol").rglob("*.py")) or [SRC / "protocol.py"]
    for path in files:
        assert not (_imports(path) & IO), path
