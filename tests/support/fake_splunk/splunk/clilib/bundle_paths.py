"""Fake of ``splunk.clilib.bundle_paths``: paths under ``$SPLUNK_HOME`` (a test directory)."""

from __future__ import annotations

import os


def make_splunkhome_path(parts):
    home = os.environ.get("SPLUNK_HOME")
    if not home:
        raise RuntimeError("SPLUNK_HOME is not set (the fake splunk module needs a test dir)")
    path = os.path.join(home, *parts)
    if parts and parts[-1] in ("splunk", "log", "var"):
        os.makedirs(path, exist_ok=True)
    return path
