"""The built modular input, run as splunkd runs it, against the simulator and the stand-in.

Each test runs on every Splunk Python found (3.9 and 3.13) with the build's own
``bin/`` and ``lib/``; the FMC is the simulator over mutual TLS on loopback, splunkd
is the REST stand-in (accounts, encrypted fields, KV store).
"""

from __future__ import annotations

import configparser
import datetime
import json
import re
import socket
from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import PKCS12_PASSWORD
from tests.knowledge import inventory
from tests.knowledge.props_engine import Knowledge, search_time
from tests.splunk import harness
from tests.splunk.conftest import add_account
from tests.splunk.splunkd_standin import StandIn

from estreamer.certs import client_pkcs12_bytes
from estreamer.decoder import decode_record, record_header
from estreamer.simulator import Simulator

BOOKMARKS = "TA_estreamer_bookmarks"
METADATA = "TA_estreamer_metadata"
#: what "connections|intrusion|files_malware|correlation|impact" must index
INDEXED_TYPES = {71, 400, 125, 500, 502, 112, 9}
PARAMS = {
    "account": "fmc1", "index": "estreamer", "start": "genesis",
    "request_families": "connections|intrusion|files_malware|correlation|metadata|impact",
    "index_families": "connections|intrusion|files_malware|correlation|impact",
    "fmc_version": "7", "device_filter_mode": "none", "decorate": "1",
    "event_format": "splunk", "status_interval": "60",
}


@pytest.fixture
def splunkd(standin: StandIn, app_dir: Path) -> StandIn:
    """The stand-in holding what the app ships: its settings conf (logging level)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(app_dir / "default" / "ta_estreamer_settings.conf")
    standin.state.add_conf("ta_estreamer_settings",
                           {s: dict(parser[s]) for s in parser.sections()})
    return standin


@pytest.fixture
def env(splunkd: StandIn, tmp_path: Path) -> dict[str, str]:
    return harness.environment(tmp_path / "splunk_home", splunkd.uri, splunkd.session_key)


def expected_count(sim: Simulator, types: set[int]) -> int:
    return sum(record_header(sim.archive.payload(i))[0] in types for i in range(len(sim.archive)))


def stream(python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], name: str,
           params: dict[str, str], until: int, timeout: float = 30.0) -> harness.StreamRun:
    """Run the input until ``until`` data events arrived, then SIGTERM it."""
    run = harness.StreamRun(python, app_dir,
                            harness.input_xml(name, params, splunkd.uri, splunkd.session_key),
                            env)
    arrived = run.wait_for(lambda r: len(data_events(r.events())) >= until, timeout)
    code = run.stop()
    assert arrived, f"only {len(data_events(run.events()))} of {until} events; {run.stderr}"
    assert code == 0, run.stderr
    return run


def data_events(events: list[harness.Event]) -> list[harness.Event]:
    return [e for e in events if e.sourcetype == "cisco:estreamer:data"]


def test_scheme_lists_the_input_arguments(splunk_python: str, app_dir: Path,
                                         env: dict[str, str]) -> None:
    result = harness.run_script(splunk_python, app_dir, ["--scheme"], "", env)
    assert result.returncode == 0, result.stderr
    for arg in ("account", "secondary_account", "start", "request_families", "index_families",
                "fmc_version", "device_filter", "si_sourcetype", "decorate", "event_format"):
        assert f'<arg name="{arg}">' in result.stdout
    assert "<use_single_instance>false</use_single_instance>" in result.stdout


def test_validation_accepts_a_good_account(splunk_python: str, app_dir: Path, splunkd: StandIn,
                                           env: dict[str, str], fmc_certs) -> None:
    add_account(splunkd, "fmc1", "127.0.0.1", 8302, fmc_certs.client_pkcs12.read_bytes())
    result = harness.run_script(splunk_python, app_dir, ["--validate-arguments"],
                                harness.validation_xml("fmc1", PARAMS, splunkd.uri,
                                                       splunkd.session_key), env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("change", "message"), [
    ({"password": "not-the-password"}, "PKCS12 password is wrong"),
    ({"pkcs12": b"-----BEGIN CERTIFICATE-----\nAAAA\n"}, "not a PKCS12 file"),
    ({"expired": True}, "expired on"),
])
def test_validation_names_a_bad_pkcs12(splunk_python: str, app_dir: Path, splunkd: StandIn,
                                       env: dict[str, str], fmc_certs, change: dict,
                                       message: str) -> None:
    pkcs12 = change.get("pkcs12", fmc_certs.client_pkcs12.read_bytes())
    if change.get("expired"):
        now = datetime.datetime.now(datetime.timezone.utc)
        pkcs12 = client_pkcs12_bytes(fmc_certs.ca, "127.0.0.1", PKCS12_PASSWORD,
                                     not_before=now - datetime.timedelta(days=30),
                                     not_after=now - datetime.timedelta(days=1))
    add_account(splunkd, "fmc1", "127.0.0.1", 8302, pkcs12,
                **({"password": change["password"]} if "password" in change else {}))
    result = harness.run_script(splunk_python, app_dir, ["--validate-arguments"],
                                harness.validation_xml("fmc1", PARAMS, splunkd.uri,
                                                       splunkd.session_key), env)
    assert result.returncode == 1
    found = re.search(r"<error><message>(.*)</message></error>", result.stdout)
    assert found, result.stdout + result.stderr
    assert message in found.group(1)
    assert "account fmc1" in found.group(1)
    assert "not-the-password" not in result.stdout + result.stderr


@pytest.mark.parametrize(("params", "message"), [
    ({"account": "nosuch"}, "FMC account 'nosuch' does not exist"),
    ({"index_families": "connections|packets"}, "['packets'] are not requested"),
    ({"request_families": "connections|bogus"}, "unknown event families ['bogus']"),
])
def test_validation_rejects_bad_parameters(splunk_python: str, app_dir: Path,
                                           splunkd: StandIn, env: dict[str, str], fmc_certs,
                                           params: dict, message: str) -> None:
    add_account(splunkd, "fmc1", "127.0.0.1", 8302, fmc_certs.client_pkcs12.read_bytes())
    result = harness.run_script(splunk_python, app_dir, ["--validate-arguments"],
                                harness.validation_xml("fmc1", {**PARAMS, **params},
                                                       splunkd.uri, splunkd.session_key), env)
    assert result.returncode == 1
    assert message in result.stdout, result.stdout + result.stderr


def test_stream_writes_events_and_checkpoints(splunk_python: str, app_dir: Path,
                                              splunkd: StandIn, env: dict[str, str],
                                              simulator, fmc_certs) -> None:
    sim = simulator(records=60)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    want = expected_count(sim, INDEXED_TYPES)
    run = stream(splunk_python, app_dir, splunkd, env, "fmc1", PARAMS, until=want)

    events = run.events()
    data = data_events(events)
    assert len(data) == want
    for event in data:
        assert event.index == "estreamer"
        assert event.host == "127.0.0.1"
        assert event.source == "estreamer://fmc1"
        assert event.stanza == "estreamer://fmc1"
        rec_type = int(re.match(r"rec_type=(\d+) ", event.data).group(1))
        assert rec_type in INDEXED_TYPES
        # _time is the event's own second and microsecond
        sec = re.search(r" event_sec=(\d+)", event.data)
        if sec:
            usec = re.search(r" event_usec=(\d+)", event.data)
            assert event.time == f"{sec.group(1)}.{int(usec.group(1)) if usec else 0:06d}"
    status = [e for e in events if e.sourcetype == "cisco:estreamer:status"]
    assert status and "state=stopped" in status[-1].data and f"handled={want}" in status[-1].data
    logs = [e for e in events if e.sourcetype == "cisco:estreamer:log"]
    assert any("bookmark saved" in e.data for e in logs)
    # the shipped props.conf [cisco:estreamer:log] reads every line (solnlib's format)
    knowledge = Knowledge.load()
    for event in logs:
        fields = search_time(knowledge, inventory.LOG, event.data)
        assert fields.get("log_level") in ("INFO", "WARNING", "ERROR", "CRITICAL"), event.data
        assert fields["pid"].isdigit() and fields["tid"] and ".py:" in fields["log_file"]
        assert fields["log_message"] and "\n" not in event.data
        stamp = datetime.datetime.strptime(event.data[:23], "%Y-%m-%d %H:%M:%S,%f")
        assert abs(stamp.timestamp() - float(event.time)) < 1  # TIME_FORMAT reads _time
    assert any(search_time(knowledge, inventory.LOG, e.data)["log_message"].startswith(
        "input fmc1 stopped:") for e in logs)
    assert "test-only-password" not in run.stdout + run.stderr

    # the checkpoint is in the KV store, at the newest archive second delivered
    state = splunkd.state.kv_state(BOOKMARKS, "fmc1")
    newest = max(record_header(sim.archive.payload(i))[2] for i in range(len(sim.archive)))
    assert state["stream"] == f"127.0.0.1:{sim.port}"
    assert state["state"]["second"] == newest
    assert splunkd.state.kv_state(METADATA, "fmc1")["state"]  # the metadata cache too
    log_file = Path(env["SPLUNK_HOME"]) / "var/log/splunk/ta_estreamer_fmc1.log"
    assert "streaming 127.0.0.1" in log_file.read_text()


def test_resume_has_no_duplicates_and_no_gaps(splunk_python: str, app_dir: Path,
                                              splunkd: StandIn, env: dict[str, str],
                                              simulator, fmc_certs) -> None:
    sim = simulator(records=300, rate=400, bundle_size=5)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    want = expected_count(sim, INDEXED_TYPES)
    assert want > 60
    reference = data_events(stream(splunk_python, app_dir, splunkd, env, "reference",
                                   PARAMS, until=want).events())

    first = data_events(stream(splunk_python, app_dir, splunkd, env, "fmc1", PARAMS,
                               until=want // 3).events())
    assert len(first) < want  # stopped mid-stream
    second_run = stream(splunk_python, app_dir, splunkd, env, "fmc1", PARAMS,
                        until=want - len(first))
    second = data_events(second_run.events())
    assert Counter(e.data for e in first + second) == Counter(e.data for e in reference)
    assert len(first) + len(second) == want
    assert "starting from bookmark" in second_run.stderr


def test_two_inputs_stream_two_fmcs_side_by_side(splunk_python: str, app_dir: Path,
                                                 splunkd: StandIn, env: dict[str, str],
                                                 simulator, fmc_certs) -> None:
    sims = {"fmcA": simulator(records=50, seed=1), "fmcB": simulator(records=80, seed=2)}
    runs = {}
    for name, sim in sims.items():
        add_account(splunkd, name, "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
        runs[name] = harness.StreamRun(
            splunk_python, app_dir,
            harness.input_xml(name, {**PARAMS, "account": name}, splunkd.uri,
                              splunkd.session_key), env)
    for name, run in runs.items():
        want = expected_count(sims[name], INDEXED_TYPES)
        assert run.wait_for(lambda r, w=want: len(data_events(r.events())) >= w, 30), run.stderr
    for name, run in runs.items():
        assert run.stop() == 0, run.stderr
        data = data_events(run.events())
        assert len(data) == expected_count(sims[name], INDEXED_TYPES)
        assert {e.source for e in data} == {f"estreamer://{name}"}
        assert splunkd.state.kv_state(BOOKMARKS, name)["stream"] == f"127.0.0.1:{sims[name].port}"


def test_device_filter_and_json_format(splunk_python: str, app_dir: Path, splunkd: StandIn,
                                       env: dict[str, str], simulator, fmc_certs) -> None:
    """Include by device name or id (CSCvt31270); JSON events keep _time and sourcetype."""
    sim = simulator(records=60)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    params = {**PARAMS, "event_format": "json", "device_filter_mode": "include",
              "device_filter": "fw-edge-01, 3"}
    total = expected_count(sim, INDEXED_TYPES)
    records = [decode_record(sim.archive.payload(i)) for i in range(len(sim.archive))]
    kept = [r for r in records if r.record_type in INDEXED_TYPES
            and r.fields.get("deviceId") in (1, 3, None)]
    assert 0 < len(kept) < total
    run = harness.StreamRun(splunk_python, app_dir,
                            harness.input_xml("fmc1", params, splunkd.uri, splunkd.session_key),
                            env)
    assert run.wait_for(lambda r: len(data_events(r.events())) >= len(kept), 20), run.stderr
    assert run.stop() == 0, run.stderr
    data = data_events(run.events())
    assert len(data) == len(kept)
    devices = Counter(json.loads(e.data).get("deviceId") for e in data)
    assert set(devices) <= {1, 3} and devices[1] and devices[3]
    for event in data:
        record = json.loads(event.data)
        second = record.get("eventSecond") or record.get("fileEventTimestamp")
        if second:
            assert event.time.startswith(f"{second}.")
    assert f"handled={total}" in [e for e in run.events()
                                  if e.sourcetype == "cisco:estreamer:status"][-1].data


def test_security_cloud_format_has_its_own_sourcetype(
        splunk_python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], simulator,
        fmc_certs) -> None:
    """event_format=sfw: every record as Security Cloud JSON, sourcetype cisco:sfw:estreamer."""
    sim = simulator(records=60)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    params = {**PARAMS, "event_format": "sfw", "si_sourcetype": "1"}
    total = expected_count(sim, INDEXED_TYPES)
    run = harness.StreamRun(splunk_python, app_dir,
                            harness.input_xml("fmc1", params, splunkd.uri, splunkd.session_key),
                            env)
    sfw = lambda r: [e for e in r.events() if e.sourcetype == "cisco:sfw:estreamer"]  # noqa: E731
    assert run.wait_for(lambda r: len(sfw(r)) >= total, 20), run.stderr
    assert run.stop() == 0, run.stderr
    events = sfw(run)
    assert len(events) == total and not data_events(run.events())
    kinds = Counter(json.loads(e.data)["EventType"] for e in events)
    assert {"ConnectionEvent", "IntrusionEvent"} <= set(kinds)
    for event in events:
        obj = json.loads(event.data)
        second = obj.get("EventSecond") or obj.get("eventSecond")
        if second:
            assert event.time.startswith(f"{second}.")


def test_secondary_account_takes_over_when_the_primary_is_down(
        splunk_python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], simulator,
        fmc_certs) -> None:
    """HA pair: the primary refuses connections, the standby streams; one bookmark."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    standby = simulator(records=40)
    pkcs12 = fmc_certs.client_pkcs12.read_bytes()
    add_account(splunkd, "primary", "127.0.0.1", dead_port, pkcs12)
    add_account(splunkd, "standby", "127.0.0.1", standby.port, pkcs12)
    want = expected_count(standby, INDEXED_TYPES)
    run = stream(splunk_python, app_dir, splunkd, env, "pair",
                 {**PARAMS, "account": "primary", "secondary_account": "standby"}, until=want)
    assert len(data_events(run.events())) == want
    assert "connection refused" in run.stderr
    # the bookmark belongs to the pair, keyed by the primary
    assert splunkd.state.kv_state(BOOKMARKS, "pair")["stream"] == f"127.0.0.1:{dead_port}"


def test_status_events_give_the_health_dashboard_its_fields(
        splunk_python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], simulator,
        fmc_certs) -> None:
    """A status event as the input writes it, extracted with the shipped props/transforms:
    exactly the monitor's figures, the input's name and its last error."""
    sim = simulator(records=40)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    want = expected_count(sim, INDEXED_TYPES)
    run = stream(splunk_python, app_dir, splunkd, env, "fmc1", {**PARAMS, "status_interval": "5"},
                 until=want)
    status = [e for e in run.events() if e.sourcetype == "cisco:estreamer:status"]
    assert status and {e.source for e in status} == {"estreamer://fmc1"}
    knowledge = Knowledge.load()
    fields = search_time(knowledge, inventory.STATUS, status[-1].data)
    written = set(re.findall(r"(?:^| )([a-z_]+)=", status[-1].data))
    assert written == inventory.status_fields()  # what the searches were checked against
    assert "estreamer_status" in fields["eventtype"]
    assert fields["input"] == "fmc1"
    assert fields["stream"] == f"127.0.0.1:{sim.port}"
    assert fields["server"] == f"127.0.0.1:{sim.port}"
    assert fields["state"] == "stopped"
    assert int(fields["handled"]) == want and int(fields["received"]) >= want
    float(fields["rate"])
    assert int(fields["bookmark"]) > 0
    int(fields["lag"])
    for name in ("decode_errors", "duplicates_skipped", "reconnects", "server_errors"):
        assert fields[name] == "0", name
    assert "last_error" not in fields  # empty: Splunk keeps no empty values
