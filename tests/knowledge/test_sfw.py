"""Security Cloud JSON (cisco:sfw:estreamer): CIM fields, event types and ESCU's detections.

The detection searches below are the filters and ``stats ... by`` fields of ESCU's
"Cisco Secure Firewall Threat Defense Analytics" detections (splunk/security_content,
detections/network/cisco_secure_firewall___*.yml), without ESCU's own lookups
(file type descriptions, SSL blacklist) and its ctime/filter macros, which ESCU ships.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.records.formatters.sfw import format_sfw
from tests.support.pcap import pcap_handler
from tests.support.sfw_records import CONNECTION, FILE, INTRUSION, MALWARE, sfw_metadata
from tests.support.splunk_emulation.inventory import SFW
from tests.support.splunk_emulation.props_engine import search_time, timestamp
from tests.support.splunk_emulation.splunk_conf import load_conf
from tests.support.splunk_emulation.splunk_search import (
    SearchTerms,
    check_spl,
    expand_macros,
    split_pipeline,
)

MACROS = load_conf("macros.conf")


@pytest.fixture(scope="module")
def event(knowledge):
    metadata = sfw_metadata()

    def make(record_type: int, fields: dict[str, Any], **changes: Any) -> dict[str, Any]:
        record = decode_record(encode_record(record_type, {**fields, **changes},
                                             archive_timestamp=1))
        metadata.decorate(record)
        line = format_sfw(record)
        return {**search_time(knowledge, SFW, line, {"index": "main"}), "_line": line}
    return make


def test_connection_is_cim_network_traffic(event):
    e = event(71, CONNECTION)
    assert {"network", "communicate"} <= set(e["tag"])
    assert "estreamer_sfw_connection" in e["eventtype"]
    expected = {"src": "172.16.3.110", "src_ip": "172.16.3.110", "src_port": "62296",
                "dest": "142.250.191.196", "dest_ip": "142.250.191.196", "dest_port": "443",
                "transport": "tcp", "action": "blocked", "rule": "Block-Telnet", "app": "HTTPS",
                "dvc": "fw-edge-01", "url": "https://www.google.com", "bytes_out": "840",
                "bytes_in": "66", "bytes": 906, "src_zone": "inside", "dest_zone": "outside",
                "ssl_hash": "2fcc05c514c4cda4260531f967407cd33974340c",
                "vendor_product": "Cisco Secure Firewall", "protocol_version": 4,
                "user": "alice", "duration": "2"}
    assert {k: e.get(k) for k in expected} == expected


@pytest.mark.parametrize(("rule_action", "action"), [(1, "allowed"), (4, "allowed"),
                                                     (2, "blocked")])
def test_connection_action_from_the_rule_action(event, rule_action, action):
    assert event(71, CONNECTION, ruleAction=rule_action)["action"] == action


def test_intrusion_is_cim_intrusion_detection(event):
    e = event(400, INTRUSION)
    assert {"ids", "attack"} <= set(e["tag"])
    expected = {"signature": "FILE-EXECUTABLE download of executable content",
                "signature_id": "11192", "class_desc": "Potential Corporate Privacy Violation",
                "category": "Potential Corporate Privacy Violation", "src": "146.75.78.172",
                "dest": "172.16.3.110", "dest_port": "2604", "transport": "tcp",
                "action": "allowed", "severity": "high", "rule": "Allow-Web", "app": "HTTP",
                "ids_type": "network", "dvc": "fw-dc-02"}
    assert {k: e.get(k) for k in expected} == expected


@pytest.mark.parametrize(("blocked", "action"), [(1, "blocked"), (5, "allowed"), (0, "allowed"),
                                                 (7, "blocked")])
def test_intrusion_action_follows_the_inline_result(event, blocked, action):
    assert event(400, INTRUSION, blocked=blocked)["action"] == action


@pytest.mark.parametrize(("record_type", "fields"), [(500, FILE), (502, FILE), (125, MALWARE)],
                         ids=["500", "502", "125"])
def test_malware_file_is_a_cim_malware_attack(event, record_type, fields):
    e = event(record_type, fields)
    assert {"malware", "attack"} <= set(e["tag"])
    assert e["file_hash"] == fields.get("shaHash", fields.get("fileShaHash"))
    assert e["file_name"] == "csm-eicar.gif" and e["signature"] in ("EICAR", "W32.EICAR.Test")


def test_clean_file_is_a_file_event_not_malware(event):
    e = event(500, FILE, disposition=1, action=1)
    assert "estreamer_sfw_file" in e["eventtype"]
    assert "malware" not in e["tag"] and e["action"] == "allowed"


def test_time_is_the_event_second_or_the_first_packet(knowledge, event):
    assert timestamp(knowledge, SFW, event(400, INTRUSION)["_line"]) == 1744752707
    assert timestamp(knowledge, SFW, event(500, FILE)["_line"]) == 1741199882
    assert timestamp(knowledge, SFW, event(71, CONNECTION)["_line"]) == 1743500734


# --- ESCU's detections ------------------------------------------------------------------
_STATS = " | stats count min(_time) as firstTime max(_time) as lastTime "
DETECTIONS: dict[str, str] = {
    "blocked_connection":
        '`cisco_secure_firewall` EventType=ConnectionEvent action IN ("Block with reset", '
        '"Block", "blocked")' + _STATS + "by src, dest, dest_port, transport, rule, url, "
        "EVE_Process, action",
    "bits_network_activity":
        '`cisco_secure_firewall` EventType=ConnectionEvent action IN ("Trust", "Allow", '
        '"allowed") ClientApplication="BITS" AND NOT url IN ("*://msedge.b.tlu.dl*")' + _STATS
        + "by src, dest, dest_port, transport, rule, url, EVE_Process, ClientApplication, "
        "ClientApplicationVersion, action",
    "blacklisted_ssl_certificate_fingerprint":
        "`cisco_secure_firewall` EventType=* SSL_CertFingerprint=* | stats min(_time) as "
        "firstTime max(_time) as lastTime values(dest) as dest values(dest_port) as dest_port "
        "values(rule) as rule values(url) as url count by SSL_CertFingerprint src transport "
        "action",
    "communication_over_suspicious_ports":
        "`cisco_secure_firewall` EventType=ConnectionEvent dest_port>1024 dest_port<49151 "
        '| fillnull value="unknown" url | stats min(_time) as firstTime max(_time) as lastTime '
        "values(src_port) as src_port values(url) as url values(rule) as rule count by src, "
        "dest, dest_port, transport, action",
    "high_eve_threat_confidence":
        "`cisco_secure_firewall` EventType=ConnectionEvent EVE_ThreatConfidencePct>=80"
        + _STATS + "values(rule) as rule values(url) as url by EVE_Process, "
        "EVE_ThreatConfidencePct, src, dest, dest_port, transport, action",
    # values(MitreAttackGroups) left out: eStreamer does not carry it (docs/knowledge.md)
    "high_priority_intrusion_classification":
        '`cisco_secure_firewall` EventType=IntrusionEvent class_desc IN ("A Network Trojan '
        'was Detected", "Successful Administrator Privilege Gain", "Known malware command and '
        'control traffic") | fillnull' + _STATS + "values(signature_id) as signature_id "
        "values(InlineResult) as InlineResult values(InlineResultReason) as InlineResultReason "
        "values(dest_port) as dest_port values(rule) as rule values(transport) as transport "
        "values(app) as app by src, dest, signature, class_desc",
    "malware_file_downloaded":
        '`cisco_secure_firewall` EventType=FileEvent SHA_Disposition="Malware" '
        'FileDirection="Download"' + _STATS + "values(uri) as uri values(ClientApplication) as "
        "ClientApplication values(file_hash) as file_hash by FileDirection dest src dest_port "
        "FileType app file_name ThreatName",
    "binary_file_type_download":
        '`cisco_secure_firewall` EventType=FileEvent FileDirection="Download" FileType IN '
        '("ISHIELD_MSI", "BINHEX", "ELF", "MACHO", "EICAR", "LNK", "SCR", "UNIX_SCRIPT")'
        + _STATS + "values(uri) as uri values(ClientApplication) as ClientApplication "
        "values(file_hash) as file_hash values(SHA_Disposition) as SHA_Disposition by "
        "FileDirection FileType src dest app file_name ThreatName dest_port",
    "file_download_over_uncommon_port":
        '`cisco_secure_firewall` EventType=FileEvent FileDirection="Download" NOT dest_port IN '
        "(80, 443)" + _STATS + "values(file_name) as file_name values(uri) as uri "
        "values(ClientApplication) as ClientApplication values(file_hash) as file_hash "
        "values(SHA_Disposition) as SHA_Disposition by FileDirection FileType app ThreatName "
        "dest_port src dest",
    "repeated_malware_downloads":
        '`cisco_secure_firewall` EventType=FileEvent SHA_Disposition="Malware" '
        'FileDirection="Download"' + _STATS + "values(uri) as uri values(app) as app "
        "values(file_hash) as file_hash values(SHA_Disposition) as SHA_Disposition "
        "values(file_name) as file_name values(ThreatName) as ThreatName values(dest) as dest "
        "values(dest_port) as dest_port by src FileDirection FileType | where count >= 10",
}

#: an event each detection must find (record type, base fields, changes)
TRIGGERS: dict[str, tuple[int, dict, dict]] = {
    "blocked_connection": (71, CONNECTION, {}),
    "bits_network_activity": (71, CONNECTION, {"ruleAction": 1, "clientApplicationId": 3000}),
    "blacklisted_ssl_certificate_fingerprint": (71, CONNECTION, {}),
    "communication_over_suspicious_ports": (71, CONNECTION, {"responderPort": 4444}),
    "high_eve_threat_confidence": (71, CONNECTION, {"eveThreatConfidencePercentage": 92}),
    "high_priority_intrusion_classification": (400, INTRUSION, {"classificationId": 20}),
    "malware_file_downloaded": (500, FILE, {}),
    "binary_file_type_download": (500, FILE, {}),
    "file_download_over_uncommon_port": (500, FILE, {"destinationPort": 8080}),
    "repeated_malware_downloads": (500, FILE, {}),
}


def _fields() -> set[str]:
    from tests.support.splunk_emulation.inventory import fields_by_sourcetype
    return fields_by_sourcetype()[SFW]


@pytest.mark.parametrize("name", sorted(DETECTIONS))
def test_escu_detection_reads_only_fields_we_supply(name):
    usage = check_spl(DETECTIONS[name], MACROS, _fields())
    assert not usage.missing, sorted(usage.missing)


def _filter_and_groups(search: str) -> tuple[SearchTerms, list[str]]:
    segments = split_pipeline(expand_macros(search, MACROS))
    stats = next(s for s in segments if s.startswith("stats "))
    groups = re.split(r"[\s,]+", stats.split(" by ", 1)[1].strip())
    return SearchTerms(segments[0]), groups


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_escu_detection_finds_our_event_with_every_group_by_field(event, name):
    record_type, fields, changes = TRIGGERS[name]
    e = event(record_type, fields, **changes)
    terms, groups = _filter_and_groups(DETECTIONS[name])
    assert terms.evaluate(e), name
    # stats ... by drops an event that lacks one of the fields
    assert [g for g in groups if e.get(g) is None] == []


def test_the_detections_filters_are_not_always_true(event):
    terms, _ = _filter_and_groups(DETECTIONS["blocked_connection"])
    assert not terms.evaluate(event(71, CONNECTION, ruleAction=1))
    terms, _ = _filter_and_groups(DETECTIONS["malware_file_downloaded"])
    assert not terms.evaluate(event(500, FILE, disposition=1))
    assert not terms.evaluate(event(71, CONNECTION))


def test_the_escu_macro_reads_only_our_sourcetype():
    expanded = expand_macros("`cisco_secure_firewall`", MACROS)
    assert 'sourcetype="cisco:sfw:estreamer"' in expanded
    assert "cisco:estreamer:data" not in expanded


# --- the add-on's own searches on either format --------------------------------------------
# Every dashboard panel, saved search and workflow action reads `estreamer_data` or an
# event type, which take both sourcetypes. Each search is run on the same records in both
# formats: its base search must select the same records, and every event field the rest of
# the pipeline reads must have the same value on both, so the results are the same.

#: fields a search reads that the Security Cloud format does not give as eNcore does
#: (docs/knowledge.md, "Dashboards and the two formats")
FORMAT_DIFFERENCES: dict[str, str] = {}


def _other_records() -> list[tuple[int, dict[str, Any], int | None]]:
    return [
        (125, MALWARE, None),
        (112, {"deviceId": 1, "correlationEventSecond": 1700000000, "sourceIp": "10.1.2.3",
               "destinationIp": "10.9.8.7", "sourcePort": 5555, "destinationPort": 22,
               "sourceUserId": 1001, "blocked": 4, "priority": 2, "sourceCountry": 840,
               "impactFlags": 7, "eventType": 1}, None),
        (95, {"deviceId": 1, "eventSecond": 1700000000, "eventType": 1004, "eventSubtype": 2,
              "user": {"username": "carol", "ipv4Address": "10.1.2.3", "authType": 2,
                       "reportedBy": "ISE-1", "userId": 1001}}, 167),
        (10, {"deviceId": 1, "eventType": 1000, "eventSubtype": 1, "eventSecond": 1700000000},
         None),
        (400, {**INTRUSION, "blocked": 5, "userId": 1001}, None),
        # a security-intelligence block
        (71, {**CONNECTION, "securityIntelligenceSourceDestination": 2,
              "securityIntelligenceList1": 5}, None),
    ]


@pytest.fixture(scope="module")
def both_formats(knowledge) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """(record type, key=value event, Security Cloud event) of the same records."""
    from estreamer.records.formatters.splunk import format_splunk
    from estreamer.records.metadata import MetadataCache
    from estreamer.testing import samples
    from tests.support.splunk_emulation.inventory import DATA
    metadata = MetadataCache()
    records = []
    for payload in samples.generate_mix(400, seed=5):
        record = decode_record(payload)
        if not metadata.update(record):
            records.append(record)
    extra = sfw_metadata()
    for record_type, fields, block_type in _other_records():
        records.append(decode_record(encode_record(record_type, fields, archive_timestamp=1,
                                                   block_type=block_type)))
    out = []
    for record in records:
        (metadata if record.archive_timestamp != 1 else extra).decorate(record)
        extras = {"index": "main"}
        out.append((record.record_type,
                    search_time(knowledge, DATA, format_splunk(record), extras),
                    search_time(knowledge, SFW, format_sfw(record), extras)))
    return out


def _add_on_searches():
    from tests.support.splunk_emulation.inventory import Search, conf_searches, view_searches

    pcap = pcap_handler()
    # the pcap download's search of an event's packets, for any event
    packets = re.sub(r"(device_id|event_id)=\d+", r"\1=$\1$",
                     pcap.packet_search(1, 1).removeprefix("search "))
    return [s for s in view_searches() + conf_searches()
            if "estreamer_status" not in s.text and "estreamer_log" not in s.text] \
        + [Search("bin/estreamer_pcap.py", packets)]


def _text(value: Any) -> Any:
    return None if value is None else str(value)


@pytest.mark.parametrize("search", _add_on_searches(), ids=lambda s: s.where)
def test_add_on_search_gives_the_same_results_on_either_format(both_formats, search):
    from tests.support.splunk_emulation.inventory import TOKEN
    # a token a user fills (an address, a port, a user) as "any value"
    text = TOKEN.sub("*", search.text)
    base = SearchTerms(split_pipeline(expand_macros(text, MACROS))[0])
    # what the pipeline reads from the events (not what its own commands make)
    reads = check_spl(text, MACROS, set()).missing - set(FORMAT_DIFFERENCES)
    picked = 0
    for record_type, data, sfw in both_formats:
        selected = base.evaluate(data)
        assert base.evaluate(sfw) == selected, (record_type, search.text)
        if selected:
            picked += 1
            differ = {f: (data.get(f), sfw.get(f)) for f in sorted(reads)
                      if _text(data.get(f)) != _text(sfw.get(f))}
            assert not differ, (record_type, differ)
    # the sample covers every search (a base search that finds nothing proves nothing)
    assert picked, search.text


def test_event_types_and_tags_are_the_same_on_either_format(both_formats):
    for record_type, data, sfw in both_formats:
        ours = [e for e in sfw["eventtype"] if not e.startswith("estreamer_sfw_")]
        assert ours == data["eventtype"], record_type
        assert set(sfw["tag"]) == set(data["tag"]), record_type


def test_every_alias_target_has_one_source(knowledge):
    # Splunk 7.2.4+ clears an alias target whose source an event lacks, so a second
    # alias to the same name (or an EVAL of it) would depend on the order Splunk
    # applies them; names with a source per format are EVAL coalesce instead.
    targets = [spec.split()[i + 2] for _, spec in knowledge.classes(SFW, "FIELDALIAS")
               for i in range(0, len(spec.split()), 3)]
    evals = {name for name, _ in knowledge.classes(SFW, "EVAL")}
    assert len(targets) == len(set(targets))
    assert not set(targets) & evals
