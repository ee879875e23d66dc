"""The add-on's input path: simulator -> TLS -> modular input -> XML on a pipe (issue 11).

Run on demand (needs the built add-on, ``make splunk-build``), prints figures, asserts
nothing:

    python bench/bench_addon.py [--records N] [--python PATH] [--app DIR] [--pure]
                                [--profile FILE]

The built modular input (``bin/estreamer.py`` of ``--app``, default output/TA_estreamer)
runs as splunkd runs it, on a Splunk Python (3.13 by default): input XML on stdin, a
splunkd stand-in for accounts and the KV store (tests/splunk), the FMC simulator in a
child process serving ``--records`` of the realistic mix over mutual TLS. Its stdout
is a pipe read as fast as it comes, as splunkd reads it; the events are counted, not
kept. Prints data events/s from the first data event to the last (the steady rate)
and from the process start, the input's CPU time per event (steady and with its start-up),
its minor page faults per event (steady), and which core decoded (the input's own log
line: native, or pure Python). Target: at least 40,000 records/s
into the pipe.

``--pure`` sets ESTREAMER_PURE_PYTHON=1 for the input only; ``--profile FILE`` runs it
under cProfile (read it with ``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import configparser
import glob
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the splunkd stand-in and the harness live in tests/splunk

from tests.support import splunk_harness as harness  # noqa: E402
from tests.support.certs import PKCS12_PASSWORD  # noqa: E402
from tests.support.splunkd_standin import StandIn, add_account  # noqa: E402

from estreamer.testing.certs import make_fmc_certs  # noqa: E402

TARGET = 40_000
DATA = b"<sourcetype>cisco:estreamer:data</sourcetype>"
#: what the input indexes with the parameters below (connections, intrusion, files)
INDEXED = (71, 400, 500, 502)
PARAMS = {
    "account": "fmc1", "index": "estreamer", "start": "genesis",
    "request_families": "connections|intrusion|files_malware|metadata",
    "index_families": "connections|intrusion|files_malware",
    "fmc_version": "7", "device_filter_mode": "none", "decorate": "1",
    "event_format": "splunk", "status_interval": "60",
}

SIMULATOR = """
import sys
from estreamer.records.decoder import record_header
from estreamer.testing.samples import realistic_mix
from estreamer.testing.simulator import Simulator
payloads = list(realistic_mix(int(sys.argv[2])))
types = {int(t) for t in sys.argv[3].split(",")}
indexed = sum(record_header(p)[0] in types for p in payloads)
sim = Simulator(sys.argv[1], records=payloads, bundle_size=1024, keepalive_interval=5.0)
sim.start()
print(sim.port, indexed, flush=True)
sys.stdin.read()
sim.stop()
"""


def usage(pid: int) -> tuple[float, int] | None:
    """User + system CPU seconds and minor page faults of a running process so far
    (Linux /proc; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[7])


class Counter:
    """Reads a pipe to its end, counting data events and noting when they arrive, and the
    writer's CPU time and page faults then (the steady state, without its start-up)."""

    def __init__(self, fd: int, want: int, pid: int) -> None:
        self.fd, self.want, self.pid = fd, want, pid
        self.usage_first: tuple[float, int] | None = None
        self.usage_last: tuple[float, int] | None = None
        self.count = 0
        self.bytes = 0
        self.head = b""  # the first bytes, shown when no event arrives
        self.first: float | None = None
        self.last: float | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        tail = b""
        while chunk := os.read(self.fd, 1 << 16):
            if not self.bytes:
                self.head = chunk[:4096]
            self.bytes += len(chunk)
            text = tail + chunk
            found = text.count(DATA)
            if found:
                now = time.perf_counter()
                if self.first is None:
                    self.first = now
                    self.usage_first = usage(self.pid)
                self.count += found
                if self.count >= self.want and not self.done.is_set():
                    self.last = now
                    self.usage_last = usage(self.pid)
                    self.done.set()
            # a marker split across two reads is found in the next one
            tail = text[-(len(DATA) - 1):]
        self.done.set()


def splunk_python(version: str) -> str:
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = sorted(glob.glob(f"{root}/versions/{version}*/bin/python{version}"))
    return found[-1] if found else f"python{version}"


#: the input's log line naming the decoder (estreamer.records._native.STATUS)
CORE_LINE = re.compile(rb"(native core [^\n]*?|pure-Python decoder[^\n]*?)\s*$", re.M)


def core_in_use(stderr: bytes) -> str:
    """What the input's log says about the native core, or that it said nothing."""
    found = CORE_LINE.search(stderr)
    return found.group(1).decode("utf-8", "replace") if found else \
        "not logged by the input (an add-on built before it said)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--python", default=splunk_python("3.13"))
    parser.add_argument("--app", type=Path, default=ROOT / "output" / "TA_estreamer")
    parser.add_argument("--pure", action="store_true",
                        help="the input without the native core (ESTREAMER_PURE_PYTHON=1)")
    parser.add_argument("--profile", type=Path, help="cProfile the input into this file")
    args = parser.parse_args()
    args.app = args.app.resolve()  # the input runs in its bin/
    if not (args.app / "bin" / "estreamer.py").is_file():
        print(f"bench_addon: no built add-on in {args.app}: run `make splunk-build` first",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="estreamer-bench-") as work, \
            StandIn(harness.APP) as splunkd:
        settings = configparser.ConfigParser(interpolation=None)
        settings.read(args.app / "default" / "ta_estreamer_settings.conf")
        splunkd.state.add_conf("ta_estreamer_settings",
                               {s: dict(settings[s]) for s in settings.sections()})
        certs = make_fmc_certs(os.path.join(work, "certs"), "127.0.0.1", PKCS12_PASSWORD)
        sim = subprocess.Popen([sys.executable, "-c", SIMULATOR, str(certs.directory),
                                str(args.records), ",".join(map(str, INDEXED))],
                               stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
        try:
            assert sim.stdout is not None
            port, want = (int(x) for x in sim.stdout.readline().split())
            add_account(splunkd, "fmc1", "127.0.0.1", port, certs.client_pkcs12.read_bytes())
            env = harness.environment(Path(work) / "splunk_home", splunkd.uri,
                                      splunkd.session_key)
            if args.pure:
                env["ESTREAMER_PURE_PYTHON"] = "1"
            command = [args.python]
            if args.profile:
                command += ["-m", "cProfile", "-o", str(args.profile.resolve())]
            command.append(str(args.app / "bin" / "estreamer.py"))
            stdin = harness.input_xml("fmc1", PARAMS, splunkd.uri, splunkd.session_key)
            with open(os.path.join(work, "stderr.log"), "wb") as err:
                cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=err, env=env, cwd=str(args.app / "bin"))
                assert proc.stdin is not None and proc.stdout is not None
                counter = Counter(proc.stdout.fileno(), want, proc.pid)
                proc.stdin.write(stdin.encode("utf-8"))
                proc.stdin.close()
                arrived = counter.done.wait(600)
                proc.terminate()
                proc.wait(60)
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                counter.thread.join(10)
        finally:
            if sim.stdin:
                sim.stdin.close()
            sim.wait(30)
        with open(os.path.join(work, "stderr.log"), "rb") as err:
            stderr = err.read()
        if not arrived or counter.last is None or counter.first is None:
            tail = stderr[-3000:].decode("utf-8", "replace")
            print(f"bench_addon: only {counter.count} of {want} events arrived "
                  f"({counter.bytes} bytes, beginning {counter.head[:600]!r}); the input's "
                  f"stderr ends:\n{tail}",
                  file=sys.stderr)
            return 1
        steady = (want - 1) / (counter.last - counter.first)
        whole = want / (counter.last - started)
        # the input's CPU (the simulator is reaped later, so it is not counted)
        cpu_used = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
        version = subprocess.run([args.python, "-V"], capture_output=True, text=True).stdout
        print(f"add-on input ({version.strip()}, {args.app.name}): {want:,} data events of "
              f"{args.records:,} realistic records, {counter.bytes / want:,.0f} bytes of XML "
              "per event")
        print(f"  steady {steady:10,.0f} events/s ({steady / TARGET:.2f} of the {TARGET:,} "
              f"target); from process start {whole:,.0f} events/s")
        first, last = counter.usage_first, counter.usage_last
        steady_cpu = "" if first is None or last is None else \
            f"{(last[0] - first[0]) / (want - 1) * 1e6:.1f} us/event steady, "
        print(f"  CPU of the input process: {steady_cpu}"
              f"{cpu_used / want * 1e6:.1f} us/event with its start-up")
        if first is not None and last is not None:
            # a fault is a page the kernel zeroes: buffers too big for malloc to reuse
            print(f"  minor page faults of the input, steady: "
                  f"{(last[1] - first[1]) / (want - 1):.2f} per event")
        print(f"  core: {core_in_use(stderr)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
