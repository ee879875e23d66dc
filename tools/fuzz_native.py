"""Fuzz the native core under AddressSanitizer, for a bounded time (`make fuzz-native`).

Builds ``_core.c`` with ``-fsanitize=address,undefined`` into build/asan/, runs
itself again with libasan preloaded into CPython and that build loaded in
place of the installed core, and feeds every record layout the core decodes,
mutated: bytes flipped, length words set to hostile values, bodies cut short,
random bodies. Any memory error aborts the run (ASan), and every result is
compared with the Python fast path's (a difference is a failure too); records
decoded natively are also decorated and rendered as Splunk lines (the native
decorator, pairs and renderer), and as the add-on's XML event text (checked against
the line escaped in Python).

    python tools/fuzz_native.py [--seconds 60] [--seed N]

Without gcc it prints one line and exits 0: the core is optional.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import sysconfig
import time
from importlib.machinery import ExtensionFileLoader
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src/estreamer/records/_native/_core.c"
BUILD = ROOT / "build/asan"
HOSTILE_WORDS = (0, 1, 7, 8, 9, 16, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF8, 0xFFFFFFFF)


def build() -> Path | None:
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    BUILD.mkdir(parents=True, exist_ok=True)
    target = BUILD / "_core.abi3.so"
    subprocess.run([gcc, "-shared", "-fPIC", "-g", "-O1", "-fno-omit-frame-pointer",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-DPy_LIMITED_API=0x03090000", "-I", sysconfig.get_paths()["include"],
                    str(SOURCE), "-o", str(target)], check=True)
    return target


def seeds() -> list[tuple[int, bytes]]:
    """A valid payload of every layout the core decodes, both header forms, plus samples."""
    from estreamer.records import _native, decoder
    from estreamer.records.catalogue import BLOCKS, RECORDS
    from estreamer.records.encoder import encode_record
    from estreamer.testing.samples import generate_mix

    out = []
    decoder.compile_all()
    for rt in sorted(_native.PYTHON_FAST):
        types = [t for t, k in RECORDS[rt].by_block_type.items() if not BLOCKS[k].by_length]
        for bt in types or [None]:
            for fields in ({}, {"hasIpv6": 1, "ipv6Address": "2001:db8::1"}):
                out.append((rt, encode_record(rt, fields, block_type=bt)))
    for payload in generate_mix(400, seed=7):
        rt = struct.unpack_from(">I", payload)[0]
        if rt in _native.PYTHON_FAST:
            out.append((rt, payload))
    return out


def mutate(rng: random.Random, payload: bytes) -> bytes:
    body = bytearray(payload[8:])
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        if not body or choice < 0.15:
            body = bytearray(rng.randbytes(rng.randint(0, 300)))
        elif choice < 0.5:
            body[rng.randrange(len(body))] = rng.choice((0, 1, 0xFF, rng.randrange(256)))
        elif choice < 0.8 and len(body) >= 4:
            at = rng.randrange(len(body) - 3)
            body[at:at + 4] = struct.pack(">I", rng.choice(HOSTILE_WORDS))
        else:
            del body[rng.randint(0, len(body)):]
    return struct.pack(">II", struct.unpack_from(">I", payload)[0], len(body)) + bytes(body)


def fuzz(seconds: float, seed: int) -> int:
    from estreamer.records import _native, decoder
    from estreamer.records.catalogue import RECORDS
    from estreamer.records.decoder import decode_record
    from estreamer.records.formatters.splunk import XML_FORMS, format_splunk
    from estreamer.records.formatters.splunk_sparse import format_splunk_sparse
    from estreamer.records.metadata import MetadataCache
    from estreamer.testing.samples import generate_mix

    assert _native.ACTIVE and _native.CORE.__file__.startswith(str(BUILD)), _native.STATUS
    xml_form = XML_FORMS[format_splunk]
    # names for the ids of the samples: the native decorator and pairs run on every hit
    cache = MetadataCache()
    for sample in generate_mix(400, seed=7):
        cache.update(decode_record(sample))
    rng = random.Random(seed)
    corpus = seeds()
    runs = native_hits = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in range(500):
            rt, payload = rng.choice(corpus)
            payload = mutate(rng, payload)
            results = []
            for fn in (decoder._RECORD_FAST[rt], _native.PYTHON_FAST[rt]):
                state = decoder._State(RECORDS[rt])
                try:
                    got = fn(payload, 8, len(payload), state)
                    results.append((None if got is None else got[1], state.block_type))
                except Exception as err:
                    results.append((type(err), str(err)))
            if results[0] != results[1]:
                print(f"fuzz-native: native and Python differ on record {rt}: {payload.hex()}")
                return 1
            runs += 1
            if results[0][0] is not None and not isinstance(results[0][0], type):
                native_hits += 1
                record = cache.decorate(decode_record(payload))
                line = format_splunk(record)  # the native decorator, pairs and renderer too
                format_splunk_sparse(record)
                # the add-on's event text: the line escaped as XML text, in US-ASCII
                xml = xml_form(record, b"<d>", b"</d>")
                if xml is not None and xml != b"<d>" + escape(line).encode(
                        "ascii", "xmlcharrefreplace") + b"</d>":
                    print(f"fuzz-native: the XML form differs on record {rt}: {payload.hex()}")
                    return 1
    print(f"fuzz-native: {runs:,} mutated records in {seconds:.0f} s under ASan+UBSan, "
          f"{native_hits:,} decoded natively, no memory error, same results as Python")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        # the ASan build takes the installed core's place before estreamer loads it
        name = "estreamer.records._native._core"
        spec = spec_from_file_location(name, args.child,
                                       loader=ExtensionFileLoader(name, args.child))
        assert spec is not None and spec.loader is not None
        module = module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
        return fuzz(args.seconds, args.seed)
    target = build()
    if target is None:
        print("fuzz-native: no gcc here, nothing to fuzz (the native core is optional)")
        return 0
    libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                             text=True, check=True).stdout.strip()
    libubsan = subprocess.run(["gcc", "-print-file-name=libubsan.so"], capture_output=True,
                              text=True, check=True).stdout.strip()
    env = dict(os.environ, LD_PRELOAD=f"{libasan} {libubsan}",
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
               # every object its own malloc block, so that ASan sees an overrun
               # (pymalloc arenas would hide one)
               PYTHONMALLOC="malloc", ESTREAMER_PURE_PYTHON="0")
    print(f"fuzz-native: seed {args.seed}")
    return subprocess.run([sys.executable, __file__, "--child", str(target),
                           "--seconds", str(args.seconds), "--seed", str(args.seed)],
                          env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
