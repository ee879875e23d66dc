"""CEF lines: header and extension escaping, dictionary keys, every record type."""

from __future__ import annotations

import re

import pytest

from estreamer.errors import ConfigurationError
from estreamer.records.formatters import FORMATTERS, get_formatter
from estreamer.records.formatters.cef import escape_extension, escape_header, format_cef
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import Record
from tests.support.records import all_minimal_records, minimal_record


def split_cef(line: str) -> tuple[list[str], dict[str, str]]:
    """Header fields (unescaped) and extension pairs (unescaped), as a CEF reader would."""
    header, i = [], 0
    for _ in range(7):
        field = []
        while line[i] != "|":
            if line[i] == "\\":
                i += 1
            field.append(line[i])
            i += 1
        header.append("".join(field))
        i += 1
    ext = line[i:]
    keys = list(re.finditer(r"(?:^| )([A-Za-z0-9]+)=", ext))
    pairs = {}
    for n, match in enumerate(keys):
        end = keys[n + 1].start() if n + 1 < len(keys) else len(ext)
        raw = ext[match.end():end]
        pairs[match.group(1)] = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(
            m.group(1), m.group(1)), raw)
    return header, pairs


def test_escaping() -> None:
    assert escape_header("a|b\\c") == "a\\|b\\\\c"
    assert escape_extension("a=b\\c\nd") == "a\\=b\\\\c\\nd"


def test_intrusion_event() -> None:
    cache = MetadataCache()
    cache.update(Record(123, {"id": 3, "name": "fw|1"}))
    cache.update(Record(66, {"generatorId": 3, "ruleId": 3, "signatureId": 3,
                             "message": "evil | thing = bad\\"}))
    cache.update(Record(98, {"id": 3, "protocol": 710, "username": "alice"}))
    record = cache.decorate(minimal_record(400))
    header, ext = split_cef(format_cef(record))
    assert header[:4] == ["CEF:0", "Cisco", "Firepower", "7.x"]
    assert header[5] == "evil | thing = bad\\"
    assert 0 <= int(header[6]) <= 10
    assert ext["msg"] == "evil | thing = bad\\"
    assert ext["dvchost"] == "fw|1" and ext["deviceExternalId"] == "3"
    assert ext["src"] == "2001:db8::1" and ext["suser"] == "alice"
    assert ext["rt"] == "3000"


def test_connection_uses_in_out_and_never_a_numeric_user() -> None:
    record = MetadataCache().decorate(minimal_record(71))
    _, ext = split_cef(format_cef(record))
    assert ext["in"] == "4" and ext["out"] == "4"
    assert "bytesIn" not in ext and "suser" not in ext   # user name unknown: no id in suser
    assert ext["proto"] == "ICMP"   # protocol 1, by name from the IANA table


@pytest.mark.parametrize("rt", [2, 71, 110, 112, 125, 400, 500, 502])
def test_mapped_types_have_device_and_time(rt: int) -> None:
    _, ext = split_cef(format_cef(MetadataCache().decorate(minimal_record(rt))))
    assert "deviceExternalId" in ext and "rt" in ext


def test_every_record_type_formats() -> None:
    for record in all_minimal_records():
        line = format_cef(record)
        assert "\n" not in line and line.startswith("CEF:0|Cisco|Firepower|")
        split_cef(line)


def test_registry() -> None:
    assert set(FORMATTERS) == {"splunk", "splunk-sparse", "splunk-lean", "splunk-full", "json",
                               "cef", "sfw"}
    assert get_formatter("cef") is format_cef
    allowed = "cef, json, sfw, splunk, splunk-full, splunk-lean, splunk-sparse"
    with pytest.raises(ConfigurationError, match=allowed):
        get_formatter("xml")
