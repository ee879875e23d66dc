"""Generated code (records/codegen.py): readable in tracebacks, kept for ``estreamer
explain``, and byte-for-byte what the reference paths produce with it switched off."""

from __future__ import annotations

import traceback

import pytest

from estreamer.records import codegen
from estreamer.records.decoder import decode_record
from estreamer.records.formatters.cef import format_cef
from estreamer.records.formatters.json import format_json
from estreamer.records.formatters.splunk import format_splunk
from estreamer.records.metadata import MetadataCache
from estreamer.testing.samples import FMC6_BLOCKS, FMC7_BLOCKS, generate_mix

FORMATS = (format_splunk, format_json, format_cef)


def _lines(payloads: list[bytes]) -> list[str]:
    """Every record decoded, decorated with the metadata before it, in three formats."""
    cache = MetadataCache()
    out = []
    for payload in payloads:
        record = cache.decorate(decode_record(payload))
        cache.update(record)
        out.extend(fmt(record) for fmt in FORMATS)
    return out


@pytest.mark.parametrize("blocks", [FMC7_BLOCKS, FMC6_BLOCKS], ids=["fmc7", "fmc6"])
@pytest.mark.parametrize("ipv6_header", [True, False])
def test_generated_and_reference_paths_write_the_same_bytes(blocks: dict[int, int],
                                                            ipv6_header: bool) -> None:
    payloads = list(generate_mix(400, seed=5, blocks=blocks, ipv6_header=ipv6_header))
    generated = _lines(payloads)
    with codegen.disabled():
        reference = _lines(payloads)
    assert generated == reference
    assert len(generated) == 3 * len(payloads)


@pytest.mark.skipif(not codegen.enabled(), reason="ESTREAMER_NO_CODEGEN=1 is set")
def test_the_switch_turns_the_fast_decoder_off() -> None:
    """A connection record comes out of the fast decoder flat (a values tuple), out of
    the reference walker as a fields dict."""
    payload = next(p for p in generate_mix(50, seed=1) if p[:4] == b"\x00\x00\x00\x47")
    assert decode_record(payload).values is not None
    with codegen.disabled():
        assert decode_record(payload).values is None
    assert decode_record(payload).values is not None


def test_a_traceback_shows_the_generated_line() -> None:
    divide = codegen.build("def divide(x):\n    return 10 // x\n", "test_divide", {}, "divide")
    with pytest.raises(ZeroDivisionError) as info:
        divide(0)
    frame = traceback.extract_tb(info.tb)[-1]
    assert frame.filename == "<estreamer-generated test_divide>"
    assert frame.line == "return 10 // x"
    assert codegen.source("test_divide") == "def divide(x):\n    return 10 // x\n"


@pytest.mark.skipif(not codegen.enabled(), reason="ESTREAMER_NO_CODEGEN=1 is set")
def test_the_generated_decoder_of_a_record_type_is_kept() -> None:
    text = codegen.source("record_71")
    assert text is not None and text.startswith("def record_71(buf, p, end, state):")


@pytest.mark.skipif(not codegen.enabled(), reason="ESTREAMER_NO_CODEGEN=1 is set")
def test_explain_prints_the_generated_code_of_one_layout(
        capsys: pytest.CaptureFixture[str]) -> None:
    from estreamer.cli import main

    assert main(["explain", "--record-type", "71", "--block", "173"]) == 0
    out = capsys.readouterr().out
    assert "def record_71(buf, p, end, state):" in out   # the fast decoder
    assert "def block_s1_173(" in out                     # the body block's walker
    assert "def decorate(F, C):" in out                   # the decoration plan
    assert "def render(" in out and "TEMPLATE %" in out   # the Splunk line plan
    assert main(["explain", "--record-type", "9999"]) == 2
    assert "not in the catalogue" in capsys.readouterr().err
