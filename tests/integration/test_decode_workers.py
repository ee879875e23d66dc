"""`estreamer decode --workers N`: the same output as one process, whatever happens in the
stream (issue 11 item 5)."""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from estreamer.cli.fanout import message_chunks
from estreamer.protocol import HEADER_SIZE, MESSAGE_HEADER, bundle, error, event_data, null
from estreamer.records.encoder import encode_record


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """About 8 MB of the realistic mix: 16 chunks, so both workers own several, with
    metadata arriving between events all along."""
    path = tmp_path_factory.mktemp("workers") / "real.bin"
    subprocess.run([sys.executable, "-m", "estreamer.cli", "sample", "--realistic",
                    "--records", "10000", "--out", str(path)], check=True,
                   capture_output=True)
    return path.read_bytes()


def decode(path: Path, workers: int, *options: str) -> tuple[int, bytes, str]:
    """(exit status, standard output, standard error without the log lines' times)"""
    run = subprocess.run([sys.executable, "-m", "estreamer.cli", "decode", str(path),
                          "--workers", str(workers), *options], capture_output=True)
    return run.returncode, run.stdout, re.sub(r"(?m)^\d{4}-\d\d-\d\d [\d:,]+ ", "",
                                              run.stderr.decode())


@pytest.mark.parametrize("form", ["splunk", "json"])
def test_workers_write_what_one_process_writes(capture: bytes, tmp_path: Path,
                                               form: str) -> None:
    path = tmp_path / "c.bin"
    path.write_bytes(capture)
    rc, one, summary = decode(path, 1, "--format", form)
    assert rc == 0 and one.count(b"\n") > 10_000
    for workers in (2, 3):
        assert decode(path, workers, "--format", form) == (0, one, summary), workers


def test_metadata_cache_ends_as_in_one_process(capture: bytes, tmp_path: Path) -> None:
    path = tmp_path / "c.bin"
    path.write_bytes(capture)
    caches = []
    for workers in (1, 2):
        cache = tmp_path / f"cache{workers}.json"
        assert decode(path, workers, "--metadata-cache", str(cache))[0] == 0
        caches.append(cache.read_bytes())
    assert caches[0] == caches[1] and len(caches[0]) > 1000


def test_bad_records_server_errors_and_broken_framing_as_in_one_process(
        capture: bytes, tmp_path: Path) -> None:
    """Counted once (not once per worker), logged, then the framing error after the lines
    before it, with the stream offset."""
    bad = bytearray(encode_record(400, {"eventId": 5}, archive_timestamp=9, block_type=85))
    struct.pack_into(">I", bad, 16, 99)  # a body block type nobody knows
    names = encode_record(4, {"id": 3, "name": "late"})
    middle = bundle(1, 1, [names, bytes(bad), names]) + error(7, "busy") + event_data(names)
    half = next(c for c in _cut(capture) if c > len(capture) // 2)
    stream = capture[:half] + middle + capture[half:]
    path = tmp_path / "c.bin"
    path.write_bytes(stream)
    one = decode(path, 1)
    assert one[0] == 0 and "bad records of type 400: 1" in one[2]
    assert "server Error messages: 1" in one[2]
    assert decode(path, 2)[1:] == one[1:]
    broken = tmp_path / "broken.bin"
    broken.write_bytes(stream + null() + b"\x00\x07\x00\x04\x00\x00\x00\x10" + capture)
    one = decode(broken, 1)
    assert one[0] == 1 and f"offset {len(stream) + len(null())}" in one[2]
    assert decode(broken, 2) == one
    for workers in (2, 3):  # a stream cut inside its last message: found at the end
        for cut in (stream + null()[:5], stream + event_data(names)[:-3]):
            broken.write_bytes(cut)
            one = decode(broken, 1)
            assert one[0] == 1 and "stream ended inside a message" in one[2]
            assert decode(broken, workers) == one, workers


def _cut(stream: bytes) -> list[int]:
    """The offsets of message starts."""
    at, starts = 0, []
    while at < len(stream):
        starts.append(at)
        at += HEADER_SIZE + MESSAGE_HEADER.unpack_from(stream, at)[2]
    return starts


def test_chunks_end_at_message_boundaries(capture: bytes) -> None:
    starts = set(_cut(capture))
    chunks = list(message_chunks(io.BytesIO(capture), size=1 << 16))
    assert b"".join(chunks) == capture and len(chunks) > 20
    at = 0
    for chunk in chunks:
        assert at in starts
        at += len(chunk)
    # garbage and a cut message: the rest is one last chunk, for the reader to report
    cut = min(start for start in starts if start > 70_000)
    broken = capture[:cut] + b"\x00\x07garbage" + capture
    chunks = list(message_chunks(io.BytesIO(broken), size=1 << 16))
    assert b"".join(chunks) == broken and len(chunks[-1]) > len(capture)
