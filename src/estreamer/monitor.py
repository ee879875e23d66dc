"""Monitor: one log line per stream every period, and the same numbers for callers.

eNcore logged only "N handled; average rate X ev/sec" and parsed but never used its
``velocity`` option (ENCORE_COMPAT.md B19). Here every line carries:

* handled - records written, and rate - records per second over the last period;
* velocity - archive seconds advanced per wall second over the period (>= 1 keeps up
  with the FMC; < 1 falls behind; "-" while there is no bookmark to measure);
* bookmark - the bookmarked archive time (UTC) and the lag behind the wall clock;
* decode errors, skipped re-sends, reconnects and FMC error messages.

``monitor.handled`` / ``velocity`` / ``bookmark`` / ``subscribed`` switch the
corresponding parts of the line, as in eNcore. :meth:`Monitor.sample` returns the
figures as dicts (for Splunk status events).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Callable

from estreamer.client import StreamStatus

log = logging.getLogger("estreamer.monitor")


class Monitor:
    """Samples status getters; ``run_in_thread`` logs a line per stream per period."""

    def __init__(self, sources: Sequence[Callable[[], StreamStatus]], *, period: float = 120.0,
                 handled: bool = True, velocity: bool = True, bookmark: bool = True,
                 subscribed: bool = True, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.sources = list(sources)
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
            out.append({"stream": status.key, "state": status.state, "server": status.server,
                        "handled": status.handled, "received": status.received,
                        "rate": rate, "velocity": velocity,
                        "bookmark": status.bookmark_second, "lag": lag,
                        "decode_errors": status.decode_errors,
                        "duplicates_skipped": status.duplicates,
                        "reconnects": status.reconnects,
                        "server_errors": status.server_errors})
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
        return "; ".join(parts)

    def log_once(self) -> list[dict[str, Any]]:
        figures = self.sample()
        for item in figures:
            log.info("%s", self.format(item))
        return figures

    def run_in_thread(self) -> None:
        """Log every ``period`` seconds on a daemon thread until :meth:`close`."""
        self.sample()  # baseline for the first period's rate

        def loop() -> None:
            while not self._stop.wait(self.period):
                self.log_once()

        self._thread = threading.Thread(target=loop, name="monitor", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and log a final line per stream."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.log_once()
