"""Client pieces without a network: backoff, header peeking, monitor figures, start."""

from __future__ import annotations

import logging
import random
import struct

import pytest

from estreamer.errors import RecordDecodeError, TransportError
from estreamer.records.decoder import record_header
from estreamer.stream.bookmark import Bookmark, MemoryBookmarkStore
from estreamer.stream.client import Endpoint, StreamClient, StreamStatus
from estreamer.stream.monitor import Monitor
from estreamer.stream.net import Backoff
from estreamer.stream.outputs import OutputSink, Outputter, RotatingFileStream


def test_backoff_doubles_with_jitter_and_is_bounded():
    backoff = Backoff(1.0, 8.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8, 8, 8]):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_record_header_long_and_short_forms():
    body = b"\x00" * 12
    long_form = struct.pack(">IIII", 71, len(body), 1_700_000_123, 0) + body
    short_form = struct.pack(">II", 71, len(body)) + body
    assert record_header(long_form) == (71, 16, 1_700_000_123)
    assert record_header(short_form) == (71, 8, 0)
    with pytest.raises(RecordDecodeError, match="record header truncated"):
        record_header(b"\x00\x00\x00")


def test_monitor_rate_velocity_and_lag(caplog):
    status = StreamStatus("fmc:8302", state="streaming", server="fmc:8302")
    clock = [100.0]
    wall = [1_700_000_100.0]
    monitor = Monitor([lambda: status.copy()], period=10, clock=lambda: clock[0],
                      wall=lambda: wall[0])
    status.handled, status.bookmark_second = 1000, 1_700_000_000
    monitor.sample()
    clock[0] += 10
    wall[0] += 10
    status.handled, status.bookmark_second = 6000, 1_700_000_005  # half the FMC's pace
    status.decode_errors, status.reconnects, status.duplicates = 2, 1, 7
    caplog.set_level(logging.INFO, logger="estreamer.monitor")
    (figures,) = monitor.log_once()
    assert figures["rate"] == 500.0
    assert figures["velocity"] == 0.5
    assert figures["lag"] == 105.0
    line = caplog.records[-1].getMessage()
    assert "6000 handled; rate 500.0 ev/s" in line
    assert "velocity 0.50" in line
    assert "bookmark 2023-11-14T22:13:25Z (lag 105s)" in line
    assert "decode errors 2; re-sends skipped 7; reconnects 1" in line


def test_monitor_switches_hide_parts():
    status = StreamStatus("k", state="waiting")
    monitor = Monitor([lambda: status], velocity=False, bookmark=False, subscribed=False)
    line = monitor.format(monitor.sample()[0])
    assert "velocity" not in line and "bookmark" not in line and "received" not in line
    assert "handled" in line


def test_the_first_checkpoint_names_the_output_before_anything_is_written(tmp_path):
    store = MemoryBookmarkStore()
    stream = RotatingFileStream(str(tmp_path / "out.{0}.log"), clock=lambda: 1000)
    seen = []

    def connect(*_args, **_kwargs):
        # what a kill -9 at the first connection would leave for the restart
        seen.append(store.load("fmc:8302"))
        client.stop()
        raise TransportError("not reachable in this test")

    client = StreamClient([Endpoint("fmc", 8302, None)], key="fmc:8302",  # type: ignore[arg-type]
                          sink=OutputSink([Outputter(str, stream)]), bookmarks=store,
                          backoff=Backoff(0.01, 0.01), connect=connect)
    client.run()
    position = {"path": str(tmp_path / "out.1000.log"), "size": 0}
    assert seen == [Bookmark(0, (), {"outputs": {stream.uri: position}})]
