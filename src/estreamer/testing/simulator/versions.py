"""Which body layout the simulated FMC serves for the (event type, version) pairs requested.

An FMC renders each event in the layout of the version the Streaming Request asked
for (spec/PROTOCOL.md 5.7 and 11.1): a client asking for connection v14 gets block 163,
one asking for v17 gets the FMC 7.x block. Records whose body block is chosen by
its type (spec/records.yaml ``bodyByBlockType``) are therefore re-encoded, when the
archive holds them in another layout, before they are served.

The table keeps to what the sources show: each version eNcore 3.5.8 or 5.2.11
requests, with the block that version's eNcore reads (3.5.8: 60, 163, 120/127, 62,
56; 5.2.11: 85, 174, 155/167, 80, 79). A version between two rows gets the older
row's layouts, one above the newest row the newest, one below the oldest row the
oldest (which an FMC would not do: it has older layouts still; logged).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable, Mapping

from estreamer.errors import EStreamerError
from estreamer.protocol import Stream
from estreamer.records.catalogue import BLOCK, DISCOVERY, DISCOVERY_FIXED, RECORDS
from estreamer.records.decoder import decode_record, record_header
from estreamer.records.encoder import encode_record

log = logging.getLogger("estreamer.simulator")

#: event type -> ((lowest version, {record type: body block type}), ...), oldest first
SERVED_BLOCKS: dict[int, tuple[tuple[int, dict[int, int]], ...]] = {
    12: ((9, {400: 60}),                                   # intrusion (IPS 6.0)
         (11, {400: 85})),
    71: ((14, {71: 163}),                                  # connection 6.1
         (17, {71: 174})),
    91: ((4, {92: 120, 93: 120, 94: 120, 95: 127}),       # user activity
         (7, {92: 155, 93: 155, 94: 155, 95: 167})),
    101: ((7, {125: 62}),                                  # malware
          (8, {125: 80})),
    111: ((6, {500: 56, 502: 56}),                         # file, file malware
          (7, {500: 79, 502: 79})),
}
#: records that exist only from a stream version on: VPN login/logoff (user v7)
FIRST_VERSION: dict[int, tuple[int, int]] = {170: (91, 7), 171: (91, 7)}

_U32 = struct.Struct(">I")


def served_blocks(streams: Iterable[Stream]) -> dict[int, int]:
    """Record type -> the body block type an FMC serves for these requested streams."""
    blocks: dict[int, int] = {}
    for stream in streams:
        rows = SERVED_BLOCKS.get(stream.event_type)
        if not rows:
            continue
        chosen = rows[0][1]
        for lowest, row in rows:
            if stream.version >= lowest:
                chosen = row
        if stream.version < rows[0][0]:
            log.warning("the simulator has no layouts for event type %d version %d; it "
                        "serves version %d's", stream.event_type, stream.version, rows[0][0])
        blocks.update(chosen)
    return blocks


def first_versions_met(record_type: int, versions: Mapping[int, int]) -> bool:
    """False for a record the requested version of its stream does not have yet."""
    first = FIRST_VERSION.get(record_type)
    return first is None or versions.get(first[0], 0) >= first[1]


def body_block_type(payload: bytes) -> int | None:
    """The body block type of a long-header payload whose layout it chooses, else None."""
    record_type = _U32.unpack_from(payload, 0)[0]
    layout = RECORDS.get(record_type)
    if layout is None or not layout.by_block_type:
        return None
    p = 16
    for step in layout.steps:
        if step.kind is DISCOVERY:
            assert DISCOVERY_FIXED.struct is not None
            if len(payload) < p + 15:
                return None
            p += DISCOVERY_FIXED.struct.size + (16 if payload[p + 14] == 1 else 0)
        elif step.kind is BLOCK and step.of == "auto":
            return _U32.unpack_from(payload, p)[0] if len(payload) >= p + 4 else None
        else:
            return None  # the chosen block follows other fields: not a layout we serve
    return None


def transcode(payload: bytes, block_type: int) -> bytes | None:
    """A long-header payload re-encoded with another body block; None if undecodable."""
    try:
        record = decode_record(payload)
        _, _, archive = record_header(payload)
        return encode_record(record.record_type, record.fields, archive_timestamp=archive,
                             block_type=block_type)
    except EStreamerError:
        return None
