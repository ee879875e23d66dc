"""The add-on's pcap handler (bin/estreamer_pcap.py, loaded as a module) and an
independent libpcap reader, to check the pcap files it serves."""

from __future__ import annotations

import functools
import importlib.util
import struct
from types import ModuleType

from tests.support.splunk_emulation.splunk_conf import PACKAGE


@functools.cache
def pcap_handler() -> ModuleType:
    """bin/estreamer_pcap.py, which is a script in the add-on, not a package module."""
    spec = importlib.util.spec_from_file_location("estreamer_pcap",
                                                  PACKAGE / "bin" / "estreamer_pcap.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_pcap(data: bytes) -> tuple[int, list[tuple[int, int, int, bytes]]]:
    """An independent libpcap reader: (link type, [(sec, usec, orig_len, bytes)])."""
    assert len(data) >= 24, "no global header"
    magic, major, minor, zone, sigfigs, snaplen, link = struct.unpack_from("<IHHiIII", data)
    assert magic == 0xA1B2C3D4 and (major, minor) == (2, 4)
    assert zone == 0 and sigfigs == 0 and snaplen >= 65535
    records, pos = [], 24
    while pos < len(data):
        assert pos + 16 <= len(data), "truncated record header"
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, pos)
        assert usec < 1_000_000 and incl <= orig and incl <= snaplen
        pos += 16
        assert pos + incl <= len(data), "record runs past the end of the file"
        records.append((sec, usec, orig, data[pos:pos + incl]))
        pos += incl
    return link, records
