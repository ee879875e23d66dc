"""`estreamer decode` and `estreamer sample` as a user runs them."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from estreamer.cli import main
from estreamer.cli.sample import write_stream
from estreamer.protocol import bundle, event_data, null
from estreamer.records.encoder import encode_record
from estreamer.testing.samples import generate_mix


def _capture(tmp_path: Path, payloads: list[bytes]) -> Path:
    buf = io.BytesIO()
    write_stream(buf, payloads, bundle_size=7)
    path = tmp_path / "capture.bin"
    path.write_bytes(buf.getvalue())
    return path


def test_decode_writes_one_line_per_record_in_stream_order(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    payloads = list(generate_mix(60, seed=3))
    assert main(["decode", str(_capture(tmp_path, payloads))]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == len(payloads)
    types = [int(line.split()[0].removeprefix("rec_type=")) for line in lines]
    assert types == [struct.unpack_from(">I", p)[0] for p in payloads]
    # Metadata seen earlier in the stream decorates later events.
    connection = next(line for line in lines if line.startswith("rec_type=71 "))
    assert " sensor=" in connection and " fw_rule=" in connection
    assert f"decoded {len(payloads)} records, 0 decode errors" in err


def test_bad_record_is_counted_and_the_rest_still_decoded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    good = encode_record(4, {"id": 1, "name": "high"})
    bad = bytearray(encode_record(400, {"eventId": 5}, archive_timestamp=9, block_type=85))
    struct.pack_into(">I", bad, 16, 99)  # body block type nobody knows
    path = tmp_path / "c.bin"
    path.write_bytes(bundle(1, 1, [good, bytes(bad), good]) + event_data(good) + null())
    assert main(["decode", "--format", "json", str(path)]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["recordType"] for line in out.splitlines()] == [4, 4, 4]
    assert "1 decode errors" in err and "bad records of type 400: 1" in err
    assert "body block type 99" in caplog.text and "(record type 400, offset 42)" in caplog.text


def test_broken_framing_exits_non_zero_with_the_offset(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.bin"
    good = event_data(encode_record(4, {"id": 1, "name": "x"}))
    path.write_bytes(good + b"\x00\x07\x00\x04\x00\x00\x00\x10")  # header version 7
    assert main(["decode", str(path)]) == 1
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 1
    assert f"offset {len(good)}" in err


def test_metadata_cache_persists_between_runs(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    payloads = list(generate_mix(30, seed=1))
    metadata = [p for p in payloads if struct.unpack_from(">I", p, 8)[0] == 0]
    events = [p for p in payloads if struct.unpack_from(">I", p, 8)[0] != 0]
    cache = tmp_path / "cache.json"
    main(["decode", "--metadata-cache", str(cache), str(_capture(tmp_path, metadata))])
    capsys.readouterr()
    (tmp_path / "events").mkdir()
    main(["decode", "--metadata-cache", str(cache), str(_capture(tmp_path / "events", events))])
    out, _ = capsys.readouterr()
    assert " sensor=" in out.splitlines()[0]


def test_metadata_cache_in_a_missing_directory_or_damaged_gives_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    payloads = list(generate_mix(10, seed=1))
    capture = str(_capture(tmp_path, payloads))
    missing = tmp_path / "nowhere" / "cache.json"
    assert main(["decode", "--metadata-cache", str(missing), capture]) == 2
    out, err = capsys.readouterr()
    assert out == ""   # nothing decoded before the cache is known to be usable
    assert err.count("\n") == 1 and f"{missing.parent} does not exist; create it" in err
    damaged = tmp_path / "cache.json"
    damaged.write_bytes(b"\x89PNG not a cache")
    assert main(["decode", "--metadata-cache", str(damaged), capture]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == len(payloads)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and f"{damaged}.damaged-" in warnings[0]
    assert json.loads(damaged.read_text())["version"] == 1   # rebuilt from the stream


def test_sample_then_decode_from_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.bin"
    assert main(["sample", "--records", "20", "--fmc6", "--out", str(path)]) == 0
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    assert main(["decode", "-", "--format", "cef"]) == 0
    out, _ = capsys.readouterr()
    assert all(line.startswith("CEF:0|") for line in out.splitlines())


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_one_corrupted_record_in_a_stream_costs_only_that_record(data: st.DataObject) -> None:
    from estreamer.cli.decode import DecodeSummary, decode_stream
    from estreamer.records.metadata import MetadataCache

    payloads = list(generate_mix(40, seed=data.draw(st.integers(0, 50))))
    victim = data.draw(st.integers(0, len(payloads) - 1))
    assume(payloads.count(payloads[victim]) == 1)  # metadata may be sent twice, alike
    bad = bytearray(payloads[victim])
    for _ in range(data.draw(st.integers(1, 6))):  # corrupt the body, keep the framing
        index = data.draw(st.integers(8, len(bad) - 1))
        bad[index] = data.draw(st.integers(0, 255))
    assume(bytes(bad) not in payloads)
    stream = list(payloads)
    stream[victim] = bytes(bad)
    buf = io.BytesIO()
    write_stream(buf, stream, bundle_size=9)
    buf.seek(0)
    summary = DecodeSummary()
    raws = [r.raw for r in decode_stream(buf, MetadataCache(), summary)]
    others = payloads[:victim] + payloads[victim + 1:]
    # Every other record comes out, byte for byte and in order; the victim is either
    # decoded (the change was harmless) or counted as one decode error.
    assert [r for r in raws if r != bytes(bad)] == [p for p in others if p != bytes(bad)]
    assert sum(summary.errors.values()) + raws.count(bytes(bad)) == 1


def test_decode_loads_neither_tls_nor_the_client(tmp_path: Path) -> None:
    """`estreamer decode` starts without importing TLS, cryptography, the client or the
    simulator (0.2 s of start-up per run); `--help` still lists every command."""
    path = _capture(tmp_path, list(generate_mix(20, seed=1)))
    script = (
        "import contextlib, io, sys\n"
        "from estreamer.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['--log-level', 'WARNING', 'decode', {str(path)!r}]) == 0\n"
        "heavy = ('ssl', '_ssl', 'cryptography', 'estreamer.tls', 'estreamer.client',\n"
        "         'estreamer.simulator', 'estreamer.certs')\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.startswith('cryptography.')))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
    usage = subprocess.run([sys.executable, "-m", "estreamer.cli", "--help"],
                           capture_output=True, text=True, check=True).stdout
    assert all(command in usage for command in ("run", "test", "demo", "decode", "simulate"))
