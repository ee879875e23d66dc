"""``estreamer explain --record-type N [--block B]``: the code generated for one layout.

Prints the generated fast decoder of the record type (and, with ``--block``, the
walker of that body block), its decoration plan and the Splunk line plan of a sample
record of that type when ``estreamer sample`` can make one. The same functions show
these lines in tracebacks as ``<estreamer-generated LABEL>``.
"""

from __future__ import annotations

import argparse
import struct

from estreamer.errors import ConfigurationError
from estreamer.records import codegen
from estreamer.records.catalogue import BLOCKS, RECORDS
from estreamer.records.decoder import compile_all, decode_record
from estreamer.records.formatters.splunk import format_splunk
from estreamer.records.metadata import MetadataCache, decoration_source
from estreamer.testing.samples import FMC7_BLOCKS, generate_mix

from .arguments import integer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="print the code generated for one record layout",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--record-type", type=integer(0), required=True)
    p.add_argument("--block", type=integer(0), default=None,
                   help="a body block type of the record (e.g. 173 for record 71)")
    p.set_defaults(func=run)


def _section(title: str, text: str | None, otherwise: str) -> None:
    print(f"# {title}")
    print(text.rstrip() if text else f"# ({otherwise})")
    print()


def run(args: argparse.Namespace) -> int:
    layout = RECORDS.get(args.record_type)
    if layout is None:
        raise ConfigurationError(f"record type {args.record_type} is not in the catalogue "
                                 "(spec/records.yaml)")
    if not codegen.enabled():
        raise ConfigurationError("ESTREAMER_NO_CODEGEN=1 is set: nothing is generated; "
                                 "unset it to see the generated code")
    compile_all()  # the generated code is made on first use; show all of it
    print(f"# record {layout.record_type}: {layout.name}")
    _section("fast decoder", codegen.source(f"record_{layout.record_type}"),
             "none: the generic walker reads this layout")
    if args.block is not None:
        key = layout.by_block_type.get(args.block) or next(
            (k for k, b in BLOCKS.items() if b.block_type == args.block and "@" not in k), None)
        if key is None:
            raise ConfigurationError(f"no block type {args.block} in the catalogue")
        label = "block_" + key.replace(".", "_").replace("@", "_at_")
        _section(f"block {key} walker", codegen.source(label),
                 "none: the generic walker reads this block")
    _section("decoration plan", decoration_source(layout.record_type), "none")
    sample = _sample(layout.record_type, args.block)
    plan: str | None = None
    if sample is not None:
        record = decode_record(sample)
        format_splunk(MetadataCache().decorate(record))
        form = "" if record.names is None else f"_flat{record.names.serial}"
        # the default format's plan (format_splunk); the other Splunk formats have their own
        plan = codegen.source(f"splunk_default_{record.record_type}_{record.block_type}{form}")
    _section("Splunk line plan", plan,
             "no sample record of this type: the plan is made from the first record")
    return 0


def _sample(record_type: int, block: int | None) -> bytes | None:
    """A generated record of this type (and body block), if the samples make one."""
    blocks = FMC7_BLOCKS if block is None else {**FMC7_BLOCKS, record_type: block}
    for payload in generate_mix(200, seed=0, blocks=blocks):
        if struct.unpack_from(">I", payload)[0] == record_type:
            return payload
    return None
