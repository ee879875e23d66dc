"""The fields of sample connection, intrusion and file events (estreamer.testing.samples),
with chosen changes, for the knowledge tests."""

from __future__ import annotations

import random
from typing import Any

from estreamer.testing import samples


def connection_fields(seed: int = 0, **changes: Any) -> dict[str, Any]:
    fields = samples._connection(random.Random(seed))
    fields.update(changes)
    return fields


def intrusion_fields(seed: int = 0, **changes: Any) -> dict[str, Any]:
    fields = samples._intrusion(random.Random(seed))
    fields.update(changes)
    return fields


def file_fields(malware: bool, seed: int = 0, **changes: Any) -> dict[str, Any]:
    fields = samples._file(random.Random(seed), malware)
    fields.update(changes)
    return fields
