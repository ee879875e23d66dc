"""Certificates as an FMC issues them: a CA, the FMC's server certificate, client PKCS12.

For the bundled simulator, tests and trying the client without an FMC. Interface:

``make_fmc_certs(out_dir, client_cn, password, *, legacy=False,
server_names=("127.0.0.1", "localhost"), days=365) -> FmcCertificates``
    writes ``ca.pem`` (the simulated FMC's CA), ``server.pem`` and ``server.key``
    (the simulated FMC's certificate and key; the key file is mode 0600) and
    ``client.pkcs12`` (client key + certificate + CA, encrypted with ``password``,
    mode 0600). The client certificate's CN is ``client_cn``: the FMC compares it
    with the address it sees the client connect from. ``legacy=True`` encrypts the
    way older FMCs (OpenSSL 1.x) did: certificates with RC2-40, the key with 3DES,
    SHA-1 MAC (written by the ``openssl`` command, which must be on PATH); else AES-256
    (PBES2) with an SHA-256 MAC.

``CertificateAuthority``
    ``create()`` a CA in memory, ``issue()`` certificates with chosen validity;
    ``FmcCertificates.ca`` is the CA that signed the files, so tests can issue an
    expired client certificate; a second ``create()`` gives a foreign CA.

``client_pkcs12_bytes(ca, client_cn, password, *, legacy=False, not_before=None,
not_after=None, days=365) -> bytes`` and ``write_client_pkcs12(path, ...)``
    another client PKCS12 from ``ca``.

The CA's key is never written: an FMC keeps its CA key to itself, and the files are
enough to run the simulator and the client.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from estreamer.errors import ConfigurationError

#: Iterations of the PKCS12 key derivation: OpenSSL's default, what FMC files carry.
PKCS12_ITERATIONS = 2048

#: Longest validity a certificate is issued for (X.509 dates end in the year 9999).
MAX_DAYS = 36500


def _check_days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise ConfigurationError(f"certificate validity must be from 1 to {MAX_DAYS} days, "
                                 f"not {days}")


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _new_key() -> rsa.RSAPrivateKey:
    # FMCs issue RSA 2048 keys
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _san_entry(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


@dataclass(frozen=True, repr=False)
class CertificateAuthority:
    """A CA held in memory: signs the server and client certificates."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def __repr__(self) -> str:
        return f"CertificateAuthority({self.certificate.subject.rfc4514_string()!r})"

    @classmethod
    def create(cls, name: str = "Simulated FMC Internal CA", *, days: int = 3650
               ) -> CertificateAuthority:
        key = _new_key()
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "estreamer simulator"),
                             x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _now()
        cert = (x509.CertificateBuilder()
                .subject_name(subject).issuer_name(subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - _dt.timedelta(hours=1))
                .not_valid_after(now + _dt.timedelta(days=days))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(
                    digital_signature=False, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        return cls(key, cert)

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(self, common_name: str, *, server: bool = False, names: Sequence[str] = (),
              days: int = 365, not_before: _dt.datetime | None = None,
              not_after: _dt.datetime | None = None
              ) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        """A new key and a certificate for it: server (``names`` in the SAN) or client."""
        if not_after is None:
            _check_days(days)
        key = _new_key()
        now = _now()
        start = not_before if not_before is not None else now - _dt.timedelta(hours=1)
        end = not_after if not_after is not None else now + _dt.timedelta(days=days)
        if end <= start:
            raise ConfigurationError("certificate validity: not_after must be after not_before")
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                               common_name)]))
                   .issuer_name(self.certificate.subject)
                   .public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                  critical=True)
                   .add_extension(x509.ExtendedKeyUsage(
                       [ExtendedKeyUsageOID.SERVER_AUTH if server
                        else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.key.public_key()), critical=False))
        if names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_san_entry(n) for n in names]), critical=False)
        return key, builder.sign(self.key, hashes.SHA256())


@dataclass(frozen=True)
class FmcCertificates:
    """The files :func:`make_fmc_certs` wrote, and the CA that signed them."""

    directory: Path
    ca_pem: Path
    server_cert: Path
    server_key: Path
    client_pkcs12: Path
    client_cn: str
    ca: CertificateAuthority = field(repr=False, compare=False)

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.ca_pem, self.server_cert, self.server_key, self.client_pkcs12)


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write ``data``; private files are created 0600 (and forced to it if they existed)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600 if private else 0o644)
    try:
        if private:
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data)
    finally:
        if fd >= 0:
            os.close(fd)


def make_fmc_certs(out_dir: str | os.PathLike[str], client_cn: str, password: bytes | str, *,
                   legacy: bool = False,
                   server_names: Iterable[str] = ("127.0.0.1", "localhost"),
                   days: int = 365, ca: CertificateAuthority | None = None) -> FmcCertificates:
    """Write the simulated FMC's CA, server certificate/key and a client PKCS12."""
    if not client_cn or not client_cn.strip():
        raise ConfigurationError("client CN is empty: give the address (or DNS name) the "
                                 "FMC will see the client connect from")
    names = [n for n in server_names if n]
    if not names:
        raise ConfigurationError("server_names is empty: give at least one address or name")
    _check_days(days)  # before anything is written
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    ca = ca or CertificateAuthority.create()
    server_key, server_cert = ca.issue(names[0], server=True, names=names, days=days)
    paths = FmcCertificates(directory, directory / "ca.pem", directory / "server.pem",
                            directory / "server.key", directory / "client.pkcs12",
                            client_cn, ca)
    _write(paths.ca_pem, ca.pem(), private=False)
    _write(paths.server_cert, server_cert.public_bytes(serialization.Encoding.PEM),
           private=False)
    _write(paths.server_key, server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), private=True)
    _write(paths.client_pkcs12, client_pkcs12_bytes(ca, client_cn, password, legacy=legacy,
                                                    days=days), private=True)
    return paths


def client_pkcs12_bytes(ca: CertificateAuthority, client_cn: str, password: bytes | str, *,
                        legacy: bool = False, days: int = 365,
                        not_before: _dt.datetime | None = None,
                        not_after: _dt.datetime | None = None) -> bytes:
    """A client PKCS12 (key, certificate with CN ``client_cn``, CA) as an FMC issues it."""
    key, cert = ca.issue(client_cn, days=days, not_before=not_before, not_after=not_after)
    return pkcs12_bytes(key, cert, [ca.certificate], password, legacy=legacy,
                        name=client_cn)


def write_client_pkcs12(path: str | os.PathLike[str], ca: CertificateAuthority,
                        client_cn: str, password: bytes | str, **options: object) -> Path:
    """:func:`client_pkcs12_bytes` written to ``path`` (mode 0600)."""
    target = Path(path)
    _write(target, client_pkcs12_bytes(ca, client_cn, password, **options),  # type: ignore[arg-type]
           private=True)
    return target


def pkcs12_bytes(key: rsa.RSAPrivateKey, cert: x509.Certificate,
                 cas: Sequence[x509.Certificate], password: bytes | str, *,
                 legacy: bool = False, name: str = "") -> bytes:
    """Serialize a PKCS12; ``legacy`` = RC2-40 certificates, 3DES key, SHA-1 MAC."""
    secret = password.encode("utf-8") if isinstance(password, str) else bytes(password)
    if not secret:
        raise ConfigurationError("PKCS12 password is empty: an FMC always sets one")
    if legacy:
        return _legacy_pkcs12(key, cert, cas, secret, name)
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(PKCS12_ITERATIONS)
                  .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256())
                  .build(secret))
    return pkcs12.serialize_key_and_certificates(name.encode("utf-8") or None, key, cert,
                                                 list(cas), encryption)


# -- legacy PKCS12 ------------------------------------------------------------------------
# cryptography reads RC2-40 files but cannot write them; the openssl command does, as
# OpenSSL 1.x wrote them by default (what older FMCs issued): ``-legacy`` means RC2-40
# for the certificates, 3DES for the key and an SHA-1 MAC. The key reaches openssl
# through a pipe and the password through its environment: neither argv nor a file.

def _legacy_pkcs12(key: rsa.RSAPrivateKey, cert: x509.Certificate,
                   cas: Sequence[x509.Certificate], password: bytes, name: str) -> bytes:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ConfigurationError("a legacy (RC2-40) PKCS12 needs the openssl command, "
                                 "which is not on PATH; install OpenSSL or leave out --legacy")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pem += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (cert, *cas))
    command = [openssl, "pkcs12", "-export", "-legacy", "-passout", "env:ESTREAMER_P12_PASS",
               "-iter", str(PKCS12_ITERATIONS), "-maciter"]
    if name:
        command += ["-name", name]
    env = dict(os.environ, ESTREAMER_P12_PASS=password.decode("utf-8", "surrogateescape"))
    result = subprocess.run(command, input=pem, capture_output=True, env=env, timeout=60)
    if result.returncode != 0:
        cause = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigurationError(
            "openssl could not write a legacy PKCS12 (" + (cause[0] if cause else "no "
            "message") + "); OpenSSL 3 needs its legacy provider for RC2-40")
    return result.stdout
