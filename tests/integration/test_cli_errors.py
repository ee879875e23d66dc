"""Bad input to the `estreamer` command: one line naming the input and the fix, a non-zero
exit, never a traceback. Each case runs the installed command as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.certs import PKCS12_PASSWORD


def estreamer(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # WARNING: without `test`'s INFO lines on its diagnostic steps; warnings still count
    return subprocess.run([sys.executable, "-m", "estreamer.cli", "--log-level", "WARNING",
                           *args], capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)


def one_line_error(proc: subprocess.CompletedProcess, *expected: str) -> str:
    """The single line on stderr; asserts the exit code, no traceback and the content."""
    assert proc.returncode != 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    for part in expected:
        assert part in lines[0], lines[0]
    return lines[0]


def test_decode_a_missing_file_or_a_directory(tmp_path):
    missing = tmp_path / "nothing.bin"
    one_line_error(estreamer("decode", str(missing)),
                   f"estreamer decode: cannot read capture {missing}: No such file",
                   "estreamer sample writes one")
    one_line_error(estreamer("decode", str(tmp_path)),
                   f"{tmp_path} is a directory: give a capture file")


def test_sample_out_to_a_missing_directory_or_a_directory(tmp_path):
    target = tmp_path / "no" / "sample.bin"
    one_line_error(estreamer("sample", "--out", str(target)),
                   f"cannot write --out {target}: No such file or directory",
                   "in an existing directory")
    one_line_error(estreamer("sample", "--out", str(tmp_path)),
                   f"cannot write --out {tmp_path}: Is a directory")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "expected"), [
    (("sample", "--records", "-5"), "argument --records: must be at least 0, not -5"),
    (("sample", "--bundle-size", "0"), "argument --bundle-size: must be at least 1, not 0"),
    (("demo", "--events", "-1"), "estreamer demo: argument --events: must be at least 1"),
    (("demo", "--rate", "nan"), "argument --rate: must be a number above 0, not nan"),
    (("simulate", "--certs", ".", "--records", "x"), "--records: 'x' is not a whole number"),
])
def test_out_of_range_numbers_name_their_option(args, expected):
    line = one_line_error(estreamer(*args), expected, "--help")
    if args[0] == "demo":
        assert "--max-events" not in line


def test_certs_validity_and_password(tmp_path):
    out = tmp_path / "certs"
    env = dict(os.environ, ESTREAMER_PKCS12_PASSWORD="from-the-environment")
    for days in ("999999999", "-1", "0"):
        one_line_error(estreamer("certs", "--out", str(out), "--client-cn", "127.0.0.1",
                                 "--password", "pw", "--days", days),
                       f"argument --days: must be from 1 to 36500, not {int(days)}")
    # an empty --password is refused, not replaced by the environment's
    one_line_error(estreamer("certs", "--out", str(out), "--client-cn", "127.0.0.1",
                             "--password", "", env=env),
                   "--password is empty")
    assert not out.exists()


def _write_config(path, text: str | bytes) -> str:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


@pytest.mark.parametrize("command", ["run", "test"])
def test_unusable_configuration_files(tmp_path, command):
    env = dict(os.environ, ESTREAMER_PKCS12_PASSWORD=PKCS12_PASSWORD)
    deep = _write_config(tmp_path / "deep.conf", "[" * 100_000 + "]" * 100_000)
    one_line_error(estreamer(command, "--config", deep, env=env),
                   f"estreamer {command}: configuration file {deep} is nested too deeply")
    latin1 = _write_config(tmp_path / "latin1.conf", '{"start": "\xe9"}'.encode("latin-1"))
    one_line_error(estreamer(command, "--config", latin1, env=env),
                   f"configuration file {latin1} is not UTF-8 text", "save it as UTF-8")
    one_line_error(estreamer(command, "--config", str(tmp_path), env=env),
                   f"configuration file {tmp_path} is a directory")
    broken = _write_config(tmp_path / "broken.conf", json.dumps({"start": 2})[:-1])
    one_line_error(estreamer(command, "--config", broken, env=env), "is not valid JSON")
