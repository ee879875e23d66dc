"""Sample events the way the input writes them: encoder -> decoder -> metadata -> formatter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.records.formatters.splunk import format_splunk
from estreamer.records.metadata import MetadataCache
from estreamer.testing import samples
from tests.support.splunk_emulation.props_engine import Knowledge, search_time

DATA = "cisco:estreamer:data"


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return Knowledge.load()


@pytest.fixture(scope="session")
def cache() -> MetadataCache:
    metadata = MetadataCache()
    for record_type, fields in samples.metadata_records():
        metadata.update(decode_record(encode_record(record_type, fields)))
    return metadata


@pytest.fixture(scope="session")
def make_line(cache: MetadataCache) -> Callable[..., str]:
    def make(record_type: int, fields: dict[str, Any], block_type: int | None = None) -> str:
        record = decode_record(encode_record(record_type, fields, archive_timestamp=1,
                                             block_type=block_type))
        cache.decorate(record)
        return format_splunk(record)
    return make


@pytest.fixture(scope="session")
def mix_lines() -> dict[int, list[str]]:
    """A realistic stream (FMC 7 blocks) as lines, grouped by record type."""
    metadata = MetadataCache()
    lines: dict[int, list[str]] = {}
    for payload in samples.generate_mix(300, seed=7):
        record = decode_record(payload)
        if metadata.update(record):
            continue
        metadata.decorate(record)
        lines.setdefault(record.record_type, []).append(format_splunk(record))
    return lines


@pytest.fixture(scope="session")
def fields_of(knowledge: Knowledge) -> Callable[[str], dict[str, Any]]:
    def run(line: str) -> dict[str, Any]:
        return search_time(knowledge, DATA, line)
    return run
