"""The three Splunk formats give every search the same results (issue 13).

A search's result depends only on the fields it reads, the event types and the tags
of each event. For every record of a stream this compares, after the add-on's
search-time knowledge, the default (eNcore key=value) event with the sparse and the
lean one: the sparse event must be the default one except for unset values no
knowledge object reads, and the lean event the sparse one. The per-format runs of the CIM and
extraction tests (conftest's ``line_format``) check the rest.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from estreamer.records.formatters import FORMATTERS
from estreamer.records.formatters.splunk_lean import format_splunk_lean
from estreamer.records.formatters.splunk_names import lean_layouts, lean_tag, safe_text_fields
from estreamer.records.record import Record
from tests.support.records import stream_records
from tests.support.splunk_emulation import inventory
from tests.support.splunk_emulation.inventory import DATA, LEAN, SPARSE
from tests.support.splunk_emulation.props_engine import search_time, timestamp
from tests.support.splunk_emulation.splunk_conf import REPO, load_conf
from tests.support.splunk_emulation.splunk_search import SearchTerms, check_spl

MACROS = load_conf("macros.conf")
EVENTTYPES = load_conf("eventtypes.conf")
FIELDS = inventory.fields_by_sourcetype()
SEARCHES = inventory.view_searches() + inventory.conf_searches()
UNSET = {"0", "0.0.0.0", "::", "00000000-0000-0000-0000-000000000000", "0" * 32, "0" * 40,
         "0" * 64, "00:00:00:00:00:00"}


def _read_by_knowledge() -> set[str]:
    """Every field a search, macro, eventtype, workflow action or props setting reads."""
    read: set[str] = set()
    for search in SEARCHES:
        text = inventory.with_tokens_filled(search.text)
        read |= check_spl(text, MACROS, FIELDS[inventory.search_sourcetypes(text, MACROS)[0]]).used
    for stanza in EVENTTYPES.values():
        read |= SearchTerms(stanza["search"]).fields
    for stanza in load_conf("workflow_actions.conf").values():
        read |= {name.strip() for name in stanza["fields"].split(",")}
    return read | inventory.props_reads(DATA)


READ = _read_by_knowledge()


def test_generated_knowledge_is_up_to_date():
    """props/transforms/lookup of the sparse and lean sourcetypes come from the formatters'
    own tables; a change to either without running the generator fails here."""
    result = subprocess.run([sys.executable, str(REPO / "tools" / "gen_splunk_formats.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _unset(record_type: int, key: str, value: object) -> object:
    """A value's unset form: 0, or the all-zero address, UUID, MAC or hash."""
    if type(value) is int:
        return value if key == "deviceId" else 0
    if type(value) is str and key in safe_text_fields(record_type):
        if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
            return "0.0.0.0"
        return "::" if ":" in value and len(value) <= 39 and value.count(":") != 5 \
            else re.sub(r"[0-9a-f]", "0", value)
    return value


def _zeroed(records: list[Record], cache) -> list[Record]:
    """One record of each layout of the stream with every number, address, UUID and hash
    unset: sparse lines then lack them all, so a search reading one finds its default."""
    layouts = {}
    for record in records:
        layouts.setdefault((record.record_type, record.block_type), record)
    out = []
    for record in layouts.values():
        fields = {key: _unset(record.record_type, key, value)
                  for key, value in record.fields.items()}
        out.append(cache.decorate(Record(record.record_type, fields,
                                         block_type=record.block_type)))
    return out


@pytest.fixture(scope="module")
def events(knowledge, cache) -> list[tuple[dict, dict, dict]]:
    """(default, sparse, lean) search-time events of each record of the stream, and of
    its layouts with every number zero."""
    out = []
    records = stream_records()
    for record in records + _zeroed(records, cache):
        out.append(tuple(search_time(knowledge, sourcetype, FORMATTERS[name](record))
                         for name, sourcetype in (("splunk", DATA), ("splunk-sparse", SPARSE),
                                                  ("splunk-lean", LEAN))))
    return out


def _same(event: dict) -> dict:
    return {k: v for k, v in event.items() if k not in ("_raw", "sourcetype")}


def test_lean_events_are_the_sparse_events(events):
    # the lean line writes the sparse line's values, unset ones empty
    assert len(events) > 250
    for _, sparse, lean in events:
        assert _same(lean) == _same(sparse), lean["_raw"][:200]


def test_sparse_events_differ_only_in_unset_values_no_search_reads(events):
    for default, sparse, _ in events:
        missing = {k: v for k, v in _same(default).items() if k not in sparse}
        assert not {k: v for k, v in missing.items() if v not in UNSET}, sparse["_raw"][:200]
        read = sorted(set(missing) & READ)
        assert not read, f"a search reads {read}, left out of {sparse['_raw'][:200]}"
        assert _same(sparse) == {k: v for k, v in _same(default).items() if k not in missing}


def test_every_format_keeps_the_event_time(knowledge):
    for record in stream_records()[:60]:
        times = {timestamp(knowledge, sourcetype, FORMATTERS[name](record))
                 for name, sourcetype in (("splunk", DATA), ("splunk-sparse", SPARSE),
                                          ("splunk-lean", LEAN))}
        assert len(times) == 1, (record.record_type, times)


@pytest.mark.parametrize("sourcetype", [SPARSE, LEAN])
@pytest.mark.parametrize("search", SEARCHES,
                         ids=lambda s: s.where)
def test_search_reads_fields_the_format_gives(search, sourcetype):
    text = inventory.with_tokens_filled(search.text)
    if inventory.search_sourcetypes(text, MACROS)[0] != DATA:
        pytest.skip("not a search of the records")
    usage = check_spl(text, MACROS, FIELDS[sourcetype])
    assert not usage.missing, f"{search.where}: {sorted(usage.missing)}"


def test_every_record_search_reads_all_three_sourcetypes():
    data = MACROS["estreamer_data"]["definition"]
    assert all(f'sourcetype="{st}"' in data for st in (DATA, SPARSE, LEAN))
    for name, stanza in EVENTTYPES.items():
        if DATA in stanza["search"]:
            assert SPARSE in stanza["search"] and LEAN in stanza["search"], name


def test_lean_values_with_the_separator_come_back_whole(knowledge):
    uri = 'a|b\\|c "d" \\ e|'
    line = format_splunk_lean(Record(400, {"eventSecond": 7, "deviceId": 1, "httpURI": uri,
                                           "httpHostname": "x|y"}, block_type=85))
    assert line.startswith("400.85|7|")
    event = search_time(knowledge, LEAN, line)
    assert event["http_uri"] == uri and event["http_hostname"] == "x|y"
    assert event["device_id"] == "1" and event["rec_type"] == "400"


def test_lean_line_of_an_unknown_layout_is_tagged_and_counted(knowledge):
    from estreamer.records.formatters import splunk_lean

    before = splunk_lean.UNKNOWN_LAYOUTS["71.999"]
    line = format_splunk_lean(Record(71, {"deviceId": 4, "x": "a|b"}, block_type=999))
    assert line == "71.999|4|a\\|b"
    assert splunk_lean.UNKNOWN_LAYOUTS["71.999"] == before + 1
    event = search_time(knowledge, LEAN, line)
    assert event["rec_type"] == "71" and "estreamer_connection" in event["eventtype"]


def test_lean_trailing_empty_values_are_cut():
    line = format_splunk_lean(Record(123, {"id": 1, "name": ""}))
    assert line == "123|||1"
    assert lean_tag(123, None) in lean_layouts()


def test_status_event_names_the_unknown_lean_layouts(knowledge):
    from estreamer.records.formatters import splunk_lean
    from estreamer.stream.client import StreamStatus
    from estreamer.stream.monitor import Monitor

    status = StreamStatus(key="fmc.example:8302")
    figures = Monitor([lambda: status]).sample()[0]
    lines: list[str] = []
    reporter = inventory._glue_status_module().StatusReporter("in1", lambda: status,
                                                              lines.append, 60)
    saved = dict(splunk_lean.UNKNOWN_LAYOUTS)
    try:
        splunk_lean.UNKNOWN_LAYOUTS.clear()
        reporter.emit(figures, status)
        format_splunk_lean(Record(400, {"deviceId": 1}, block_type=250))
        format_splunk_lean(Record(400, {"deviceId": 1}, block_type=250))
        format_splunk_lean(Record(71, {"deviceId": 1}, block_type=999))
        reporter.emit(figures, status)
    finally:
        splunk_lean.UNKNOWN_LAYOUTS.clear()
        splunk_lean.UNKNOWN_LAYOUTS.update(saved)
    assert "unknown_layouts" not in search_time(knowledge, "cisco:estreamer:status", lines[0])
    event = search_time(knowledge, "cisco:estreamer:status", lines[1])
    assert event["unknown_layouts"] == "400.250:2,71.999:1"
    assert event["input"] == "in1"
