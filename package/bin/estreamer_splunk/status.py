"""Health of one input: a ``cisco:estreamer:status`` event and a monitor log line per period.

The core's :class:`estreamer.stream.monitor.Monitor` samples the client, logs its line and
hands each sample to :meth:`StatusReporter.emit`, which writes the event built by
:func:`estreamer.stream.monitor.status_event`: ``input`` (the stanza name), every figure of
``Monitor.sample()`` and ``last_error`` - the fields the health dashboard, the macros
and saved searches read (docs/knowledge.md).

:func:`certificate_event` is the other status event: which client certificate an
account uses, written when the input starts and when the certificate changes, and
every day from 30 days before it expires (saved search "eStreamer - Client
Certificate Expiring").
"""

from __future__ import annotations

from typing import Any, Callable

from estreamer.records.formatters.splunk import quote
from estreamer.records.formatters.splunk_lean import UNKNOWN_LAYOUTS
from estreamer.stream.client import StreamStatus
from estreamer.stream.monitor import Monitor, status_event
from estreamer.stream.tls import ClientIdentity

#: The fields of :func:`certificate_event`, in order (the searches are checked against them).
CERTIFICATE_FIELDS = ("input", "account", "certificate_subject", "certificate_serial",
                      "certificate_expires", "certificate_days_left", "warning")
#: The status field naming the lean layouts (record type.block version) this add-on has
#: no transform for, with their record counts: a newer FMC; present only when there are.
LAYOUTS_FIELD = "unknown_layouts"
#: A certificate status event carries a warning from this many days before expiry.
WARN_DAYS = 30.0


def certificate_event(input_name: str, account_name: str, identity: ClientIdentity,
                      now: Any = None) -> str:
    """``input=... account=... certificate_subject="CN=..." ... warning="..."`` (the
    warning is empty while the certificate has more than WARN_DAYS days left)."""
    cert = identity.certificate
    values = (input_name, account_name, cert.subject.rfc4514_string(),
              format(cert.serial_number, "x"),
              identity.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
              str(int(identity.days_left(now) // 1)),
              identity.expiry_warning(WARN_DAYS, now) or "")
    return " ".join(f"{key}={quote(value)}" for key, value in zip(CERTIFICATE_FIELDS, values))


class StatusReporter:
    """Samples the client's status every ``period`` seconds on a thread, and at the end."""

    def __init__(self, input_name: str, source: Callable[[], StreamStatus],
                 write: Callable[[str], None], period: float) -> None:
        self.input_name = input_name
        self.write = write
        self.monitor = Monitor([source], period=period, emit=self.emit)

    def emit(self, figures: dict[str, Any], status: StreamStatus) -> None:
        line = status_event(figures, input_name=self.input_name, last_error=status.last_error)
        if UNKNOWN_LAYOUTS:
            # lean lines of these layouts are indexed with rec_type only: update the add-on
            layouts = ",".join(f"{tag}:{count}" for tag, count in sorted(UNKNOWN_LAYOUTS.items()))
            line += f" {LAYOUTS_FIELD}={quote(layouts)}"
        self.write(line)

    def report(self) -> None:
        self.monitor.log_once()

    def start(self) -> None:
        self.monitor.run_in_thread()

    def close(self) -> None:
        """Stop the thread and write a final status."""
        self.monitor.close()
