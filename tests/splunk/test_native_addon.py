"""The add-on ships the native core, and Splunk's Pythons use it from lib/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests.support.native import MAX_GLIBC, glibc_versions, splunk_lines, write_payloads


def _core(app_dir: Path) -> Path:
    found = sorted((app_dir / "lib" / "estreamer" / "records" / "_native").glob("_core*.so"))
    if not found and os.environ.get("ESTREAMER_PURE_PYTHON", "") not in ("", "0"):
        pytest.skip("built with ESTREAMER_PURE_PYTHON set: no native core")
    assert [p.name for p in found] == ["_core.abi3.so"]
    return found[0]


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump is not installed")
def test_the_shipped_core_needs_no_glibc_newer_than_manylinux2014(app_dir: Path) -> None:
    versions = glibc_versions(_core(app_dir))
    assert versions and max(versions) <= MAX_GLIBC, sorted(versions)


def test_splunks_python_decodes_natively_from_lib(app_dir: Path, splunk_python: str,
                                                  tmp_path: Path) -> None:
    _core(app_dir)
    payloads = write_payloads(tmp_path / "payloads")
    native = splunk_lines(splunk_python, app_dir / "lib", payloads, native=True)
    assert native[0] == "True"
    assert native == ["True", *splunk_lines(splunk_python, app_dir / "lib", payloads,
                                            native=False)[1:]]
