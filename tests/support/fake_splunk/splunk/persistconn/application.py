"""Fake of ``splunk.persistconn.application``: the base class of ``scripttype = persist``
handlers. splunkd builds one object per handler process and calls ``handle(in_string)``
for every request it routes there (see ``appserver``)."""

from __future__ import annotations


class PersistentServerConnectionApplication:
    def __init__(self) -> None:
        pass

    def handle(self, in_string):  # pragma: no cover - overridden by every handler
        raise NotImplementedError
