"""The layout table the decoder uses is the one records.yaml describes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from estreamer.records.catalogue import BLOCKS, RECORDS

from .vectors.spec_writer import find_records_yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = find_records_yaml()


def test_committed_catalogue_matches_records_yaml() -> None:
    """tools/gen_catalogue.py run on spec/records.yaml writes the committed file."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_catalogue.py"),
                             str(SPEC), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_catalogue_covers_every_record_of_records_yaml() -> None:
    # records.yaml declares 143 wire record types and 86 wire block layouts, one
    # of which (s2.41) has a second, eNcore 5.2.11 layout chosen by blockLength.
    assert len(RECORDS) == 143
    assert len(BLOCKS) == 87
    assert BLOCKS["s2.41"].by_length == {223: "s2.41@223"}
    for record_type in (18, 46, 47, 48, 53, 106, 170, 171):  # eNcore cannot decode these
        assert record_type in RECORDS


def test_every_referenced_layout_exists() -> None:
    for layout in RECORDS.values():
        for step in layout.steps:
            if step.of and step.of != "auto":
                assert step.of in BLOCKS
        for key in layout.by_block_type.values():
            assert key in BLOCKS
    for block in BLOCKS.values():
        for step in block.steps:
            if step.of:
                assert step.of in BLOCKS
