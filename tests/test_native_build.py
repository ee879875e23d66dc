"""The native core's binary: abi3, old enough a glibc, loadable by Splunk's two Pythons."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import pytest

from estreamer.records import _native
from tests.support.native import MAX_GLIBC, glibc_versions, splunk_lines, write_payloads

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not _native.ACTIVE, reason=_native.STATUS)



def _core_file() -> str:
    return str(_native.CORE.__file__)


def test_the_core_is_a_limited_api_binary() -> None:
    assert _core_file().endswith(".abi3.so")


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump is not installed")
def test_the_core_needs_no_glibc_newer_than_manylinux2014() -> None:
    versions = glibc_versions(_core_file())
    assert versions, "expected versioned glibc symbols"
    assert max(versions) <= MAX_GLIBC, sorted(versions)


def _splunk_pythons() -> list[str]:
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = []
    for version in ("3.9", "3.13"):
        hits = sorted(glob.glob(f"{pyenv}/versions/{version}*/bin/python{version}")) \
            or [p for p in [shutil.which(f"python{version}")] if p]
        if hits:
            found.append(hits[0])
    return found


@pytest.mark.slow
@pytest.mark.parametrize("python", _splunk_pythons())
def test_one_binary_serves_splunks_pythons(python: str, tmp_path: Path) -> None:
    payloads = write_payloads(tmp_path / "payloads")
    native = splunk_lines(python, ROOT / "src", payloads, native=True)
    assert native[0] == "True"
    assert native == ["True", *splunk_lines(python, ROOT / "src", payloads, native=False)[1:]]
