"""Flat records (values tuple + names) behave exactly like the same record as a dict.

The decoder's fast path hands flat records over; decoration and the Splunk
formatter read them by position through code generated for that case. Whatever
a user sees - decorated names, Splunk, JSON and CEF lines - must not depend on
which form a record arrived in.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estreamer.records import codegen
from estreamer.records.catalogue import RECORDS
from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.records.formatters import FORMATTERS
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import FieldNames, Record
from estreamer.testing.samples import generate_mix
from tests.support.layout_values import record_values


def _as_dict(record: Record) -> Record:
    return Record(record.record_type, dict(zip(record.names, record.values)),  # type: ignore[arg-type]
                  record.archive_timestamp, record.block_type, record.raw, record.offset)


def _same_output(cache: MetadataCache, record: Record) -> None:
    assert record.values is not None, "expected the decoder's fast path"
    twin = _as_dict(record)
    cache.decorate(record)
    cache.decorate(twin)
    assert record.computed == twin.computed
    # Splunk first: it reads the values; JSON and CEF build the record's dict
    for name, formatter in FORMATTERS.items():
        assert formatter(record) == formatter(twin), name
    assert record.fields == twin.fields


@pytest.mark.skipif(not codegen.enabled(), reason="ESTREAMER_NO_CODEGEN=1: no flat records")
def test_the_benchmark_mix_formats_the_same_flat_or_as_a_dict() -> None:
    cache = MetadataCache()
    flat = 0
    for payload in generate_mix(3000, seed=7):
        record = decode_record(payload)
        if cache.update(record) or record.values is None:
            continue
        flat += 1
        _same_output(cache, record)
    assert flat > 2500


@pytest.mark.parametrize("record_type", sorted(RECORDS))
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_record_type_formats_the_same_flat_or_as_a_dict(
        record_type: int, data: st.DataObject) -> None:
    fields, block_type = data.draw(record_values(record_type))
    record = decode_record(encode_record(record_type, fields, block_type=block_type))
    if record.values is None:
        return  # nested blocks or lists: the decoder builds the dict itself
    _same_output(MetadataCache(), record)


def test_fields_built_on_first_use_then_the_dict_is_the_record() -> None:
    names = FieldNames(["deviceId", "eventSecond", "deviceId"])
    record = Record(71, None, values=(1, 1700000000, 2), names=names)
    assert record.get("deviceId") == 2  # the last value, as in a dict built from the pairs
    assert record.get("missing", 0) == 0
    assert record.fields == {"deviceId": 2, "eventSecond": 1700000000}
    record.fields["deviceId"] = 9
    assert record.values is None and record.get("deviceId") == 9
