"""Monitor: one log line per stream every period, and the same numbers for callers.

eNcore logged only "N handled; average rate X ev/sec" and parsed but never used its
``velocity`` option (spec/ENCORE_COMPAT.md B19). Here every line carries:

* handled - records written, and rate - records per second over the last period;
* velocity - archive seconds advanced per wall second over the period (>= 1 keeps up
  with the FMC; < 1 falls behind; "-" while there is no bookmark to measure);
* bookmark - the bookmarked archive time (UTC) and the lag behind the wall clock;
* decode errors, skipped re-sends, reconnects and FMC error messages.

``monitor.handled`` / ``velocity`` / ``bookmark`` / ``subscribed`` switch the
corresponding parts of the line, as in eNcore. :meth:`Monitor.sample` returns the
figures as dicts; ``emit`` receives each stream's figures and status at every period
(the Splunk add-on writes them as ``cisco:estreamer:status`` events with
:func:`status_event`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Callable

from estreamer.records.formatters.splunk import quote
from estreamer.stream.client import StreamStatus

log = logging.getLogger("estreamer.monitor")

#: what ``emit`` receives per stream and period: the figures and the status they came from
Emit = Callable[[dict[str, Any], StreamStatus], None]


def _kv_number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def status_event(figures: dict[str, Any], *, input_name: str, last_error: str = "") -> str:
    """One key=value line (the Splunk formatter's quoting): ``input``, every key of
    :meth:`Monitor.sample` in its order, then ``last_error``. ``-`` stands for a figure
    that cannot be measured yet (no rate before a period, no bookmark)."""
    pairs = [("input", quote(input_name))]
    for key, value in figures.items():
        if key == "lag":
            text = _kv_number(None if value is None else round(value))
        elif key == "bookmark":
            text = _kv_number(value or None)
        elif isinstance(value, str):
            text = quote(value)
        else:
            text = _kv_number(value)
        pairs.append((key, text))
    pairs.append(("last_error", quote(last_error)))
    return " ".join(f"{key}={text}" for key, text in pairs)


class Monitor:
    """Samples status getters; ``run_in_thread`` logs a line per stream per period."""

    def __init__(self, sources: Sequence[Callable[[], StreamStatus]], *, period: float = 120.0,
                 handled: bool = True, velocity: bool = True, bookmark: bool = True,
                 subscribed: bool = True, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, emit: Emit | None = None) -> None:
        self.sources = list(sources)
        self.emit = emit
        self.period = period
        self.show = {"handled": handled, "velocity": velocity, "bookmark": bookmark,
                     "subscribed": subscribed}
        self._clock = clock
        self._wall = wall
        self._previous: list[tuple[float, StreamStatus] | None] = [None] * len(self.sources)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def sample(self) -> list[dict[str, Any]]:
        """Current figures per stream; rates are over the time since the last sample."""
        return [figures for figures, _ in self._sample()]

    def _sample(self) -> list[tuple[dict[str, Any], StreamStatus]]:
        now = self._clock()
        out = []
        for i, source in enumerate(self.sources):
            status = source()
            prev = self._previous[i]
            self._previous[i] = (now, status)
            rate = velocity = None
            if prev is not None and now > prev[0]:
                elapsed = now - prev[0]
                rate = (status.handled - prev[1].handled) / elapsed
                if prev[1].bookmark_second and status.bookmark_second:
                    velocity = (status.bookmark_second - prev[1].bookmark_second) / elapsed
            elif status.started:
                elapsed = max(self._wall() - status.started, 1e-9)
                rate = status.handled / elapsed
            lag = (self._wall() - status.bookmark_second) if status.bookmark_second else None
            out.append(({"stream": status.key, "state": status.state, "server": status.server,
                         "handled": status.handled, "received": status.received,
                         "rate": rate, "velocity": velocity,
                         "bookmark": status.bookmark_second, "lag": lag,
                         "decode_errors": status.decode_errors,
                         "duplicates_skipped": status.duplicates,
                         "reconnects": status.reconnects,
                         "server_errors": status.server_errors,
                         "metadata_save_errors": status.metadata_save_errors}, status))
        return out

    def format(self, figures: dict[str, Any]) -> str:
        parts = [f"{figures['stream']} {figures['state']}"]
        if figures["server"]:
            parts[0] += f" via {figures['server']}"
        if self.show["handled"]:
            rate = figures["rate"]
            parts.append(f"{figures['handled']} handled; rate "
                         f"{'-' if rate is None else f'{rate:.1f}'} ev/s")
        if self.show["subscribed"]:
            parts.append(f"{figures['received']} received")
        if self.show["velocity"]:
            vel = figures["velocity"]
            parts.append(f"velocity {'-' if vel is None else f'{vel:.2f}'}")
        if self.show["bookmark"]:
            if figures["bookmark"]:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(figures["bookmark"]))
                parts.append(f"bookmark {stamp} (lag {figures['lag']:.0f}s)")
            else:
                parts.append("bookmark none")
        parts.append(f"decode errors {figures['decode_errors']}; re-sends skipped "
                     f"{figures['duplicates_skipped']}; reconnects {figures['reconnects']}; "
                     f"FMC errors {figures['server_errors']}")
        if figures["metadata_save_errors"]:
            parts.append(f"metadata cache saves failed {figures['metadata_save_errors']}")
        return "; ".join(parts)

    def log_once(self) -> list[dict[str, Any]]:
        """Log a line per stream (and hand the figures to ``emit``); the figures."""
        sampled = self._sample()
        for figures, status in sampled:
            log.info("%s", self.format(figures))
            if self.emit is not None:
                self.emit(figures, status)
        return [figures for figures, _ in sampled]

    def run_in_thread(self) -> None:
        """Log every ``period`` seconds on a daemon thread until :meth:`close`."""
        self.sample()  # baseline for the first period's rate

        def loop() -> None:
            while not self._stop.wait(self.period):
                try:
                    self.log_once()
                except Exception as err:  # a failed report must not end the monitoring
                    log.warning("monitor report failed: %s", err)

        self._thread = threading.Thread(target=loop, name="monitor", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and log a final line per stream."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.log_once()
