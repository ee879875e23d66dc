"""A tiny fake of splunkd's private ``splunk`` package, for running the add-on's scripts
outside Splunk in tests (spec/SPLUNK_FACTS.md 6.2). Never shipped.

``getSessionKey()`` returns ``SPLUNK_SESSION_KEY`` from the environment.
"""

from __future__ import annotations

import os


def getSessionKey():
    return os.environ.get("SPLUNK_SESSION_KEY", "")
