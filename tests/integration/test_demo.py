"""`estreamer demo` (what `make run` shows): simulator + client over TLS, events on stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_streams_events_and_monitor_lines(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "estreamer.cli", "demo", "--events", "300", "--rate", "3000",
           "--dir", str(tmp_path / "demo")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert len(lines) == 300
    assert all(line.startswith("rec_type=") for line in lines)
    assert any(line.startswith("rec_type=71 ") and " sensor=" in line for line in lines)
    assert "300 handled" in result.stderr  # the monitor's last line
    # The only private key in clear is the simulated FMC's own; the client's stays in its PKCS12.
    clear_keys = [p.name for p in (tmp_path / "demo").rglob("*")
                  if p.is_file() and b"BEGIN PRIVATE KEY" in p.read_bytes()]
    assert clear_keys == ["server.key"]
