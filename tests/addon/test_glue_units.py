"""The add-on's pure functions, from package/bin on this interpreter (no build, no
Splunk libraries): input options, the device filter, event time, the account's PKCS12
text and the KV store document keys. tests/splunk runs the built add-on as splunkd does."""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import threading
import xml.etree.ElementTree as ET

import pytest
from estreamer_splunk.account import account_from_fields, decode_pkcs12
from estreamer_splunk.kvstore import KVBookmarkStore, KVMetadataStore
from estreamer_splunk.options import DeviceFilter, parse_input
from estreamer_splunk.sink import EventWriterSink, event_time
from estreamer_splunk.xmlevents import PIPE_SIZE, widen_pipe

from estreamer.errors import ConfigurationError
from estreamer.protocol import RequestFlags
from estreamer.records.metadata import MetadataCache
from estreamer.records.record import FieldNames, Record
from estreamer.stream.bookmark import Bookmark
from estreamer.stream.config import StartMode

BASE = {"account": "fmc1", "request_families": "connections,intrusion",
        "index_families": "connections"}


def test_input_options_translate_the_stanza() -> None:
    options = parse_input("estreamer://north", {**BASE, "start": "genesis", "index": "default",
                                                 "device_filter_mode": "include",
                                                 "device_filter": " FW1, 10 "})
    assert options.name == "north" and options.account == "fmc1"
    assert options.start is StartMode.GENESIS
    assert options.index is None                      # splunkd's own default index
    assert options.flags & RequestFlags.ARCHIVE_TIMESTAMPS
    assert options.device_filter == DeviceFilter("include", frozenset({"fw1", "10"}))
    assert parse_input("estreamer://n", BASE).start is StartMode.BOOKMARK


@pytest.mark.parametrize(("params", "message"), [
    ({"account": ""}, "account is required"),
    ({"secondary_account": "fmc1"}, "another FMC than the primary"),
    ({"index_families": "files_malware"}, "are not requested"),
    ({"start": "yesterday"}, "start must be one of bookmark, now, genesis"),
    ({"device_filter_mode": "exclude"}, "device_filter is empty"),
    ({"status_interval": "soon"}, "status_interval must be a number"),
])
def test_bad_input_options_are_one_line_naming_the_fix(params: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_input("estreamer://n", {**BASE, **params})


def test_device_filter_includes_excludes_and_lets_unnamed_events_pass() -> None:
    include = DeviceFilter("include", frozenset({"fw1"}))
    assert include.allows(["7", "FW1"]) and not include.allows(["8", "fw2"])
    assert include.allows([])                          # metadata names no device
    assert not DeviceFilter("exclude", frozenset({"fw1"})).allows(["fw1"])
    assert DeviceFilter().allows(["anything"])


def test_event_time_prefers_the_event_second_then_the_archive_timestamp() -> None:
    intrusion = Record(400, {"eventSecond": 1_700_000_000, "eventMicrosecond": 5},
                       1_600_000_000)
    assert event_time(intrusion) == "1700000000.000005"
    assert event_time(Record(400, {"eventSecond": 0}, 1_600_000_000)) == "1600000000.000000"
    assert event_time(Record(400, {}, 0)) is None            # splunkd decides


@pytest.mark.parametrize("values", [(1_700_000_000, 5, 7), (0, 5, 7), (1_700_000_000, -1, 7),
                                    (True, 5, 7), (None, None, 7)])
def test_a_flat_record_has_the_event_time_of_the_same_record_as_a_dict(values: tuple) -> None:
    # the decoder's fast path hands records over as values beside their layout's names;
    # the time's positions are looked up once per layout, the answer must not change
    names = FieldNames(["eventSecond", "eventMicrosecond", "eventId"])
    for _ in range(2):  # the first record of a layout finds the positions, the next reuses
        flat = Record(400, values=values, names=names, archive_timestamp=1_600_000_000)
        as_dict = Record(400, dict(zip(names, values)), 1_600_000_000)
        assert event_time(flat) == event_time(as_dict) is not None
    assert event_time(Record(400, values=(1_700_000_000, 5, 7), names=names)) == \
        "1700000000.000005"


class _Writer:
    """What the sink uses of splunklib's EventWriter: its stream and header flag."""

    def __init__(self) -> None:
        self._out = io.StringIO()
        self.header_written = False


def test_the_sink_writes_each_record_as_one_event_with_its_sourcetype_and_counts_them() -> None:
    records = [Record(71, {"id": 1, "deviceId": 1, "securityIntelligenceSourceDestination": 1,
                           "eventSecond": 1_700_000_001}),
               Record(71, {"id": 2, "deviceId": 2, "securityIntelligenceSourceDestination": 0,
                           "eventSecond": 1_700_000_002}),
               Record(400, {"id": 3, "deviceId": 1, "eventSecond": 1_700_000_003,
                            "eventMicrosecond": 7}),
               Record(400, {"id": 4, "deviceId": 1}, archive_timestamp=0)]  # no time at all
    writer = _Writer()
    sink = EventWriterSink(writer, lambda r: f"id={r.get('id')} a&b", stanza="estreamer://in",
                           source="estreamer://in", host="fmc1", index="main",
                           lock=threading.Lock(), si_sourcetype=True,
                           device_filter=DeviceFilter("exclude", frozenset({"2"})))
    sink.write(records)
    events = ET.fromstring(writer._out.getvalue() + "</stream>")
    assert [(e.findtext("data"), e.findtext("sourcetype"), e.findtext("time")) for e in events] \
        == [("id=1 a&b", "cisco:estreamer:si", "1700000001.000000"),
            ("id=3 a&b", "cisco:estreamer:data", "1700000003.000007"),
            ("id=4 a&b", "cisco:estreamer:data", None)]
    assert sink.written == 3 and sink.filtered == 1
    assert sink.by_sourcetype == {"cisco:estreamer:si": 1, "cisco:estreamer:data": 2}
    sink.write(records[1:2])  # filtered out: nothing written, nothing counted
    assert sink.written == 3 and sink.filtered == 2 and len(sink.by_sourcetype) == 2


def test_pkcs12_text_from_the_account_page() -> None:
    data = b"\x30\x82pkcs12"
    text = base64.b64encode(data).decode()
    assert decode_pkcs12(text) == data
    assert decode_pkcs12(f"data:application/x-pkcs12;base64,{text[:4]}\n{text[4:]}") == data
    with pytest.raises(ConfigurationError, match="not valid base64"):
        decode_pkcs12("not base64!")
    with pytest.raises(ConfigurationError, match="port must be 1 to 65535"):
        account_from_fields("a", {"fmc_host": "fmc", "fmc_port": "0", "pkcs12_file": text})
    account = account_from_fields("a", {"fmc_host": "2001:db8::1", "pkcs12_file": text,
                                        "pkcs12_password": "pw"})
    assert account.address == "[2001:db8::1]:8302"


class _Collection:
    """The KV store collection's seam: documents saved, by key."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}

    def save(self, documents: list[dict], *, wait: bool = True) -> int:
        self.docs.update((d["_key"], d) for d in documents)
        return len(documents)

    def get(self, key: str) -> dict | None:
        return self.docs.get(key)

    def query(self, query: dict) -> list[dict]:
        return [d for d in self.docs.values()
                if all(d.get(k) == v for k, v in query.items())]

    def delete(self, key: str, *, wait: bool = True) -> None:
        self.docs.pop(key, None)

    def delete_where(self, query: dict) -> None:
        for doc in self.query(query):
            self.docs.pop(doc["_key"])


def test_kv_store_keys_are_the_input_and_its_table_parts() -> None:
    bookmarks = _Collection()
    KVBookmarkStore(bookmarks, "north").save("fmc:8302", Bookmark(1_700_000_000))  # type: ignore[arg-type]
    assert list(bookmarks.docs) == ["north"]
    assert json.loads(bookmarks.docs["north"]["state"])
    metadata = _Collection()
    cache = MetadataCache()
    cache.update(Record(511, {"shaHash": "ab" * 32, "fileName": "setup.exe"}))
    KVMetadataStore(metadata, "north").save("fmc:8302", cache)  # type: ignore[arg-type]
    assert metadata.docs and all(key.startswith("north:") and key.count(":") == 2
                                 for key in metadata.docs)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe sizes are Linux's")
def test_the_input_widens_splunkds_pipe_and_leaves_anything_else(tmp_path) -> None:
    """The input asks for a 1 MiB pipe to splunkd (a batch is written without waiting for
    splunkd to drain 64 kB at a time); a file, or a stream without a descriptor, is left
    as it is."""
    import fcntl

    with open("/proc/sys/fs/pipe-max-size") as limit:
        if int(limit.read()) < PIPE_SIZE:
            pytest.skip("this system allows smaller pipes")
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "w", closefd=False) as stream:
            assert widen_pipe(stream) == PIPE_SIZE
            assert fcntl.fcntl(write_end, getattr(fcntl, "F_GETPIPE_SZ", 1032)) == PIPE_SIZE
    finally:
        os.close(read_end)
        os.close(write_end)
    with open(tmp_path / "events.xml", "w") as regular:
        assert widen_pipe(regular) is None
    assert widen_pipe(io.StringIO()) is None
