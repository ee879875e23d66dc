"""Fixtures of the add-on tests: the built add-on, Splunk's Pythons, a splunkd stand-in.

The built add-on is ``$SPLUNK_APP_DIR`` (``make test-splunk`` sets it after
``make splunk-build``) or ``output/TA_estreamer``. Without a build these tests are
skipped with the command to run - unless ``SPLUNK_APP_DIR`` is set, then it is an
error. Splunk's Pythons are ``$SPLUNK_PYTHONS`` (space-separated) or pyenv's 3.9 and
3.13; every end-to-end test runs once per Python.
"""

from __future__ import annotations

import base64
import glob
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import PKCS12_PASSWORD
from tests.splunk.splunkd_standin import StandIn

APP = "TA_estreamer"
ACCOUNT_CONF = "ta_estreamer_account"
REALM = f"__REST_CREDENTIAL__#{APP}#configs/conf-{ACCOUNT_CONF}"
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


def add_account(standin: StandIn, name: str, host: str, port: int, pkcs12: bytes,
                password: str = PKCS12_PASSWORD, **fields: str) -> None:
    """An FMC account as the UCC account page stores it."""
    standin.state.add_account(
        ACCOUNT_CONF, REALM, name,
        {"fmc_host": host, "fmc_port": str(port), "verify_server": "1",
         "check_hostname": "1", **fields},
        {"pkcs12_file": base64.b64encode(pkcs12).decode("ascii"),
         "pkcs12_password": password})
