"""The add-on's REST handlers (account page, inputs page) from the built add-on, run as
splunkd runs them: the generated ``TA_estreamer_rh_*.py`` script with splunkd's private
``splunk.admin`` faked (tests/splunk/fake_splunk), against the splunkd stand-in."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

from tests.conftest import PKCS12_PASSWORD
from tests.splunk import harness
from tests.splunk.conftest import ACCOUNT_CONF, add_account
from tests.splunk.splunkd_standin import StandIn

BOOKMARKS = "TA_estreamer_bookmarks"
METADATA = "TA_estreamer_metadata"


def _env(standin: StandIn, tmp_path: Path) -> dict[str, str]:
    return harness.environment(tmp_path / "splunk_home", standin.uri, standin.session_key)


def _account(pkcs12: bytes, port: int, password: str = PKCS12_PASSWORD, **fields: str) -> dict:
    return {"fmc_host": "127.0.0.1", "fmc_port": str(port),
            "pkcs12_file": base64.b64encode(pkcs12).decode("ascii"),
            "pkcs12_password": password, "verify_server": "1", "check_hostname": "1",
            **fields}


def test_saving_an_account_with_a_wrong_password_names_the_cause(
        splunk_python: str, app_dir: Path, standin: StandIn, tmp_path: Path, fmc_certs) -> None:
    request = {"action": "create", "id": "fmc1",
               "data": _account(fmc_certs.client_pkcs12.read_bytes(), 8302,
                                password="not-the-password")}
    code, answer, stderr = harness.run_rest_handler(
        splunk_python, app_dir, "TA_estreamer_rh_account.py", request, _env(standin, tmp_path))
    assert code == 1, stderr
    assert answer["type"] == "ArgValidationException"
    assert answer["error"].startswith("account fmc1: PKCS12 password is wrong")
    assert "not-the-password" not in answer["error"] + stderr
    assert "fmc1" not in standin.state.confs.get(ACCOUNT_CONF, {})  # nothing stored
    assert not standin.state.passwords


def test_saving_an_account_tests_the_connection_when_asked(
        splunk_python: str, app_dir: Path, standin: StandIn, tmp_path: Path, fmc_certs,
        simulator) -> None:
    env = _env(standin, tmp_path)
    pkcs12 = fmc_certs.client_pkcs12.read_bytes()
    with socket.socket() as probe:  # nothing listens there
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    code, answer, stderr = harness.run_rest_handler(
        splunk_python, app_dir, "TA_estreamer_rh_account.py",
        {"action": "create", "id": "down", "data": _account(pkcs12, dead, test_connection="1")},
        env)
    assert code == 1, stderr
    assert answer["error"].startswith(f"account down: 127.0.0.1:{dead}: connection refused")
    sim = simulator(records=5)
    code, answer, stderr = harness.run_rest_handler(
        splunk_python, app_dir, "TA_estreamer_rh_account.py",
        {"action": "create", "id": "fmc1", "data": _account(pkcs12, sim.port,
                                                            test_connection="1")}, env)
    assert code == 0, answer or stderr
    stored = standin.state.confs[ACCOUNT_CONF]["fmc1"]
    assert stored["fmc_port"] == str(sim.port)
    assert stored["pkcs12_password"] == "******"  # the secret went to storage/passwords
    assert PKCS12_PASSWORD not in stderr


def test_deleting_an_input_deletes_its_kv_documents(
        splunk_python: str, app_dir: Path, standin: StandIn, tmp_path: Path, fmc_certs) -> None:
    add_account(standin, "fmc1", "127.0.0.1", 8302, fmc_certs.client_pkcs12.read_bytes())
    for name in ("fmc1", "other"):
        standin.state.add_input("estreamer", name, {"account": "fmc1", "index": "main"})
        standin.state.add_kv(BOOKMARKS, name, {"stream": "127.0.0.1:8302",
                                               "state": {"second": 1700000000}})
        standin.state.add_kv(METADATA, name, {"stream": "127.0.0.1:8302", "state": {}})
        for part in (0, 1):   # the metadata cache's documents, one per part of a table
            key = f"{name}:file_shas:{part}"
            standin.state.collections[METADATA][key] = {
                "_key": key, "input": name, "table": "file_shas", "part": part, "state": "{}"}
    code, answer, stderr = harness.run_rest_handler(
        splunk_python, app_dir, "TA_estreamer_rh_estreamer.py",
        {"action": "remove", "id": "fmc1"}, _env(standin, tmp_path))
    assert code == 0, answer or stderr
    assert set(standin.state.inputs("estreamer")) == {"other"}
    assert standin.state.kv_state(BOOKMARKS, "fmc1") is None
    assert standin.state.kv_state(METADATA, "fmc1") is None
    assert sorted(standin.state.kv_documents(METADATA)) == \
        ["other", "other:file_shas:0", "other:file_shas:1"]
    # the other input keeps its bookmark
    assert standin.state.kv_state(BOOKMARKS, "other")["state"]["second"] == 1700000000
