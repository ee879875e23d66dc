"""The stream client against simulated FMCs: a client with test timings, and the
exactly-once check (every record delivered, none twice)."""

from __future__ import annotations

import threading

from estreamer.stream.bookmark import record_digest
from estreamer.stream.client import Endpoint, StreamClient
from estreamer.stream.config import METADATA_RECORDS, RECORD_GROUPS, RecordSelection
from estreamer.stream.net import Backoff
from estreamer.stream.outputs import CollectingSink
from estreamer.testing.simulator.archive import Archive

#: events only: metadata (archive time 0) is served again on every connection by design
EVENTS = RecordSelection.build([g for g in RECORD_GROUPS if g != "metadata"])


def event_count(archive: Archive) -> int:
    return sum(1 for t in archive.types if t not in METADATA_RECORDS)


def make_client(sim_or_sims, context, sink, store, **options) -> StreamClient:
    sims = sim_or_sims if isinstance(sim_or_sims, list) else [sim_or_sims]
    options.setdefault("backoff", Backoff(0.05, 0.2))
    options.setdefault("read_timeout", 0.2)
    options.setdefault("checkpoint_interval", 0.05)
    options.setdefault("selection", EVENTS)
    return StreamClient([Endpoint("127.0.0.1", s.port, context) for s in sims],
                        key=f"127.0.0.1:{sims[0].port}", sink=sink, bookmarks=store,
                        **options)


def assert_exactly_once(sink: CollectingSink, expected: int) -> None:
    digests = [record_digest(r.raw) for r in sink.records]
    assert len(set(digests)) == len(digests), "a record was delivered twice"
    assert len(digests) == expected, "a record was lost"


def run_in_thread(client: StreamClient) -> threading.Thread:
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    return thread
