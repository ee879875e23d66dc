"""Checks of the native core's binary shared by the core's and the add-on's tests: the
glibc it needs, and the Splunk lines another interpreter gives with and without it."""

from __future__ import annotations

import os
import re
import struct
import subprocess
from pathlib import Path

#: manylinux2014's glibc: the add-on's binary must need nothing newer
MAX_GLIBC = (2, 17)

# Run by another interpreter (Splunk's Pythons, the add-on's lib/ on its path, where the
# test equipment is not): the Splunk lines of the payloads in argv[1], and which path ran.
_SCRIPT = """
import hashlib, struct, sys
from estreamer.records import _native
from estreamer.records.decoder import decode_record
from estreamer.records.formatters.splunk import format_splunk
from estreamer.records.metadata import MetadataCache
data, pos, cache, digest, count = open(sys.argv[1], "rb").read(), 0, MetadataCache(), \\
    hashlib.sha256(), 0
while pos < len(data):
    (size,) = struct.unpack_from(">I", data, pos)
    record = decode_record(data[pos + 4:pos + 4 + size])
    pos += 4 + size
    cache.update(record)
    cache.decorate(record)
    digest.update(format_splunk(record).encode() + b"\\n")
    count += 1
print(_native.ACTIVE, count, digest.hexdigest())
"""


def write_payloads(path: Path, count: int = 1500) -> Path:
    """The sample stream's payloads, each after its 4-byte length."""
    from estreamer.testing.samples import generate_mix

    path.write_bytes(b"".join(struct.pack(">I", len(p)) + p for p in generate_mix(count)))
    return path


def splunk_lines(python: str, pythonpath: Path, payloads: Path, native: bool) -> list[str]:
    """[whether the core ran, records, digest of their Splunk lines] from ``python``."""
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    env.pop("ESTREAMER_PURE_PYTHON", None)
    if not native:
        env["ESTREAMER_PURE_PYTHON"] = "1"
    out = subprocess.run([python, "-c", _SCRIPT, str(payloads)], env=env, capture_output=True,
                         text=True, cwd=pythonpath)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()


def glibc_versions(binary: Path | str) -> set[tuple[int, ...]]:
    """The GLIBC_x.y symbol versions ``binary`` needs (objdump -T)."""
    dynamic = subprocess.run(["objdump", "-T", str(binary)], capture_output=True, text=True,
                             check=True).stdout
    return {tuple(int(x) for x in v.split(".")) for v in re.findall(r"GLIBC_([0-9.]+)", dynamic)}
