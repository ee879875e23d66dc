"""Decoder and encoder: every record type and body-block version, golden vectors, bad input."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estreamer.errors import RecordDecodeError
from estreamer.records import codegen
from estreamer.records.catalogue import BLOCKS, RECORDS
from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from tests.support.layout_values import record_values

ALL_TYPES = sorted(RECORDS)


COUNT_FIELDS = {s.length_from for r in RECORDS.values() for s in r.steps if s.length_from}
COUNT_FIELDS |= {s.length_from for b in BLOCKS.values() for s in b.steps if s.length_from}


def _without_counts(decoded: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """Drop the length fields the encoder filled in (the strategies leave them out)."""
    extra = set(decoded) - set(expected)
    assert extra <= COUNT_FIELDS, extra
    return {k: v for k, v in decoded.items() if k in expected}


@pytest.mark.slow
@pytest.mark.parametrize("record_type", ALL_TYPES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_record_type_round_trips(record_type: int, data: st.DataObject) -> None:
    fields, block_type = data.draw(record_values(record_type))
    archive = data.draw(st.one_of(st.none(), st.integers(0, 2**32 - 1)))
    payload = encode_record(record_type, fields, archive_timestamp=archive,
                            block_type=block_type)
    record = decode_record(payload, offset=123)
    assert record.record_type == record_type
    assert record.archive_timestamp == (archive or 0)
    assert record.block_type == block_type
    assert record.raw == payload
    assert _without_counts(record.fields, fields) == fields


def test_every_body_block_version_is_decoded_from_its_own_block_type() -> None:
    versions = {rt: layout.by_block_type for rt, layout in RECORDS.items() if layout.by_block_type}
    assert sorted(versions) == [71, 92, 93, 94, 95, 125, 400, 500, 502]
    for record_type, by_type in versions.items():
        for block_type in by_type:
            payload = encode_record(record_type, {"deviceId": 7}, block_type=block_type)
            record = decode_record(payload)
            assert record.block_type == block_type
            assert record.fields["deviceId"] == 7


# ---- vectors built by hand from the Integration Guide tables in spec/PROTOCOL.md ------------

def _header(record_type: int, body: bytes, archive: int | None = None) -> bytes:
    if archive is None:
        return struct.pack(">II", record_type, len(body)) + body
    return struct.pack(">IIII", record_type, len(body), archive, 0) + body


def _discovery_header(ipv6: bytes | None) -> bytes:
    # spec/PROTOCOL.md 7.2: deviceId, legacy IPv4, MAC, hasIpv6, reserved, second, usec,
    # eventType, eventSubtype, fileNumber, filePosition, [IPv6]
    head = struct.pack(">I4s6sBBIIIIII", 42, bytes([10, 1, 2, 3]) if ipv6 is None else b"\0" * 4,
                       bytes.fromhex("0050568a0b0c"), 1 if ipv6 else 0, 0,
                       1_600_000_000, 250_000, 1001, 7, 99, 100)
    return head + (ipv6 or b"")


def test_guide_priority_metadata_record_4() -> None:
    body = struct.pack(">IH", 3, 4) + b"high"
    record = decode_record(_header(4, body))
    assert record.fields == {"id": 3, "length": 4, "name": "high"}
    assert record.archive_timestamp == 0


def test_id_length_name_metadata_has_no_block_header() -> None:
    # records.yaml x.idLengthName (header: false): u32 id, u32 length, name - nothing before.
    body = bytes.fromhex("00000007" "00000005") + b"fw-01"
    record = decode_record(_header(123, body))
    assert record.fields == {"id": 7, "length": 5, "name": "fw-01"}
    assert encode_record(123, {"id": 7, "name": "fw-01"}) == _header(123, body)


def test_id_length_name_that_overruns_the_record_is_a_record_error() -> None:
    body = bytes.fromhex("00000007" "00000009") + b"fw-01"  # 9 announced, 5 present
    with pytest.raises(RecordDecodeError, match=r"name: 9 bytes announced, 5 left") as info:
        decode_record(_header(123, body), offset=640)
    assert (info.value.record_type, info.value.offset) == (123, 640)


def test_guide_packet_record_2_with_archive_timestamp() -> None:
    frame = bytes(range(60))
    body = struct.pack(">IIIIIII", 5, 77, 1_600_000_001, 1_600_000_001, 999, 1, len(frame)) + frame
    record = decode_record(_header(2, body, archive=1_600_000_100))
    assert record.archive_timestamp == 1_600_000_100
    f = record.fields
    assert (f["deviceId"], f["eventId"], f["eventSecond"]) == (5, 77, 1_600_000_001)
    assert (f["packetSecond"], f["packetMicrosecond"], f["linkType"]) == (1_600_000_001, 999, 1)
    assert f["packetData"] == frame.hex()  # binary stays hex, NULs and all (B9)


def test_guide_discovery_header_ipv6_read_after_the_header() -> None:
    address = bytes.fromhex("20010db8000000000000000000000001")
    for archive in (None, 1_700_000_000):  # short and long record header (eNcore bug B6)
        record = decode_record(_header(19, _discovery_header(address), archive))
        assert record.fields["ipv6Address"] == "2001:db8::1"
        assert record.fields["hasIpv6"] == 1
        assert record.fields["eventType"] == 1001 and record.fields["eventSubtype"] == 7
        assert record.fields["macAddress"] == "00:50:56:8a:0b:0c"


def test_guide_discovery_header_ipv4() -> None:
    record = decode_record(_header(19, _discovery_header(None)))
    assert record.fields["legacyIpAddress"] == "10.1.2.3"
    assert "ipv6Address" not in record.fields


def test_connection_body_block_found_after_an_ipv6_discovery_header() -> None:
    # Record 71 with block 174: the block starts right after the 56-byte header
    # (eNcore 5.2.11 reads it at a fixed payload offset - bug B22).
    inner = encode_record(71, {"deviceId": 1, "initiatorPort": 443}, block_type=174)
    block = inner[8 + 40:]  # strip record header and IPv4 discovery header
    body = _discovery_header(bytes(15) + b"\x01") + block
    record = decode_record(_header(71, body))
    assert record.block_type == 174
    assert record.fields["initiatorPort"] == 443
    assert record.fields["ipv6Address"] == "::1"


def test_ipv4_mapped_addresses_are_dotted_quads() -> None:
    mapped = bytes(10) + b"\xff\xff" + bytes([192, 0, 2, 9])
    payload = encode_record(71, {"initiatorIpAddress": "192.0.2.9"}, block_type=174)
    assert mapped in payload
    assert decode_record(payload).fields["initiatorIpAddress"] == "192.0.2.9"


# ---- robustness ------------------------------------------------------------------------

def test_newer_fields_appended_to_a_block_are_skipped() -> None:
    payload = encode_record(400, {"eventId": 9, "snortVersion": 3}, block_type=85)
    rtype, length = struct.unpack_from(">II", payload)
    block_type, block_length = struct.unpack_from(">II", payload, 8)
    extra = b"\xde\xad\xbe\xef"
    grown = (struct.pack(">IIII", rtype, length + 4, block_type, block_length + 4)
             + payload[16:] + extra)
    record = decode_record(grown)
    assert record.fields["eventId"] == 9 and record.fields["snortVersion"] == 3


def test_older_shorter_block_leaves_remaining_fields_absent() -> None:
    payload = encode_record(400, {"eventId": 9}, block_type=60)
    layout = BLOCKS["s2.60"]
    first = layout.steps[0]
    assert first.struct is not None
    cut = 8 + 8 + first.struct.size  # record header, block header, first fixed run
    body = payload[8:cut]
    body = body[:4] + struct.pack(">I", len(body)) + body[8:]  # shrink blockLength
    record = decode_record(_header(400, body))
    assert record.fields["eventId"] == 9
    assert not any(s.name in record.fields for s in layout.steps if s.name)


def test_unknown_body_block_type_is_an_error_not_a_guess() -> None:
    payload = bytearray(encode_record(400, {}, block_type=85))
    struct.pack_into(">I", payload, 8, 77)
    with pytest.raises(RecordDecodeError, match=r"body block type 77 .*record type 400"):
        decode_record(bytes(payload), offset=4096)


def test_error_names_record_type_and_offset() -> None:
    payload = encode_record(71, {}, block_type=174)
    with pytest.raises(RecordDecodeError) as info:
        decode_record(payload[:-3] + struct.pack(">I", 0)[:0], offset=555)
    assert info.value.record_type == 71 and info.value.offset == 555


def test_unknown_record_type_is_reported() -> None:
    with pytest.raises(RecordDecodeError, match="unknown record type"):
        decode_record(_header(99999, b"abc"))


def test_length_that_fits_neither_header_form() -> None:
    with pytest.raises(RecordDecodeError, match="recordLength"):
        decode_record(struct.pack(">II", 4, 100) + b"x" * 10)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_record_decode_error(data: bytes) -> None:
    try:
        decode_record(data)
    except RecordDecodeError:
        pass


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_TYPES), st.data())
def test_corrupted_records_raise_only_record_decode_error(record_type: int,
                                                         data: st.DataObject) -> None:
    fields, block_type = data.draw(record_values(record_type))
    payload = bytearray(encode_record(record_type, fields, block_type=block_type))
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(payload) - 1))
        payload[index] = data.draw(st.integers(0, 255))
    try:
        decode_record(bytes(payload))
    except RecordDecodeError:
        pass


@pytest.mark.slow
@pytest.mark.parametrize("record_type", [71, 400, 500, 502, 125, 2, 4, 66, 95, 112, 10, 160,
                                         98, 123, 170])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_fast_path_agrees_with_the_generic_walker(
        record_type: int, data: st.DataObject) -> None:
    fields, block_type = data.draw(record_values(record_type))
    payload = encode_record(record_type, fields, block_type=block_type)
    # Cut the payload short sometimes, so both paths meet truncated blocks too.
    cut = data.draw(st.integers(0, min(12, len(payload) - 8)))
    if cut:
        payload = payload[:-cut]
        payload = struct.pack(">I", record_type) + struct.pack(">I", len(payload) - 8) + payload[8:]

    def outcome() -> object:
        try:
            r = decode_record(payload)
        except RecordDecodeError as err:
            return ("error", err.record_type)
        return r.fields

    fast = outcome()
    with codegen.disabled():
        generic = outcome()
    assert fast == generic
