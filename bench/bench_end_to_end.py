"""End-to-end throughput and memory: simulator -> TLS -> client -> Splunk key=value file.

Run on demand: ``.venv/bin/python bench/bench_end_to_end.py [--total N] [--archive N]``.

The simulated FMC runs in a child process (so its archive is not counted in our RSS
and it has its own core), serving an archive of ``--archive`` records of the realistic
mix (:func:`estreamer.samples.realistic_mix`) over
mutual TLS on 127.0.0.1. This process runs one StreamClient from genesis over that
archive again and again (a new session each pass; output files of finished passes are
deleted to spare the disk) until ``--total`` records were written as Splunk key=value
lines to rotating files, with bookmarks and metadata saved every second as in
production. Prints records/s and peak RSS after the first 100,000 records and at
the end (issue 11 targets: >= 44,000 records/s, 10x eNcore; RSS flat within 10 MB).
"""

from __future__ import annotations

import argparse
import glob
import os
import resource
import subprocess
import sys
import tempfile
import time

from estreamer.gc_tuning import tune_for_streaming
from estreamer.records.formatters import get_formatter
from estreamer.stream import tls
from estreamer.stream.bookmark import FileBookmarkStore
from estreamer.stream.client import Endpoint, FileMetadataStore, StreamClient
from estreamer.stream.outputs import OutputSink, Outputter, RotatingFileStream
from estreamer.testing.certs import make_fmc_certs

PASSWORD = "bench-only-password"

SIMULATOR = """
import sys
from estreamer.testing.samples import realistic_mix
from estreamer.testing.simulator import Simulator
sim = Simulator(sys.argv[1], records=list(realistic_mix(int(sys.argv[2]))), bundle_size=1024,
                keepalive_interval=5.0)
sim.start()
print(sim.port, len(sim.archive), flush=True)
sys.stdin.read()
sim.stop()
"""


def peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def one_pass(endpoint: Endpoint, work: str, sink: OutputSink, limit: int, tag: int) -> int:
    state = os.path.join(work, f"state{tag}")
    client = StreamClient([endpoint], key=f"bench-{tag}", sink=sink,
                          bookmarks=FileBookmarkStore(state),
                          metadata=FileMetadataStore(state), start=0, max_events=limit,
                          read_timeout=0.5, checkpoint_interval=1.0)
    status = client.run()
    if status.decode_errors:
        print(f"  pass {tag}: {status.decode_errors} decode errors", file=sys.stderr)
    return status.handled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=2_000_000)
    parser.add_argument("--archive", type=int, default=200_000)
    parser.add_argument("--first", type=int, default=100_000,
                        help="records before the first RSS reading")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="estreamer-bench-") as work:
        certs = make_fmc_certs(os.path.join(work, "certs"), "127.0.0.1", PASSWORD)
        sim = subprocess.Popen([sys.executable, "-c", SIMULATOR, str(certs.directory),
                                str(args.archive)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
        try:
            assert sim.stdout is not None
            port_text, served = sim.stdout.readline().split()
            identity = tls.load_pkcs12(certs.client_pkcs12.read_bytes(), PASSWORD)
            endpoint = Endpoint("127.0.0.1", int(port_text),
                                tls.client_context(identity, cafile=str(certs.ca_pem)))
            out_dir = os.path.join(work, "out")
            stream = RotatingFileStream(os.path.join(out_dir, "estreamer.{0}.log"),
                                        max_logs=250_000)
            sink = OutputSink([Outputter(get_formatter("splunk"), stream)])
            print(f"archive: {served} records; target {args.total:,} records")

            tune_for_streaming()  # as `estreamer run` does before its first record
            done = 0
            started = time.perf_counter()
            done += one_pass(endpoint, work, sink, args.first, 0)
            first_elapsed = time.perf_counter() - started
            rss_first = peak_rss_mb()
            print(f"first {done:,} records: {done / first_elapsed:,.0f} records/s; "
                  f"peak RSS {rss_first:.1f} MB")
            tag = 1
            while done < args.total:
                done += one_pass(endpoint, work, sink, min(int(served), args.total - done),
                                 tag)
                tag += 1
                # spare the disk: drop files that are complete (not the one being written)
                for path in glob.glob(os.path.join(out_dir, "*.log")):
                    if path != stream.path:
                        os.unlink(path)
            elapsed = time.perf_counter() - started
            sink.close()
            rss_end = peak_rss_mb()
            print(f"all {done:,} records in {elapsed:.1f}s: {done / elapsed:,.0f} records/s, "
                  f"{elapsed / done * 1e6:.1f} us/record end to end ({tag} sessions)")
            print(f"peak RSS after {args.first:,}: {rss_first:.1f} MB; at the end: "
                  f"{rss_end:.1f} MB; growth {rss_end - rss_first:+.1f} MB")
        finally:
            if sim.stdin:
                sim.stdin.close()
            sim.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
