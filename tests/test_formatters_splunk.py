"""Splunk key=value lines: eNcore names, quoting that Splunk reads back whole, decoration."""

from __future__ import annotations

import re

import pytest

from estreamer.records.formatters.splunk import (
    emitted_field_names,
    field_names_for,
    format_splunk,
    format_splunk_full,
    quote,
)
from estreamer.records.formatters.splunk_names import FULL_ONLY, FULL_ONLY_BY_TYPE
from estreamer.records.formatters.splunk_sparse import ALWAYS_KEPT, format_splunk_sparse
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import Record
from tests.support.records import HOSTILE, all_minimal_records, minimal_record

_PAIR = re.compile(r'([A-Za-z0-9_.]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s|$)')
_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


def parse_kv(line: str) -> dict[str, str]:
    """A small Splunk-like KV reader: bare values end at white space, quoted ones at \"."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(line):
        match = _PAIR.match(line, pos)
        assert match, f"unparsable at {pos}: {line[pos:pos + 40]!r}"
        key, raw = match.group(1), match.group(2)
        if raw.startswith('"'):
            body, value, i = raw[1:-1], [], 0
            while i < len(body):
                if body[i] == "\\":
                    nxt = body[i + 1]
                    if nxt == "x":
                        value.append(chr(int(body[i + 2:i + 4], 16)))
                        i += 4
                        continue
                    value.append(_UNESCAPE[nxt])
                    i += 2
                else:
                    value.append(body[i])
                    i += 1
            raw = "".join(value)
        assert key not in out, f"duplicate key {key}"
        out[key] = raw
        pos = match.end()
    return out


@pytest.mark.parametrize("value", [
    HOSTILE, "", " ", "a=b", 'say "hi"', "back\\slash", "line\nbreak\r\n", "tab\there",
    "comma,sep", "\u00e9t\u00e9 \u2603", "\x00nul\x7f", "plain"])
def test_hostile_values_read_back_whole(value: str) -> None:
    line = format_splunk(Record(400, {"eventSecond": 7, "deviceId": 1, "httpURI": value,
                                      "httpHostname": "x"}))
    assert "\n" not in line and "\r" not in line
    parsed = parse_kv(line)
    assert parsed["http_uri"] == value
    assert parsed["http_hostname"] == "x"
    assert parsed["device_id"] == "1"


def test_line_starts_with_rec_type_and_event_sec() -> None:
    line = format_splunk(Record(500, {"deviceId": 1, "fileEventTimestamp": 1700000000}))
    assert line.startswith("rec_type=500 event_sec=1700000000 ")
    parsed = parse_kv(line)
    assert parsed["rec_type_category"] == "FILELOG EVENT"
    assert parsed["rec_type_desc"] == "File Event"
    # eNcore 3.5.8's name for the category: props.conf aliases it; splunk-full writes it
    assert "rec_type_simple" not in parsed
    assert parse_kv(format_splunk_full(Record(500, {"deviceId": 1})))["rec_type_simple"] == \
        "FILELOG EVENT"


def test_metadata_record_without_time_has_no_event_sec() -> None:
    assert "event_sec" not in parse_kv(format_splunk(Record(123, {"id": 1, "name": "fw"})))


def _decorated_connection() -> Record:
    cache = MetadataCache()
    cache.update(Record(123, {"id": 5, "name": 'fw "branch" 03'}))
    cache.update(Record(98, {"id": 1001, "protocol": 710, "username": "alice"}))
    record = minimal_record(71)
    record.fields.update(deviceId=5, userId=1001, protocol=6, ruleId=77)
    return cache.decorate(record)


def test_full_connection_has_device_id_and_both_id_and_name() -> None:
    parsed = parse_kv(format_splunk_full(_decorated_connection()))
    assert parsed["device_id"] == "5" and parsed["sensor"] == 'fw "branch" 03'
    assert parsed["user_id"] == "1001" and parsed["user"] == "alice"
    assert parsed["ip_proto_id"] == "6" and parsed["ip_proto"] == "TCP"
    assert parsed["fw_rule_id"] == "77" and "fw_rule" not in parsed   # rule name unknown
    assert parsed["event_type"] == "3" and parsed["event_sec"] == "3"


def test_default_writes_an_id_only_where_its_name_is_unknown() -> None:
    parsed = parse_kv(format_splunk(_decorated_connection()))
    assert parsed["device_id"] == "5" and parsed["sensor"] == 'fw "branch" 03'
    assert parsed["user"] == "alice" and "user_id" not in parsed
    assert parsed["ip_proto"] == "TCP" and "ip_proto_id" not in parsed
    assert parsed["fw_rule_id"] == "77" and "fw_rule" not in parsed   # rule name unknown
    assert parsed["event_type"] == "3" and parsed["event_sec"] == "3"


def test_default_is_the_full_line_without_the_audited_fields() -> None:
    record = _decorated_connection()
    full, default = parse_kv(format_splunk_full(record)), parse_kv(format_splunk(record))
    left_out = set(full) - set(default)
    assert left_out == {name for name in full if name in FULL_ONLY or name in
                        FULL_ONLY_BY_TYPE[71] or (name.endswith("_id") and name[:-3] in default)}
    assert {"src_host", "nat_initiator_ip", "ssl_session_id_length"} <= left_out
    assert all(default[name] == value for name, value in full.items() if name in default)


def test_sparse_leaves_out_unset_values_but_keeps_what_identifies_an_event() -> None:
    record = _decorated_connection()
    record.fields.update(initiatorPort=0, responderTransmittedBytes=0, netflowSource="0" * 8
                         + "-0000-0000-0000-" + "0" * 12, clientUrl="", vlanId=0)
    default, sparse = parse_kv(format_splunk(record)), parse_kv(format_splunk_sparse(record))
    assert sparse["src_port"] == "0" and sparse["fw_rule_id"] == "77"
    assert default["dest_bytes"] == "0" and "dest_bytes" not in sparse
    assert "netflow_src" in default and "netflow_src" not in sparse
    assert "url" in default and "url" not in sparse
    assert {name: value for name, value in default.items()
            if (value not in ("", "0", "0.0.0.0", "::") and set(value) - set("0-:."))
            or name in ALWAYS_KEPT} == sparse


def test_unknown_name_is_omitted_never_none() -> None:
    record = MetadataCache().decorate(minimal_record(400))
    line = format_splunk(record)
    assert "None" not in line
    parsed = parse_kv(line)
    assert "sensor" not in parsed and parsed["device_id"] == "3"


def test_every_record_type_formats_and_parses() -> None:
    cache = MetadataCache()
    for record in all_minimal_records():
        cache.decorate(record)
        line = format_splunk(record)
        parsed = parse_kv(line)
        assert parsed["rec_type"] == str(record.record_type)
        assert "None" not in parsed.values()
        unknown = set(parsed) - field_names_for(record.record_type)
        assert not unknown, (record.record_type, unknown)


def test_nested_blocks_dotted_and_lists_as_json() -> None:
    parsed = parse_kv(format_splunk(minimal_record(10)))
    assert parsed["hops"] == "1"                          # eNcore name for hostProfile.hops
    assert parsed["host_profile.primary_secondary"] == "1"  # rule for the rest
    assert parsed["host_profile.tcp_server"].startswith("[{")


def test_encore_names_and_fixed_misspellings() -> None:
    names = field_names_for(400)
    assert {"smtp_attachements", "stmp_headers", "smtp_to", "ids_policy", "msg", "sid",
            "class", "class_desc", "impact", "impact_desc", "device_id"} <= names
    assert {"user", "user_id", "fw_rule", "fw_rule_id", "priority", "priority_id"} <= names
    assert "device_id" in field_names_for(71) and "sensor" in field_names_for(71)
    all_names = emitted_field_names()
    assert {"rec_type", "rec_type_simple", "rec_type_category", "event_sec"} <= all_names
    assert "rec_type_simple" not in field_names_for(400, full=False)
    assert all(re.fullmatch(r"[A-Za-z0-9_.]+", n) for n in all_names)


def test_quote() -> None:
    assert quote("abc") == "abc"
    assert quote("") == '""'
    assert quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


@pytest.mark.parametrize(("source_destination", "expected"), [(0, "No"), (1, "Yes"), (2, "Yes")])
def test_security_intelligence_event_flag_on_connections(source_destination: int,
                                                         expected: str) -> None:
    # eNcore dashboards and the SI eventtype search on sec_intel_event=Yes.
    record = minimal_record(71)
    record.fields["securityIntelligenceSourceDestination"] = source_destination
    MetadataCache().decorate(record)
    assert parse_kv(format_splunk(record))["sec_intel_event"] == expected


def test_vpn_login_carries_the_first_session_under_encore_names() -> None:
    # eNcore 5.2.11 flattens the VPN session of 170/171 into top-level fields that VPN
    # searches use; the decoder keeps the session list, decoration lifts the first one.
    from estreamer.records.decoder import decode_record
    from estreamer.records.encoder import encode_record

    session = {"index": 1, "vpnType": 3, "groupPolicy": "Remote Staff",
               "vpnConnectionProfile": "corp", "clientIP": "00" * 10 + "ffff" + "c0000205",
               "countryCode": 840, "clientOS": "Windows 11", "clientApplication": "AnyConnect",
               "connectionDuration": 60, "bytesTransmitted": 100, "bytesReceived": 200}
    record = decode_record(encode_record(170, {"deviceId": 1, "eventSecond": 1_700_000_000,
                                               "userLogin": {"userId": 5,
                                                             "vpnSession": [session]}}))
    MetadataCache().decorate(record)
    kv = parse_kv(format_splunk(record))
    assert kv["client_ip"] == "192.0.2.5" and kv["vpn_policy"] == "Remote Staff"
    assert kv["vpn_type"] == "AnyConnect SSL" and kv["client_os"] == "Windows 11"
    assert (kv["bytes_transmitted"], kv["bytes_received"]) == ("100", "200")
    assert kv["vpn_connection_duration"] == "60" and kv["index"] == "1"
    assert {"client_ip", "vpn_policy", "bytes_received"} <= field_names_for(170)


@pytest.mark.parametrize(("header", "expected"), [
    ({"legacyIpAddress": "10.1.2.3", "hasIpv6": 0}, "10.1.2.3"),
    ({"legacyIpAddress": "0.0.0.0", "hasIpv6": 1, "ipv6Address": "2001:db8::7"}, "2001:db8::7"),
])
def test_discovery_events_name_the_host_address_as_src_host(header: dict, expected: str) -> None:
    from estreamer.records.decoder import decode_record
    from estreamer.records.encoder import encode_record

    for archive in (None, 1_700_000_000):  # eNcore got IPv6 right only with one header form
        record = decode_record(encode_record(19, {"deviceId": 1, **header},
                                             archive_timestamp=archive))
        MetadataCache().decorate(record)
        assert parse_kv(format_splunk(record))["src_host"] == expected
