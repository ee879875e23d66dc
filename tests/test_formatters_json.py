"""JSON lines: camelCase fields, metadata keys, decorated names beside ids."""

from __future__ import annotations

import json

from estreamer.records.formatters.json import format_json
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import Record
from tests.support.records import HOSTILE, all_minimal_records, minimal_record


def test_every_record_type_is_one_json_line() -> None:
    for record in all_minimal_records():
        MetadataCache().decorate(record)
        line = format_json(record)
        assert "\n" not in line
        doc = json.loads(line)
        assert doc["recordType"] == record.record_type
        assert doc["archiveTimestamp"] == 1_700_000_001
        assert "recordTypeCategory" in doc


def test_decorated_name_beside_id_and_hostile_text() -> None:
    cache = MetadataCache()
    cache.update(Record(123, {"id": 5, "name": "fw1"}))
    record = Record(400, {"deviceId": 5, "httpURI": HOSTILE}, block_type=85)
    doc = json.loads(format_json(cache.decorate(record)))
    assert (doc["deviceId"], doc["deviceName"]) == (5, "fw1")
    assert doc["httpURI"] == HOSTILE
    assert doc["blockType"] == 85
    assert "archiveTimestamp" not in doc


def test_nested_blocks_and_lists_keep_their_shape() -> None:
    doc = json.loads(format_json(minimal_record(10)))
    assert isinstance(doc["hostProfile"], dict)
    assert isinstance(doc["hostProfile"]["tcpServer"], list)
