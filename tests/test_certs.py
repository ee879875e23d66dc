"""FMC-style certificate generation: files, modes, contents, legacy encryption, CLI."""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from estreamer.cli import certs as certs_cli
from estreamer.errors import ConfigurationError
from estreamer.stream.tls import load_pkcs12
from estreamer.testing import certs

RC2_40_OID = bytes.fromhex("060a2a864886f70d010c0106")   # pbeWithSHAAnd40BitRC2-CBC
TDES_OID = bytes.fromhex("060a2a864886f70d010c0103")     # pbeWithSHAAnd3-KeyTripleDES-CBC
PBES2_OID = bytes.fromhex("06092a864886f70d01050d")
#: legacy (RC2-40) files are written by the openssl command
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")


def test_make_fmc_certs_writes_the_four_files_with_private_modes(fmc_certs):
    assert [p.name for p in fmc_certs.files] == ["ca.pem", "server.pem", "server.key",
                                                 "client.pkcs12"]
    for path in (fmc_certs.server_key, fmc_certs.client_pkcs12):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    server = x509.load_pem_x509_certificate(fmc_certs.server_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(fmc_certs.ca_pem.read_bytes())
    server.verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]


def test_client_pkcs12_is_what_an_fmc_issues(fmc_certs):
    from tests.support.certs import PKCS12_PASSWORD

    data = fmc_certs.client_pkcs12.read_bytes()
    assert PBES2_OID in data and RC2_40_OID not in data
    identity = load_pkcs12(data, PKCS12_PASSWORD)
    assert identity.common_name == "127.0.0.1"
    identity.certificate.verify_directly_issued_by(fmc_certs.ca.certificate)
    assert [c.subject for c in identity.ca_certificates] == [fmc_certs.ca.certificate.subject]
    eku = identity.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    clear_key = identity.key.private_bytes(serialization.Encoding.DER,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
    assert clear_key[-64:] not in data


@needs_openssl
def test_legacy_pkcs12_uses_rc2_40_and_3des_and_loads(tmp_path):
    made = certs.make_fmc_certs(tmp_path, "fmc-client.example", "old-fmc", legacy=True)
    data = made.client_pkcs12.read_bytes()
    assert RC2_40_OID in data and TDES_OID in data and PBES2_OID not in data
    identity = load_pkcs12(data, "old-fmc")
    assert identity.common_name == "fmc-client.example"
    assert identity.key.public_key().public_numbers() == \
        identity.certificate.public_key().public_numbers()


@needs_openssl
def test_openssl_reads_the_legacy_file_as_rc2_40(tmp_path):
    made = certs.make_fmc_certs(tmp_path, "127.0.0.1", "old-fmc", legacy=True)
    # the password goes through the environment, never argv
    env = dict(os.environ, P12PW="old-fmc")
    result = subprocess.run(
        ["openssl", "pkcs12", "-info", "-noout", "-legacy", "-in", str(made.client_pkcs12),
         "-passin", "env:P12PW"], capture_output=True, text=True, env=env, timeout=30)
    if "legacy" in result.stderr.lower() and result.returncode != 0:
        pytest.skip("openssl without the legacy provider")
    assert result.returncode == 0, result.stderr
    report = result.stdout + result.stderr
    assert "pbeWithSHA1And40BitRC2-CBC" in report
    assert "pbeWithSHA1And3-KeyTripleDES-CBC" in report
    assert "MAC: sha1" in report


def test_legacy_without_openssl_names_the_cause(tmp_path, monkeypatch):
    monkeypatch.setattr(certs.shutil, "which", lambda name: None)
    with pytest.raises(ConfigurationError, match="needs the openssl command"):
        certs.make_fmc_certs(tmp_path, "127.0.0.1", "old-fmc", legacy=True)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="client CN is empty"):
        certs.make_fmc_certs(tmp_path, " ", "pw")
    with pytest.raises(ConfigurationError, match="password is empty"):
        certs.make_fmc_certs(tmp_path, "127.0.0.1", "")


def _cli(argv):
    parser = argparse.ArgumentParser(prog="estreamer")
    certs_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


@needs_openssl
def test_cli_writes_files_and_prints_them(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(certs_cli.PASSWORD_ENV, raising=False)
    out = tmp_path / "c"
    assert _cli(["certs", "--out", str(out), "--client-cn", "10.0.0.5",
                 "--password", "throwaway", "--legacy"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / n) for n in ("ca.pem", "server.pem", "server.key",
                                              "client.pkcs12")]
    assert RC2_40_OID in (out / "client.pkcs12").read_bytes()
    assert load_pkcs12((out / "client.pkcs12").read_bytes(), "throwaway").common_name \
        == "10.0.0.5"


def test_cli_takes_the_password_from_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(certs_cli.PASSWORD_ENV, "from-env")
    assert _cli(["certs", "--out", str(tmp_path), "--client-cn", "127.0.0.1"]) == 0
    assert load_pkcs12((tmp_path / "client.pkcs12").read_bytes(), "from-env")
    assert "from-env" not in capsys.readouterr().out


def test_cli_without_password_or_terminal_explains(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(certs_cli.PASSWORD_ENV, raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert _cli(["certs", "--out", str(tmp_path), "--client-cn", "127.0.0.1"]) == 2
    assert certs_cli.PASSWORD_ENV in capsys.readouterr().err
    assert not (tmp_path / "client.pkcs12").exists()


@pytest.mark.parametrize("days", [0, -1, 999_999_999])
def test_validity_out_of_range_is_refused_before_writing(tmp_path, days):
    with pytest.raises(ConfigurationError, match=f"from 1 to 36500 days, not {days}"):
        certs.make_fmc_certs(tmp_path / "certs", "127.0.0.1", "pw", days=days)
    assert not (tmp_path / "certs").exists()
