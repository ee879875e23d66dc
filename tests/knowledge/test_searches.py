"""Every search the add-on ships is valid SPL and reads only fields that exist."""

from __future__ import annotations

import pytest

from tests.support.splunk_emulation import inventory
from tests.support.splunk_emulation.inventory import DATA
from tests.support.splunk_emulation.splunk_conf import load_conf
from tests.support.splunk_emulation.splunk_search import (
    DEFAULT_FIELDS,
    SearchTerms,
    SplError,
    check_spl,
)

MACROS = load_conf("macros.conf")
EVENTTYPES = load_conf("eventtypes.conf")
FIELDS = inventory.fields_by_sourcetype()
SEARCHES = inventory.view_searches() + inventory.conf_searches()




def _check(text: str, where: str) -> None:
    text = inventory.with_tokens_filled(text)
    for sourcetype in inventory.search_sourcetypes(text, MACROS):
        usage = check_spl(text, MACROS, FIELDS[sourcetype])
        assert not usage.missing, \
            f"{where}: fields nobody writes in {sourcetype}: {sorted(usage.missing)}"
        unknown = usage.eventtypes - set(EVENTTYPES)
        assert not unknown, f"{where}: unknown event types {sorted(unknown)}"


def test_there_are_searches_everywhere():
    places = {s.where.split(" ")[0].split("/")[0] for s in SEARCHES}
    assert {"views", "savedsearches.conf", "workflow_actions.conf"} <= places
    assert len(SEARCHES) > 100


@pytest.mark.parametrize("search", SEARCHES, ids=lambda s: s.where)
def test_search_is_valid_and_reads_emitted_fields(search):
    _check(search.text, search.where)


@pytest.mark.parametrize("name", sorted(set(MACROS) - {"estreamer_index"}))
def test_macro_is_valid(name):
    definition = MACROS[name]["definition"]
    first = definition.split(None, 1)[0]
    # Fragments that follow a pipe (dedup ...) are checked after the data search.
    text = f"`estreamer_data` | `{name}`" if first in ("dedup", "eval", "stats") else f"`{name}`"
    _check(text, f"macros.conf [{name}]")


@pytest.mark.parametrize("name", sorted(EVENTTYPES))
def test_eventtype_search_reads_emitted_fields(name):
    terms = SearchTerms(EVENTTYPES[name]["search"])
    assert "|" not in EVENTTYPES[name]["search"]
    # SI connections (rec_type 71) are covered by test_extraction's SI test
    for sourcetype in inventory.search_sourcetypes(EVENTTYPES[name]["search"], MACROS,
                                                  records_with_si=False):
        unknown = terms.fields - FIELDS[sourcetype] - DEFAULT_FIELDS
        assert not unknown, \
            f"eventtype {name} reads fields nobody writes in {sourcetype}: {sorted(unknown)}"


def test_eventtypes_have_no_category_text_that_can_drift():
    # eNcore keyed event types on rec_type_simple, which later versions renamed (B21).
    for name, stanza in EVENTTYPES.items():
        assert "rec_type_simple" not in stanza["search"], name


@pytest.mark.parametrize("bad", [
    '`estreamer_data` | stats count by nosuchfield',
    '`estreamer_flows` | dedup instance_id connection_id sortby - last_pkt',   # eNcore B10
    '`estreamer_data` | frobnicate',
    '`no_such_macro` | stats count',
    '`estreamer_data` eventtype=no_such_type',
    '`estreamer_data` (rec_type=71',
    '`estreamer_data` msg="unterminated',
    '`estreamer_data` | stats count by sensor | table sensor src_ip',
])
def test_the_checker_rejects_broken_searches(bad):
    with pytest.raises((AssertionError, SplError)):
        _check(bad, "negative example")


def test_index_macro_is_a_plain_index_filter():
    # Admins edit it to their indexes; every other search builds on it.
    definition = MACROS["estreamer_index"]["definition"]
    assert SearchTerms(definition).fields == set()
    assert "index=" in definition and "|" not in definition


def test_workflow_action_tokens_are_declared_fields():
    for name, stanza in load_conf("workflow_actions.conf").items():
        declared = {f.strip() for f in stanza["fields"].split(",")}
        assert declared <= FIELDS[DATA], name
        used = set()
        for key in ("search.search_string", "link.uri", "search.earliest"):
            used |= set(inventory.TOKEN.findall(stanza.get(key, "")))
        assert used <= declared, f"{name}: tokens {sorted(used - declared)} not in fields"
        assert {e.strip() for e in stanza["eventtypes"].split(",")} <= set(EVENTTYPES), name
