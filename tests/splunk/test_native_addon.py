"""The add-on ships the native core, and Splunk's Pythons use it from lib/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.test_native_build import _SCRIPT, MAX_GLIBC


def _core(app_dir: Path) -> Path:
    found = sorted((app_dir / "lib" / "estreamer" / "_native").glob("_core*.so"))
    if not found and os.environ.get("ESTREAMER_PURE_PYTHON", "") not in ("", "0"):
        pytest.skip("built with ESTREAMER_PURE_PYTHON set: no native core")
    assert [p.name for p in found] == ["_core.abi3.so"]
    return found[0]


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump is not installed")
def test_the_shipped_core_needs_no_glibc_newer_than_manylinux2014(app_dir: Path) -> None:
    dynamic = subprocess.run(["objdump", "-T", str(_core(app_dir))], capture_output=True,
                             text=True, check=True).stdout
    versions = {tuple(int(x) for x in v.split("."))
                for v in re.findall(r"GLIBC_([0-9.]+)", dynamic)}
    assert versions and max(versions) <= MAX_GLIBC, sorted(versions)


def test_splunks_python_decodes_natively_from_lib(app_dir: Path, splunk_python: str) -> None:
    _core(app_dir)
    env = dict(os.environ, PYTHONPATH=str(app_dir / "lib"))
    env.pop("ESTREAMER_PURE_PYTHON", None)
    out = subprocess.run([splunk_python, "-c", _SCRIPT], env=env, capture_output=True,
                         text=True, cwd=app_dir)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("identical"), out.stdout
