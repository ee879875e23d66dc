"""Fault injection for the simulator: each fault is deterministic and fires once.

A fault set with :meth:`Simulator.inject` (or the ``faults`` option) applies to the
next connection that starts streaming and is then cleared, so a client that
reconnects meets a healthy FMC; ``reject_client_cert`` stays on until cleared.
Counts are 1-based, like bundle sequence numbers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from estreamer.errors import ConfigurationError


@dataclass
class Faults:
    """What to break, and when."""

    #: close the connection after sending half of bundle N (its sequence number)
    drop_in_bundle: int | None = None
    #: after this many bundles, send nothing (no keepalive either) for stall_seconds
    stall_seconds: float = 0.0
    stall_after_bundles: int = 0
    #: the N-th record served on the connection gets a corrupted body (header intact)
    malformed_record: int | None = None
    #: after error_after_bundles bundles, send Error(code, text) and close
    error: tuple[int, str] | None = None
    error_after_bundles: int = 0
    #: close every connection right after the TLS handshake (revoked/foreign client)
    reject_client_cert: bool = False

    def __post_init__(self) -> None:
        for name in ("drop_in_bundle", "malformed_record"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise ConfigurationError(f"fault {name} must be a count from 1, not {value!r}")
        for name in ("stall_after_bundles", "error_after_bundles"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError(f"fault {name} must be 0 or more, not {value!r}")
        if self.stall_seconds < 0:
            raise ConfigurationError("fault stall_seconds must be 0 or more")
        if self.error is not None:
            code, text = self.error
            if not isinstance(code, int) or not isinstance(text, str):
                raise ConfigurationError("fault error must be (int code, str text)")

    def take_one_shot(self) -> Faults:
        """A copy for one session; the one-shot faults are cleared here."""
        taken = dataclasses.replace(self)
        self.drop_in_bundle = None
        self.stall_seconds = 0.0
        self.stall_after_bundles = 0
        self.malformed_record = None
        self.error = None
        self.error_after_bundles = 0
        return taken
