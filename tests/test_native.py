"""The optional native core gives exactly what the pure-Python path gives.

Differential: every record type the native core decodes, every body block,
both discovery header forms, Hypothesis-generated records, truncated and
hostile payloads: the same (names, values), the same block type, the same
RecordDecodeError message, the same Splunk line. Where the core is not built
(no C compiler) these tests are skipped, and the one that checks the build
says so when a compiler is present.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estreamer.errors import RecordDecodeError
from estreamer.records import _native, codegen, decoder
from estreamer.records.catalogue import BLOCKS, RECORDS
from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.records.formatters import FORMATTERS, splunk
from estreamer.records.formatters.splunk import format_splunk
from estreamer.records.metadata import MetadataCache
from estreamer.testing.samples import generate_mix
from tests.support.layout_values import steps_values

ROOT = Path(__file__).resolve().parents[1]
native = pytest.mark.skipif(not _native.ACTIVE, reason=_native.STATUS)
# the core stands in for the generated fast path and plans; with code generation off
# the reference walker and plans run, and the core with them is not used
pytestmark = pytest.mark.skipif(not codegen.enabled(), reason="ESTREAMER_NO_CODEGEN=1 is set")


def _plain(record_type: int) -> list[int]:
    """Body block types of a record the fast paths decode (not those told by length)."""
    return sorted(t for t, key in RECORDS[record_type].by_block_type.items()
                  if not BLOCKS[key].by_length)


#: (record type, body block type or None) of every layout the native core decodes
decoder.compile_all()  # PYTHON_FAST lists what the core decodes once all are made
LAYOUTS = sorted((rt, bt) for rt in _native.PYTHON_FAST
                 for bt in (_plain(rt) or [None]))
HOT = [71, 400, 500, 502, 2]


@contextmanager
def pure_python() -> Iterator[None]:
    """The pure-Python path: the Python fast path in place of every native decoder,
    the Splunk formatter's Python plans in place of native renderers."""
    saved, core = dict(decoder._RECORD_FAST), _native.CORE
    decoder._RECORD_FAST.update(_native.PYTHON_FAST)
    splunk._forget_plans(True)  # plans are built again, without the core
    _native.CORE = None
    try:
        yield
    finally:
        _native.CORE = core
        splunk._forget_plans(True)
        decoder._RECORD_FAST.update(saved)


def splunk_line(payload: bytes) -> str | None:
    try:
        record = decode_record(payload)
    except RecordDecodeError:
        return None
    return format_splunk(record)


def outcome(payload: bytes) -> Any:
    """What a user of decode_record sees: the record's content, or the error line."""
    try:
        r = decode_record(payload, offset=1234)
    except RecordDecodeError as err:
        return ("error", str(err), err.record_type, err.offset)
    shape = (tuple(r.names), r.values) if r.values is not None else r.fields
    return (r.record_type, r.archive_timestamp, r.block_type, shape)


def both(payload: bytes) -> tuple[Any, Any]:
    fast = outcome(payload)
    with pure_python():
        reference = outcome(payload)
    return fast, reference


def body_call(record_type: int, payload: bytes) -> tuple[Any, Any]:
    """The native decoder and the Python fast path called directly on one body."""
    start = 16 if len(payload) >= 16 and struct.unpack_from(">I", payload, 4)[0] + 16 \
        == len(payload) else 8
    results = []
    for fn in (decoder._RECORD_FAST[record_type], _native.PYTHON_FAST[record_type]):
        state = decoder._State(RECORDS[record_type])
        got = fn(payload, start, len(payload), state)
        results.append((None if got is None else (tuple(got[0]), got[1]), state.block_type))
    return results[0], results[1]


def layout_payload(record_type: int, block_type: int | None, data: st.DataObject) -> bytes:
    layout = RECORDS[record_type]
    if block_type is not None:
        layout = layout._replace(by_block_type={block_type: layout.by_block_type[block_type]})
    fields, _ = data.draw(steps_values(layout.steps, layout))
    archive = data.draw(st.one_of(st.none(), st.integers(0, 2**32 - 1)))
    return encode_record(record_type, fields, archive_timestamp=archive, block_type=block_type)


def test_ops_numbers_are_the_c_enum() -> None:
    source = (ROOT / "src/estreamer/records/_native/_core.c").read_text()
    enum = {name: int(n) for name, n in re.findall(r"OP_(\w+) = (\d+)", source)}
    assert enum == _native.program.OPS


@pytest.mark.skipif(os.environ.get("ESTREAMER_PURE_PYTHON", "") not in ("", "0"),
                    reason="ESTREAMER_PURE_PYTHON is set")
def test_native_core_is_built_where_a_c_compiler_is() -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler here: the pure-Python path is the install")
    assert _native.ACTIVE, _native.STATUS
    for rt in HOT:
        assert type(decoder._RECORD_FAST[rt]).__name__ == "Decoder", rt


def test_pure_python_switch_turns_the_core_off() -> None:
    code = ("from estreamer.records import _native, decoder; print(_native.STATUS); "
            "decoder.compile_all(); "
            "print(sorted({type(f).__name__ for f in decoder._RECORD_FAST.values() if f}))")
    env = dict(os.environ, ESTREAMER_PURE_PYTHON="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[0].startswith("native core off (ESTREAMER_PURE_PYTHON is set)")
    assert out[1] == "['function']"


@native
def test_every_hot_layout_is_native() -> None:
    assert set(HOT) <= set(_native.PYTHON_FAST)
    assert {bt for rt, bt in LAYOUTS if rt == 71} == set(RECORDS[71].by_block_type)


@native
@pytest.mark.parametrize(("record_type", "block_type"), LAYOUTS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_layout_decodes_as_in_python(record_type: int, block_type: int | None,
                                           data: st.DataObject) -> None:
    payload = layout_payload(record_type, block_type, data)
    fast, reference = body_call(record_type, payload)
    assert fast == reference
    assert fast[0] is not None, "a regular record is decoded natively"
    assert both(payload)[0] == both(payload)[1]
    line = splunk_line(payload)
    with pure_python():
        assert line == splunk_line(payload)


@native
@pytest.mark.parametrize("record_type", HOT)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_truncated_and_corrupted_records_as_in_python(record_type: int,
                                                      data: st.DataObject) -> None:
    block_type = data.draw(st.sampled_from(sorted(RECORDS[record_type].by_block_type)
                                           or [None]))
    payload = bytearray(layout_payload(record_type, block_type, data))
    for _ in range(data.draw(st.integers(0, 6))):
        index = data.draw(st.integers(8, len(payload) - 1))
        payload[index] = data.draw(st.sampled_from([0, 1, 0xFF, data.draw(st.integers(0, 255))]))
    cut = data.draw(st.integers(0, len(payload) - 8))
    body = bytes(payload[8:len(payload) - cut])
    # a record header that fits the shortened body, so the body decoder meets the cut
    payload = struct.pack(">II", record_type, len(body)) + body
    fast, reference = body_call(record_type, payload)
    assert fast == reference
    assert both(payload)[0] == both(payload)[1]


@native
@pytest.mark.parametrize("record_type", sorted(_native.PYTHON_FAST))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=600))
def test_hostile_bodies_as_in_python(record_type: int, body: bytes) -> None:
    payload = struct.pack(">II", record_type, len(body)) + body
    fast, reference = body_call(record_type, payload)
    assert fast == reference
    assert both(payload)[0] == both(payload)[1]


@native
@settings(max_examples=300, deadline=None)
@given(groups=st.lists(st.sampled_from([0, 0, 0, 1, 0xFFFF, 0xABC, 0x10]), min_size=8,
                       max_size=8),
       tail=st.binary(min_size=4, max_size=4))
def test_ipv6_text_is_inet_ntops(groups: list[int], tail: bytes) -> None:
    """The core writes IPv6 text itself (not through inet_ntop's sprintf): the same text as
    socket.inet_ntop for zero runs of every length and place, IPv4-compatible and mapped."""
    import socket

    for raw in (struct.pack(">8H", *groups), struct.pack(">6H", *groups[:6]) + tail,
                bytes(10) + b"\xff\xff" + tail, bytes(12) + tail):
        text = socket.inet_ntop(socket.AF_INET6, raw)
        expected = socket.inet_ntop(socket.AF_INET, raw[12:]) \
            if raw[:12] == bytes(10) + b"\xff\xff" else text  # mapped: the dotted quad
        record = decode_record(encode_record(71, {"initiatorIpAddress": text}))
        assert record.values is not None  # decoded natively
        assert record.get("initiatorIpAddress") == expected, raw.hex()


@native
def test_arguments_the_core_does_not_take_go_to_python() -> None:
    payload = next(p for p in generate_mix(50) if struct.unpack_from(">I", p)[0] == 71)

    def call(fn: Any, *args: Any) -> Any:
        try:
            got = fn(*args, decoder._State(RECORDS[71]))
        except Exception as err:
            return type(err), str(err)
        return got if got is None else (tuple(got[0]), got[1])

    n = len(payload)
    for args in ((payload, 16, n), (bytearray(payload), 16, n), (payload, 16, n + 1000),
                 (payload, -3, n), (payload, 40, 20), (memoryview(payload), 16, n)):
        assert call(decoder._RECORD_FAST[71], *args) == call(_native.PYTHON_FAST[71], *args)


@native
def test_splunk_lines_of_the_sample_stream_are_byte_identical() -> None:
    payloads = list(generate_mix(3000))

    def lines() -> list[str]:
        cache = MetadataCache()
        out = []
        for p in payloads:
            r = decode_record(p)
            cache.update(r)
            cache.decorate(r)
            out.append(format_splunk(r))
        return out

    fast = lines()
    with pure_python():
        reference = lines()
    assert fast == reference
    assert len({line.split(" ", 1)[0] for line in fast}) >= 5  # several record types


@native
def test_decorated_lines_of_every_format_are_byte_identical() -> None:
    """The native decoration (names in the same order) and decorated pairs, seen through
    every output format, on a stream whose metadata arrives before and between events."""
    payloads = list(generate_mix(2500, seed=3))

    def outputs() -> tuple[list[Any], set[str]]:
        cache = MetadataCache()
        out: list[Any] = []
        for p in payloads:
            r = decode_record(p)
            cache.update(r)
            cache.decorate(r)
            out.append(list(r.computed.items()))
            out.extend(FORMATTERS[name](r) for name in sorted(FORMATTERS))
        return out, {type(plan).__name__ for plan in cache._plans.values()}

    fast, kinds = outputs()
    with pure_python():
        reference, pure_kinds = outputs()
    assert "Decorator" in kinds and "Decorator" not in pure_kinds
    assert fast == reference


@native
def test_the_decorator_reads_tables_as_the_generated_code_does() -> None:
    """Each kind of step: table hit, None entry and miss then fallback, part of an entry,
    a composite key, a function whose None result is left out, a non-dict table."""
    class Lookup:  # a mapping that only has get(), as any table may be
        def get(self, key: Any) -> Any:
            return f"looked-up {key}"

    devices = {1: "fw1", 2: None}
    iocs = {7: {"category": "CnC", "eventType": "x"}}
    steps = (((0,), devices, {2: "fallback2", 3: "fallback3"}, None, None, "deviceName"),
             ((1,), iocs, None, "category", None, "iocCategory"),
             ((0, 1), {(1, 7): "pair"}, None, None, None, "composite"),
             ((2,), None, None, None, lambda v: None if v == "skip" else v.upper(), "fn"),
             ((0,), Lookup(), None, None, None, "other"))
    decorate = _native.CORE.Decorator(steps)
    for values, expected in (
            ((1, 7, "a"), {"deviceName": "fw1", "iocCategory": "CnC", "composite": "pair",
                           "fn": "A", "other": "looked-up 1"}),
            ((2, 8, "skip"), {"deviceName": "fallback2", "other": "looked-up 2"}),
            ((4, 7, "b"), {"iocCategory": "CnC", "fn": "B", "other": "looked-up 4"})):
        computed: dict[str, Any] = {}
        assert decorate(values, computed) is None
        assert computed == expected and list(computed) == list(expected)
    with pytest.raises(IndexError):
        decorate((1, 7), {})
    with pytest.raises(TypeError):
        decorate(((), 7, "a"), {})  # an unhashable key, as table.get would raise


@native
def test_the_decorator_remembers_each_steps_last_lookup_until_the_tables_change() -> None:
    """With the cache's generation list, a step whose key repeats gives its last result
    without looking it up again; a new item in the list (a table changed) forgets that."""
    devices = {1: "fw1"}
    calls: list[Any] = []

    def fn(v: Any) -> Any:
        calls.append(v)
        return f"fn {v}"

    generation = [0]
    steps = (((0,), devices, {5: "fallback5"}, None, None, "deviceName"),
             ((0, 1), {(1, "a b"): "pair"}, None, None, None, "composite"),
             ((1,), None, None, None, fn, "fn"))
    decorate = _native.CORE.Decorator(steps, generation)

    def names(values: tuple) -> dict[str, Any]:
        computed: dict[str, Any] = {}
        decorate(values, computed)
        return computed

    first = names((1, "a b"))
    assert first == {"deviceName": "fw1", "composite": "pair", "fn": "fn a b"}
    devices[1] = "changed behind the cache's back"  # seen only after the list changes
    assert names((1, "".join(["a", " b"]))) == first  # an equal key, not the same object
    assert calls == ["a b"]
    generation[0] += 1
    assert names((1, "a b"))["deviceName"] == "changed behind the cache's back"
    assert len(calls) == 2
    devices[1] = "fw2"
    # True equals 1 but is no int: looked up (and the table gives the entry of 1)
    assert names((True, "a b"))["deviceName"] == "fw2"
    del devices[1]
    generation[0] += 1
    assert names((1, "a b")) == {"composite": "pair", "fn": "fn a b"}
    assert names((5, "x")) == {"deviceName": "fallback5", "fn": "fn x"}


@native
def test_decoration_follows_the_cache_as_names_are_learned_and_evicted() -> None:
    """The cache changes its generation on every change of a table: a name learned,
    replaced or evicted shows in the very next record decorated natively."""
    payloads = [p for p in generate_mix(400, seed=5)]
    records = [decode_record(p) for p in payloads]
    event = next(r for r in records if r.record_type == 71 and r.values is not None)
    device = event.get("deviceId")
    cache = MetadataCache(limits={"devices": 2})

    def device_name() -> Any:
        again = decode_record(event.raw)
        cache.decorate(again)
        assert type(cache._plans[(71, again.names.serial)]).__name__ == "Decorator"
        return again.computed.get("deviceName")

    assert device_name() is None
    cache.store("devices", device, "fw-a")
    assert device_name() == "fw-a"
    cache.store("devices", device, "fw-b")
    assert device_name() == "fw-b"
    cache.store("devices", device + 1, "other")
    cache.store("devices", device + 2, "other")  # evicts the oldest: ours
    assert device_name() is None


@native
def test_pairs_miss_goes_to_python_which_fills_the_memo() -> None:
    memo = {"fw1": " device=fw1"}
    pairs = _native.CORE.Pairs({"deviceName": memo}, {"hostIpAddress": " src_host="},
                               frozenset({"dropped"}), ((0, " device_id=", "deviceName", False),
                                                        (1, " zone_id=", "zoneName", False)),
                               True, splunk.UNSET_TEXTS, lambda v: f"<{v}>")
    computed = {"deviceName": "fw1", "hostIpAddress": "10.0.0.1", "dropped": "x"}
    assert pairs((5, 9), computed) == " device=fw1 src_host=10.0.0.1 zone_id=9"
    assert pairs((5, 0), computed) == " device=fw1 src_host=10.0.0.1"  # sparse: 0 unset
    assert pairs((5, "a b"), {}) == " device_id=5 zone_id=<a b>"
    for missing in ({"deviceName": "fw2"}, {"hostIpAddress": ""}, {"unknown": 1},
                    {"deviceName": ["unhashable"]}):
        assert pairs((5, 9), missing) is None, missing
    memo["fw2"] = " device=fw2"
    assert pairs((5, 9), {"deviceName": "fw2"}) == " device=fw2 zone_id=9"


@native
def test_pairs_take_each_keys_own_memo_whatever_its_place() -> None:
    """Pairs remember which memo the key at each place of the dict had last time; a
    record whose names sit at other places (a name missing) still gets each key's own."""
    memos = {"a": {1: " a=1"}, "b": {1: " b=1"}, "c": {1: " c=1"}}
    pairs = _native.CORE.Pairs(memos, {}, frozenset(), (), False, splunk.UNSET_TEXTS, str)
    assert pairs((), {"a": 1, "b": 1}) == " a=1 b=1"
    assert pairs((), {"b": 1, "c": 1}) == " b=1 c=1"
    assert pairs((), {"c": 1}) == " c=1"
    assert pairs((), {"a": 1, "b": 1, "c": 1}) == " a=1 b=1 c=1"


@native
def test_a_line_is_the_render_of_its_pairs_or_none() -> None:
    """Line(renderer, pairs) writes render(values, pairs(values, computed)) in one go,
    and gives None (the Python path) wherever either part would."""
    template = "rec_type=9 a=%s b=%s%s rec_type_desc=t\u00e9"
    render = _native.CORE.Renderer(template, _native.template_parts(template), (0, 1),
                                   (0, 1), {"x y": '"x y"'}, lambda v: f"<{v}>", repr)
    memo = {"fw1": " device=fw1"}
    pairs = _native.CORE.Pairs({"deviceName": memo}, {}, frozenset(),
                               ((0, " device_id=", "deviceName", False),), False,
                               splunk.UNSET_TEXTS, lambda v: f"[{v}]")
    line = _native.CORE.Line(render, pairs)
    for values, computed in (((5, "x y"), {"deviceName": "fw1"}), ((5, "z"), {}),
                             ((2**70, "q"), {}), ((7, "\u00fc"), {"deviceName": "fw1"})):
        rest = pairs(values, computed)
        expected = None if rest is None else render(values, rest)
        assert line(values, computed) == expected, values
    assert line((5, "z"), {"deviceName": "fw2"}) is None  # a memo miss
    assert line((1, "\udc80"), {}) is None  # a lone surrogate: Python writes it
    with pytest.raises(TypeError):
        _native.CORE.Line(pairs, render)


@native
def test_the_renderer_writes_what_the_template_gives() -> None:
    template = "rec_type=9 a=%s b=%s c=%s%s rec_type_desc=\"100%% \\u00e9t\u00e9\""
    parts = _native.template_parts(template)
    assert len(parts) == 5 and parts[-1].decode() == ' rec_type_desc="100% \\u00e9t\u00e9"'
    quoted: dict[str, str] = {}
    render = _native.CORE.Renderer(template, parts, (2, 0, 1), (1, 0, 0), quoted,
                                   lambda v: f"<{v}>", lambda v: f"[{v}]")
    for values in ((0, "x", "d\u00e9j\u00e0 vu"), (2**64 + 5, "", -3), (True, 1.5, "\udc80"),
                   (None, b"raw", 18446744073709551615), ("\x00", "=", "a b")):
        rest = " z=\u00fc"
        expected = template % (f"<{values[2]}>", values[0], values[1], rest)
        assert render(values, rest) == expected, values
    quoted["q"] = '"q"'  # a memo hit is used as it is
    assert render((0, "x", "q"), "") == template % ('"q"', 0, "x", "")


@native
def test_splunk_plans_of_flat_records_render_natively() -> None:
    payload = next(p for p in generate_mix(50) if struct.unpack_from(">I", p)[0] == 71)
    record = decode_record(payload)
    assert record.values is not None  # a flat record
    for mode in (splunk.DEFAULT, splunk.FULL):
        assert type(splunk._build(record, mode).render).__name__ == "Renderer"
    # the sparse line chooses pairs value by value: Python
    assert type(splunk._build(record, splunk.SPARSE).render).__name__ == "function"


def _element_text(text: str) -> bytes:
    """``text`` as ElementTree writes an element's text to a US-ASCII stream (what
    splunklib's EventWriter sends splunkd)."""
    element = ElementTree.Element("d")
    element.text = text
    return ElementTree.tostring(element, encoding="us-ascii", xml_declaration=False)[3:-4]


@native
@settings(max_examples=300, deadline=None)
@given(values=st.tuples(st.integers(0, 2**64 - 1), st.text(), st.text()),
       named=st.text(), head=st.binary(max_size=40), tail=st.binary(max_size=40))
def test_a_lines_xml_is_elementtrees_text_of_the_line(values: tuple, named: str,
                                                      head: bytes, tail: bytes) -> None:
    """line(values, computed, head, tail): head, the line escaped as ElementTree escapes
    element text for US-ASCII (&, <, > as entities, non-ASCII as character references,
    all else as it is), tail; None wherever the line would be None, and for an empty
    line. Hypothesis' text has every character: surrogates, astral, controls."""
    template = "%s%s%s%s"
    render = _native.CORE.Renderer(template, _native.template_parts(template), (1, 0, 2),
                                   (0, 0, 0), {}, str, str)
    pairs = _native.CORE.Pairs({"name": {named: f" name={named}"}}, {}, frozenset(), (),
                               False, splunk.UNSET_TEXTS, str)
    line = _native.CORE.Line(render, pairs)
    for computed in ({}, {"name": named}):
        text = line(values, computed)
        xml = line(values, computed, head, tail)
        if text is None or text == "":
            assert xml is None
        else:
            assert xml == head + _element_text(text) + tail, (values, computed)
    assert line(("", "", ""), {}) == "" and line(("", "", ""), {}, head, tail) is None
    with pytest.raises(TypeError):
        line(values, {}, head)  # a head without a tail
    with pytest.raises(TypeError):
        line(values, {}, "head", tail)


@native
def test_xml_lines_of_the_sample_stream_are_the_escaped_lines() -> None:
    """Decoded and decorated records of every type: the XML form of the default line is
    the escaped line, and the form declines only where the line is made in Python."""
    cache = MetadataCache()
    xml_form = splunk.XML_FORMS[format_splunk]
    made = 0
    for payload in generate_mix(1500):
        record = decode_record(payload)
        cache.update(record)
        cache.decorate(record)
        xml = xml_form(record, b"<data>", b"</data>")
        line = format_splunk(record)
        if xml is None:  # the plan or a memo was not there yet: format_line makes them
            xml = xml_form(record, b"<data>", b"</data>")
        if record.values is not None:
            assert xml == b"<data>" + _element_text(line) + b"</data>", record.record_type
            made += 1
        else:
            assert xml is None
    assert made > 1000


@native
def test_pairs_remember_a_places_text_for_its_key_only() -> None:
    """The text kept for a value at a place of the dict is the pair of that place's key:
    the same value object under another key there is that key's pair."""
    value = "fw1"
    memos = {"a": {value: " a=fw1"}, "b": {value: " b=fw1"}}
    pairs = _native.CORE.Pairs(memos, {}, frozenset(), (), False, splunk.UNSET_TEXTS, str)
    assert pairs((), {"a": value}) == " a=fw1"
    assert pairs((), {"a": value}) == " a=fw1"
    assert pairs((), {"b": value}) == " b=fw1"
    assert pairs((), {"a": value, "b": value}) == " a=fw1 b=fw1"
    assert pairs((), {"b": value, "a": value}) == " b=fw1 a=fw1"


@native
@settings(max_examples=200, deadline=None)
@given(order=st.permutations(list(range(70))), present=st.lists(st.integers(0, 3), min_size=70,
                                                                 max_size=70),
       nids=st.sampled_from([2, 64, 70]))
def test_pairs_write_an_id_exactly_when_its_name_is_missing(order: list[int],
                                                           present: list[int],
                                                           nids: int) -> None:
    """A raw id is written when its computed name is absent or None, wherever the name
    sits in the dict (the places remember which ids a key names), past the 64 places
    remembered and with more than 64 ids (then looked up)."""
    keys = [f"k{n}" for n in range(70)]
    memos = {key: {1: f" {key}=1"} for key in keys[::2]}  # even keys: written
    dropped = frozenset(keys[1::2])                        # odd keys: left out
    ids = tuple((n, f" id{n}=", keys[n], False) for n in range(nids))
    pairs = _native.CORE.Pairs(memos, {}, dropped, ids, False, splunk.UNSET_TEXTS, str)
    values = tuple(range(100, 170))
    for shift in (0, 1):  # the same keys a place later: every place learns again
        computed: dict[str, Any] = {f"pad{n}": 1 for n in range(shift)}
        memos.update({f"pad{n}": {1: ""} for n in range(shift)})
        for n in order:
            if present[n] == 1:  # a name
                computed[keys[n]] = 1
            elif present[n] == 2 and n % 2:  # None (only left-out keys may hold it)
                computed[keys[n]] = None
        expected = "".join(memos[key][value] for key, value in computed.items()
                           if key in memos) \
            + "".join(f" id{n}={values[n]}" for n in range(nids)
                      if computed.get(keys[n]) is None)
        assert pairs(values, computed) == expected


@native
@settings(max_examples=150, deadline=None)
@given(records=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4),
                                  st.booleans()), min_size=1, max_size=40))
def test_decorated_dicts_are_the_steps_names_in_order_whatever_the_shape(
        records: list[tuple[int, int, int, bool]]) -> None:
    """Records whose steps find names at changing places, names that change between
    records of one shape, two steps storing one name (the later found one wins, at the
    place of the first found), a dict that already holds something: each record's dict
    is, key for key and in order, what storing each found name in step order makes."""
    tables = [{1: "a", 2: "b", 3: "a"}, {2: "x", 3: "y", 4: "y"}, {3: "p", 4: "q"}]
    steps = (((0,), tables[0], None, None, None, "first"),
             ((1,), tables[1], None, None, None, "shared"),
             ((2,), tables[2], None, None, None, "third"),
             ((0,), tables[1], None, None, None, "shared"))
    decorate = _native.CORE.Decorator(steps, [0])
    for *values, held in records:
        expected: dict[str, Any] = {"held": 1} if held else {}
        for (at,), table, _, _, _, name in steps:
            found = table.get(values[at])
            if found is not None:
                expected[name] = found
        computed: dict[str, Any] = {"held": 1} if held else {}
        decorate(tuple(values), computed)
        assert list(computed.items()) == list(expected.items()), values


@native
def test_integers_of_every_length_are_written_as_str_writes_them() -> None:
    template = "a=%s b=%s%s"
    render = _native.CORE.Renderer(template, _native.template_parts(template), (0, 1),
                                   (0, 0), {}, str, str)
    edges = [0, 2**64 - 1, 2**64, -1, 2**70]
    for power in range(1, 20):
        edges += [10**power - 1, 10**power, 10**power + 1, 10**power + 10]
    for number in edges:
        assert render((number, number % 1000), "") == f"a={number} b={number % 1000}"


@native
def test_a_renderer_writes_each_value_it_holds_not_the_last_one_at_its_place() -> None:
    """The renderer keeps the digits of the int it wrote at each place; another value
    there (another int, an equal int that is another object, a str) is its own text."""
    template = "a=%s b=%s%s"
    render = _native.CORE.Renderer(template, _native.template_parts(template), (0, 1),
                                   (0, 0), {}, str, str)
    big = int("1700000000123")
    for first in (big, int("1700000000124"), big, int("1700000000123"), "text", 7, True,
                  -5, 2**64, big):
        assert render((first, big), "") == f"a={first} b={big}", first
