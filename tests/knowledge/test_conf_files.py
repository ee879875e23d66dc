"""The shipped conf files, lookups, views and navigation hang together."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from estreamer.records import names as constants
from estreamer.testing import samples
from tests.support.splunk_emulation import inventory, splunk_eval
from tests.support.splunk_emulation.inventory import DATA, LEAN, SFW, SI, SPARSE
from tests.support.splunk_emulation.props_engine import parse_lookup
from tests.support.splunk_emulation.splunk_conf import (
    DEFAULT,
    LOOKUPS,
    NAV,
    REPO,
    load_conf,
    load_lookup,
)

PROPS = load_conf("props.conf")
TRANSFORMS = load_conf("transforms.conf")
EVENTTYPES = load_conf("eventtypes.conf")
FIELDS = inventory.fields_by_sourcetype()
CIM_ACTIONS = {"allowed", "blocked", "deferred", "teardown", "success", "failure", "error"}
ENCORE_VIEWS = {  # eNcore eStreamer Dashboard view -> ours
    "estreamer_summary": "estreamer_summary", "sensor_summary": "estreamer_sensors",
    "policy_summary": "estreamer_policies", "host_summary": "estreamer_hosts",
    "flow_summary": "estreamer_flows", "ids_event_summary": "estreamer_intrusion",
    "file_event_summary": "estreamer_files", "correlation_summary": "estreamer_correlation",
    "profile_ip": "estreamer_profile_ip", "profile_port": "estreamer_profile_port",
    "profile_user": "estreamer_profile_user", "help": "estreamer_help",
    "about": "estreamer_about",
}
STATIC_VIEWS = {"estreamer_help", "estreamer_about"}
VIEWS = {p.stem: ET.parse(p).getroot() for p in inventory.view_files()}


@pytest.mark.parametrize("name", ["props.conf", "transforms.conf", "eventtypes.conf",
                                  "tags.conf", "macros.conf", "savedsearches.conf",
                                  "workflow_actions.conf"])
def test_conf_file_parses_without_duplicates(name):
    assert load_conf(name)




@pytest.mark.parametrize("sourcetype", sorted(inventory.fields_by_sourcetype()))
def test_props_read_only_fields_that_exist(sourcetype):
    unknown = inventory.props_reads(sourcetype) - FIELDS[sourcetype] - \
        {"sourcetype", "source", "host"}
    assert not unknown, f"[{sourcetype}] reads fields nobody writes: {sorted(unknown)}"


def test_transforms_and_lookups_referenced_by_props_exist():
    for stanza in PROPS.values():
        for key, value in stanza.items():
            kind = key.partition("-")[0]
            if kind in ("REPORT", "TRANSFORMS"):
                for name in value.split(","):
                    assert name.strip() in TRANSFORMS, key
            if kind == "LOOKUP":
                spec = parse_lookup(value)
                rows = load_lookup(TRANSFORMS[spec.table]["filename"])
                columns = set(rows[0])
                assert {c for c, _ in spec.inputs + spec.outputs} <= columns, key
    for name, stanza in TRANSFORMS.items():
        if "filename" in stanza:
            assert (LOOKUPS / stanza["filename"]).is_file(), name
            assert stanza.get("case_sensitive_match") == "false", name


def test_every_lookup_file_is_used():
    used = {s["filename"] for s in TRANSFORMS.values() if "filename" in s}
    assert {p.name for p in LOOKUPS.glob("*.csv")} == used


def _mapping(filename: str, key: str) -> dict[str, str]:
    return {row[key].lower(): row["action"] for row in load_lookup(filename)}


def test_every_file_action_has_a_cim_action():
    mapping = _mapping("estreamer_file_actions.csv", "file_action")
    named = {n.lower() for i, n in constants.FILE_ACTIONS.items() if n != "N/A"}
    assert named <= set(mapping)
    assert set(mapping.values()) <= {"allowed", "blocked", "deferred"}


def test_every_intrusion_blocked_value_has_a_cim_action():
    mapping = _mapping("estreamer_ids_actions.csv", "blocked")
    assert {n.lower() for n in constants.BLOCKED.values()} <= set(mapping)
    assert set(mapping.values()) <= {"allowed", "blocked"}
    assert mapping["would drop"] == "allowed" and mapping["drop"] == "blocked"


def test_firewall_rule_actions_have_cim_actions():
    mapping = _mapping("estreamer_fw_actions.csv", "fw_rule_action")
    assert {n.lower() for n in samples.RULE_ACTIONS.values()} <= set(mapping)
    for name in ("interactive block", "interactive block with reset", "block with reset",
                 "monitor", "trust"):
        assert name in mapping
    assert set(mapping.values()) <= {"allowed", "blocked"}


def test_severity_table_is_complete_and_spelled_as_cim():
    rows = load_lookup("estreamer_severities.csv")
    cells = {(r["impact"], r["priority"]): r["severity"] for r in rows}
    assert set(cells) == {(str(i), p) for i in range(5)
                          for p in ("high", "medium", "low", "none", "N/A")}
    assert set(cells.values()) <= {"critical", "high", "medium", "low", "informational"}


def test_vendor_lookup_matches_what_the_add_on_writes():
    # eNcore keyed it on source=eStreamer, which never matched (B11).
    assert [r["sourcetype"] for r in load_lookup("estreamer_vendors.csv")] == \
        [DATA, SPARSE, LEAN, SI, SFW]


def test_si_sourcetype_has_exactly_the_knowledge_of_the_records():
    """Security-intelligence connections (the input's SI option) are records like any
    other: the same line breaking, time, extraction, aliases, evals and lookups."""
    assert PROPS[SI] == PROPS[DATA]
    assert PROPS[SI]["REPORT-estreamer_kv"] == "estreamer_kv"  # one shared transform



def test_tags_belong_to_existing_event_types_and_use_cim_pairs():
    tags = load_conf("tags.conf")
    for stanza, values in tags.items():
        assert stanza.startswith("eventtype="), stanza
        assert stanza.split("=", 1)[1] in EVENTTYPES, stanza
        assert set(values.values()) == {"enabled"}, stanza
    assert {"network", "communicate"} <= set(tags["eventtype=estreamer_connection"])
    assert {"ids", "attack"} <= set(tags["eventtype=estreamer_intrusion"])
    assert {"malware", "attack"} <= set(tags["eventtype=estreamer_malware"])
    assert "authentication" in tags["eventtype=estreamer_authentication"]


def test_data_sourcetype_is_one_line_per_event_with_epoch_time():
    stanza = PROPS[DATA]
    assert stanza["SHOULD_LINEMERGE"] == "false"
    assert stanza["TIME_FORMAT"] == "%s" and stanza["KV_MODE"] == "none"
    assert not re.search(splunk_eval.pcre_to_python(stanza["TIME_PREFIX"]),
                         "rec_type=112 orig_event_sec=5")


# --- views and navigation ---------------------------------------------------------------

def test_every_encore_view_is_rebuilt_and_health_is_added():
    assert set(ENCORE_VIEWS.values()) | {"estreamer_health"} == set(VIEWS)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_has_label_time_picker_and_timed_searches(name):
    root = VIEWS[name]
    assert root.tag in ("form", "dashboard") and root.get("version") == "1.1"
    assert (root.findtext("label") or "").strip()
    if name in STATIC_VIEWS:
        assert root.find(".//query") is None
        return
    assert root.tag == "form"
    assert [i for i in root.iter("input") if i.get("type") == "time"], "no time picker"
    for search in root.iter("search"):
        assert search.findtext("earliest") == "$time.earliest$"
        assert search.findtext("latest") == "$time.latest$"


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_drilldowns_open_existing_views_with_their_inputs(name):
    for link in VIEWS[name].iter("link"):
        target = (link.text or "").strip()
        view, _, query = target.partition("?")
        assert view in VIEWS, f"{name}: link to unknown view {view}"
        tokens = {i.get("token") for i in VIEWS[view].iter("input")}
        for key in re.findall(r"form\.([\w]+)(?:\.\w+)?=", query):
            assert key in tokens, f"{name}: {view} has no input {key}"


def test_navigation_lists_every_view_and_the_setup_pages():
    root = ET.parse(NAV).getroot()
    names = [v.get("name") for v in root.iter("view")]
    assert {"inputs", "configuration", "search"} <= set(names)
    assert set(VIEWS) <= set(names)
    assert set(names) - set(VIEWS) == {"inputs", "configuration", "search"}
    saved = load_conf("savedsearches.conf")
    assert {s.get("name") for s in root.iter("saved")} <= set(saved)


def test_saved_searches_are_not_real_time_and_not_scheduled_by_default():
    for name, stanza in load_conf("savedsearches.conf").items():
        assert not stanza["dispatch.earliest_time"].startswith("rt"), name
        assert stanza.get("enableSched", "0") == "0", name


def test_pcap_action_points_at_the_handler_script():
    action = load_conf("workflow_actions.conf")["estreamer_download_pcap"]
    assert action["link.uri"].startswith("/splunkd/__raw/services/estreamer/pcap?")
    script = (DEFAULT.parent / "bin" / "estreamer_pcap.py").read_text(encoding="utf-8")
    assert "class PcapHandler" in script


def test_docs_list_every_status_field_and_eventtype():
    text = (REPO / "docs" / "knowledge.md").read_text(encoding="utf-8")
    for name in sorted(inventory.status_fields()) + sorted(EVENTTYPES):
        assert f"`{name}`" in text, name
