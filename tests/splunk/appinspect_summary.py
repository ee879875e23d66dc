"""Print an AppInspect JSON report's summary and its failures; exit 1 on any failure.

Used by ``make inspect``: splunk-appinspect exits 0 even when checks fail, so the
make target needs this to fail the build on a failure or an error.
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        report = json.load(handle)
    summary = report["summary"]
    print("AppInspect summary: " + ", ".join(f"{k}={v}" for k, v in sorted(summary.items())))
    bad = 0
    for app in report.get("reports", []):
        for group in app.get("groups", []):
            for check in group.get("checks", []):
                if check.get("result") in ("failure", "error"):
                    bad += 1
                    print(f"{check['result'].upper()}: {check['name']}")
                    for message in check.get("messages", []):
                        print(f"    {message.get('message', '')[:400]}")
    return 1 if bad or summary.get("failure", 0) or summary.get("error", 0) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
