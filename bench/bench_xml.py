"""The add-on's event writing alone: records -> XML events into a pipe (issue 11 item 3).

Run on demand with a Splunk Python and the built add-on (``make splunk-build``), prints
figures, asserts nothing:

    ~/.pyenv/versions/3.13*/bin/python3.13 bench/bench_xml.py [--records N] [--app DIR]

Decodes, decorates and formats the realistic mix once, then writes the same formatted
records into a pipe drained by a thread (as splunkd reads the input's stdout), in
batches of 1,024 as the client hands them over, three ways, alternating, best of 3:
``EventWriterSink`` (the template writer), splunklib's ``Event`` and ``EventWriter``
per record (the writer before issue 11), and the plain text of the lines (what a
file sink writes) for scale. The formatter is replaced by a lookup of the line already
made, so the figures are the writing alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--app", type=Path, default=ROOT / "output" / "TA_estreamer")
    args = parser.parse_args()
    sys.path.insert(0, str(args.app / "bin"))
    import import_declare_test  # noqa: F401  (the add-on's lib/ on sys.path)
    from estreamer_splunk.sink import EventWriterSink, event_time
    from splunklib.modularinput import Event, EventWriter

    import estreamer

    # the add-on ships no estreamer.testing: the realistic mix comes from the source tree
    estreamer.__path__.append(str(ROOT / "src" / "estreamer"))
    from estreamer.records.decoder import decode_record
    from estreamer.records.formatters import get_formatter
    from estreamer.records.metadata import MetadataCache
    from estreamer.testing.samples import realistic_mix

    cache, splunk = MetadataCache(), get_formatter("splunk")
    records, lines = [], {}
    for payload in realistic_mix(args.records):
        record = decode_record(payload)
        cache.update(record)
        cache.decorate(record)
        lines[id(record)] = splunk(record)
        records.append(record)
    batches = [records[i:i + 1024] for i in range(0, len(records), 1024)]

    def pipe() -> tuple[object, threading.Thread]:
        read_fd, write_fd = os.pipe()

        def drain() -> None:
            while os.read(read_fd, 1 << 16):
                pass
            os.close(read_fd)
        thread = threading.Thread(target=drain, daemon=True)
        thread.start()
        # stdout as splunkd gives it to the input: a pipe behind a text stream
        return os.fdopen(write_fd, "w", encoding="utf-8"), thread

    def template() -> None:
        out, thread = pipe()
        sink = EventWriterSink(EventWriter(out), lambda r: lines[id(r)],
                               stanza="estreamer://fmc1", source="estreamer://fmc1",
                               host="10.0.0.5", index="estreamer", lock=threading.Lock())
        for batch in batches:
            sink.write(batch)
        out.close()
        thread.join()

    def splunklib_events() -> None:
        out, thread = pipe()
        writer = EventWriter(out)
        for batch in batches:
            for r in batch:
                writer.write_event(Event(
                    data=lines[id(r)], time=event_time(r), host="10.0.0.5",
                    index="estreamer", source="estreamer://fmc1",
                    sourcetype="cisco:estreamer:data", stanza="estreamer://fmc1",
                    unbroken=True, done=True))
        out.close()
        thread.join()

    def plain_lines() -> None:
        out, thread = pipe()
        for batch in batches:
            out.write("".join(lines[id(r)] + "\n" for r in batch))
            out.flush()
        out.close()
        thread.join()

    runs = {"EventWriterSink (template)": template,
            "splunklib Event per record": splunklib_events,
            "plain lines (file sink)": plain_lines}
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(3):
        for label, run in runs.items():
            start = time.perf_counter()
            run()
            best[label] = min(best[label], time.perf_counter() - start)
    n = len(records)
    print(f"Python {sys.version.split()[0]}: {n:,} formatted records of the realistic mix "
          "written into a pipe, best of 3")
    for label, seconds in best.items():
        print(f"  {label:28} {seconds / n * 1e6:6.2f} us/record {n / seconds:12,.0f} records/s")


if __name__ == "__main__":
    main()
