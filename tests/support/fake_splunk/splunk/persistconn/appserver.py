"""Drives a ``scripttype = persist`` handler as splunkd does: one process, one handler
object, many requests (tests only).

``python -m splunk.persistconn.appserver <script.py> <Class>`` (run in the app's
``bin/``) imports the script, builds ``Class(command_line, command_arg)`` once, then
reads one JSON request per line on stdin, passes it to ``handle()`` as the JSON text
splunkd sends and writes each reply as one JSON line ``{"pid": ..., "reply": ...}``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys


def main(script: str, class_name: str) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # splunkd runs it from bin/
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(script))[0],
                                                  script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = getattr(module, class_name)("", "")
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = handler.handle(line.strip())
        if isinstance(reply, (bytes, str)):
            reply = json.loads(reply)
        sys.stdout.write(json.dumps({"pid": os.getpid(), "reply": reply}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
