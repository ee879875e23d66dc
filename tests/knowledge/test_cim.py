"""CIM compliance of the events after the add-on's props/transforms/lookups/tags.

Events come from the real encoder, decoder, metadata cache and formatter; the
search-time knowledge is applied by ``props_engine`` from the shipped files.
"""

from __future__ import annotations

import ipaddress

import pytest

from tests.support.splunk_emulation.sample_fields import (
    connection_fields,
    file_fields,
    intrusion_fields,
)

SEVERITIES = {"critical", "high", "medium", "low", "informational"}
TRANSPORTS = {"tcp", "udp", "icmp", "sctp"}


def _port(value: object) -> bool:
    return str(value).isdigit() and 0 <= int(str(value)) <= 65535


def _ip(value: object) -> int:
    return ipaddress.ip_address(str(value)).version


def _present(event: dict, names: set[str]) -> None:
    missing = sorted(n for n in names if event.get(n) in (None, ""))
    assert not missing, f"CIM fields missing: {missing}\n{event['_raw'][:400]}"


# --- Network_Traffic ------------------------------------------------------------------

NETWORK_TRAFFIC = {"action", "app", "bytes", "bytes_in", "bytes_out", "dest", "dest_ip",
                   "dest_port", "dvc", "packets", "packets_in", "packets_out", "protocol",
                   "protocol_version", "rule", "session_id", "flow_id", "src", "src_ip",
                   "src_port", "transport", "vendor_product", "src_zone", "dest_zone",
                   "src_interface", "dest_interface", "duration", "vendor", "product"}


def test_every_connection_of_a_stream_is_network_traffic(mix_lines, fields_of):
    assert len(mix_lines[71]) > 50
    for line in mix_lines[71]:
        event = fields_of(line)
        assert {"network", "communicate"} <= set(event["tag"])
        _present(event, NETWORK_TRAFFIC)
        assert event["action"] in {"allowed", "blocked", "teardown"}
        assert event["transport"] in TRANSPORTS
        assert event["protocol"] == "ip"
        assert int(event["bytes"]) == int(event["bytes_in"]) + int(event["bytes_out"])
        assert int(event["packets"]) == int(event["packets_in"]) + int(event["packets_out"])
        assert _port(event["src_port"]) and _port(event["dest_port"])
        assert event["protocol_version"] == _ip(event["src"]) == 4
        assert int(event["duration"]) >= 0


@pytest.mark.parametrize(("action_id", "expected"), [(1, "allowed"), (2, "blocked"),
                                                      (4, "allowed")])
def test_firewall_actions_map_to_cim(make_line, fields_of, action_id, expected):
    event = fields_of(make_line(71, connection_fields(ruleAction=action_id), 174))
    assert event["action"] == expected


def test_ipv6_connection_has_ipv6_src_dest_and_protocol_version_6(make_line, fields_of):
    line = make_line(71, connection_fields(initiatorIpAddress="2001:db8::10",
                                           responderIpAddress="2001:db8:ffff::1"), 174)
    event = fields_of(line)
    assert event["src"] == "2001:db8::10"
    assert event["dest"] == "2001:db8:ffff::1"
    assert event["protocol_version"] == 6
    assert "communicate" in event["tag"]


def test_icmp_connection_gives_icmp_type_and_code(make_line, fields_of):
    line = make_line(71, connection_fields(protocol=1, initiatorPort=8, responderPort=0), 174)
    event = fields_of(line)
    assert event["transport"] == "icmp"
    assert (event["icmp_type"], event["icmp_code"]) == ("8", "0")


def test_connection_and_its_intrusion_event_share_session_id(make_line, fields_of):
    common = {"deviceId": 1, "connectionCounter": 77}
    conn = fields_of(make_line(71, connection_fields(instanceId=3,
                                                     firstPacketTimestamp=1700000100,
                                                     **common), 174))
    ids = fields_of(make_line(400, intrusion_fields(connectionInstanceId=3,
                                                     connectionTimestamp=1700000100,
                                                     **common), 85))
    assert conn["session_id"] == ids["session_id"] == "1:3:77:1700000100"


# --- Intrusion_Detection --------------------------------------------------------------

INTRUSION = {"action", "category", "dest", "dest_port", "dvc", "ids_type", "severity",
             "signature", "signature_id", "src", "src_port", "transport", "vendor_product"}


def test_every_intrusion_event_is_cim_intrusion_detection(mix_lines, fields_of):
    assert mix_lines[400]
    for line in mix_lines[400]:
        event = fields_of(line)
        assert {"ids", "attack"} <= set(event["tag"])
        _present(event, INTRUSION)
        assert event["severity"] in SEVERITIES
        assert event["action"] in {"allowed", "blocked"}
        assert event["ids_type"] == "network"
        assert event["signature"] == event["msg"]
        assert event["signature_id"] == f"{event['gid']}:{event['sid']}"


@pytest.mark.parametrize(("blocked", "action"), [(0, "allowed"), (1, "blocked"),
                                                 (2, "allowed"), (7, "blocked"),
                                                 (8, "allowed")])
def test_intrusion_action_follows_what_happened_to_the_packet(make_line, fields_of,
                                                              blocked, action):
    event = fields_of(make_line(400, intrusion_fields(blocked=blocked), 85))
    assert event["action"] == action


@pytest.mark.parametrize(("flags", "priority", "severity"), [
    (0x0F, 1, "critical"),        # impact 1 (red): always critical
    (0x07, 2, "high"),            # impact 2, medium priority
    (0x03, 2, "informational"),   # impact 3, medium: eNcore said "information"
    (0x01, 3, "medium"),          # impact 4, low
])
def test_intrusion_severity_from_impact_and_priority(make_line, fields_of, flags, priority,
                                                     severity):
    event = fields_of(make_line(400, intrusion_fields(impactFlags=flags, priorityId=priority),
                                85))
    assert event["severity"] == severity


def test_quoted_signature_is_read_whole_and_unescaped(make_line, fields_of):
    line = make_line(400, intrusion_fields(generatorId=1, ruleId=2019401, deviceId=3), 85)
    assert '\\"' in line  # the formatter escaped the quotes ...
    event = fields_of(line)
    # ... and the knowledge gives users the text as the FMC has it (eNcore bug B1)
    assert event["signature"] == 'ET POLICY "Vulnerable" Java Version=1.8 detected'
    assert event["dvc"] == 'fw "branch" 03'
    assert "Version" not in event


def test_intrusion_time_has_microseconds(knowledge, make_line, sourcetype):
    from tests.support.splunk_emulation.props_engine import timestamp

    line = make_line(400, intrusion_fields(eventSecond=1700000123, eventMicrosecond=4567), 85)
    assert timestamp(knowledge, sourcetype, line) == pytest.approx(1700000123.004567)


# --- Malware ---------------------------------------------------------------------------

MALWARE = {"action", "dest", "file_hash", "file_name", "signature", "src", "user",
           "vendor_product", "url", "date"}


def test_file_malware_events_are_malware_attacks(mix_lines, fields_of):
    assert mix_lines[502]
    for line in mix_lines[502]:
        event = fields_of(line)
        assert {"malware", "attack"} <= set(event["tag"])
        _present(event, MALWARE)
        assert event["action"] in {"allowed", "blocked", "deferred"}
        assert len(event["file_hash"]) == 64


def test_clean_file_events_are_not_malware_attacks(mix_lines, fields_of):
    # (the sample stream also has file events with disposition Malware, as the FMC sends)
    clean = [e for e in map(fields_of, mix_lines[500]) if e["disposition"] != "Malware"]
    assert clean
    for event in clean:
        assert "attack" not in event["tag"]
        assert event["action"] in {"allowed", "blocked"}


def test_endpoint_malware_event_is_a_malware_attack(make_line, fields_of):
    line = make_line(125, {"deviceId": 1, "fileShaHash": "ab" * 32,
                           "detectionName": "W32.Evil.Trojan", "fileName": "evil tool.exe",
                           "filePath": "C:\\Users\\bob", "user": "CORP\\bob",
                           "sourceIpAddress": "10.0.0.9", "destinationIpAddress": "10.0.0.9",
                           "action": 4, "uri": "", "malwareEventTimestamp": 1700000000},
                     80)
    event = fields_of(line)
    assert {"malware", "attack"} <= set(event["tag"])
    assert event["signature"] == "W32.Evil.Trojan"
    assert event["file_name"] == "evil tool.exe"
    assert event["file_path"] == "C:\\Users\\bob"
    assert event["user"] == "CORP\\bob"
    assert event["action"] == "blocked"


@pytest.mark.parametrize("name", ['a "quoted" name.exe', "back\\slash=1, comma.zip", ""])
def test_hostile_file_names_come_back_exactly(make_line, fields_of, name):
    event = fields_of(make_line(500, file_fields(False, fileName=name), 79))
    assert event.get("file_name", "") == name


# --- Authentication ---------------------------------------------------------------------

def _login(make_line, **user):
    body = {"username": "carol", "ipv4Address": "10.1.2.3", "authType": 2,
            "reportedBy": "ISE-1", "userId": 1001, **user}
    return make_line(95, {"deviceId": 1, "eventSecond": 1700000000, "eventType": 1004,
                          "eventSubtype": 2, "user": body}, 167)


def test_user_login_is_cim_authentication(make_line, fields_of):
    event = fields_of(_login(make_line))
    assert "authentication" in event["tag"]
    _present(event, {"action", "app", "dest", "src", "user", "signature",
                     "authentication_method", "vendor_product"})
    assert event["action"] == "success"
    assert event["src"] == "10.1.2.3"
    assert event["user"] == "carol"
    assert event["dest"] == "ISE-1"
    assert event["user.port"] == "0"  # keys of nested blocks keep their dotted names


def test_failed_captive_portal_login_is_a_failure(make_line, fields_of):
    assert fields_of(_login(make_line, authType=4))["action"] == "failure"


def test_ipv6_login_uses_the_ipv6_address(make_line, fields_of):
    event = fields_of(_login(make_line, ipv4Address="0.0.0.0", ipv6Address="2001:db8::5"))
    assert event["src"] == "2001:db8::5"


# --- event types without a data model ----------------------------------------------------

def test_security_intelligence_connection_has_its_own_event_type(make_line, fields_of):
    hit = fields_of(make_line(71, connection_fields(securityIntelligenceSourceDestination=2,
                                                    securityIntelligenceList1=5), 174))
    assert "estreamer_security_intelligence" in hit["eventtype"]
    assert {"network", "communicate"} <= set(hit["tag"])
    plain = fields_of(make_line(71, connection_fields(), 174))
    assert "estreamer_security_intelligence" not in plain["eventtype"]


def test_host_discovery_is_not_network_traffic(make_line, fields_of):
    event = fields_of(make_line(10, {"deviceId": 1, "eventType": 1000, "eventSubtype": 1,
                                     "eventSecond": 1700000000}))
    assert event["eventtype"] == ["estreamer_discovery"]
    assert event["tag"] == ["discovery"]


def test_ipv6_correlation_event_uses_its_ipv6_addresses(make_line, fields_of):
    event = fields_of(make_line(112, {"deviceId": 1, "correlationEventSecond": 1700000000,
                                      "sourceIpv6Address": "2001:db8::1",
                                      "destinationIpv6Address": "2001:db8::2",
                                      "ruleAction": 3}))
    assert event["eventtype"] == ["estreamer_correlation"]
    assert (event["src"], event["dest"]) == ("2001:db8::1", "2001:db8::2")
    assert event["action"] == "3"  # the correlation event's own rule action, kept as it is


# --- Network_Resolution (DNS) -----------------------------------------------------------

def test_a_connection_with_a_dns_query_is_network_resolution(make_line, fields_of):
    event = fields_of(make_line(71, connection_fields(dnsQuery='odd"name.example.com')))
    assert {"network", "resolution", "dns"} <= set(event["tag"])
    assert "estreamer_dns" in event["eventtype"]
    assert event["query"] == 'odd"name.example.com'  # unescaped, as dns_query
    _present(event, {"src", "dest", "query", "vendor_product"})


def test_a_connection_without_a_dns_query_is_not_network_resolution(make_line, fields_of):
    event = fields_of(make_line(71, connection_fields(dnsQuery="")))
    assert "resolution" not in set(event["tag"]) and "query" not in event
