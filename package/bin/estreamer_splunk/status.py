"""Health of one input: a ``cisco:estreamer:status`` event and a monitor log line per period.

The event keeps eNcore's ``status_id`` / ``status`` pair (its dashboard maps -1 Error,
0 Disabled, 1 and 2 Running, 3 Stopping, 4 Restarting) and adds the monitor's figures
as key=value pairs, so a health view can chart rate, lag and errors per input.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from estreamer.client import StreamStatus
from estreamer.formatters.splunk import quote
from estreamer.monitor import Monitor

log = logging.getLogger("estreamer_splunk.status")

#: client state -> (status_id, status) in eNcore's numbering
STATES = {
    "starting": (2, "Starting"),
    "connecting": (2, "Connecting"),
    "streaming": (1, "Running"),
    "waiting": (4, "Restarting"),
    "stopped": (0, "Stopped"),
    "failed": (-1, "Error"),
}


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def status_line(input_name: str, fmc: str, figures: dict[str, Any], last_error: str) -> str:
    status_id, text = STATES.get(figures["state"], (-1, figures["state"]))
    pairs = [("status_id", str(status_id)), ("status", quote(text)),
             ("input", quote(input_name)), ("fmc", quote(fmc)),
             ("state", figures["state"]), ("server", quote(figures["server"] or "")),
             ("handled", _number(figures["handled"])), ("received", _number(figures["received"])),
             ("rate", _number(figures["rate"])), ("velocity", _number(figures["velocity"])),
             ("bookmark", _number(figures["bookmark"] or None)),
             ("lag", _number(None if figures["lag"] is None else round(figures["lag"]))),
             ("decode_errors", _number(figures["decode_errors"])),
             ("duplicates_skipped", _number(figures["duplicates_skipped"])),
             ("reconnects", _number(figures["reconnects"])),
             ("server_errors", _number(figures["server_errors"]))]
    if last_error:
        pairs.append(("last_error", quote(last_error)))
    return " ".join(f"{k}={v}" for k, v in pairs)


class StatusReporter:
    """Samples the client's status every ``period`` seconds on a thread, and at the end."""

    def __init__(self, input_name: str, fmc: str, source: Callable[[], StreamStatus],
                 write: Callable[[str], None], period: float) -> None:
        self.input_name = input_name
        self.fmc = fmc
        self.source = source
        self.write = write
        self.period = period
        self.monitor = Monitor([source], period=period)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def report(self) -> None:
        status = self.source()
        for figures in self.monitor.sample():
            log.info("%s", self.monitor.format(figures))
            self.write(status_line(self.input_name, self.fmc, figures, status.last_error))

    def start(self) -> None:
        self.monitor.sample()  # baseline for the first period's rate

        def loop() -> None:
            while not self._stop.wait(self.period):
                try:
                    self.report()
                except Exception as err:  # a failed report must not end the stream
                    log.warning("status report failed: %s", err)

        self._thread = threading.Thread(target=loop, name="status", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and write a final status."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.report()
