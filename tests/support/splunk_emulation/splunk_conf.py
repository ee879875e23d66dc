"""Read Splunk .conf files and the add-on's knowledge files (test support only).

The format is Splunk's: ``[stanza]`` lines, ``key = value`` lines (the first
``=`` splits), ``#`` comment lines, a trailing backslash continues a value.
Settings before the first stanza belong to ``default``.
"""

from __future__ import annotations

import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "package"
DEFAULT = PACKAGE / "default"
LOOKUPS = PACKAGE / "lookups"
VIEWS = DEFAULT / "data" / "ui" / "views"
NAV = DEFAULT / "data" / "ui" / "nav" / "default.xml"

Conf = dict[str, dict[str, str]]


class ConfError(ValueError):
    pass


def parse_conf(text: str, name: str = "<conf>") -> Conf:
    stanzas: Conf = {}
    current = stanzas.setdefault("default", {})
    pending = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = pending + raw
        if line.rstrip().endswith("\\") and not line.rstrip().endswith("\\\\"):
            pending = line.rstrip()[:-1] + "\n"
            continue
        pending = ""
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise ConfError(f"{name}:{number}: unterminated stanza header {stripped!r}")
            title = stripped[1:-1]
            if title in stanzas and title != "default":
                raise ConfError(f"{name}:{number}: stanza [{title}] appears twice")
            current = stanzas.setdefault(title, {})
            continue
        if "=" not in stripped:
            raise ConfError(f"{name}:{number}: not a key = value line: {stripped!r}")
        key, value = stripped.split("=", 1)
        key = key.strip()
        if key in current:
            raise ConfError(f"{name}:{number}: {key} set twice in one stanza")
        current[key] = value.strip()
    if pending:
        raise ConfError(f"{name}: file ends inside a continued line")
    if not stanzas["default"]:
        del stanzas["default"]
    return stanzas


def load_conf(filename: str) -> Conf:
    path = DEFAULT / filename
    return parse_conf(path.read_text(encoding="utf-8"), filename)


def load_lookup(filename: str) -> list[dict[str, str]]:
    with (LOOKUPS / filename).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
