"""``estreamer demo``: the bundled FMC simulator and the client together, events on screen.

Makes FMC-style certificates, starts the simulator on loopback, writes an
eNcore-style configuration pointing at it and runs ``estreamer run`` on that
configuration until the requested number of events has arrived: what a user
sees against a real FMC, without one. Everything lives in ``--dir``, which is
cleared first: each demo streams the simulator's archive from the start.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from estreamer.records.formatters import FORMATTERS
from estreamer.testing.certs import make_fmc_certs
from estreamer.testing.samples import generate_mix
from estreamer.testing.simulator import Simulator

from . import run as run_command
from .arguments import integer, positive_number


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the client against the bundled FMC simulator")
    p.add_argument("--events", type=integer(1), default=2000,
                   help="events to stream (default 2000)")
    p.add_argument("--rate", type=positive_number, default=500.0,
                   help="simulator records per second (default 500)")
    p.add_argument("--format", default="splunk", choices=sorted(FORMATTERS))
    p.add_argument("--dir", type=Path, default=Path(".run/demo"),
                   help="working directory for certificates, state and logs")
    p.set_defaults(func=main)


def configuration(port: int, output_format: str) -> dict[str, Any]:
    return {
        "start": 2,
        "stateDirectory": "state",
        "subscription": {
            "records": {"extended": True, "archiveTimestamps": True, "metadata": True,
                        "packetData": True, "intrusion": True, "eventExtraData": True,
                        "impactEventAlerts": True},
            "servers": [{"host": "127.0.0.1", "port": port,
                         "pkcs12Filepath": "certs/client.pkcs12", "caFile": "certs/ca.pem"}],
        },
        "handler": {"outputters": [{"adapter": output_format, "stream": {"uri": "stdout"}}]},
        "monitor": {"period": 1},
        "logging": {"level": "INFO"},
    }


def main(args: argparse.Namespace) -> int:
    work: Path = args.dir
    if work.exists():
        shutil.rmtree(work)
    certs = work / "certs"
    # A throw-away password, handed to the client through its environment variable.
    password = secrets.token_urlsafe(16)
    make_fmc_certs(certs, "127.0.0.1", password)
    os.environ["ESTREAMER_PKCS12_PASSWORD"] = password
    # Archive times end about now, so the monitor's bookmark lag reads like a live FMC's.
    per_second = max(1, int(args.rate))
    start = int(time.time()) - args.events // per_second
    records = generate_mix(args.events, start_time=start, per_second=per_second)
    with Simulator(certs, records=records, rate=args.rate) as sim:
        config = work / "estreamer.conf"
        config.write_text(json.dumps(configuration(sim.address[1], args.format), indent=2))
        return run_command.main(argparse.Namespace(config=str(config),
                                                   max_events=args.events))
