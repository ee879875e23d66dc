"""The native core's binary: abi3, old enough a glibc, loadable by Splunk's two Pythons."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from estreamer import _native

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not _native.ACTIVE, reason=_native.STATUS)

#: manylinux2014's glibc: the add-on's binary must need nothing newer
MAX_GLIBC = (2, 17)


def _core_file() -> str:
    return str(_native.CORE.__file__)


def test_the_core_is_a_limited_api_binary() -> None:
    assert _core_file().endswith(".abi3.so")


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump is not installed")
def test_the_core_needs_no_glibc_newer_than_manylinux2014() -> None:
    dynamic = subprocess.run(["objdump", "-T", _core_file()], capture_output=True, text=True,
                             check=True).stdout
    versions = {tuple(int(x) for x in v.split("."))
                for v in re.findall(r"GLIBC_([0-9.]+)", dynamic)}
    assert versions, "expected versioned glibc symbols"
    assert max(versions) <= MAX_GLIBC, sorted(versions)


# A script for another interpreter: the sample stream's Splunk lines, native against Python.
_SCRIPT = """
from estreamer import _native, decoder
from estreamer.decoder import decode_record
from estreamer.formatters.splunk import format_splunk
from estreamer.metadata import MetadataCache
from estreamer.samples import generate_mix
assert _native.ACTIVE, _native.STATUS
payloads = list(generate_mix(1500))
def lines():
    cache, out = MetadataCache(), []
    for p in payloads:
        r = decode_record(p)
        cache.update(r)
        cache.decorate(r)
        out.append(format_splunk(r))
    return out
fast = lines()
from estreamer.formatters import splunk
decoder._RECORD_FAST.update(_native.PYTHON_FAST)
splunk._flat_plans.clear()
_native.CORE = None
assert fast == lines()
print("identical", len(fast))
"""


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
def test_one_binary_serves_splunks_pythons(python: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    env.pop("ESTREAMER_PURE_PYTHON", None)
    out = subprocess.run([python, "-c", _SCRIPT], env=env, capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("identical"), out.stdout
