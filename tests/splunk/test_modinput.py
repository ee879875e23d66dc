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
from tests.support import splunk_harness as harness
from tests.support.certs import PKCS12_PASSWORD
from tests.support.splunk_emulation import inventory
from tests.support.splunk_emulation.props_engine import Knowledge, search_time
from tests.support.splunkd_standin import KV_DISABLED, KV_INITIALIZING, StandIn, add_account

from estreamer.records.decoder import decode_record, record_header
from estreamer.testing.certs import client_pkcs12_bytes
from estreamer.testing.simulator import Faults, Simulator

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
    # the metadata cache too: a document per part of a table
    parts = splunkd.state.kv_documents(METADATA)
    assert "fmc1:devices:0" in parts and {d["input"] for d in parts.values()} == {"fmc1"}
    log_file = Path(env["SPLUNK_HOME"]) / "var/log/splunk/ta_estreamer_fmc1.log"
    assert "streaming 127.0.0.1" in log_file.read_text()
    # UCC's monitoring dashboard: started, every event counted as ingested, ended
    monitoring = [dict(re.findall(r"(\w+)=(\S+)", line.split(" | ", 1)[1]))
                  for line in log_file.read_text().splitlines() if " | action=" in line]
    assert [m["action"] for m in monitoring][::len(monitoring) - 1] == ["started", "ended"]
    assert {m["modular_input_name"] for m in monitoring} == {"estreamer://fmc1"}
    ingested = [m for m in monitoring if m["action"] == "events_ingested"]
    assert sum(int(m["n_events"]) for m in ingested) == want
    assert {(m["sourcetype_ingested"], m["event_index"], m["event_input"], m["event_account"])
            for m in ingested} == {("cisco:estreamer:data", "estreamer", "fmc1", "fmc1")}


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


@pytest.mark.parametrize(("event_format", "sourcetype"), [
    ("splunk-sparse", "cisco:estreamer:sparse"), ("splunk-lean", "cisco:estreamer:lean")])
def test_lighter_formats_have_their_own_sourcetype(
        splunk_python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], simulator,
        fmc_certs, event_format: str, sourcetype: str) -> None:
    """event_format=splunk-sparse/-lean: every record under the format's sourcetype (the
    SI option is for the key=value records), with its own event time."""
    sim = simulator(records=60)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    params = {**PARAMS, "event_format": event_format, "si_sourcetype": "1"}
    total = expected_count(sim, INDEXED_TYPES)
    run = harness.StreamRun(splunk_python, app_dir,
                            harness.input_xml("fmc1", params, splunkd.uri, splunkd.session_key),
                            env)
    lines = lambda r: [e for e in r.events() if e.sourcetype == sourcetype]  # noqa: E731
    assert run.wait_for(lambda r: len(lines(r)) >= total, 20), run.stderr
    assert run.stop() == 0, run.stderr
    events = lines(run)
    assert len(events) == total and not data_events(run.events())
    assert not [e for e in run.events() if e.sourcetype == "cisco:estreamer:si"]
    for event in events:
        if event_format == "splunk-lean":
            tag, second = event.data.split("|")[:2]
            assert int(tag.split(".")[0]) in INDEXED_TYPES
        else:
            assert event.data.startswith("rec_type=") and " rec_type_simple=" not in event.data
            second = event.data.split(" event_sec=")[1].split(" ")[0] \
                if " event_sec=" in event.data else ""
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
    # what the searches were checked against (unknown_layouts: lean format and a newer FMC only)
    assert written | {"unknown_layouts"} == inventory.periodic_status_fields()
    assert "estreamer_status" in fields["eventtype"]
    assert fields["input"] == "fmc1"
    assert fields["stream"] == f"127.0.0.1:{sim.port}"
    assert fields["server"] == f"127.0.0.1:{sim.port}"
    assert fields["state"] == "stopped"
    assert int(fields["handled"]) == want and int(fields["received"]) >= want
    float(fields["rate"])
    assert int(fields["bookmark"]) > 0
    int(fields["lag"])
    for name in ("decode_errors", "duplicates_skipped", "reconnects", "server_errors",
                 "metadata_save_errors"):
        assert fields[name] == "0", name
    assert "last_error" not in fields  # empty: Splunk keeps no empty values


def test_a_renewed_pkcs12_is_used_on_the_next_reconnect(
        splunk_python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], simulator,
        fmc_certs) -> None:
    """The FMC stops accepting the old certificate (here its CN no longer matches, as
    after the client was created again on the FMC); the admin saves the new PKCS12 and
    password on the account page; the running input uses them on its next reconnect."""
    now = datetime.datetime.now(datetime.timezone.utc)
    old = client_pkcs12_bytes(fmc_certs.ca, "192.0.2.1", PKCS12_PASSWORD,
                              not_after=now + datetime.timedelta(days=10, hours=1))
    new = client_pkcs12_bytes(fmc_certs.ca, "127.0.0.1", "renewed-secret")
    sim = simulator(records=160, rate=40, bundle_size=4, enforce_cn=False,
                    faults=Faults(drop_in_bundle=15))
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, old)
    want = expected_count(sim, INDEXED_TYPES)
    run = harness.StreamRun(splunk_python, app_dir,
                            harness.input_xml("fmc1", PARAMS, splunkd.uri, splunkd.session_key),
                            env)
    assert sim.wait_for(lambda s: s.served > 0, 30), run.stderr
    sim.enforce_cn = True  # from now on the old certificate is refused
    assert sim.wait_for(lambda s: s.rejected >= 1, 30), run.stderr
    assert len(data_events(run.events())) < want
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, new, password="renewed-secret")
    arrived = run.wait_for(lambda r: len(data_events(r.events())) >= want, 60)
    assert run.stop() == 0, run.stderr
    assert arrived, run.stderr
    data = data_events(run.events())
    assert len(data) == want and len({e.data for e in data}) == want

    # the certificate in use, as the status sourcetype's extraction reads it
    knowledge = Knowledge.load()
    certificates = [search_time(knowledge, inventory.STATUS, e.data) for e in run.events()
                    if e.sourcetype == "cisco:estreamer:status" and "certificate_" in e.data]
    for event in run.events():
        if event.sourcetype == "cisco:estreamer:status" and "certificate_" in event.data:
            written = set(re.findall(r"(?:^| )([a-z_]+)=", event.data))
            assert written == inventory.certificate_status_fields()
    assert [(c["account"], c["certificate_subject"]) for c in certificates] == [
        ("fmc1", "CN=192.0.2.1"), ("fmc1", "CN=127.0.0.1")]
    assert certificates[0]["certificate_days_left"] == "10"
    assert certificates[0]["warning"].startswith("client certificate CN=192.0.2.1 expires in "
                                                 "10 days")
    assert "warning" not in certificates[1]  # 365 days left: nothing to warn about
    assert int(certificates[1]["certificate_days_left"]) >= 364
    assert "account fmc1: client certificate CN=127.0.0.1, serial " in run.stderr
    assert "renewed-secret" not in run.stdout + run.stderr


def status_fields(event: harness.Event) -> dict[str, str]:
    return dict(re.findall(r'([a-z_]+)=("[^"]*"|\S+)', event.data))


def test_a_refused_metadata_save_neither_replays_nor_stops_the_input(
        splunk_python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], simulator,
        fmc_certs) -> None:
    """Issue 10 item 1: with every metadata save refused, two runs in a row index each
    event once (the bookmark does not depend on the metadata cache) and exit 0."""
    splunkd.state.collections[METADATA] = {}
    splunkd.state.kv_refuse[METADATA] = (400, "document is over the maximum size")
    sim = simulator(records=300, rate=400, bundle_size=5)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    want = expected_count(sim, INDEXED_TYPES)
    first_run = stream(splunk_python, app_dir, splunkd, env, "fmc1", PARAMS, until=want // 3)
    first = data_events(first_run.events())
    assert len(first) < want
    second = data_events(stream(splunk_python, app_dir, splunkd, env, "fmc1", PARAMS,
                                until=want - len(first)).events())
    assert len(first) + len(second) == want
    assert len({e.data for e in first + second}) == len({e.data for e in first}) + \
        len({e.data for e in second})   # nothing indexed twice
    assert splunkd.state.kv_state(BOOKMARKS, "fmc1")["state"]["second"] > 0
    assert splunkd.state.kv_documents(METADATA) == {}
    status = [e for e in first_run.events() if e.sourcetype == "cisco:estreamer:status"]
    assert int(status_fields(status[-1])["metadata_save_errors"]) >= 1
    assert first_run.stderr.count("metadata cache not saved") == 1   # logged once


def test_a_kv_store_that_is_initializing_is_waited_out(
        splunk_python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], simulator,
        fmc_certs) -> None:
    """splunkd answers 503 while the KV store starts: the input waits with backoff, says
    so in its log and status, then streams; it does not exit (no crash loop)."""
    sim = simulator(records=60)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    want = expected_count(sim, INDEXED_TYPES)
    splunkd.state.kv_unavailable(KV_INITIALIZING, requests=2)   # waits of 1 s, then 2 s
    run = stream(splunk_python, app_dir, splunkd, env, "fmc1",
                 {**PARAMS, "status_interval": "1"}, until=want)
    assert len(data_events(run.events())) == want
    assert run.stderr.count(f"KV store unavailable (HTTP 503: {KV_INITIALIZING})") == 2
    statuses = [status_fields(e) for e in run.events()
                if e.sourcetype == "cisco:estreamer:status"]
    # (the certificate status event written at start has no state)
    assert any(s.get("state") == "waiting" and KV_INITIALIZING in s.get("last_error", "")
               for s in statuses)
    assert statuses[-1]["state"] == "stopped"
    assert splunkd.state.kv_state(BOOKMARKS, "fmc1")["state"]["second"] > 0


def test_a_disabled_kv_store_is_waited_for_until_splunkd_stops_the_input(
        splunk_python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], simulator,
        fmc_certs) -> None:
    sim = simulator(records=60)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    splunkd.state.kv_unavailable(KV_DISABLED)
    run = harness.StreamRun(splunk_python, app_dir,
                            harness.input_xml("fmc1", PARAMS, splunkd.uri, splunkd.session_key),
                            env)
    assert run.wait_for(lambda r: r.stderr.count(KV_DISABLED) >= 2, 20), run.stderr
    assert run.proc.poll() is None            # still waiting, not exited
    assert run.stop() == 0, run.stderr        # SIGTERM ends the wait at once, cleanly
    assert data_events(run.events()) == []
    assert "stopped while waiting for the KV store" in run.stderr


def test_a_kv_store_restart_while_streaming_is_waited_out(
        splunk_python: str, app_dir: Path, splunkd: StandIn, env: dict[str, str], simulator,
        fmc_certs) -> None:
    """The KV store goes away mid-stream (splunkd restarting it): the checkpoint waits
    for it, then the stream goes on; every event once, exit 0."""
    sim = simulator(records=300, rate=150, bundle_size=5)
    add_account(splunkd, "fmc1", "127.0.0.1", sim.port, fmc_certs.client_pkcs12.read_bytes())
    want = expected_count(sim, INDEXED_TYPES)
    run = harness.StreamRun(splunk_python, app_dir,
                            harness.input_xml("fmc1", PARAMS, splunkd.uri, splunkd.session_key),
                            env)
    assert run.wait_for(lambda r: len(data_events(r.events())) >= 10, 20), run.stderr
    splunkd.state.kv_unavailable(KV_INITIALIZING, requests=3)
    assert run.wait_for(lambda r: len(data_events(r.events())) >= want, 40), run.stderr
    assert run.stop() == 0, run.stderr
    data = data_events(run.events())
    assert len(data) == want   # none lost, none repeated
    assert "KV store unavailable (HTTP 503" in run.stderr
    assert "KV store TA_estreamer_bookmarks answers again" in run.stderr
    assert splunkd.state.kv_state(BOOKMARKS, "fmc1")["state"]["second"] == \
        max(record_header(sim.archive.payload(i))[2] for i in range(len(sim.archive)))
