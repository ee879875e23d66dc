"""Health of one input: a ``cisco:estreamer:status`` event and a monitor log line per period.

The core's :class:`estreamer.monitor.Monitor` samples the client, logs its line and
hands each sample to :meth:`StatusReporter.emit`, which writes the event built by
:func:`estreamer.monitor.status_event`: ``input`` (the stanza name), every figure of
``Monitor.sample()`` and ``last_error`` - the fields the health dashboard, the macros
and saved searches read (docs/knowledge.md).
"""

from __future__ import annotations

from typing import Any, Callable

from estreamer.client import StreamStatus
from estreamer.monitor import Monitor, status_event


class StatusReporter:
    """Samples the client's status every ``period`` seconds on a thread, and at the end."""

    def __init__(self, input_name: str, source: Callable[[], StreamStatus],
                 write: Callable[[str], None], period: float) -> None:
        self.input_name = input_name
        self.write = write
        self.monitor = Monitor([source], period=period, emit=self.emit)

    def emit(self, figures: dict[str, Any], status: StreamStatus) -> None:
        self.write(status_event(figures, input_name=self.input_name,
                                last_error=status.last_error))

    def report(self) -> None:
        self.monitor.log_once()

    def start(self) -> None:
        self.monitor.run_in_thread()

    def close(self) -> None:
        """Stop the thread and write a final status."""
        self.monitor.close()
