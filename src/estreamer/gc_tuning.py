"""Garbage-collector settings for the commands that stream records (issue 11).

Decoding makes a few container objects per record (the values tuple, the record,
its names dict) that die as soon as the line is written and never form cycles.
With CPython's default thresholds the collector runs every 700 such objects and,
every 70,000, walks every object made at start-up as well (modules, layout tables,
generated code): about a fifth of ``estreamer decode``'s CPU time on the realistic
mix. Freezing what start-up made takes it out of every later collection, and a
larger first threshold makes the young collections rarer; collections still run,
so memory stays flat (cycles, rare here, are still found).
"""

from __future__ import annotations

import gc

#: objects allocated (minus freed) before a young collection; Python's default is 700
YOUNG_THRESHOLD = 10_000


def tune_for_streaming() -> None:
    """Call once start-up is done, before the first record: freeze what exists so far
    and collect young objects less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
