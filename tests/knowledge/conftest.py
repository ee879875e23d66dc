"""Sample events the way the input writes them: encoder -> decoder -> metadata -> formatter.

The records fixtures (``make_line``, ``mix_lines``, ``fields_of``, ``sourcetype``) run
each test on the three Splunk formats the input offers, each under its sourcetype:
every CIM, extraction and search check must hold on all three."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.records.formatters import FORMATTERS
from estreamer.records.metadata import MetadataCache
from estreamer.testing import samples
from tests.support.records import stream_records
from tests.support.splunk_emulation.inventory import DATA, LEAN, SPARSE
from tests.support.splunk_emulation.props_engine import Knowledge, search_time

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
