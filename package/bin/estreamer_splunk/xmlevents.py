"""The modular input's XML event stream for records, written from a template.

splunklib's ``Event.write_to`` builds every event as an ElementTree, serialises it and
flushes stdout: about 22 µs an event, more than decoding and formatting the record
(issue 11). Here a batch of events is filled from a template with escaped values in one
pass (one f-string per event, the constant parts escaped once per input), joined into
pieces of :data:`PIECE_EVENTS` events, written, and flushed once. What reaches splunkd
is byte for byte what splunklib 2.1.1 writes (tests/splunk/test_xml_events.py compares
them on hostile values):

- ``<event stanza="..." unbroken="1">`` then ``time``, ``source``, ``sourcetype``,
  ``index``, ``host``, ``data`` in that order and ``<done />``; a value that is None is
  left out, an empty one is a self-closed element (``<host />``);
- ElementTree's escaping: ``&``, ``<``, ``>`` in text; those, ``"``, CR, LF and TAB in
  attributes; every non-ASCII character (and a lone surrogate from a non-UTF-8 byte) as
  a decimal character reference, since ElementTree serialises to US-ASCII.

With the native core, the event's bytes are written by it whole (head, the line escaped
as above, tail: :meth:`EventTemplate.xml_events`), so the line is never a str, never
escaped in Python and never encoded; they go to the binary layer of splunkd's pipe.

splunklib stays for everything else: the scheme, the arguments, validation, and the
log and status events, which share the EventWriter's ``<stream>`` header and its lock.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterable, Sequence
from typing import Any, Callable

from estreamer.records.record import Record

#: an event's time: whole seconds and microseconds (plain ints, microseconds from 0 to
#: 999,999: nothing to escape)
Clock = tuple[int, int]

#: what ends an event whose data is not empty
_TAIL = b"</data><done /></event>"


def time_text(clock: Clock | None) -> str | None:
    """The ``<time>`` text of a clock: ``"<seconds>.<microseconds>"``."""
    return None if clock is None else f"{clock[0]}.{clock[1]:06d}"


def _ascii(text: str) -> str:
    return text if text.isascii() else text.encode("ascii", "xmlcharrefreplace").decode("ascii")


def escape_text(text: str) -> str:
    """Element text as ElementTree writes it to a US-ASCII stream."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return _ascii(text)


def escape_attribute(text: str) -> str:
    """An attribute value as ElementTree writes it to a US-ASCII stream."""
    text = escape_text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text


def element(tag: str, value: str | None) -> str:
    """``<tag>value</tag>``, ``<tag />`` when empty, nothing when None."""
    if value is None:
        return ""
    if not value:
        return f"<{tag} />"
    return f"<{tag}>{escape_text(value)}</{tag}>"


class EventTemplate:
    """The events of one input: ``render(data, time)`` is one event's XML.

    The parts that are the same for every record of an input (stanza, source,
    sourcetype, index, host) are escaped once per combination and kept.
    """

    def __init__(self, stanza: str | None, source: str | None, index: str | None) -> None:
        self.head = "<event unbroken=\"1\">" if stanza is None \
            else f"<event stanza=\"{escape_attribute(stanza)}\" unbroken=\"1\">"
        self.source = element("source", source)
        self.index = element("index", index)
        self._middles: dict[tuple[str, str | None], str] = {}

    def middle(self, sourcetype: str, host: str | None) -> str:
        """The escaped elements between ``time`` and ``data``."""
        key = (sourcetype, host)
        found = self._middles.get(key)
        if found is None:
            if len(self._middles) > 64:  # hosts change rarely (an HA switch)
                self._middles.clear()
            found = self._middles[key] = (self.source + element("sourcetype", sourcetype)
                                          + self.index + element("host", host))
        return found

    def render(self, data: str, time: str | None, middle: str) -> str:
        """One event's XML; ``middle`` is what :meth:`middle` returned for it."""
        return f"{self.head}{element('time', time)}{middle}{element('data', data)}<done /></event>"

    def events(self, events: Iterable[tuple[str, Clock | None, str]]) -> list[str]:
        """The XML of a batch of events given as (data, clock, middle), in order: what
        :meth:`render` makes of each, one Python expression per event, in pieces of
        :data:`PIECE_EVENTS` events.

        The usual event (a time, data that is not empty) is filled in directly; the
        clock's integers need no escaping. Any other goes through :meth:`render`.
        """
        head = self.head
        pieces: list[str] = []
        out: list[str] = []
        extend = out.extend
        last_second, opening = None, ""
        for data, clock, middle in events:
            if clock is not None and data:
                second, usec = clock
                if second != last_second:  # events come in runs of one second
                    last_second, opening = second, f"{head}<time>{second}."
                if "&" in data or "<" in data or ">" in data or not data.isascii():
                    data = escape_text(data)
                # the data (~2 kB) is copied once, by the join, not into an event first;
                # str().zfill(6) is :06d for 0 <= usec < 10**6, at half the cost
                extend((f"{opening}{str(usec).zfill(6)}</time>{middle}<data>",
                        data, "</data><done /></event>"))
            else:
                out.append(self.render(data, time_text(clock), middle))
            if len(out) >= _PIECE_PARTS:
                pieces.append("".join(out))
                out.clear()
        if out:
            pieces.append("".join(out))
        return pieces

    def xml_events(self, events: Iterable[tuple[Record, Clock | None, str]],
                   xml: Callable[[Record, bytes, bytes], bytes | None],
                   formatter: Callable[[Record], str]) -> list[bytes]:
        """The XML of a batch of records given as (record, clock, middle), in order, as
        bytes in pieces of :data:`PIECE_EVENTS` events: what :meth:`events` makes of
        ``(formatter(record), clock, middle)``.

        ``xml`` is the formatter's native XML form (formatters.splunk.XML_FORMS): it
        writes the event's head, the escaped line and the tail itself, so the line is
        never a str and never encoded. Where it declines (it returns None), the event
        is made from ``formatter(record)`` by :meth:`render`.
        """
        head = self.head
        pieces: list[bytes] = []
        out: list[bytes] = []
        append = out.append
        last_second, opening = None, b""
        middles: dict[str, bytes] = {}
        for record, clock, middle in events:
            event = None
            if clock is not None:
                second, usec = clock
                if second != last_second:  # events come in runs of one second
                    last_second, opening = second, f"{head}<time>{second}.".encode("ascii")
                closing = middles.get(middle)
                if closing is None:
                    closing = middles[middle] = f"</time>{middle}<data>".encode("ascii")
                event = xml(record, opening + b"%06d" % usec + closing, _TAIL)
            if event is None:
                event = self.render(formatter(record), time_text(clock), middle).encode("ascii")
            append(event)
            if len(out) >= PIECE_EVENTS:
                pieces.append(b"".join(out))
                out.clear()
        if out:
            pieces.append(b"".join(out))
        return pieces


#: events per piece of a batch's XML: about 40 kB, so the piece, its encoded bytes and
#: the string it is joined from stay under malloc's mmap threshold (128 kB) and reuse
#: freed memory. A whole batch in one string (2 MB) was mapped and its pages faulted
#: in anew each time: 1.2 page faults per event.
PIECE_EVENTS = 16
_PIECE_PARTS = 3 * PIECE_EVENTS


def write_events(writer: Any, pieces: Sequence[str] | Sequence[bytes]) -> None:
    """Write events' XML (the pieces, all str or all bytes, ASCII) to splunkd through
    the EventWriter's stream: its ``<stream>`` header first if nothing was written yet,
    then the pieces, and one flush. Bytes go to the binary stream under a text one
    (sys.stdout.buffer), after the text layer is flushed, so nothing is encoded and
    the order of all writes is kept. The caller holds the lock it shares with the
    EventWriter's other users."""
    out = writer._out
    binary = not isinstance(out, io.TextIOBase)
    if not writer.header_written:
        out.write(b"<stream>" if binary else "<stream>")
        writer.header_written = True
    if pieces and isinstance(pieces[0], bytes) and not binary:
        raw = getattr(out, "buffer", None)
        if raw is None:  # a text stream without one (io.StringIO)
            pieces = [piece.decode("ascii") for piece in pieces]  # type: ignore[union-attr]
        else:
            out.flush()
            out, binary = raw, True
    for piece in pieces:
        if binary:
            out.write(piece if isinstance(piece, bytes) else piece.encode("ascii"))
        else:
            out.write(piece)
    out.flush()


#: the buffer asked for splunkd's pipe: Linux lets a process give its pipe up to
#: /proc/sys/fs/pipe-max-size, 1 MiB by default, against 64 kB by default
PIPE_SIZE = 1 << 20


def widen_pipe(stream: Any) -> int | None:
    """Ask for a :data:`PIPE_SIZE` buffer on the pipe ``stream`` writes to (splunkd
    reads a modular input's stdout through one). With 64 kB the input waited for
    splunkd to drain the pipe about 9 times per batch of 256 events (~580 kB), a switch
    between the two processes each time (bench_addon: 17 to 33% more events a second
    with 1 MiB). The size of the pipe now, or None where it cannot be asked: not Linux,
    not a pipe, or not allowed (the pipe is then left as it was)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import fcntl

        fd = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return None
        # F_SETPIPE_SZ is named in fcntl from Python 3.10 on; Linux's number before
        size: int = fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
        return size
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
