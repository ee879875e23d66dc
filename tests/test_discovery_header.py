"""The discovery event header as FMCs send it: hasIpv6 = 1, the host address in 16 more bytes.

spec/PROTOCOL.md 7.2: Cisco's eNcore reads the connection block at the offset that assumes
the long form, so the generated streams use it by default and the decoder's fast path
reads it; the short (IPv4-only, 40-byte) form stays valid.
"""

from __future__ import annotations

import struct

import pytest

from estreamer.errors import RecordDecodeError
from estreamer.records import codegen
from estreamer.records.catalogue import RECORDS
from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.records.formatters.splunk import format_splunk_full
from estreamer.records.metadata import MetadataCache
from estreamer.testing.samples import generate_mix

MAPPED = bytes(10) + b"\xff\xff"


def _generic(payload: bytes) -> dict:
    """The reference walker's fields (the generated fast path switched off)."""
    with codegen.disabled():
        return decode_record(payload).fields


def _connections(**options: bool) -> list[bytes]:
    return [p for p in generate_mix(300, seed=2, **options)
            if struct.unpack_from(">I", p)[0] == 71]


def test_generated_connection_events_carry_the_ipv4_mapped_host_address() -> None:
    payloads = _connections()  # the default form
    assert payloads
    for payload in payloads:
        # long record header (16) + discovery header (40): the 16-byte address, then
        # the connection block, whose type eNcore 5.2.11 reads at payload offset 72
        host = payload[56:72]
        assert host[:12] == MAPPED
        assert struct.unpack_from(">I", payload, 72)[0] == 174
        record = decode_record(payload)
        fields = record.fields
        assert fields["hasIpv6"] == 1 and fields["legacyIpAddress"] == "0.0.0.0"
        assert fields["ipv6Address"] == fields["initiatorIpAddress"]  # shown as a dotted quad
        assert fields["ipv6Address"].startswith("10.")


def test_the_short_discovery_header_is_still_generated_on_request() -> None:
    for payload in _connections(ipv6_header=False):
        assert struct.unpack_from(">I", payload, 56)[0] == 174
        fields = decode_record(payload).fields
        assert fields["hasIpv6"] == 0 and "ipv6Address" not in fields
        assert fields["legacyIpAddress"] == fields["initiatorIpAddress"]


@pytest.mark.parametrize("ipv6_header", [True, False])
def test_stamped_counters_land_in_the_right_place_in_both_forms(ipv6_header: bool) -> None:
    counters = [decode_record(p).fields["connectionCounter"]
                for p in _connections(ipv6_header=ipv6_header)]
    assert len(set(counters)) == len(counters)  # every event unique (stamped per copy)


@pytest.mark.skipif(not codegen.enabled(), reason="ESTREAMER_NO_CODEGEN=1: no fast path")
@pytest.mark.parametrize("block_type", sorted(RECORDS[71].by_block_type))
@pytest.mark.parametrize("address", ["::ffff:192.0.2.7", "2001:db8::5", None])
@pytest.mark.parametrize("archive", [None, 1_700_000_000])
def test_fast_path_reads_both_header_forms_as_the_reference_walker(
        block_type: int, address: str | None, archive: int | None) -> None:
    fields = {"deviceId": 3, "initiatorPort": 443, "clientUrl": "http://example.com/",
              "hasIpv6": 0 if address is None else 1, "ipv6Address": address,
              "legacyIpAddress": "192.0.2.7" if address is None else "0.0.0.0"}
    payload = encode_record(71, fields, block_type=block_type, archive_timestamp=archive)
    record = decode_record(payload)
    assert record.values is not None, "expected the decoder's fast path"
    assert record.block_type == block_type
    assert record.fields == _generic(payload)
    assert record.fields["initiatorPort"] == 443
    expected = {"::ffff:192.0.2.7": "192.0.2.7", "2001:db8::5": "2001:db8::5"}.get(address or "")
    assert record.fields.get("ipv6Address") == expected


def test_fast_path_leaves_a_missing_ipv6_address_to_the_walker_and_its_error() -> None:
    # hasIpv6 = 1 but the record ends inside the 16 bytes: one clear decode error
    payload = encode_record(19, {"hasIpv6": 1, "ipv6Address": "2001:db8::1"})
    cut = payload[:-8]
    cut = struct.pack(">II", 19, len(cut) - 8) + cut[8:]
    with pytest.raises(RecordDecodeError, match="IPv6 address is missing"):
        decode_record(cut)


def test_splunk_output_shows_the_host_as_ipv4_text_like_encore() -> None:
    # src_host is in splunk-full only on connections (the default has src_ip)
    cache = MetadataCache()
    lines = []
    for payload in generate_mix(200, seed=4):
        record = decode_record(payload)
        cache.decorate(record)
        if record.record_type == 71:
            lines.append((record.fields["initiatorIpAddress"], format_splunk_full(record)))
    assert lines
    for initiator, line in lines:
        assert f"src_host={initiator} " in line or line.endswith(f"src_host={initiator}")
        assert "::ffff:" not in line
