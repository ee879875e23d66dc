"""The core client's Sink for Splunk: records -> XML events on splunklib's EventWriter stream.

Each record becomes one event: ``_time`` from the record's own event time (seconds and
microseconds; the archive time when it has none), ``host`` the FMC, ``source`` the
input, sourcetype ``cisco:estreamer:data`` (``cisco:estreamer:si`` for connection
events raised by security intelligence, when chosen). The events of a batch are
written from a template (:mod:`estreamer_splunk.xmlevents`, the bytes splunklib's
``Event`` would write) and flushed, so when ``write`` returns the events
are with splunkd: the client bookmarks only after that (``flush``). splunkd cannot be
wound back, so ``restore`` has nothing to do; a crash between writing and bookmarking
repeats at most one checkpoint interval of events (a clean stop repeats nothing).

The EventWriter is shared with the log and status events of other threads; one lock
keeps their XML from interleaving.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Callable

from estreamer.errors import EStreamerError
from estreamer.records.formatters.splunk import XML_FORMS
from estreamer.records.formatters.splunk_names import raw_name
from estreamer.records.metadata import is_security_intelligence
from estreamer.records.record import Record
from estreamer_splunk import SOURCETYPE_DATA, SOURCETYPE_SI
from estreamer_splunk.options import DeviceFilter
from estreamer_splunk.xmlevents import Clock, EventTemplate, time_text, write_events

_DOMAIN_FIELDS = ("domain", "domainUuid", "domainName")
NO_FILTER = DeviceFilter()


@lru_cache(maxsize=4096)
def _time_fields(record_type: int, keys: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The field names that hold this record's event second and microsecond."""
    second = usecond = None
    for key in keys:
        name = raw_name(record_type, key)
        if name == "event_sec" and second is None:
            second = key
        elif name == "event_usec" and usecond is None:
            usecond = key
    return second, usecond


#: FieldNames.serial << 32 | record type -> where a flat record of that layout holds its
#: event second and microsecond (None: it has none); found once per layout, not per record
#: (the names of a layout are a tuple of ~130, slow to hash for every record; an int
#: key is cheaper than a tuple)
_time_positions: dict[int, tuple[int | None, int | None]] = {}


def _time_positions_of(key: int, record_type: int, names: Any
                       ) -> tuple[int | None, int | None]:
    """Where a flat record of this layout holds its event second and microsecond (found
    once, then kept in _time_positions under ``key``)."""
    if len(_time_positions) > 4096:  # layouts are few; this only bounds the table
        _time_positions.clear()
    second_key, usec_key = _time_fields(record_type, names)
    # names.position is what Record.get reads: the last of a repeated name
    found = _time_positions[key] = (
        names.position[second_key] if second_key else None,
        names.position[usec_key] if usec_key else None)
    return found


def event_clock(record: Record) -> Clock | None:
    """(second, microsecond) of the record's event: its own event time, else the archive
    second; None lets splunkd decide."""
    values, names = record.values, record.names
    if values is None or names is None:
        second_key, usec_key = _time_fields(record.record_type, record.field_names())
        second = record.get(second_key) if second_key else None
        usec = record.get(usec_key) if usec_key else None
    else:
        # a flat record (nearly all): one look-up by layout, then by position
        key = names.serial << 32 | record.record_type
        second_at, usec_at = _time_positions.get(key) \
            or _time_positions_of(key, record.record_type, names)
        second = None if second_at is None else values[second_at]
        usec = None if usec_at is None else values[usec_at]
    if not isinstance(second, int) or isinstance(second, bool) or second <= 0:
        second = record.archive_timestamp or None
        usec = 0
    if second is None:
        return None
    if not isinstance(usec, int) or isinstance(usec, bool) or not 0 <= usec < 1_000_000:
        usec = 0
    return second, usec


def event_time(record: Record) -> str | None:
    """``"<seconds>.<microseconds>"`` of the record's event (its ``<time>``); None lets
    splunkd decide."""
    return time_text(event_clock(record))


def device_candidates(record: Record) -> list[str]:
    """Identifiers the device/domain filter matches: device id and name, domain."""
    out = []
    device_id = record.get("deviceId")
    if device_id is not None:
        out.append(str(device_id))
        name = record.computed.get("deviceName")
        if name:
            out.append(str(name))
    for key in _DOMAIN_FIELDS:
        value = record.get(key)
        if value:
            out.append(str(value))
    return out


class EventWriterSink:
    """Implements ``estreamer.stream.outputs.Sink`` on a splunklib EventWriter's stream."""

    def __init__(self, writer: Any, formatter: Callable[[Record], str], *, stanza: str,
                 source: str, host: Callable[[], str] | str, index: str | None,
                 lock: threading.Lock,
                 device_filter: DeviceFilter = NO_FILTER, si_sourcetype: bool = False,
                 decorate: bool = True, data_sourcetype: str = SOURCETYPE_DATA) -> None:
        self.writer = writer
        self.formatter = formatter
        #: the formatter's native XML form, if it has one (None: pure Python)
        self.xml = XML_FORMS.get(formatter)
        self.stanza = stanza
        self.source = source
        self.host = host
        self.index = index
        self.template = EventTemplate(stanza, source, index)
        self.lock = lock
        self.device_filter = device_filter
        self.si_sourcetype = si_sourcetype
        self.decorate = decorate
        self.data_sourcetype = data_sourcetype
        self.written = 0
        self.filtered = 0
        #: events written per sourcetype (UCC's monitoring dashboard counts them)
        self.by_sourcetype: Counter[str] = Counter()

    def restore(self, position: dict | None) -> None:
        """Nothing to wind back: events handed to splunkd stay there."""

    def write(self, records: Sequence[Record]) -> None:
        host = self.host() if callable(self.host) else self.host
        template, formatter, decorate = self.template, self.formatter, self.decorate
        data_middle = template.middle(self.data_sourcetype, host)
        si_middle = template.middle(SOURCETYPE_SI, host) if self.si_sourcetype else None
        # with no filter (the default) the candidates are not even collected
        allows = None if self.device_filter.mode == "none" else self.device_filter.allows
        xml = self.xml
        events: list[tuple[Any, Clock | None, str]] = []
        si = 0
        for record in records:
            if allows is not None and not allows(device_candidates(record)):
                self.filtered += 1
                continue
            middle = data_middle
            if si_middle is not None and is_security_intelligence(record):
                middle = si_middle
                si += 1
            if not decorate:
                record.computed.clear()
            # with a native XML form the record itself goes on: its line is written
            # straight into the event's bytes
            events.append((record if xml is not None else formatter(record),
                           event_clock(record), middle))
        pieces: list[str] | list[bytes] = template.events(events) if xml is None \
            else template.xml_events(events, xml, formatter)
        try:
            with self.lock:
                write_events(self.writer, pieces)
        except (OSError, ValueError) as err:
            # splunkd closed our stdout (it is stopping us): nothing more is delivered,
            # and the bookmark must not move past what it received
            raise EStreamerError(f"splunkd no longer accepts events ({err})") from err
        self.written += len(events)
        for sourcetype, count in ((self.data_sourcetype, len(events) - si), (SOURCETYPE_SI, si)):
            if count:
                self.by_sourcetype[sourcetype] += count

    def flush(self) -> dict | None:
        try:
            with self.lock:
                out = getattr(self.writer, "_out", None)
                if out is not None:
                    out.flush()
        except (OSError, ValueError) as err:
            raise EStreamerError(f"splunkd no longer accepts events ({err})") from err
        return None

    def close(self) -> None:
        """The EventWriter is closed by splunklib's Script when the input returns."""
