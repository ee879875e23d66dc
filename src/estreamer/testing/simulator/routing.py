"""Which archived records a request asks for (spec/COVERAGE.md "Requested by").

An FMC sends a record only when the request names its stream: intrusion 400 with
event type 12, connection 71 with 71, and so on; packets (2) only with flag bit 0,
intrusion extra data (110) only with bit 27; metadata with bit 20 or stream 21.
Without the extended request only flag-driven records flow. A record that the
requested version of its stream does not have yet (VPN 170/171 before user v7) is
not sent (versions.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from estreamer.protocol import RequestFlags

from .versions import first_versions_met

#: record type -> extended stream (event type) that brings it
EVENT_STREAM_OF: dict[int, int] = {
    400: 12,                       # intrusion
    112: 31,                       # correlation
    71: 71,                        # connection
    92: 91, 93: 91, 94: 91, 95: 91, 170: 91, 171: 91,  # user activity
    125: 101,                      # malware
    500: 111, 502: 111,            # file
    9: 131,                        # impact alerts (also flag bit 5)
}
#: discovery (RNA) records: stream 61
DISCOVERY_RECORDS = frozenset([*range(10, 54), *range(73, 90), 101, 102, 103, 107, 160])
METADATA_STREAM = 21
DISCOVERY_STREAM = 61


def is_wanted(record_type: int, flags: int, event_types: Collection[int] | None,
              versions: Mapping[int, int] | None = None) -> bool:
    """Whether a session with ``flags`` and (extended) ``event_types`` gets this record.

    ``event_types`` is None for a session without the extended request; ``versions``
    maps the requested event types to their versions (None: any version).
    """
    if versions is not None and not first_versions_met(record_type, versions):
        return False
    if record_type == 2:
        return bool(flags & RequestFlags.PACKET_DATA)
    if record_type == 110:
        return bool(flags & RequestFlags.EXTRA_DATA)
    if record_type == 9 and flags & RequestFlags.IMPACT_ALERTS:
        return True
    stream = EVENT_STREAM_OF.get(record_type)
    if stream is None and record_type in DISCOVERY_RECORDS:
        stream = DISCOVERY_STREAM
    if event_types is None:
        # legacy (non-extended) sessions: only the flag-driven families
        if stream == 12:
            return bool(flags & RequestFlags.INTRUSION)
        return stream is None and bool(flags & RequestFlags.METADATA)
    if stream is not None:
        return stream in event_types
    # everything else is metadata (ids -> names)
    return bool(flags & RequestFlags.METADATA) or METADATA_STREAM in event_types


class RecordFilter:
    """``is_wanted`` memoised per record type for one session (hot path)."""

    def __init__(self, flags: int, event_types: Collection[int] | None,
                 versions: Mapping[int, int] | None = None) -> None:
        self.flags = flags
        self.event_types = None if event_types is None else frozenset(event_types)
        self.versions = versions
        self._cache: dict[int, bool] = {}

    def __call__(self, record_type: int) -> bool:
        try:
            return self._cache[record_type]
        except KeyError:
            wanted = self._cache[record_type] = is_wanted(record_type, self.flags,
                                                          self.event_types, self.versions)
            return wanted
