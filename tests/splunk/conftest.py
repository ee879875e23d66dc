"""Fixtures of the add-on tests: the built add-on, Splunk's Pythons, a splunkd stand-in.

The built add-on is ``$SPLUNK_APP_DIR`` (``make test-splunk`` sets it after
``make splunk-build``) or ``output/TA_estreamer``. Without a build these tests are
skipped with the command to run - unless ``SPLUNK_APP_DIR`` is set, then it is an
error. Splunk's Pythons are ``$SPLUNK_PYTHONS`` (space-separated) or pyenv's 3.9 and
3.13; every end-to-end test runs once per Python.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.splunkd_standin import StandIn

APP = "TA_estreamer"
ROOT = Path(__file__).resolve().parents[2]


def _pythons() -> list[str]:
    listed = os.environ.get("SPLUNK_PYTHONS", "").split()
    if listed:
        return listed
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = []
    for version in ("3.9", "3.13"):
        matches = sorted(glob.glob(f"{root}/versions/{version}*/bin/python{version}"))
        if matches:
            found.append(matches[-1])
    return found


PYTHONS = _pythons()


@pytest.fixture(scope="session")
def app_dir() -> Path:
    given = os.environ.get("SPLUNK_APP_DIR")
    path = Path(given) if given else ROOT / "output" / APP
    if not (path / "bin" / "estreamer.py").is_file():
        if given:
            pytest.fail(f"SPLUNK_APP_DIR={given} holds no built add-on (bin/estreamer.py)")
        pytest.skip("the add-on is not built: run `make splunk-build` (or `make test-splunk`)")
    return path


@pytest.fixture(params=PYTHONS or ["missing"], ids=lambda p: Path(p).name)
def splunk_python(request: pytest.FixtureRequest) -> str:
    if request.param == "missing":
        pytest.fail("no Splunk Python (3.9 / 3.13) found: set SPLUNK_PYTHONS")
    return request.param


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn(APP) as server:
        yield server
