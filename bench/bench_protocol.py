"""Receive-path throughput of the protocol core: records/s through ClientConnection."""
from __future__ import annotations

import struct
import sys
import time

from estreamer.protocol import (
    NEED_DATA,
    Bundle,
    ClientConnection,
    ConnectionClosed,
    EventData,
    bundle,
    event_data,
    streaming_information,
)


def make_stream(records: int, per_bundle: int, size: int) -> bytes:
    payload = struct.pack(">IIII", 400, size - 16, 1591210934, 0) + b"\xab" * (size - 16)
    parts = [streaming_information()]
    if per_bundle == 0:
        parts += [event_data(payload)] * records
    else:
        for seq in range(records // per_bundle):
            parts.append(bundle(1, seq + 1, [payload] * per_bundle))
    return b"".join(parts)


def run(stream: bytes, chunk: int) -> tuple[int, float]:
    conn = ClientConnection()
    conn.initiate()
    count = 0
    t0 = time.perf_counter()
    for i in range(0, len(stream), chunk):
        conn.receive_data(stream[i:i + chunk])
        while True:
            ev = conn.next_event()
            if ev is NEED_DATA:
                break
            if isinstance(ev, Bundle):
                count += len(ev.records)
                conn.acknowledge()
            elif isinstance(ev, EventData):
                count += 1
                conn.acknowledge()
    conn.receive_data(b"")
    assert isinstance(conn.next_event(), ConnectionClosed)
    return count, time.perf_counter() - t0


N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
for per_bundle, size, chunk in [(0, 200, 65536), (100, 200, 65536), (500, 200, 65536),
                                (100, 1000, 65536), (100, 200, 4096)]:
    stream = make_stream(N, per_bundle, size)
    best = min(run(stream, chunk)[1] for _ in range(3))
    kind = "standalone EventData" if per_bundle == 0 else f"bundles of {per_bundle}"
    print(f"{kind:22} record {size:5} B, chunk {chunk:6}: "
          f"{N / best:12,.0f} records/s {best / N * 1e6:6.2f} us/record "
          f"{len(stream) / best / 1e6:8.1f} MB/s")
