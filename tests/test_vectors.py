"""The decoder and the encoder against the spec itself, not against each other.

* hand-written hex vectors (tests/vectors/hand.py), one or more per block shape;
* an independent writer (tests/vectors/spec_writer.py) that reads records.yaml and
  lays out every record type; it is anchored to the hand vectors (it must write
  the very same bytes) and to records.yaml's own ``at`` / ``fixedBlockLength``
  numbers;
* every record type of records.yaml decoded from that writer's bytes, in every
  body-block version, with short and long record headers, with and without IPv6
  discovery headers; and the encoder writing exactly those bytes;
* the 35 header:false metadata records reaching the metadata cache and naming ids.
"""

from __future__ import annotations

import pytest

from estreamer.records.catalogue import BLOCKS, RECORDS, UNKNOWN
from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.records.metadata import STORES, MetadataCache

from .vectors.hand import VECTORS, Vector
from .vectors.spec_writer import Spec, Writer, find_records_yaml

SPEC = Spec(find_records_yaml())  # spec/records.yaml, committed with the code

# The records whose body is the x.idLengthName pseudo-block (issue 9 item 1).
ID_LENGTH_NAME_RECORDS = {55, 58, 59, 60, 61, 63, 90, 91, 96, 109, 120, 121, 122, 123, 128,
                          129, 130, 131, 281, 300, 302, 350, 510, 515, 516, 517, 518, 519,
                          602, 604, 605, 606, 607, 608, 613}
ARCHIVE = 1_700_000_123


def _spec() -> Spec:
    assert SPEC is not None
    return SPEC


def _shapes(record_type: int) -> list[tuple[int | None, int | None, bool]]:
    """(body block type, archive timestamp or None, IPv6 discovery header) to try."""
    spec = _spec()
    ipv6 = (False, True) if spec.has_discovery_header(record_type) else (False,)
    return [(bt, archive, v6) for bt in spec.body_block_types(record_type)
            for archive in (None, ARCHIVE) for v6 in ipv6]


# ---- hand-written vectors ----------------------------------------------------------------

@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_hand_vector_decodes_to_its_hand_read_values(vector: Vector) -> None:
    record = decode_record(vector.wire, offset=0)
    assert record.record_type == vector.record_type
    assert record.archive_timestamp == (vector.archive or 0)
    assert record.block_type == vector.block_type
    assert record.fields == vector.fields


@pytest.mark.parametrize("vector", [v for v in VECTORS if v.canonical], ids=lambda v: v.name)
def test_the_spec_writer_writes_each_hand_vector_byte_for_byte(vector: Vector) -> None:
    data, expected = Writer(_spec()).record(
        vector.record_type, vector.fields, archive=vector.archive,
        ipv6=vector.fields.get("hasIpv6") == 1, block_type=vector.block_type)
    assert data.hex() == vector.wire.hex()
    assert expected == vector.fields


def _all_steps(record_type: int) -> list:
    """The record's steps and those of the blocks it names directly."""
    steps = list(RECORDS[record_type].steps)
    for step in list(steps):
        if step.of and step.of != "auto":
            steps += BLOCKS[step.of].steps
    return steps


# (the encoder stops at a field of unknown width, so it cannot write attribute_46's tail)
@pytest.mark.parametrize("vector", [
    v for v in VECTORS
    if v.canonical and not any(s.kind is UNKNOWN for s in _all_steps(v.record_type))
], ids=lambda v: v.name)
def test_the_encoder_writes_each_hand_vector_byte_for_byte(vector: Vector) -> None:
    data = encode_record(vector.record_type, vector.fields, archive_timestamp=vector.archive,
                         block_type=vector.block_type)
    assert data.hex() == vector.wire.hex()


# ---- the independent writer against records.yaml's own numbers --------------------------

def test_spec_writer_offsets_are_the_at_numbers_of_records_yaml() -> None:
    spec = _spec()
    checked = 0
    for key, block in spec.blocks.items():
        if any(f.get("lengthFrom") == "blockLength" for f in block["fields"]):
            continue  # s1.0 String / s1.10 BLOB: the framing the writer itself writes
        writer = Writer(spec)
        writer.block(key, {})
        for f in block["fields"]:
            if "at" in f:
                assert writer.offsets[key][f["name"]] == f["at"], (key, f["name"])
                checked += 1
        if "fixedBlockLength" in block:
            assert writer.lengths[key] == block["fixedBlockLength"], key
    assert checked > 500


# ---- every record type of records.yaml -----------------------------------------------------

def test_the_catalogue_has_every_record_type_of_records_yaml() -> None:
    assert set(RECORDS) == set(SPEC.records)


@pytest.mark.parametrize("record_type", sorted(SPEC.records) if SPEC else [])
def test_every_record_type_decodes_the_spec_writers_bytes(record_type: int) -> None:
    for block_type, archive, ipv6 in _shapes(record_type):
        data, expected = Writer(_spec(), seed=record_type).record(
            record_type, archive=archive, ipv6=ipv6, block_type=block_type)
        record = decode_record(data)
        assert (record.record_type, record.archive_timestamp, record.block_type) == \
            (record_type, archive or 0, block_type)
        assert record.fields == expected, (block_type, archive, ipv6)


@pytest.mark.parametrize("record_type", sorted(SPEC.records) if SPEC else [])
def test_every_record_type_is_encoded_as_the_spec_writer_lays_it_out(record_type: int) -> None:
    for block_type, archive, ipv6 in _shapes(record_type):
        writer = Writer(_spec(), seed=record_type)
        writer.unknown_tail = b""  # the encoder stops at a field of unknown width
        _, fields = writer.record(record_type, archive=archive, ipv6=ipv6, block_type=block_type)
        # Written again from the decoded values: where a flattened block repeats a
        # name (deviceId in the discovery header and in the 71 body), both places
        # then hold the value the decoded record keeps.
        data, _ = writer.record(record_type, fields, archive=archive, ipv6=ipv6,
                                block_type=block_type)
        assert encode_record(record_type, fields, archive_timestamp=archive,
                             block_type=block_type).hex() == data.hex(), (block_type, ipv6)


# ---- the header:false metadata records reach the cache ------------------------------------

def test_the_pseudo_block_records_are_the_ones_of_the_issue() -> None:
    uses = {rt for rt, r in _spec().records.items()
            if any(i.get("of") == "x.idLengthName" for i in r["body"])}
    assert uses == ID_LENGTH_NAME_RECORDS


@pytest.mark.parametrize("record_type", sorted(ID_LENGTH_NAME_RECORDS))
def test_id_length_name_record_names_reach_the_metadata_cache(record_type: int) -> None:
    data, _ = Writer(_spec()).record(record_type, {"id": 77, "name": f"name of {record_type}"},
                                     archive=0)
    record = decode_record(data)
    assert record.fields == {"id": 77, "length": len(f"name of {record_type}"),
                             "name": f"name of {record_type}"}
    cache = MetadataCache()
    if record_type not in STORES:
        # 58 criticality and 61 scan type: decoded, but nothing resolves through them
        # (spec/COVERAGE.md "Metadata a client must cache").
        assert record_type in (58, 61)
        assert not cache.update(record)
        return
    assert cache.update(record)
    for store in STORES[record_type]:
        assert cache.lookup(store.table, 77) == f"name of {record_type}"


def test_hand_vector_names_decorate_a_connection_event() -> None:
    cache = MetadataCache()
    by_name = {v.name: v for v in VECTORS}
    for name in ("device_123", "application_63", "rule_action_120"):
        assert cache.update(decode_record(by_name[name].wire))
    event = decode_record(encode_record(
        71, {"deviceId": 7, "applicationId": 666, "ruleAction": 1}, block_type=174))
    computed = cache.decorate(event).computed
    assert computed["deviceName"] == "fw-01"
    assert computed["applicationName"] == "HTTP"
    assert computed["ruleActionName"] == "Allow"
