"""The add-on's REST handlers (account page, inputs page) from the built add-on, run as
splunkd runs them: the generated ``TA_estreamer_rh_*.py`` script with splunkd's private
``splunk.admin`` faked (tests/support/fake_splunk), against the splunkd stand-in."""

from __future__ import annotations

import base64
import json
import re
import socket
from pathlib import Path

from tests.support import splunk_harness as harness
from tests.support.certs import PKCS12_PASSWORD
from tests.support.pcap import read_pcap
from tests.support.splunkd_standin import ACCOUNT_CONF, StandIn, add_account

from estreamer.testing.certs import client_pkcs12_bytes

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


# --- persistent mode: one process, many requests (as splunkd runs them) -----------------

def test_account_handler_serves_many_requests_in_one_process(
        splunk_python: str, app_dir: Path, standin: StandIn, tmp_path: Path, fmc_certs) -> None:
    """UCC's handlers run with handlerpersistentmode = true: each request gets a new
    handler object in the same process, with its own session key and payload."""
    pkcs12 = fmc_certs.client_pkcs12.read_bytes()
    other = client_pkcs12_bytes(fmc_certs.ca, "127.0.0.1", "another-password")
    masked = {"pkcs12_file": "******", "pkcs12_password": "******"}
    requests = [
        {"action": "create", "id": "fmc1", "data": _account(pkcs12, 8302, password="wrong")},
        {"action": "create", "id": "fmc1", "data": _account(pkcs12, 8302)},
        # an edit from the page: the secrets come back masked, the stored ones are checked
        {"action": "edit", "id": "fmc1", "data": {"fmc_port": "8303", **masked}},
        # a new file whose password is not the stored one
        {"action": "edit", "id": "fmc1", "data": {
            "pkcs12_file": base64.b64encode(other).decode("ascii"),
            "pkcs12_password": "******"}},
        {"action": "list", "id": "fmc1", "session_key": "expired-session"},
        {"action": "create", "id": "fmc2", "data": _account(other, 8304,
                                                            password="another-password")},
    ]
    code, answers, stderr = harness.run_admin_handler_persistent(
        splunk_python, app_dir, "TA_estreamer_rh_account.py", requests, _env(standin, tmp_path))
    assert code == 0 and len(answers) == len(requests), stderr
    assert len({a["pid"] for a in answers}) == 1  # one process served them all
    errors = [a.get("error", "") for a in answers]
    assert errors[0].startswith("account fmc1: PKCS12 password is wrong")
    assert errors[1] == errors[2] == errors[5] == ""
    assert errors[3].startswith("account fmc1: PKCS12 password is wrong")
    assert "401" in errors[4] or "authenticated" in errors[4]
    stored = standin.state.confs[ACCOUNT_CONF]
    assert stored["fmc1"]["fmc_port"] == "8303" and stored["fmc2"]["fmc_port"] == "8304"
    assert "another-password" not in stderr + json.dumps(answers)


def test_input_handler_deletes_several_inputs_in_one_process(
        splunk_python: str, app_dir: Path, standin: StandIn, tmp_path: Path, fmc_certs) -> None:
    add_account(standin, "fmc1", "127.0.0.1", 8302, fmc_certs.client_pkcs12.read_bytes())
    for name in ("a", "b", "c"):
        standin.state.add_input("estreamer", name, {"account": "fmc1", "index": "main"})
        standin.state.add_kv(BOOKMARKS, name, {"stream": "127.0.0.1:8302",
                                               "state": {"second": 1700000000}})
    code, answers, stderr = harness.run_admin_handler_persistent(
        splunk_python, app_dir, "TA_estreamer_rh_estreamer.py",
        [{"action": "remove", "id": "a"}, {"action": "remove", "id": "b"}],
        _env(standin, tmp_path))
    assert code == 0 and [a.get("error") for a in answers] == [None, None], stderr
    assert len({a["pid"] for a in answers}) == 1
    assert set(standin.state.inputs("estreamer")) == {"c"}
    assert standin.state.kv_state(BOOKMARKS, "a") is None
    assert standin.state.kv_state(BOOKMARKS, "b") is None
    assert standin.state.kv_state(BOOKMARKS, "c")["state"]["second"] == 1700000000


def _packet_rows(search: dict) -> list[dict]:
    """Indexed packet records of events 7 and 8 (two and one packets)."""
    rows = {7: [{"packet": "aabb", "packet_sec": "1700000001", "packet_usec": "20",
                 "packet_len": "2", "link_type": "1"},
                {"packet": "ccddeeff", "packet_sec": "1700000001", "packet_usec": "10",
                 "packet_len": "60", "link_type": "1"}],
            8: [{"packet": "0102", "packet_sec": "1700000002", "packet_usec": "0",
                 "packet_len": "2", "link_type": "1"}]}
    found = re.search(r" event_id=(\d+)", search["search"])
    return rows.get(int(found.group(1)), []) if found else []


def test_pcap_handler_serves_many_requests_in_one_process(
        splunk_python: str, app_dir: Path, standin: StandIn, tmp_path: Path) -> None:
    """restmap.conf [script:estreamer_pcap] is scripttype = persist: one handler object
    answers every download; each uses the caller's own session."""
    standin.state.search_results = _packet_rows
    session = {"user": "analyst", "authtoken": standin.session_key}

    def get(session: dict, **query: str) -> dict:
        return {"method": "GET", "query": [[k, v] for k, v in query.items()],
                "session": session}

    event = {"device_id": "1", "event_sec": "1700000001"}
    requests = [get(session, event_id="7", **event), get(session, event_id="8", **event),
                get({"user": "analyst"}, event_id="7", **event),
                get(session, event_id="x", **event),
                get({"user": "analyst", "authtoken": "stolen"}, event_id="7", **event),
                get(session, event_id="9", **event),
                get(session, event_id="7", **event)]
    code, answers, stderr = harness.run_persist_handler(
        splunk_python, app_dir, "estreamer_pcap.py", "PcapHandler", requests,
        _env(standin, tmp_path))
    assert code == 0 and len(answers) == len(requests), stderr
    assert len({a["pid"] for a in answers}) == 1
    replies = [a["reply"] for a in answers]
    assert [r["status"] for r in replies] == [200, 200, 401, 400, 502, 404, 200]
    first = base64.b64decode(replies[0]["payload_base64"])
    link, packets = read_pcap(first)
    assert link == 1
    assert [(p[0], p[1], p[3]) for p in packets] == [(1700000001, 10, b"\xcc\xdd\xee\xff"),
                                                     (1700000001, 20, b"\xaa\xbb")]
    assert [p[3] for p in read_pcap(base64.b64decode(replies[1]["payload_base64"]))[1]] == \
        [b"\x01\x02"]
    assert base64.b64decode(replies[6]["payload_base64"]) == first
    assert "HTTP 401" in replies[4]["payload"]
    # every search ran as the caller, in the add-on's namespace (its macros), for that
    # event's second only; the stolen token was refused by splunkd
    exports = [path for method, path in standin.calls if path.endswith("/jobs/export")]
    assert exports == ["/servicesNS/analyst/TA_estreamer/search/jobs/export"] * 5
    assert len(standin.state.searches) == 4
    assert {(s["earliest_time"], s["latest_time"]) for s in standin.state.searches} == \
        {("1700000001", "1700000002")}
