"""Imports point down only (docs/design.md): protocol < records < stream < testing < cli, the
core knows nothing of Splunk, layer 1 does no I/O, and the add-on's glue never imports
the command line or the test equipment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import estreamer

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "estreamer"
SPLUNK = {"splunklib", "solnlib", "splunktaucclib", "splunk"}
IO = {"socket", "ssl", "select", "selectors", "asyncio", "threading", "time"}
#: package of estreamer -> layer; errors, durable and gc_tuning serve every layer
LAYERS = {"errors": 0, "durable": 0, "gc_tuning": 0, "protocol": 1, "records": 2,
          "stream": 3, "testing": 4, "cli": 5}


def _imports(path: Path) -> set[str]:
    """Top-level names of the absolute imports of ``path``."""
    return {name.split(".")[0] for name in _modules(path)}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).with_suffix("").parts)


def _modules(path: Path, module: str | None = None) -> set[str]:
    """Every module ``path`` imports, relative imports resolved as if it were ``module``
    (default: where it is), at any depth (imports inside functions run too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (module or _module_name(path)).rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            # "from estreamer import x" / "from . import x": x may be a module
            names.update(f"{module}.{a.name}" for a in node.names)
    return names


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "estreamer" or len(parts) < 2:
        return None
    return LAYERS.get(parts[1])


def _upward_imports(path: Path, module: str | None = None) -> list[str]:
    module = module or _module_name(path)
    own = _layer(module)
    assert own is not None, f"{path}: not in a layer package; add it to LAYERS"
    return sorted(m for m in _modules(path, module) if (_layer(m) or 0) > own)


def test_layers_import_only_downwards() -> None:
    files = [p for p in SRC.rglob("*.py") if p != SRC / "__init__.py"]
    assert len(files) > 40
    upward = {str(p.relative_to(SRC)): _upward_imports(p) for p in files}
    assert {name: found for name, found in upward.items() if found} == {}


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    """The check itself: the decoder importing the stream client is reported."""
    bad = tmp_path / "decoder.py"
    bad.write_text((SRC / "records" / "decoder.py").read_text(encoding="utf-8")
                   + "\nfrom ..stream import client\n", encoding="utf-8")
    assert _upward_imports(bad, "estreamer.records.decoder") == [
        "estreamer.stream", "estreamer.stream.client"]


def test_core_does_not_import_splunk_libraries() -> None:
    for path in SRC.rglob("*.py"):
        assert not (_imports(path) & SPLUNK), path


def test_protocol_core_does_no_io() -> None:
    files = list((SRC / "protocol").rglob("*.py"))
    assert files
    for path in files:
        assert not (_imports(path) & IO), path


@pytest.mark.parametrize("path", sorted((ROOT / "package" / "bin").rglob("*.py")),
                         ids=lambda p: p.name)
def test_add_on_glue_imports_neither_the_cli_nor_the_test_equipment(path: Path) -> None:
    found = sorted(m for m in _modules(path, f"estreamer_splunk.{path.stem}")
                   if m.startswith(("estreamer.cli", "estreamer.testing")))
    assert found == [], f"{path.name} imports {found}; the add-on ships neither"


def test_public_api_is_exported_at_the_top() -> None:
    from estreamer.errors import EStreamerError
    from estreamer.records.decoder import decode_record
    from estreamer.stream.client import StreamClient

    assert estreamer.decode_record is decode_record
    assert estreamer.StreamClient is StreamClient
    assert estreamer.EStreamerError is EStreamerError
    assert set(estreamer.__all__) <= set(dir(estreamer)) | set(estreamer._LAZY)


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    """Shared helpers live in tests/support (a test module is no library)."""
    tests = ROOT / "tests"
    found = {}
    for path in tests.rglob("*.py"):
        if "fake_splunk" in path.parts:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        bad = sorted(m for m in _modules(path, module)
                     if m.startswith("tests.") and any(
                         part.startswith("test_") or part == "conftest"
                         for part in m.split(".")[1:]))
        if bad:
            found[module] = bad
    assert found == {}
