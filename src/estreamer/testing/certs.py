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
    SHA-1 MAC; else AES-256 (PBES2) with an SHA-256 MAC.

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
import hashlib
import ipaddress
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
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


# -- legacy PKCS12 (RFC 7292) ----------------------------------------------------------
# cryptography reads RC2-40 files but cannot write them, and its RC2 takes 128-bit keys
# only; older FMCs wrote exactly this format, so it is built here: DER by hand, the
# PKCS12 key derivation, RC2 (RFC 2268) for the certificate bag, 3DES for the key.

def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(raw))) + raw + content


def _seq(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _oid(dotted: str) -> bytes:
    arcs = [int(part) for part in dotted.split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _der(0x06, bytes(out))


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _octets(data: bytes) -> bytes:
    return _der(0x04, data)


def _explicit0(content: bytes) -> bytes:
    return _der(0xA0, content)


_OID_DATA = "1.2.840.113549.1.7.1"
_OID_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
_OID_PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3"
_OID_PBE_SHA1_RC2_40 = "1.2.840.113549.1.12.1.6"
_OID_KEY_BAG_SHROUDED = "1.2.840.113549.1.12.10.1.2"
_OID_CERT_BAG = "1.2.840.113549.1.12.10.1.3"
_OID_X509_CERT = "1.2.840.113549.1.9.22.1"
_OID_FRIENDLY_NAME = "1.2.840.113549.1.9.20"
_OID_LOCAL_KEY_ID = "1.2.840.113549.1.9.21"
_OID_SHA1 = "1.3.14.3.2.26"


def pkcs12_kdf(password: bytes, salt: bytes, purpose: int, iterations: int,
               size: int) -> bytes:
    """RFC 7292 appendix B key derivation with SHA-1 (purpose 1 key, 2 IV, 3 MAC).

    ``password`` is the UTF-8 password; it is used as a NUL-terminated BMPString.
    """
    u, v = 20, 64
    bmp = password.decode("utf-8").encode("utf-16-be") + b"\x00\x00"
    diversifier = bytes([purpose]) * v

    def fill(data: bytes) -> bytes:
        if not data:
            return b""
        length = v * ((len(data) + v - 1) // v)
        return (data * (length // len(data) + 1))[:length]

    block = bytearray(fill(salt) + fill(bmp))
    out = b""
    while True:
        digest = hashlib.sha1(diversifier + bytes(block)).digest()
        for _ in range(iterations - 1):
            digest = hashlib.sha1(digest).digest()
        out += digest
        if len(out) >= size:
            return out[:size]
        addend = int.from_bytes((digest * (v // u + 1))[:v], "big") + 1
        for start in range(0, len(block), v):
            value = (int.from_bytes(block[start:start + v], "big") + addend) % (1 << (8 * v))
            block[start:start + v] = value.to_bytes(v, "big")


# RFC 2268 section 2: PITABLE, a permutation of 0..255 derived from the digits of pi.
_PITABLE = bytes.fromhex(
    "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2"
    "179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82"
    "54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626"
    "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7"
    "08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec"
    "c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731"
    "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9"
    "0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad")


def rc2_key_schedule(key: bytes, effective_bits: int) -> list[int]:
    """RC2 key expansion (RFC 2268 section 2): 64 16-bit words."""
    size = len(key)
    if not 1 <= size <= 128 or not 1 <= effective_bits <= 1024:
        raise ValueError("RC2 key must be 1..128 bytes, effective bits 1..1024")
    buf = bytearray(128)
    buf[:size] = key
    for i in range(size, 128):
        buf[i] = _PITABLE[(buf[i - 1] + buf[i - size]) & 0xFF]
    t8 = (effective_bits + 7) // 8
    mask = 0xFF % (1 << (8 + effective_bits - 8 * t8))
    buf[128 - t8] = _PITABLE[buf[128 - t8] & mask]
    for i in range(127 - t8, -1, -1):
        buf[i] = _PITABLE[buf[i + 1] ^ buf[i + t8]]
    return [buf[2 * i] | (buf[2 * i + 1] << 8) for i in range(64)]


def rc2_encrypt_block(schedule: list[int], block: bytes) -> bytes:
    """Encrypt one 8-byte block with an RC2 key schedule (RFC 2268 section 3)."""
    r = [block[0] | block[1] << 8, block[2] | block[3] << 8,
         block[4] | block[5] << 8, block[6] | block[7] << 8]
    shifts = (1, 2, 3, 5)
    j = 0
    for round_no in range(16):
        for i in range(4):
            value = (r[i] + schedule[j] + (r[i - 1] & r[i - 2])
                     + ((~r[i - 1]) & r[i - 3])) & 0xFFFF
            j += 1
            r[i] = ((value << shifts[i]) | (value >> (16 - shifts[i]))) & 0xFFFF
        if round_no in (4, 10):  # the two mashing rounds after mixing rounds 5 and 11
            for i in range(4):
                r[i] = (r[i] + schedule[r[i - 1] & 63]) & 0xFFFF
    return b"".join(word.to_bytes(2, "little") for word in r)


def rc2_cbc_encrypt(key: bytes, effective_bits: int, iv: bytes, data: bytes) -> bytes:
    """RC2-CBC with PKCS#7 padding."""
    schedule = rc2_key_schedule(key, effective_bits)
    pad = 8 - len(data) % 8
    data += bytes([pad]) * pad
    out = bytearray()
    previous = iv
    for start in range(0, len(data), 8):
        chunk = bytes(a ^ b for a, b in zip(data[start:start + 8], previous))
        previous = rc2_encrypt_block(schedule, chunk)
        out += previous
    return bytes(out)


def _tdes_cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    pad = 8 - len(data) % 8
    encryptor = Cipher(TripleDES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()


def _pbe_params(oid: str, salt: bytes, iterations: int) -> bytes:
    return _seq(_oid(oid), _seq(_octets(salt), _int(iterations)))


def _bag_attributes(local_key_id: bytes, name: str) -> bytes:
    attributes = [_seq(_oid(_OID_LOCAL_KEY_ID), _der(0x31, _octets(local_key_id)))]
    if name:
        attributes.insert(0, _seq(_oid(_OID_FRIENDLY_NAME),
                                  _der(0x31, _der(0x1E, name.encode("utf-16-be")))))
    return _der(0x31, b"".join(attributes))


def _legacy_pkcs12(key: rsa.RSAPrivateKey, cert: x509.Certificate,
                   cas: Sequence[x509.Certificate], password: bytes, name: str) -> bytes:
    iterations = PKCS12_ITERATIONS
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    local_key_id = hashlib.sha1(cert_der).digest()

    def cert_bag(der: bytes, attributes: bytes) -> bytes:
        value = _seq(_oid(_OID_X509_CERT), _explicit0(_octets(der)))
        return _seq(_oid(_OID_CERT_BAG), _explicit0(value), attributes)

    bags = [cert_bag(cert_der, _bag_attributes(local_key_id, name))]
    bags += [cert_bag(ca.public_bytes(serialization.Encoding.DER), b"") for ca in cas]
    salt = secrets.token_bytes(8)
    cert_cipher = rc2_cbc_encrypt(pkcs12_kdf(password, salt, 1, iterations, 5), 40,
                                  pkcs12_kdf(password, salt, 2, iterations, 8),
                                  _seq(*bags))
    encrypted_data = _seq(_int(0), _seq(_oid(_OID_DATA),
                                        _pbe_params(_OID_PBE_SHA1_RC2_40, salt, iterations),
                                        _der(0x80, cert_cipher)))
    certs_info = _seq(_oid(_OID_ENCRYPTED_DATA), _explicit0(encrypted_data))

    # the key is PKCS#8 in memory only, encrypted before it goes anywhere
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    key_salt = secrets.token_bytes(8)
    key_cipher = _tdes_cbc_encrypt(pkcs12_kdf(password, key_salt, 1, iterations, 24),
                                   pkcs12_kdf(password, key_salt, 2, iterations, 8), pkcs8)
    shrouded = _seq(_pbe_params(_OID_PBE_SHA1_3DES, key_salt, iterations), _octets(key_cipher))
    key_bag = _seq(_oid(_OID_KEY_BAG_SHROUDED), _explicit0(shrouded),
                   _bag_attributes(local_key_id, name))
    key_info = _seq(_oid(_OID_DATA), _explicit0(_octets(_seq(key_bag))))

    auth_safe = _seq(certs_info, key_info)
    mac_salt = secrets.token_bytes(8)
    mac = hmac.HMAC(pkcs12_kdf(password, mac_salt, 3, iterations, 20), hashes.SHA1())
    mac.update(auth_safe)
    mac_data = _seq(_seq(_seq(_oid(_OID_SHA1), _der(0x05, b"")), _octets(mac.finalize())),
                    _octets(mac_salt), _int(iterations))
    return _seq(_int(3), _seq(_oid(_OID_DATA), _explicit0(_octets(auth_safe))), mac_data)
