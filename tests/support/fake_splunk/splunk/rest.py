"""Fake of ``splunk.rest``: ``simpleRequest`` forwarded to ``SPLUNKD_URI`` (the stand-in)."""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request


def simpleRequest(path, sessionKey=None, getargs=None, postargs=None, method="GET",
                  raiseAllErrors=False, timeout=30, **_kwargs):
    base = os.environ["SPLUNKD_URI"].rstrip("/")
    url = path if path.startswith("http") else base + path
    if getargs:
        url += "?" + urllib.parse.urlencode(getargs)
    data = urllib.parse.urlencode(postargs).encode() if postargs else None
    request = urllib.request.Request(url, data=data, method=method if data is None else "POST")
    request.add_header("Authorization", f"Splunk {sessionKey or ''}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _Response(response.status), response.read()
    except urllib.error.HTTPError as err:
        if raiseAllErrors:
            raise
        return _Response(err.code), err.read()


class _Response(dict):
    def __init__(self, status):
        super().__init__(status=str(status))
        self.status = status
