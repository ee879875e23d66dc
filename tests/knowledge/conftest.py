"""Sample events the way the input writes them: encoder -> decoder -> metadata -> formatter.

The records fixtures (``make_line``, ``mix_lines``, ``fields_of``, ``sourcetype``) run
each test on the three Splunk formats the input offers, each under its sourcetype:
every CIM, extraction and search check must hold on all three."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from estreamer import samples
from estreamer.decoder import decode_record
from estreamer.encoder import encode_record
from estreamer.formatters import FORMATTERS
from estreamer.metadata import MetadataCache

from .inventory import DATA, LEAN, SPARSE
from .props_engine import Knowledge, search_time

#: the input's Splunk formats -> their sourcetypes
FORMATS = {"splunk": DATA, "splunk-sparse": SPARSE, "splunk-lean": LEAN}


@pytest.fixture(scope="session", params=sorted(FORMATS))
def line_format(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def sourcetype(line_format: str) -> str:
    return FORMATS[line_format]


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
def make_line(cache: MetadataCache, line_format: str) -> Callable[..., str]:
    formatter = FORMATTERS[line_format]

    def make(record_type: int, fields: dict[str, Any], block_type: int | None = None) -> str:
        record = decode_record(encode_record(record_type, fields, archive_timestamp=1,
                                             block_type=block_type))
        cache.decorate(record)
        return formatter(record)
    return make


def stream_records() -> list:
    """A realistic stream (FMC 7 blocks), decorated, metadata records left out."""
    metadata = MetadataCache()
    records = []
    for payload in samples.generate_mix(300, seed=7):
        record = decode_record(payload)
        if metadata.update(record):
            continue
        metadata.decorate(record)
        records.append(record)
    return records


@pytest.fixture(scope="session")
def mix_lines(line_format: str) -> dict[int, list[str]]:
    """The stream as lines of one format, grouped by record type."""
    formatter = FORMATTERS[line_format]
    lines: dict[int, list[str]] = {}
    for record in stream_records():
        lines.setdefault(record.record_type, []).append(formatter(record))
    return lines


@pytest.fixture(scope="session")
def fields_of(knowledge: Knowledge, sourcetype: str) -> Callable[[str], dict[str, Any]]:
    def run(line: str) -> dict[str, Any]:
        return search_time(knowledge, sourcetype, line)
    return run


def connection_fields(seed: int = 0, **changes: Any) -> dict[str, Any]:
    fields = samples._connection(random.Random(seed))
    fields.update(changes)
    return fields


def intrusion_fields(seed: int = 0, **changes: Any) -> dict[str, Any]:
    fields = samples._intrusion(random.Random(seed))
    fields.update(changes)
    return fields


def file_fields(malware: bool, seed: int = 0, **changes: Any) -> dict[str, Any]:
    fields = samples._file(random.Random(seed), malware)
    fields.update(changes)
    return fields
