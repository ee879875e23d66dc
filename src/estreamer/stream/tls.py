"""TLS to the FMC with the client PKCS12 the FMC issues (layer 3).

Interface (stable; the client, the CLI and the Splunk add-on build on it):

``load_pkcs12(data, password, *, check_validity=True, now=None) -> ClientIdentity``
    Opens the ``.pkcs12``/``.p12`` the FMC offers under *System > Integration >
    eStreamer*. Modern (AES-256/PBES2) and legacy (RC2-40 certificates, 3DES key, as
    older FMCs and ``openssl pkcs12 -legacy`` write) files both load. Every failure
    is one :class:`ConfigurationError` line naming cause and fix.

``ClientIdentity``
    key, certificate and the CA certificates of the file; ``repr``/``str`` never
    show the key. ``days_left()`` and ``expiry_warning()`` serve "expires in N days"
    warnings.

``client_context(identity, *, verify=True, cafile=None, cadata=None, check_hostname=False,
min_version="1.2") -> ssl.SSLContext``
    TLS 1.2 minimum (1.3 when the FMC offers it). The server certificate is checked
    against the CA certificates inside the PKCS12 (or ``cafile``, or ``cadata``: PEM
    text of one or more CA certificates, as the Splunk account page stores it). Host-name
    checking is an explicit option, off by default: the FMC's certificate comes from its
    own internal CA (the one in the PKCS12) and often does not name the address users
    reach the FMC by; the chain check alone already proves it is that FMC. The private key
    never reaches a disk in clear: ``ssl`` only loads keys from files, so the key is
    written *encrypted with a random one-time passphrase* to an anonymous memory file
    (``os.memfd_create``) or, where that does not exist, to a 0600 temporary file
    removed right after loading.

``connect(host, port, context, *, connect_timeout=10.0, read_timeout=2.0)``
    TCP connect and TLS handshake; returns the ``ssl.SSLSocket`` with
    ``read_timeout`` set. Every failure is one :class:`TransportError` line naming
    ``host:port``, what was observed, the cause and the fix; a host name the check
    refuses is reported with the names the certificate carries (read through a second
    handshake without the host-name check, the chain verified as before).

``certificate_names(cert)``, ``hostname_matches(cert, host)``, ``server_names_report(sock, host)``
    The names a server certificate carries (alternative names, CN), whether the
    host-name check would accept ``host``, and both in one line for the connection
    test and the Splunk account check.

``explain_io_error(err, host, port, *, received_any) -> TransportError`` and
``peer_closed(host, port, *, received_any) -> TransportError``
    The same one-line explanations for failures *after* ``connect()``. With TLS 1.3
    the server judges our certificate after the client has finished its handshake,
    so a rejection by the FMC (CN rule, foreign or revoked certificate) shows up as
    an alert, a reset or an EOF on the first read; pass ``received_any=False`` until
    the first byte arrived so the message names that cause.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import ipaddress
import logging
import os
import secrets
import socket
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Callable, Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from estreamer.errors import ConfigurationError, EStreamerError, TransportError

log = logging.getLogger("estreamer.tls")

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, dsa.DSAPrivateKey,
                   ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey]

TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}

_FIX_NEW_PKCS12 = ("create the client again on the FMC (System > Integration > eStreamer) "
                   "and use the new PKCS12 file")


def _utc(value: _dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _now(now: _dt.datetime | None) -> _dt.datetime:
    return now if now is not None else _dt.datetime.now(_dt.timezone.utc)


def common_name(cert: x509.Certificate) -> str | None:
    """The certificate's subject CN (what the FMC compares with our address)."""
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attrs:
        return None
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


@dataclass(frozen=True, repr=False)
class ClientIdentity:
    """The client's key, certificate and the CA certificates from the FMC's PKCS12."""

    key: PrivateKey
    certificate: x509.Certificate
    ca_certificates: tuple[x509.Certificate, ...] = ()

    @property
    def common_name(self) -> str | None:
        return common_name(self.certificate)

    @property
    def not_before(self) -> _dt.datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> _dt.datetime:
        return self.certificate.not_valid_after_utc

    def days_left(self, now: _dt.datetime | None = None) -> float:
        """Days until the client certificate expires (negative once it has)."""
        return (self.not_after - _now(now)).total_seconds() / 86400.0

    def expiry_warning(self, warn_days: float = 30.0,
                       now: _dt.datetime | None = None) -> str | None:
        """A one-line warning when the certificate expires within ``warn_days``, else None."""
        left = self.days_left(now)
        if left > warn_days:
            return None
        if left < 0:
            return (f"client certificate CN={self.common_name} expired on "
                    f"{_utc(self.not_after)}; {_FIX_NEW_PKCS12}")
        return (f"client certificate CN={self.common_name} expires in {int(left)} days "
                f"({_utc(self.not_after)}); {_FIX_NEW_PKCS12} before then")

    def __repr__(self) -> str:
        return (f"ClientIdentity(CN={self.common_name!r}, not_after={_utc(self.not_after)!r}, "
                f"ca_certificates={len(self.ca_certificates)}, key=<hidden>)")

    __str__ = __repr__


def _looks_like_pkcs12(data: bytes) -> bool:
    """DER ``SEQUENCE { INTEGER 3, ... }``: the PFX version field of every PKCS12 file."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    first = data[1]
    pos = 2 if first < 0x80 else 2 + (first & 0x7F)
    return data[pos:pos + 3] == b"\x02\x01\x03"


def load_pkcs12(data: bytes, password: bytes | str, *, check_validity: bool = True,
                now: _dt.datetime | None = None) -> ClientIdentity:
    """Open the FMC's client PKCS12; raise ConfigurationError (one line) when unusable.

    ``check_validity`` refuses a certificate that has expired or is not valid yet,
    naming the dates (the FMC would refuse it anyway, with a less helpful message).
    """
    if isinstance(password, str):
        password = password.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ConfigurationError("PKCS12 data must be bytes (read the file in binary mode)")
    data = bytes(data)
    if data.lstrip().startswith(b"-----BEGIN"):
        raise ConfigurationError(
            "not a PKCS12 file: this is a PEM file; use the .pkcs12 file the FMC offers "
            "for download when the eStreamer client is created")
    if not _looks_like_pkcs12(data):
        raise ConfigurationError(
            "not a PKCS12 file: use the .pkcs12 file the FMC offers for download when the "
            "eStreamer client is created (System > Integration > eStreamer)")
    try:
        key, cert, cas = pkcs12.load_key_and_certificates(data, password or None)
    except ValueError as err:
        # the file has the PKCS12 shape, so a failure here is the integrity check (MAC)
        # failing: almost always the password; the error text carries nothing secret
        raise ConfigurationError(
            "PKCS12 password is wrong: the file could not be decrypted; use the password "
            "typed on the FMC when the client was created (or the file is damaged: "
            "download it again)") from err
    except Exception as err:  # unsupported algorithms surface as other types
        raise ConfigurationError(
            f"PKCS12 file could not be read ({type(err).__name__}); download it from the "
            "FMC again") from err
    if key is None:
        raise ConfigurationError(
            f"PKCS12 file holds no private key; {_FIX_NEW_PKCS12}")
    if cert is None:
        raise ConfigurationError(
            f"PKCS12 file holds no client certificate; {_FIX_NEW_PKCS12}")
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, dsa.DSAPrivateKey,
                            ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        raise ConfigurationError(
            f"PKCS12 private key type {type(key).__name__} is not usable for TLS")
    identity = ClientIdentity(key, cert, tuple(cas))
    if check_validity:
        moment = _now(now)
        if moment < identity.not_before:
            raise ConfigurationError(
                f"client certificate CN={identity.common_name} is not valid yet: valid from "
                f"{_utc(identity.not_before)} to {_utc(identity.not_after)}, now is "
                f"{_utc(moment)}; check this machine's clock")
        if moment > identity.not_after:
            raise ConfigurationError(
                f"client certificate CN={identity.common_name} expired on "
                f"{_utc(identity.not_after)} (valid from {_utc(identity.not_before)}); "
                f"{_FIX_NEW_PKCS12}")
    return identity


@contextlib.contextmanager
def _secret_file(content: bytes) -> Iterator[str]:
    """A path whose content is ``content``, readable by this process, gone on exit.

    Prefers an anonymous memory file (never on disk); else a 0600 temporary file that
    is unlinked as soon as the caller has loaded it. The content is already encrypted.
    """
    memfd_create = getattr(os, "memfd_create", None)
    fd = -1
    if memfd_create is not None:
        with contextlib.suppress(OSError):
            fd = memfd_create("estreamer-client", getattr(os, "MFD_CLOEXEC", 0))
    if fd >= 0 and os.path.exists(f"/proc/self/fd/{fd}"):
        try:
            os.write(fd, content)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    if fd >= 0:
        os.close(fd)
    fd, path = tempfile.mkstemp(prefix="estreamer-", suffix=".pem")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def load_client_identity(context: ssl.SSLContext, identity: ClientIdentity) -> None:
    """Load the client certificate and key into ``context`` without a clear key on disk."""
    passphrase = secrets.token_urlsafe(32).encode("ascii")
    key_pem = identity.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase))
    cert_pem = identity.certificate.public_bytes(serialization.Encoding.PEM)
    with _secret_file(cert_pem + key_pem) as path:
        try:
            context.load_cert_chain(path, path, password=passphrase)
        except (ssl.SSLError, OSError) as err:
            raise ConfigurationError(
                "client certificate and key from the PKCS12 could not be loaded for TLS "
                f"({getattr(err, 'reason', None) or type(err).__name__}); "
                f"{_FIX_NEW_PKCS12}") from err


class _FmcContext(ssl.SSLContext):
    """A client context that, when it checks host names, can make its twin that does not:
    :func:`connect` uses it to read the names of a certificate the check refused."""

    without_hostname_check: Callable[[], ssl.SSLContext] | None = None


def client_context(identity: ClientIdentity, *, verify: bool = True, cafile: str | None = None,
                   cadata: str | None = None, check_hostname: bool = False,
                   min_version: str = "1.2") -> ssl.SSLContext:
    """An ``ssl.SSLContext`` for talking to the FMC with ``identity``.

    ``verify`` checks the FMC's certificate against ``cafile`` and/or ``cadata`` (PEM
    text) if given, else against the CA certificates inside the PKCS12.
    ``check_hostname`` (off by default) also requires the certificate to name the
    address connected to; turn it on when it does (``estreamer test`` shows the names
    it carries). ``verify=False`` trusts any server (eNcore's behaviour) and logs a
    warning.
    """
    if min_version not in TLS_VERSIONS:
        raise ConfigurationError(
            f"TLS minimum version {min_version!r} is not supported; use one of: "
            f"{', '.join(TLS_VERSIONS)}")
    if check_hostname and not verify:
        raise ConfigurationError("check_hostname needs verify: enable verify or "
                                 "turn check_hostname off")
    cadata = (cadata or "").strip() or None
    context = _FmcContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = TLS_VERSIONS[min_version]
    context.check_hostname = check_hostname
    if verify:
        context.verify_mode = ssl.CERT_REQUIRED
        if cafile:
            try:
                context.load_verify_locations(cafile=cafile)
            except (OSError, ssl.SSLError) as err:
                raise ConfigurationError(
                    f"CA file {cafile!r} could not be loaded "
                    f"({getattr(err, 'strerror', None) or getattr(err, 'reason', None) or err}"
                    "); give a PEM file with the FMC's CA certificate") from err
        if cadata:
            _load_cadata(context, cadata)
        if not (cafile or cadata):  # a CA given explicitly replaces the PKCS12's
            if not identity.ca_certificates:
                raise ConfigurationError(
                    "the PKCS12 carries no CA certificate to verify the FMC with; set the "
                    "CA file option to the FMC's CA certificate (PEM), or turn "
                    "verification off")
            context.load_verify_locations(cadata="".join(
                ca.public_bytes(serialization.Encoding.PEM).decode("ascii")
                for ca in identity.ca_certificates))
    else:
        context.verify_mode = ssl.CERT_NONE
        log.warning("TLS server certificate verification is OFF: any server can pose as "
                    "the FMC; set verify on and give the FMC's CA to fix this")
    load_client_identity(context, identity)
    if check_hostname:
        context.without_hostname_check = lambda: client_context(
            identity, verify=verify, cafile=cafile, cadata=cadata, min_version=min_version)
    return context


def _load_cadata(context: ssl.SSLContext, cadata: str) -> None:
    """Trust the CA certificates of ``cadata`` (PEM text); ConfigurationError if unusable."""
    if "-----BEGIN CERTIFICATE-----" not in cadata:
        raise ConfigurationError(
            "the CA certificate is not PEM text; paste the FMC's CA certificate "
            "including its -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines")
    try:
        context.load_verify_locations(cadata=cadata)
    except (ssl.SSLError, ValueError) as err:
        raise ConfigurationError(
            f"the CA certificate could not be loaded "
            f"({getattr(err, 'reason', None) or type(err).__name__}); paste the FMC's CA "
            "certificate as PEM text") from err


# -- the names a server certificate carries ---------------------------------------------

def _alt_names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """The DNS names and IP addresses of the subject alternative names."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):  # absent, or malformed (checking refuses it)
        return [], []
    return (list(san.get_values_for_type(x509.DNSName)),
            [str(ip) for ip in san.get_values_for_type(x509.IPAddress)])


def certificate_names(cert: x509.Certificate) -> tuple[str, ...]:
    """The names a server certificate carries: alternative names (DNS, IP), then the CN."""
    dns, ips = _alt_names(cert)
    cn = common_name(cert)
    return tuple(dict.fromkeys([*dns, *ips, *([f"CN={cn}"] if cn else [])]))


def _dns_match(pattern: str, host: str) -> bool:
    # RFC 6125 as OpenSSL applies it for Python: case-insensitive, a wildcard only as the
    # whole leftmost label, matching exactly one label, never the last two labels alone
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:] and "." in rest
    return pattern == host


def hostname_matches(cert: x509.Certificate, host: str) -> bool:
    """The verdict of the host-name check (``check_hostname``) for ``cert`` and ``host``.

    As OpenSSL decides it: an IP address must be an IP alternative name; a DNS name must
    match a DNS alternative name, or the CN when the certificate has no DNS names.
    Used to report, not to decide: with checking on, OpenSSL itself refuses a mismatch.
    """
    dns, ips = _alt_names(cert)
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if dns:
            return any(_dns_match(name, host) for name in dns)
        cn = common_name(cert)
        return cn is not None and _dns_match(cn, host)
    return any(ipaddress.ip_address(ip) == address for ip in ips)


def server_names_report(sock: ssl.SSLSocket, host: str) -> str:
    """One line: the names the connected server's certificate carries, and whether
    ``host`` is one of them (with the advice on the host-name check that follows)."""
    der = sock.getpeercert(binary_form=True)
    if not der:
        return "the server sent no certificate"
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return "the server certificate could not be parsed"
    names = certificate_names(cert)
    listed = ", ".join(names) if names else "no names"
    if hostname_matches(cert, host):
        return (f"server certificate names {listed}: matches {host} (host-name checking "
                "can be turned on)")
    return (f"server certificate names {listed}: does not match {host} (keep host-name "
            "checking off, or connect by one of these names)")


# -- error explanation ----------------------------------------------------------------

_REJECTED = ("the FMC rejected our client certificate: its CN must be the address the FMC "
             "sees this client as (the NAT address behind NAT) or a name the FMC's DNS "
             "resolves to it; or the client was deleted/recreated on the FMC: download "
             "the new PKCS12")


# A server that refuses our certificate says so with a TLS alert (TLS 1.2) or after the
# handshake (TLS 1.3: the client finishes first); a bare close or reset *during* the
# handshake is a server that does not answer TLS at all.
_NO_TLS_ANSWER = ("the server {what} the connection during the TLS handshake without a TLS "
                  "answer: this port does not speak TLS, or something on the path cut the "
                  "connection; check the address and port (eStreamer listens on 8302)")


def _ssl_reason(err: BaseException) -> str:
    reason = getattr(err, "reason", None)
    return (reason or str(err)).upper()


def _explain_ssl(err: ssl.SSLError, hostport: str, in_handshake: bool) -> str:
    if isinstance(err, ssl.SSLCertVerificationError):
        code = getattr(err, "verify_code", None)
        detail = getattr(err, "verify_message", None) or str(err)
        if _hostname_refused(err):
            return (f"{hostport}: server certificate does not name this address ({detail}); "
                    "connect by a name or address the FMC certificate carries (`estreamer "
                    "test` with host-name checking off lists them), or turn host-name "
                    "checking off (the certificate is still verified against the FMC's CA)")
        if code in (9, 10):
            return (f"{hostport}: server certificate is not valid now ({detail}); check "
                    "the clocks of the FMC and this machine")
        return (f"{hostport}: server certificate not trusted ({detail}); configure the "
                "FMC's CA certificate (cafile) or use the PKCS12 this FMC issued")
    reason = _ssl_reason(err)
    if "REVOKED" in reason:
        return (f"{hostport}: the FMC reports our certificate as revoked (the client was "
                "deleted or recreated on the FMC); download the new PKCS12")
    if "PROTOCOL_VERSION" in reason or "UNSUPPORTED_PROTOCOL" in reason \
            or "NO_PROTOCOLS_AVAILABLE" in reason or "VERSION_TOO_LOW" in reason \
            or "WRONG_SSL_VERSION" in reason or "VERSION_TOO_HIGH" in reason:
        return (f"{hostport}: TLS version refused ({getattr(err, 'reason', err)}); the FMC "
                "and this client share no TLS version: check the minimum TLS version "
                "setting (1.2 works with every supported FMC)")
    if any(word in reason for word in ("UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_REQUIRED",
                                       "CERTIFICATE_UNKNOWN", "HANDSHAKE_FAILURE",
                                       "ACCESS_DENIED", "UNSUPPORTED_CERTIFICATE",
                                       "CERTIFICATE_EXPIRED")):
        return f"{hostport}: {_REJECTED} (TLS alert {getattr(err, 'reason', err)})"
    if isinstance(err, ssl.SSLEOFError) or "EOF" in reason:
        if in_handshake:
            return f"{hostport}: {_NO_TLS_ANSWER.format(what='closed')}"
        return f"{hostport}: peer closed the connection ({getattr(err, 'reason', err)})"
    if "WRONG_VERSION_NUMBER" in reason or "RECORD_LAYER" in reason:
        return (f"{hostport}: the server does not speak TLS on this port; check the port "
                "(eStreamer listens on 8302)")
    return f"{hostport}: TLS failed ({getattr(err, 'reason', None) or err})"


def explain_io_error(err: BaseException, host: str, port: int, *,
                     received_any: bool = True, in_handshake: bool = False,
                     timeout: float | None = None) -> TransportError:
    """A one-line TransportError for ``err`` raised while talking to ``host:port``.

    ``received_any=False`` (nothing read yet on this connection, handshake done) lets a
    reset or an EOF be named as the FMC refusing our certificate, which is what it
    almost always means at that point (TLS 1.3: the verdict comes after our
    handshake). ``in_handshake`` names what a failure during the handshake shows;
    ``timeout`` is the limit that ran out, for the message. The caller raises it
    ``from err``.
    """
    hostport = f"{host}:{port}"
    if isinstance(err, TransportError):
        return err
    if isinstance(err, ssl.SSLError):
        text = _explain_ssl(err, hostport, in_handshake)
        if not received_any and not in_handshake and isinstance(err, ssl.SSLEOFError):
            text = f"{hostport}: connection closed before any data: {_REJECTED}"
        return TransportError(text)
    if isinstance(err, socket.gaierror):
        return TransportError(f"{hostport}: cannot resolve {host!r} ({err.strerror}); "
                              "check the FMC host name or DNS, or use its IP address")
    if isinstance(err, ConnectionRefusedError):
        return TransportError(f"{hostport}: connection refused: nothing listens there; "
                              "check the address and port (8302) and that eStreamer is "
                              "enabled on the FMC")
    within = f" within {timeout:g}s" if timeout is not None else ""
    if isinstance(err, (socket.timeout, TimeoutError)):
        if in_handshake:
            return TransportError(f"{hostport}: TCP connected but no TLS answer{within}: "
                                  "this port does not speak TLS (eStreamer listens on "
                                  "8302), or the FMC is overloaded")
        return TransportError(f"{hostport}: no answer{within}; check the address and that "
                              "no firewall drops traffic to the port")
    if isinstance(err, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        if in_handshake:
            return TransportError(f"{hostport}: {_NO_TLS_ANSWER.format(what='reset')}")
        if not received_any:
            return TransportError(f"{hostport}: connection reset right after the TLS "
                                  f"handshake: {_REJECTED}")
        return TransportError(f"{hostport}: connection reset by the peer; reconnect")
    if isinstance(err, OSError):
        if err.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return TransportError(f"{hostport}: no route to host ({err.strerror}); check "
                                  "the address and the network path")
        return TransportError(f"{hostport}: {err.strerror or err}")
    return TransportError(f"{hostport}: {type(err).__name__}: {err}")


def peer_closed(host: str, port: int, *, received_any: bool) -> TransportError:
    """The TransportError for an orderly EOF (``recv`` returned no bytes)."""
    if not received_any:
        return TransportError(f"{host}:{port}: connection closed before any data: {_REJECTED}")
    return TransportError(f"{host}:{port}: peer closed the connection")


def connect(host: str, port: int, context: ssl.SSLContext, *, connect_timeout: float = 10.0,
            read_timeout: float = 2.0) -> ssl.SSLSocket:
    """Open TCP and TLS to ``host:port``; one TransportError line on any failure.

    The returned socket has ``read_timeout`` set: a read that times out means
    "no data yet", not a failure (eNcore's responseTimeout).
    """
    try:
        raw = socket.create_connection((host, port), timeout=connect_timeout)
    except OSError as err:
        raise explain_io_error(err, host, port, timeout=connect_timeout) from err
    try:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = context.wrap_socket(raw, server_hostname=host, do_handshake_on_connect=False)
    except (OSError, ValueError) as err:
        raw.close()
        raise TransportError(f"{host}:{port}: TLS setup failed ({err})") from err
    try:
        tls.settimeout(connect_timeout)
        tls.do_handshake()
        tls.settimeout(read_timeout)
    except OSError as err:
        tls.close()
        names = _refused_names(err, host, port, context, connect_timeout)
        if names is not None:
            raise TransportError(
                f"{host}:{port}: server certificate names {names}, not {host}: connect by "
                "one of these names, or turn host-name checking off (the certificate is "
                "still verified against the FMC's CA)") from err
        raise explain_io_error(err, host, port, received_any=False, in_handshake=True,
                               timeout=connect_timeout) from err
    return tls


def _refused_names(err: OSError, host: str, port: int, context: ssl.SSLContext,
                   timeout: float) -> str | None:
    """The names of the certificate the host-name check refused, read through a second
    handshake without that check (the chain is verified as before); None when ``err``
    is another failure or the names cannot be read."""
    twin = getattr(context, "without_hostname_check", None)
    if twin is None or not _hostname_refused(err):
        return None
    try:
        with connect(host, port, twin(), connect_timeout=timeout) as sock:
            der = sock.getpeercert(binary_form=True)
        if not der:
            return None
        return ", ".join(certificate_names(x509.load_der_x509_certificate(der))) or None
    except (EStreamerError, ValueError, OSError):
        return None


def _hostname_refused(err: BaseException) -> bool:
    if not isinstance(err, ssl.SSLCertVerificationError):
        return False
    detail = (getattr(err, "verify_message", None) or str(err)).upper()
    return getattr(err, "verify_code", None) == 62 or "HOSTNAME" in detail \
        or "IP ADDRESS MISMATCH" in detail
