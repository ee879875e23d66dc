"""The add-on's XML event writer (issue 11 item 3) against splunklib's EventWriter, on
Splunk's Pythons with the built lib/: for hostile values in every element and attribute
our stream is byte for byte splunklib's, and parses to the same events."""

from __future__ import annotations

import json
import struct
import subprocess
import textwrap
from pathlib import Path

#: run in the Splunk Python: write the same events both ways, report differences
DRIVER = textwrap.dedent("""
    import io, json, threading
    import xml.etree.ElementTree as ET
    import import_declare_test  # the add-on's own path setup (lib/, lib/3rdparty/)
    from splunklib.modularinput import Event, EventWriter
    from estreamer.records.formatters import get_formatter
    from estreamer.records.record import Record
    from estreamer_splunk.sink import EventWriterSink, event_time
    from estreamer_splunk.xmlevents import EventTemplate, write_events

    HOSTILE = ["plain", "", "a \\"quoted\\" 'value'", "]]>", "<![CDATA[x]]>", "<a>&amp;</a>",
               "tab\\there", "cr\\rlf\\ncrlf\\r\\n", "nul\\x00 bel\\x07 esc\\x1b del\\x7f",
               "non-UTF-8 " + b"\\xff\\xfe\\xc3(".decode("utf-8", "surrogateescape"),
               "caf\\u00e9 \\u4e2d \\U0001f600 \\u2028", "x" * 1_000_000 + "&<>",
               " leading and trailing "]
    BASE = dict(data="rec_type=4 id=1", time="1700000000.000001", host="fmc1",
                index="main", source="estreamer://in", sourcetype="cisco:estreamer:data",
                stanza="estreamer://in")

    def theirs(events):
        out = io.StringIO()
        writer = EventWriter(out)
        for fields in events:
            writer.write_event(Event(unbroken=True, done=True, **fields))
        writer.close()
        return out.getvalue()

    def clock(time):
        # (seconds, microseconds) for a time the sink could make, else False
        if time is None:
            return None
        second, dot, usec = time.partition(".")
        if dot and second.isdigit() and len(usec) == 6 and usec.isdigit():
            return int(second), int(usec)
        return False

    def ours(events):
        # the sink's way (a batch from clocks) where the time is one the sink makes,
        # one event rendered alone for any other
        out = io.StringIO()
        writer = EventWriter(out)
        texts = []
        for f in events:
            template = EventTemplate(f["stanza"], f["source"], f["index"])
            middle = template.middle(f["sourcetype"], f["host"])
            when = clock(f["time"])
            texts.extend([template.render(f["data"], f["time"], middle)] if when is False
                         else template.events([(f["data"], when, middle)]))
        write_events(writer, texts)
        writer.close()
        return out.getvalue()

    def parsed(text):
        try:
            root = ET.fromstring(text)
        except ET.ParseError as err:
            return "unparsable: %s" % err.code
        return [(dict(e.attrib), [(c.tag, c.text) for c in e]) for e in root]

    report = {"cases": 0, "different": [], "parse_differs": [], "parsed": 0}
    cases = []
    for key in BASE:
        for value in HOSTILE + ([None] if key in ("time", "host", "index", "source") else []):
            if key == "data" and value is None:
                continue
            cases.append(dict(BASE, **{key: value}))
    for case in cases:
        a, b = theirs([case]), ours([case])
        report["cases"] += 1
        if a != b:
            report["different"].append({k: (v or "")[:60] for k, v in case.items()})
        pa, pb = parsed(a), parsed(b)
        if pa != pb:
            report["parse_differs"].append({k: (v or "")[:60] for k, v in case.items()})
        report["parsed"] += not isinstance(pa, str)
    # the whole corpus as one stream (one write): the same events, in order
    legal = [c for c in cases if not isinstance(parsed(theirs([c])), str)]
    report["stream_same"] = parsed(theirs(legal)) == parsed(ours(legal)) != []

    # the sink as the input runs it: records with hostile names, one batch (written in
    # pieces of 16 events), beside the events splunklib would have written for them
    records = [Record(4, {"id": n, "name": value}, archive_timestamp=1700000000 + n)
               for n, value in enumerate(HOSTILE * 3)]
    records.append(Record(4, {"id": 99, "name": "no time: splunkd decides"}))
    for fmt in ("splunk", "json"):
        out = io.StringIO()
        writer = EventWriter(out)
        sink = EventWriterSink(writer, get_formatter(fmt), stanza="estreamer://in",
                               source="estreamer://in", host="fmc \\"1\\"", index="main",
                               lock=threading.Lock())
        sink.write(records)
        writer.close()
        expected = theirs([dict(BASE, data=get_formatter(fmt)(r), time=event_time(r),
                                host="fmc \\"1\\"") for r in records])
        report["sink_" + fmt] = out.getvalue() == expected
        report["sink_writes_" + fmt] = sink.written
    print(json.dumps(report))
""")


def test_our_xml_events_are_splunklibs(splunk_python: str, app_dir: Path) -> None:
    result = subprocess.run(
        [splunk_python, "-c", DRIVER], capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(app_dir / "bin"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["cases"] > 80
    assert report["different"] == [] and report["parse_differs"] == []
    # most cases are legal XML (control characters are not, for either writer)
    assert report["parsed"] > 60 and report["stream_same"]
    assert report["sink_splunk"] and report["sink_json"]
    assert report["sink_writes_splunk"] == report["sink_writes_json"] == 40


#: run in the Splunk Python on decoded records (argv[1]: payloads, each after its length):
#: the sink's stream, written as splunkd's stdout is (bytes under a text layer) between
#: events splunklib writes itself, against splunklib writing them all
NATIVE_DRIVER = textwrap.dedent("""
    import io, json, struct, sys, threading
    import import_declare_test
    from splunklib.modularinput import Event, EventWriter
    from estreamer.records import _native
    from estreamer.records.decoder import decode_record
    from estreamer.records.formatters import get_formatter
    from estreamer.records.metadata import MetadataCache
    from estreamer_splunk.sink import EventWriterSink, event_time

    data, pos, records, cache = open(sys.argv[1], "rb").read(), 0, [], MetadataCache()
    while pos < len(data):
        (size,) = struct.unpack_from(">I", data, pos)
        record = decode_record(data[pos + 4:pos + 4 + size])
        pos += 4 + size
        cache.update(record)
        records.append(cache.decorate(record))
    format_splunk = get_formatter("splunk")
    status = dict(data="status", time=None, host="fmc1", index="main", source="s",
                  sourcetype="estreamer:status", stanza="estreamer://in")
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    writer = EventWriter(stdout)  # the sink writes first: the <stream> header too
    sink = EventWriterSink(writer, format_splunk, stanza="estreamer://in",
                           source="estreamer://in", host="fmc1", index="main",
                           lock=threading.Lock())
    for start in range(0, len(records), 100):
        sink.write(records[start:start + 100])
        writer.write_event(Event(unbroken=True, done=True, **status))
    writer.close()
    ours = stdout.buffer.getvalue().decode("ascii")
    expected = io.StringIO()
    theirs = EventWriter(expected)
    base = dict(host="fmc1", index="main", source="estreamer://in",
                sourcetype="cisco:estreamer:data", stanza="estreamer://in")
    for start in range(0, len(records), 100):
        for record in records[start:start + 100]:
            theirs.write_event(Event(unbroken=True, done=True, data=format_splunk(record),
                                     time=event_time(record), **base))
        theirs.write_event(Event(unbroken=True, done=True, **status))
    theirs.close()
    same = ours == expected.getvalue()
    first = next((i for i, (a, b) in enumerate(zip(ours, expected.getvalue())) if a != b), -1)
    print(json.dumps({"native": _native.ACTIVE, "records": len(records), "same": same,
                      "flat": sum(r.values is not None for r in records),
                      "escaped": sum(b"&amp;" in format_splunk(r).encode() for r in records),
                      "differs_at": ours[first - 80:first + 80] if not same else ""}))
""")


def test_the_native_xml_of_decoded_records_is_splunklibs(splunk_python: str, app_dir: Path,
                                                         tmp_path: Path) -> None:
    """Decoded connection, intrusion and file records with hostile text in their
    free-text fields (quotes, ]]>, markup, control characters, non-UTF-8 bytes, every
    plane of Unicode, a 100 kB value): the sink's stream, with the native core writing
    the escaped lines straight into bytes and without it, is byte for byte what
    splunklib's EventWriter writes for the same lines, status events in between."""
    from estreamer.records.decoder import decode_record
    from estreamer.records.encoder import encode_record
    from estreamer.testing.samples import generate_mix

    hostile = ["plain", "", 'a "quoted" \'value\'', "]]>", "<![CDATA[x]]>", "<a>&amp;</a>",
               "tab\there", "cr\rlf\ncrlf\r\n", "bel\x07 esc\x1b del\x7f", "\xff\xfe",
               "caf\u00e9 \u4e2d \U0001f600 \u2028", "x" * 100_000 + "&<>",
               " leading and trailing "]
    mix = generate_mix(400)
    events = (71, 400, 500, 502)
    payloads = []
    for n, payload in enumerate(p for p in mix if struct.unpack_from(">I", p)[0] in events):
        record = decode_record(payload)
        fields = record.fields
        for key in ("clientUrl", "userAgent", "dnsQuery", "fileName", "uri", "msg"):
            if isinstance(fields.get(key), str):
                fields[key] = hostile[n % len(hostile)]
        payloads.append(encode_record(record.record_type, fields,
                                      archive_timestamp=record.archive_timestamp,
                                      block_type=record.block_type))
    # the metadata that names them first
    metadata = [p for p in mix if struct.unpack_from(">I", p)[0] not in events]
    path = tmp_path / "payloads"
    path.write_bytes(b"".join(struct.pack(">I", len(p)) + p for p in metadata + payloads))
    reports = []
    for pure in ("", "1"):
        result = subprocess.run(
            [splunk_python, "-c", NATIVE_DRIVER, str(path)], capture_output=True, text=True,
            timeout=300, env={"PYTHONPATH": str(app_dir / "bin"), "PATH": "/usr/bin:/bin",
                              "ESTREAMER_PURE_PYTHON": pure})
        assert result.returncode == 0, result.stderr[-3000:]
        reports.append(json.loads(result.stdout))
    native, pure_python = reports
    assert pure_python["native"] is False and pure_python["same"], pure_python["differs_at"]
    assert native["same"], native["differs_at"]
    assert native["records"] > 300 and native["flat"] > 250 and native["escaped"] > 20
