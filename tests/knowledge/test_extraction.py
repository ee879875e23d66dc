"""The key=value extraction reads back exactly what the formatter wrote."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.splunk_emulation.inventory import DATA, SI
from tests.support.splunk_emulation.props_engine import search_time, timestamp
from tests.support.splunk_emulation.sample_fields import (
    connection_fields,
    file_fields,
    intrusion_fields,
)

# Text users see in file names and URLs: anything printable, incl. quotes,
# backslashes, '=', commas and spaces (control characters stay escaped).
PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF,
                                  blacklist_characters="\x7f"), max_size=40)


@settings(max_examples=60, deadline=None)
@given(name=PRINTABLE, uri=PRINTABLE)
# free text that reads like an unset address or MAC is text, not an unset value: the
# sparse and lean formats once dropped it (found by this test)
@example(name="0.0.0.0", uri="00:00:00:00:00:00")
@example(name="::", uri="0" * 32)
def test_text_values_survive_formatting_and_extraction(knowledge, make_line, sourcetype, name,
                                                       uri):
    line = make_line(500, file_fields(False, fileName=name, uri=uri), 79)
    event = search_time(knowledge, sourcetype, line)
    # Splunk keeps no empty values; everything else must come back unchanged.
    assert event.get("file_name", "") == name
    assert event.get("uri", "") == uri
    assert event["rec_type"] == "500"
    assert event["file_action"] == "Detect"


def test_every_field_of_a_stream_is_extracted_once(mix_lines, knowledge, sourcetype):
    for lines in mix_lines.values():
        for line in lines:
            event = search_time(knowledge, sourcetype, line)
            assert event["rec_type_desc"] and event["rec_type_category"]
            assert event["rec_type_simple"] == event["rec_type_category"]
            assert "event_sec" in event


def test_value_that_looks_like_a_pair_is_not_split(make_line, knowledge, sourcetype):
    line = make_line(400, intrusion_fields(httpURI='/a?x="1" y=2 rec_type=9|8'), 85)
    event = search_time(knowledge, sourcetype, line)
    assert event["rec_type"] == "400"
    assert event["http_uri"] == '/a?x="1" y=2 rec_type=9|8'
    assert "y" not in event


def test_security_intelligence_sourcetype_reads_like_the_records(make_line, knowledge,
                                                                 line_format):
    """The input's SI option puts SI connections under cisco:estreamer:si: same fields,
    time, CIM fields, event types and tags as under cisco:estreamer:data."""
    if line_format != "splunk":
        pytest.skip("the SI option applies to the eNcore format (the others keep SI "
                    "connections in their own sourcetype, eventtype estreamer_security_"
                    "intelligence)")
    line = make_line(71, connection_fields(securityIntelligenceSourceDestination=2,
                                           securityIntelligenceList1=5,
                                           fileName='a "b" c'), 174)
    si = search_time(knowledge, SI, line)
    data = search_time(knowledge, DATA, line)
    assert timestamp(knowledge, SI, line) == timestamp(knowledge, DATA, line)
    assert {k: v for k, v in si.items() if k != "sourcetype"} == \
        {k: v for k, v in data.items() if k != "sourcetype"}
    assert si["rec_type"] == "71" and si["sec_intel_list1_id"] == "5"
    assert {"estreamer_connection", "estreamer_security_intelligence"} <= set(si["eventtype"])
    assert {"network", "communicate", "security_intelligence"} <= set(si["tag"])
    assert si["vendor_product"] == "Cisco Secure Firewall"
    assert si["src"] and si["dest"] and si["action"] in ("allowed", "blocked")
