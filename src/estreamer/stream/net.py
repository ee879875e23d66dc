"""What every network path of the client shares: how an address is written, and how
long to wait before trying again."""

from __future__ import annotations

import random


def format_address(host: str, port: int) -> str:
    """``host:port``, with an IPv6 host in brackets (``[2001:db8::1]:8302``) so the port
    cannot be read as part of the address."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Backoff:
    """Exponential backoff with jitter, bounded by ``maximum``."""

    def __init__(self, initial: float = 1.0, maximum: float = 60.0,
                 rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = max(maximum, initial)
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = min(self.initial * (2 ** min(self.failures, 30)), self.maximum)
        self.failures += 1
        # jitter in [delay/2, delay]: many clients restarting together do not align
        return self._rng.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.failures = 0
