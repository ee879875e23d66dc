"""The ``sfw`` formatter: Security Cloud JSON as ESCU's Cisco Secure Firewall content reads it.

The expected objects are written from the example events of ESCU's data sources
(splunk/security_content, ``data_sources/cisco_secure_firewall_threat_defense_
{connection,intrusion,file}_event.yml``, ``example_log``): the records below carry the
example's values, so each expected object reads like the example with the keys
eStreamer cannot supply left out (:data:`ABSENT`) and our additional keys added.
"""

from __future__ import annotations

import json
import re

import pytest

from estreamer.records import catalogue
from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.records.formatters import FORMATTERS, get_formatter
from estreamer.records.formatters.countries import CONTINENTS, COUNTRIES
from estreamer.records.formatters.sfw import event_type, format_sfw, sfw_object
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import Record
from estreamer.stream.config import OUTPUT_FORMATS
from estreamer.testing import samples
from tests.support.sfw_records import (
    AC_POLICY,
    CERT_SHA1,
    CONNECTION,
    EICAR_SHA,
    FILE,
    FILE_POLICY,
    IF_0,
    IF_1,
    INTRUSION,
    IPS_POLICY,
    MALWARE,
    NAP_POLICY,
    SSL_POLICY,
    ZONE_IN,
    ZONE_OUT,
    sfw_metadata,
)

# --- the keys of ESCU's example events (names only; values are in the objects below) ---
ESCU_KEYS: dict[str, tuple[str, ...]] = {
    # data_sources/cisco_secure_firewall_threat_defense_connection_event.yml, example_log
    "ConnectionEvent": (
        "EventType", "FirstPacketSecond", "DeviceUUID", "InstanceID", "ConnectionID",
        "AC_RuleAction", "InitiatorIP", "ResponderIP", "InitiatorPort", "ResponderPort",
        "Protocol", "IngressInterface", "EgressInterface", "IngressZone", "EgressZone",
        "IngressVRF", "EgressVRF", "FirewallPolicy", "FirewallRule", "PrefilterPolicy",
        "ClientApplication", "Application", "WebApplication", "InitiatorPackets",
        "ResponderPackets", "InitiatorBytes", "ResponderBytes", "NAP_Policy", "SSL_Policy",
        "SSL_FlowStatus", "SSL_CipherSuite", "SSL_CertFingerprint", "SSL_Version",
        "SSL_ServerCertStatus", "SSL_ActualAction", "SSL_ExpectedAction", "URL",
        "NAT_InitiatorPort", "NAT_ResponderPort", "NAT_InitiatorIP", "NAT_ResponderIP",
        "EVE_Fingerprint", "EVE_Process", "EVE_ProcessConfidencePct", "EVE_ThreatConfidencePct",
        "EVE_ThreatConfidenceIndex", "ClientAppDetector"),
    # data_sources/cisco_secure_firewall_threat_defense_intrusion_event.yml, example_log
    "IntrusionEvent": (
        "EventType", "EventSecond", "EventMicrosecond", "DeviceUUID", "InstanceID",
        "FirstPacketSecond", "ConnectionID", "InitiatorIP", "ResponderIP", "InitiatorPort",
        "ResponderPort", "Protocol", "IngressInterface", "EgressInterface", "IngressZone",
        "EgressZone", "PriorityID", "GeneratorID", "SignatureID", "SignatureRevision", "Impact",
        "IntrusionRuleMessage", "Classification", "WebApplication", "ClientApplication",
        "Application", "IntrusionPolicy", "FirewallPolicy", "FirewallRule", "NAP_Policy",
        "InlineResult", "InlineResultReason", "IngressVRF", "EgressVRF", "HTTP_Hostname",
        "HTTP_URI", "SnortRuleGroups", "MitreAttackGroups", "ApplicationID",
        "ApplicationProductivityIndex", "ApplicationRiskIndex", "ClientApplicationID",
        "ClientApplicationProductivityIndex", "ClientApplicationRiskIndex", "Device", "DeviceIP",
        "DeviceSerialNumber", "EgressInterfaceUUID", "EgressZoneUUID", "EventID",
        "FirewallPolicyUUID", "FirewallRuleID", "Hostname", "IngressInterfaceUUID",
        "IngressZoneUUID", "InitiatorContinent", "InitiatorContinentCode", "InitiatorCountry",
        "InitiatorCountryCode", "InitiatorCountryID", "InlineResultID", "InlineResultReasonID",
        "IntrusionPolicyRevUUID", "IntrusionPolicyUUID", "NAP_PolicyUUID", "ProtocolID",
        "RealmID", "RealmName", "SensorID", "SnortVersionID", "UserID", "WebApplicationHTTP",
        "WebApplicationID", "WebApplicationProductivityIndex"),
    # data_sources/cisco_secure_firewall_threat_defense_file_event.yml, example_log
    "FileEvent": (
        "EventType", "EventSecond", "DeviceUUID", "InstanceID", "FirstPacketSecond",
        "ConnectionID", "InitiatorIP", "ResponderIP", "InitiatorPort", "ResponderPort",
        "Protocol", "FileDirection", "FileAction", "FileSHA256", "SHA_Disposition",
        "SperoDisposition", "ThreatName", "ThreatScore", "FileName", "FileType", "FileSize",
        "Application", "ClientApplication", "WebApplication", "FilePolicy", "FileStorageStatus",
        "FileSandboxStatus", "URI", "IngressVRF", "EgressVRF", "Device", "DeviceIP",
        "DeviceSerialNumber"),
}

#: keys of the examples that no eStreamer record supplies (docs/knowledge.md gives the reasons)
ABSENT: dict[str, frozenset[str]] = {
    "ConnectionEvent": frozenset({"DeviceUUID", "PrefilterPolicy", "EVE_Fingerprint",
                                  "ClientAppDetector"}),
    "IntrusionEvent": frozenset({
        "DeviceUUID", "DeviceIP", "DeviceSerialNumber", "Hostname", "SnortRuleGroups",
        "MitreAttackGroups", "ApplicationProductivityIndex", "ApplicationRiskIndex",
        "ClientApplicationProductivityIndex", "ClientApplicationRiskIndex",
        "WebApplicationProductivityIndex", "WebApplicationHTTP", "IntrusionPolicyRevUUID",
        "RealmID", "RealmName"}),
    "FileEvent": frozenset({"DeviceUUID", "DeviceIP", "DeviceSerialNumber"}),
}

@pytest.fixture(scope="module")
def cache() -> MetadataCache:
    return sfw_metadata()


def decorated(cache: MetadataCache, record_type: int, fields: dict,
              block_type: int | None = None) -> Record:
    record = decode_record(encode_record(record_type, fields, archive_timestamp=1,
                                         block_type=block_type))
    cache.decorate(record)
    return record


def parsed(record: Record) -> dict:
    line = format_sfw(record)
    assert "\n" not in line
    return json.loads(line)


CONNECTION_EXPECTED = {
    "EventType": "ConnectionEvent", "FirstPacketSecond": 1743500734,
    "LastPacketSecond": 1743500736, "ConnectionDuration": 2, "Device": "fw-edge-01",
    "SensorID": 1, "InstanceID": 1, "ConnectionID": 259, "AC_RuleAction": "Block",
    "InitiatorIP": "172.16.3.110", "ResponderIP": "142.250.191.196", "InitiatorPort": 62296,
    "ResponderPort": 443, "Protocol": "tcp", "ProtocolID": 6,
    "IngressInterface": "GigabitEthernet0/0", "EgressInterface": "GigabitEthernet0/1",
    "IngressInterfaceUUID": IF_0, "EgressInterfaceUUID": IF_1, "IngressZone": "inside",
    "EgressZone": "outside", "IngressZoneUUID": ZONE_IN, "EgressZoneUUID": ZONE_OUT,
    "IngressVRF": "Global", "EgressVRF": "Global", "FirewallPolicy": "Corporate AC",
    "FirewallPolicyUUID": AC_POLICY, "FirewallRule": "Block-Telnet",
    "FirewallRuleID": 268435462, "Application": "HTTPS", "ApplicationID": 1122,
    "ClientApplication": "Firefox", "ClientApplicationID": 638, "WebApplication": "Google",
    "WebApplicationID": 929, "User": "alice", "UserID": 1001,
    "ClientApplicationVersion": "128.0", "InitiatorPackets": 3, "ResponderPackets": 1,
    "InitiatorBytes": 840, "ResponderBytes": 66, "InitiatorCountry": "unknown",
    "ResponderCountry": "united states", "ResponderCountryCode": "usa",
    "ResponderContinent": "North America", "ResponderContinentCode": "na",
    "NAP_Policy": "Default NAP",
    "NAP_PolicyUUID": NAP_POLICY, "SSL_Policy": "Outbound TLS", "SSL_PolicyUUID": SSL_POLICY,
    "SSL_FlowStatus": "Success", "SSL_CipherSuite": "TLS_AES_128_GCM_SHA256",
    "SSL_CertFingerprint": CERT_SHA1, "SSL_Version": "TLSv1.3",
    "SSL_ServerCertStatus": "Not Checked",
    "SSL_ActualAction": "Do Not Decrypt", "SSL_ExpectedAction": "Do Not Decrypt",
    "URL": "https://www.google.com", "HTTP_Response": 0, "NAT_InitiatorIP": "172.16.2.10",
    "NAT_ResponderIP": "142.250.191.196", "NAT_InitiatorPort": 62296, "NAT_ResponderPort": 443,
    "EVE_Process": "firefox browser", "EVE_ProcessConfidencePct": 100,
    "EVE_ThreatConfidencePct": 0, "EVE_ThreatConfidenceIndex": 1, "ClientAppDetectorID": 3,
    "SecurityIntelligenceEvent": "No", "IntrusionEventCount": 0, "FileEventCount": 0,
}

INTRUSION_EXPECTED = {
    "EventType": "IntrusionEvent", "EventSecond": 1744752707, "EventMicrosecond": 709756,
    "Device": "fw-dc-02", "SensorID": 2, "EventID": 195, "InstanceID": 1,
    "FirstPacketSecond": 1744752707, "ConnectionID": 27798, "InitiatorIP": "146.75.78.172",
    "ResponderIP": "172.16.3.110", "InitiatorPort": 80, "ResponderPort": 2604,
    "Protocol": "tcp", "ProtocolID": 6, "IngressInterface": "GigabitEthernet0/1",
    "EgressInterface": "GigabitEthernet0/0", "IngressInterfaceUUID": IF_1,
    "EgressInterfaceUUID": IF_0, "IngressZone": "outside", "EgressZone": "inside",
    "IngressZoneUUID": ZONE_OUT, "EgressZoneUUID": ZONE_IN, "IngressVRF": "Global",
    "EgressVRF": "Global", "PriorityID": 1, "Priority": "high", "GeneratorID": 1,
    "SignatureID": 11192, "SignatureRevision": 20, "Impact": 5, "ImpactFlags": 0,
    "ImpactDescription": "Gray (unknown)", "ClassificationName": "policy-violation",
    "IntrusionRuleMessage": "FILE-EXECUTABLE download of executable content",
    "Classification": "Potential Corporate Privacy Violation", "ClassificationID": 9,
    "Application": "HTTP", "ApplicationID": 676, "ClientApplication": "Firefox",
    "ClientApplicationID": 638, "WebApplication": "Google", "WebApplicationID": 929,
    "UserID": 9999997, "IntrusionPolicy": "Balanced Security and Connectivity",
    "IntrusionPolicyUUID": IPS_POLICY, "FirewallPolicy": "Corporate AC",
    "FirewallPolicyUUID": AC_POLICY, "FirewallRule": "Allow-Web",
    "FirewallRuleID": 268435461, "NAP_Policy": "Default NAP", "NAP_PolicyUUID": NAP_POLICY,
    "InlineResult": "Would block", "InlineResultID": 5,
    "InlineResultReason": 'Intrusion Policy in "Detection" Inspection Mode',
    "InlineResultReasonID": 2, "InitiatorCountry": "united states", "InitiatorCountryID": 840,
    "InitiatorCountryCode": "usa", "InitiatorContinent": "North America",
    "InitiatorContinentCode": "na", "ResponderCountry": "unknown", "ResponderCountryID": 0,
    "HTTP_Hostname": "au.download.windowsupdate.com", "HTTP_URI": "/d/msdownload/am_delta.exe",
    "HTTP_Response": 0, "SnortVersionID": 3, "SSL_ActualAction": "Unknown",
    "SSL_ActualActionID": 0, "SSL_FlowStatus": "Unknown", "SSL_FlowStatusID": 0,
}

FILE_EXPECTED = {
    "EventType": "FileEvent", "EventSecond": 1741199882, "FirstPacketSecond": 1741199881,
    "Device": "fw-edge-01", "SensorID": 1, "InstanceID": 1, "ConnectionID": 10092,
    "InitiatorIP": "172.16.3.158", "ResponderIP": "85.215.35.144", "InitiatorPort": 55988,
    "ResponderPort": 80, "Protocol": "tcp", "ProtocolID": 6, "FileDirection": "Download",
    "FileAction": "Malware Cloud Lookup", "SHA_Disposition": "Malware", "ThreatScore": 76,
    "FileName": "csm-eicar.gif", "FileSize": 68, "Application": "HTTP", "ApplicationID": 676,
    "ClientApplication": "curl", "ClientApplicationID": 2153, "WebApplication": "Wikipedia",
    "WebApplicationID": 1080, "UserID": 0, "FilePolicy": "Test",
    "FilePolicyUUID": FILE_POLICY, "URI": "/csm-eicar.gif", "InitiatorCountry": "unknown",
    "ResponderCountry": "unknown", "ArchiveDepth": 0, "SSL_ActualAction": "Unknown",
    "SSL_FlowStatus": "Unknown", "HTTP_Response": 0, "FileSHA256": EICAR_SHA,
    "ThreatName": "EICAR", "SperoDisposition": "N/A", "FileType": "EICAR", "FileTypeID": 273,
    "FileStorageStatus": "File Size Is Too Small", "FileSandboxStatus": "File Size Is Too Small",
    "IngressVRF": "Global", "EgressVRF": "Global",
}

MALWARE_EXPECTED = {
    "EventType": "MalwareEvent", "EventSecond": 1741203000, "FirstPacketSecond": 1741199881,
    "Device": "fw-edge-01", "SensorID": 1, "InstanceID": 1, "ConnectionID": 10092,
    "InitiatorIP": "172.16.3.158", "ResponderIP": "85.215.35.144", "InitiatorPort": 55988,
    "ResponderPort": 80, "Protocol": "tcp", "ProtocolID": 6, "FileDirection": "Download",
    "FileAction": "Malware Block", "SHA_Disposition": "Malware", "ThreatScore": 90,
    "FileName": "csm-eicar.gif", "FileSize": 68, "Application": "HTTP", "ApplicationID": 676,
    "ClientApplication": "curl", "ClientApplicationID": 2153, "WebApplicationID": 0,
    "UserID": 0, "FilePolicy": "Test", "FilePolicyUUID": FILE_POLICY, "URI": "/csm-eicar.gif",
    "InitiatorCountry": "unknown", "ResponderCountry": "germany",
    "ResponderCountryCode": "deu", "ResponderContinent": "Europe",
    "ResponderContinentCode": "eu", "ArchiveDepth": 0,
    "SSL_ActualAction": "Unknown", "SSL_FlowStatus": "Unknown", "HTTP_Response": 0,
    "FileSHA256": EICAR_SHA, "ThreatName": "W32.EICAR.Test", "RetroDisposition": "Malware",
    "FileType": "EICAR", "FileTypeID": 273, "MalwareEventType": "Threat Detected",
    "MalwareEventSubtype": "Retrospective",
}

GOLDEN = [
    (71, CONNECTION, CONNECTION_EXPECTED),
    (400, INTRUSION, INTRUSION_EXPECTED),
    (500, FILE, FILE_EXPECTED),
    (125, MALWARE, MALWARE_EXPECTED),
]


@pytest.mark.parametrize(("record_type", "fields", "expected"), GOLDEN,
                         ids=[str(g[0]) for g in GOLDEN])
def test_golden_object_key_by_key(cache, record_type, fields, expected):
    got = parsed(decorated(cache, record_type, fields))
    assert next(iter(got)) == "EventType"
    for key, value in expected.items():
        assert got.get(key) == value, key
    assert set(got) == set(expected), sorted(set(got) ^ set(expected))


def test_file_malware_event_is_the_file_event_under_its_own_event_type(cache):
    got = parsed(decorated(cache, 502, FILE))
    assert got == {**FILE_EXPECTED, "EventType": "FileMalwareEvent"}


@pytest.mark.parametrize(("record_type", "fields"), [(71, CONNECTION), (400, INTRUSION),
                                                     (500, FILE)], ids=["71", "400", "500"])
def test_every_escu_example_key_is_present_except_the_documented_ones(cache, record_type,
                                                                      fields):
    got = parsed(decorated(cache, record_type, fields))
    family = got["EventType"]
    missing = set(ESCU_KEYS[family]) - set(got)
    assert missing == ABSENT[family]
    present = len(ESCU_KEYS[family]) - len(missing)
    print(f"{family}: {present}/{len(ESCU_KEYS[family])} ESCU example keys")


@pytest.mark.parametrize("block_type", sorted(catalogue.RECORDS[71].by_block_type))
def test_every_connection_block_version_is_a_connection_event(cache, block_type):
    # (s1.160 types sslPolicyId as raw bytes, not a UUID)
    fields = {k: v for k, v in CONNECTION.items() if k != "sslPolicyId"}
    got = parsed(decorated(cache, 71, fields, block_type=block_type))
    for key in ("FirstPacketSecond", "Device", "InstanceID", "ConnectionID", "AC_RuleAction",
                "InitiatorIP", "ResponderIP", "InitiatorPort", "ResponderPort", "FirewallRule",
                "FirewallPolicy", "IngressZone", "EgressZone", "Application", "URL",
                "InitiatorBytes", "ResponderBytes"):
        assert got[key] == CONNECTION_EXPECTED[key], (block_type, key)
    assert got["Protocol"] == "tcp"


@pytest.mark.parametrize("block_type", sorted(catalogue.RECORDS[400].by_block_type))
def test_every_intrusion_block_version_is_an_intrusion_event(cache, block_type):
    got = parsed(decorated(cache, 400, INTRUSION, block_type=block_type))
    for key in ("EventSecond", "InitiatorIP", "ResponderIP", "SignatureID",
                "IntrusionRuleMessage", "Classification", "InlineResult", "Protocol"):
        assert got[key] == INTRUSION_EXPECTED[key], (block_type, key)


def test_unset_values_are_left_out_not_written_as_zero_text(cache):
    fields = {**CONNECTION, "natInitiatorIp": "::", "sslCertificateFingerprint": "0" * 40,
              "clientUrl": "", "sslPolicyId": "00000000-0000-0000-0000-000000000000"}
    got = parsed(decorated(cache, 71, fields))
    for key in ("NAT_InitiatorIP", "SSL_CertFingerprint", "URL", "SSL_Policy",
                "SSL_PolicyUUID"):
        assert key not in got
    assert got["NAT_ResponderIP"] == "142.250.191.196"


def test_names_the_fmc_has_not_sent_are_left_out_and_the_ids_stay(cache):
    got = parsed(decorated(MetadataCache(), 71, CONNECTION))
    assert "FirewallRule" not in got and "AC_RuleAction" not in got
    assert got["FirewallRuleID"] == 268435462
    assert got["Protocol"] == "tcp"        # IANA table: known without metadata


def test_icmp_intrusion_carries_type_and_code(cache):
    fields = {**INTRUSION, "ipProtocolId": 1, "sourcePortOrIcmpType": 8,
              "destinationPortOrIcmpType": 0}
    got = parsed(decorated(cache, 400, fields))
    assert (got["Protocol"], got["ICMP_Type"], got["ICMP_Code"]) == ("icmp", 8, 0)
    assert "ICMP_Type" not in parsed(decorated(cache, 400, INTRUSION))


def test_signature_id_falls_back_to_the_rule_id_without_metadata(cache):
    got = parsed(decorated(cache, 400, {**INTRUSION, "ruleId": 424242}))
    assert got["SignatureID"] == 424242
    assert "IntrusionRuleMessage" not in got


def test_other_records_keep_every_field_under_an_event_type_of_their_own(cache):
    packet = decorated(cache, 2, {"deviceId": 1, "eventId": 7, "eventSecond": 5,
                                  "packetData": "00ff", "linkType": 1})
    got = parsed(packet)
    assert list(got)[:2] == ["EventType", "recordType"]
    assert got["EventType"] == "PacketData" == event_type(2)
    assert (got["eventId"], got["packetData"], got["deviceName"]) == (7, "00ff", "fw-edge-01")
    assert sfw_object(packet) == got
    assert event_type(99999) == "Record99999"


def test_every_record_type_has_a_distinct_event_type():
    names = {rt: event_type(rt) for rt in catalogue.RECORDS}
    assert len(set(names.values())) == len(names)


def test_the_format_has_a_name_everywhere_a_format_is_chosen():
    assert get_formatter("sfw") is format_sfw
    assert set(OUTPUT_FORMATS) == set(FORMATTERS)


def test_a_sample_stream_gives_all_three_escu_families():
    metadata = MetadataCache()
    seen: dict[str, int] = {}
    for payload in samples.generate_mix(400, seed=3):
        record = decode_record(payload)
        metadata.update(record)
        metadata.decorate(record)
        obj = json.loads(format_sfw(record))
        seen[obj["EventType"]] = seen.get(obj["EventType"], 0) + 1
    assert {"ConnectionEvent", "IntrusionEvent", "FileEvent", "FileMalwareEvent"} <= set(seen)


def test_docs_map_every_escu_key_and_give_a_reason_for_each_absent_one():
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / "docs" / "knowledge.md").read_text("utf-8")
    reasons = text.split("### ESCU field → our source field", 1)[1]
    for keys in ESCU_KEYS.values():
        for key in keys:
            assert f"| `{key}` |" in reasons, key
    for key in sorted(set().union(*ABSENT.values())):
        assert re.search(rf"^\| [^|]*`{key}`[^|]* \| [^|]+ \|$", reasons, re.M), key


@pytest.mark.parametrize(("number", "alpha3", "continent"), [
    (840, "usa", "North America"), (124, "can", "North America"),
    (484, "mex", "North America"), (388, "jam", "North America"), (76, "bra", "South America"),
    (276, "deu", "Europe"), (643, "rus", "Europe"), (792, "tur", "Asia"), (392, "jpn", "Asia"),
    (36, "aus", "Oceania"), (710, "zaf", "Africa"), (10, "ata", "Antarctica")])
def test_country_code_and_continent_from_the_numeric_country(cache, number, alpha3, continent):
    got = parsed(decorated(cache, 400, {**INTRUSION, "destinationCountry": number}))
    assert (got["ResponderCountryID"], got["ResponderCountryCode"],
            got["ResponderContinent"]) == (number, alpha3, continent)
    assert got["ResponderContinentCode"] == {v: k for k, v in CONTINENTS.items()}[continent]


def test_the_country_table_has_every_iso_country_once_and_unknown_codes_give_nothing(cache):
    assert len(COUNTRIES) == 249
    assert len({alpha3 for alpha3, _ in COUNTRIES.values()}) == 249
    assert {continent for _, continent in COUNTRIES.values()} == set(CONTINENTS)
    for number in (0, 999, 65535):     # unknown, private and not ISO: no code, no continent
        got = parsed(decorated(cache, 71, {**CONNECTION, "responderCountry": number}))
        assert not {"ResponderCountryCode", "ResponderContinent"} & set(got)
