"""TLS with the FMC's PKCS12 over real loopback TLS: loading, contexts, connect() failures."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import socket
import ssl
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from estreamer.errors import ConfigurationError, TransportError
from estreamer.protocol import DEFAULT_FLAGS, START_NOW, event_stream_request
from estreamer.stream import tls
from estreamer.testing.certs import CertificateAuthority, client_pkcs12_bytes, make_fmc_certs
from tests.support.certs import PKCS12_PASSWORD
from tests.support.faulty_servers import faulty_server

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def foreign_ca():
    return CertificateAuthority.create("Some Other FMC CA")


@pytest.mark.parametrize("legacy", [
    False,
    pytest.param(True, marks=pytest.mark.skipif(shutil.which("openssl") is None,
                                                reason="legacy files are written by openssl")),
], ids=["aes256", "rc2-40"])
def test_load_pkcs12_modern_and_legacy(fmc_certs, legacy):
    data = client_pkcs12_bytes(fmc_certs.ca, "192.0.2.7", "s3cret", legacy=legacy)
    identity = tls.load_pkcs12(data, b"s3cret")
    assert identity.common_name == "192.0.2.7"
    assert len(identity.ca_certificates) == 1
    assert 364 < identity.days_left() <= 365


def test_identity_never_shows_the_key(client_identity):
    numbers = client_identity.key.private_numbers()  # type: ignore[union-attr]
    for text in (repr(client_identity), str(client_identity), f"{client_identity}"):
        assert "key=<hidden>" in text
        assert str(numbers.d)[:20] not in text and "PRIVATE" not in text


def test_wrong_password_names_the_cause_not_the_password(fmc_certs):
    with pytest.raises(ConfigurationError) as info:
        tls.load_pkcs12(fmc_certs.client_pkcs12.read_bytes(), "guess-123")
    message = str(info.value)
    assert message.startswith("PKCS12 password is wrong:")
    assert "guess-123" not in message and "\n" not in message


@pytest.mark.parametrize(("data", "expected"), [
    (b"\x00" * 100, "not a PKCS12 file"),
    (os.urandom(64), "not a PKCS12 file"),
    (b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "PEM file"),
])
def test_not_a_pkcs12_file(data, expected):
    with pytest.raises(ConfigurationError, match=expected):
        tls.load_pkcs12(data, "pw")


def test_pkcs12_without_key_or_certificate(fmc_certs):
    encryption = serialization.BestAvailableEncryption(b"pw")
    only_ca = pkcs12.serialize_key_and_certificates(b"x", None, None,
                                                    [fmc_certs.ca.certificate], encryption)
    with pytest.raises(ConfigurationError, match="holds no private key"):
        tls.load_pkcs12(only_ca, "pw")
    identity = tls.load_pkcs12(fmc_certs.client_pkcs12.read_bytes(), PKCS12_PASSWORD)
    key_only = pkcs12.serialize_key_and_certificates(b"x", identity.key, None, None,
                                                     encryption)
    with pytest.raises(ConfigurationError, match="holds no client certificate"):
        tls.load_pkcs12(key_only, "pw")


def test_expired_and_not_yet_valid_certificates_name_the_dates(fmc_certs):
    expired = client_pkcs12_bytes(
        fmc_certs.ca, "127.0.0.1", "pw", not_before=dt.datetime(2020, 1, 1, tzinfo=UTC),
        not_after=dt.datetime(2021, 1, 1, tzinfo=UTC))
    with pytest.raises(ConfigurationError,
                       match=r"expired on 2021-01-01 00:00:00 UTC .*create the client again"):
        tls.load_pkcs12(expired, "pw")
    assert tls.load_pkcs12(expired, "pw", check_validity=False).days_left() < 0
    future = client_pkcs12_bytes(
        fmc_certs.ca, "127.0.0.1", "pw", not_before=dt.datetime(2090, 1, 1, tzinfo=UTC),
        not_after=dt.datetime(2091, 1, 1, tzinfo=UTC))
    with pytest.raises(ConfigurationError, match=r"not valid yet: valid from 2090-01-01"):
        tls.load_pkcs12(future, "pw")


def test_expiry_warning(client_identity):
    after = client_identity.not_after
    assert client_identity.expiry_warning(30, now=after - dt.timedelta(days=100)) is None
    soon = client_identity.expiry_warning(30, now=after - dt.timedelta(days=12, hours=1))
    assert soon is not None and "expires in 12 days" in soon
    late = client_identity.expiry_warning(30, now=after + dt.timedelta(days=1))
    assert late is not None and "expired on" in late


def test_client_context_settings(client_identity, caplog):
    context = tls.client_context(client_identity)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    # the chain is verified by default, the host name only on request
    assert context.verify_mode == ssl.CERT_REQUIRED and not context.check_hostname
    assert tls.client_context(client_identity, check_hostname=True).check_hostname
    with pytest.raises(ConfigurationError, match="check_hostname needs verify"):
        tls.client_context(client_identity, verify=False, check_hostname=True)
    with pytest.raises(ConfigurationError, match=r"TLS minimum version '1\.0'"):
        tls.client_context(client_identity, min_version="1.0")
    bare = tls.ClientIdentity(client_identity.key, client_identity.certificate, ())
    with pytest.raises(ConfigurationError, match="no CA certificate"):
        tls.client_context(bare)
    with caplog.at_level(logging.WARNING, logger="estreamer.tls"):
        insecure = tls.client_context(bare, verify=False)
    assert insecure.verify_mode == ssl.CERT_NONE
    assert "verification is OFF" in caplog.text


def test_key_never_reaches_a_file_in_clear(client_identity, simulator, tmp_path,
                                           monkeypatch):
    clear_pem = client_identity.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    clear_der = client_identity.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    sim = simulator(records=50)  # before the spy: the server's own key is not the subject
    loaded: list[tuple[str, bytes]] = []
    original = ssl.SSLContext.load_cert_chain

    def spy(self, certfile, keyfile=None, password=None):
        with open(certfile, "rb") as handle:
            loaded.append((str(certfile), handle.read()))
        return original(self, certfile, keyfile, password)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    for memfd in (True, False):
        if not memfd:  # the fallback for systems without memfd_create
            monkeypatch.delattr(os, "memfd_create", raising=False)
        context = tls.client_context(client_identity)
        with tls.connect(*sim.address, context) as sock:
            sock.sendall(event_stream_request(START_NOW, 0))
        assert list(temp.iterdir()) == []
    assert len(loaded) == 2
    assert loaded[0][0].startswith("/proc/self/fd/") or not hasattr(os, "memfd_create")
    for _, content in loaded:
        assert b"BEGIN ENCRYPTED PRIVATE KEY" in content
        assert clear_pem not in content and clear_der[-64:] not in content
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert clear_der[-64:] not in path.read_bytes()


# -- connect() failures, each one line naming host:port, cause and fix --------------------

def _first_read(sock, address):
    """Send a request and read, translating failures as a client does."""
    try:
        sock.sendall(event_stream_request(0, DEFAULT_FLAGS))
        data = sock.recv(100)
    except OSError as err:
        raise tls.explain_io_error(err, *address, received_any=False) from err
    if not data:
        raise tls.peer_closed(*address, received_any=False)
    return data


def _one_line(err):
    text = str(err)
    assert "\n" not in text
    return text


def test_connection_refused():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError) as info:
        tls.connect("127.0.0.1", port, ssl.create_default_context())
    text = _one_line(info.value)
    assert f"127.0.0.1:{port}: connection refused" in text and "eStreamer is enabled" in text


def test_dns_failure(client_context):
    with pytest.raises(TransportError, match=r"no-such-fmc\.invalid:8302: cannot resolve"):
        tls.connect("no-such-fmc.invalid", 8302, client_context, connect_timeout=2)


def test_tcp_without_tls_answer_says_what_was_seen(client_context):
    with faulty_server("silent") as server, pytest.raises(TransportError) as info:
        tls.connect("127.0.0.1", server.port, client_context, connect_timeout=0.3)
    text = _one_line(info.value)
    assert text.startswith(f"127.0.0.1:{server.port}: TCP connected but no TLS answer "
                           "within 0.3s: this port does not speak TLS")
    assert "rejected" not in text


@pytest.mark.parametrize(("behaviour", "seen"), [("close", "closed"), ("reset", "reset")])
def test_closed_or_reset_during_handshake_is_not_a_certificate_verdict(client_context,
                                                                        behaviour, seen):
    with faulty_server(behaviour) as server, pytest.raises(TransportError) as info:
        tls.connect("127.0.0.1", server.port, client_context, connect_timeout=5)
    text = _one_line(info.value)
    assert text.startswith(f"127.0.0.1:{server.port}: the server {seen} the connection "
                           "during the TLS handshake without a TLS answer")
    assert "rejected" not in text and "8302" in text


def test_not_tls_on_the_port(client_context):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def answer():
            conn, _ = server.accept()
            with conn:
                conn.recv(1000)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4)

        thread = threading.Thread(target=answer)
        thread.start()
        with pytest.raises(TransportError, match=r"does not speak TLS|TLS failed"):
            tls.connect("127.0.0.1", port, client_context, connect_timeout=2)
        thread.join(5)


def test_unknown_server_ca(client_context, simulator, tmp_path):
    other = make_fmc_certs(tmp_path, "127.0.0.1", "pw")  # a different FMC with its own CA
    sim = simulator(certs_dir=other.directory)
    with pytest.raises(TransportError) as info:
        tls.connect(*sim.address, client_context)
    text = _one_line(info.value)
    assert text.startswith(f"127.0.0.1:{sim.port}: server certificate not trusted")
    assert "FMC's CA" in text


def test_hostname_checking_is_an_option_off_by_default(simulator, tmp_path):
    named = make_fmc_certs(tmp_path, "127.0.0.1", "pw", server_names=("fmc.example.com",))
    sim = simulator(certs_dir=named.directory)
    identity = tls.load_pkcs12(named.client_pkcs12.read_bytes(), "pw")
    # the default setup reaches the FMC by an address its certificate does not name
    with tls.connect(*sim.address, tls.client_context(identity)) as sock:
        assert sock.version() in ("TLSv1.2", "TLSv1.3")
        assert tls.server_names_report(sock, "127.0.0.1") == (
            "server certificate names fmc.example.com, CN=fmc.example.com: does not match "
            "127.0.0.1 (keep host-name checking off, or connect by one of these names)")
    # with the check on, the refusal names what the certificate carries
    with pytest.raises(TransportError) as info:
        tls.connect(*sim.address, tls.client_context(identity, check_hostname=True))
    assert _one_line(info.value) == (
        f"127.0.0.1:{sim.port}: server certificate names fmc.example.com, "
        "CN=fmc.example.com, not 127.0.0.1: connect by one of these names, or turn "
        "host-name checking off (the certificate is still verified against the FMC's CA)")
    # a context made elsewhere (no twin to read the names with) gets OpenSSL's verdict
    plain = ssl.create_default_context(cafile=named.ca_pem)
    with pytest.raises(TransportError) as info:
        tls.connect(*sim.address, plain)
    text = _one_line(info.value)
    assert "does not name this address" in text and "turn host-name checking off" in text
    # the chain is still verified with the check off: a foreign CA is refused
    other = make_fmc_certs(tmp_path / "other", "127.0.0.1", "pw")
    with pytest.raises(TransportError, match="server certificate not trusted"):
        tls.connect(*simulator(certs_dir=other.directory).address,
                    tls.client_context(identity))


def test_server_names_report_when_the_name_matches(client_context, simulator):
    sim = simulator()  # the session certificate names 127.0.0.1 and localhost
    with tls.connect(*sim.address, client_context) as sock:
        assert tls.server_names_report(sock, "127.0.0.1") == (
            "server certificate names localhost, 127.0.0.1, CN=127.0.0.1: matches "
            "127.0.0.1 (host-name checking can be turned on)")


_HOSTNAME_CASES = [
    # (alternative names, CN, host)
    (("fmc.example.com",), "fmc.example.com", "fmc.example.com"),
    (("fmc.example.com",), "fmc.example.com", "FMC.Example.COM"),
    (("fmc.example.com",), "fmc.example.com", "other.example.com"),
    (("*.example.com",), "x", "fmc.example.com"),
    (("*.example.com",), "x", "a.fmc.example.com"),
    (("*.example.com",), "x", "example.com"),
    (("10.0.0.5",), "10.0.0.5", "10.0.0.5"),
    (("10.0.0.5",), "10.0.0.5", "10.0.0.6"),
    (("fmc.example.com",), "10.0.0.5", "10.0.0.5"),   # an IP is only matched by an IP name
    ((), "10.0.0.5", "10.0.0.5"),                     # ... never by the CN
    ((), "fmc.example.com", "fmc.example.com"),       # no DNS names: the CN counts
    (("10.0.0.5",), "fmc.example.com", "fmc.example.com"),
    (("other.example.com",), "fmc.example.com", "fmc.example.com"),  # DNS names hide the CN
    (("2001:db8::1",), "x", "2001:db8:0::1"),
]


def test_hostname_verdict_is_openssls(foreign_ca):
    """``hostname_matches`` (what the connection test reports) gives OpenSSL's verdict."""
    ca = foreign_ca
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cadata=ca.pem().decode())
    for names, cn, host in _HOSTNAME_CASES:
        key, cert = ca.issue(cn, server=True, names=names)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        with tls._secret_file(pem) as path:
            server.load_cert_chain(path)
        client_sock, server_sock = socket.socketpair()
        with client_sock, server_sock:
            accept = threading.Thread(target=_quiet_handshake, args=(server, server_sock))
            accept.start()
            try:
                client.wrap_socket(client_sock, server_hostname=host).close()
                openssl = True
            except ssl.SSLCertVerificationError:
                openssl = False
            server_sock.close()
            accept.join(5)
        assert tls.hostname_matches(cert, host) is openssl, (names, cn, host)


def _quiet_handshake(context, sock):
    try:
        context.wrap_socket(sock, server_side=True).close()
    except OSError:
        pass


def test_ca_given_as_pem_text_verifies_the_fmc(client_identity, simulator, tmp_path):
    """``cadata``: the CA as PEM text (the account page's field), no file needed."""
    other = make_fmc_certs(tmp_path, "127.0.0.1", "pw")  # another FMC with its own CA
    sim = simulator(certs_dir=other.directory)
    issued = tls.load_pkcs12(other.client_pkcs12.read_bytes(), "pw")
    bare = tls.ClientIdentity(issued.key, issued.certificate, ())  # a PKCS12 without CA
    with pytest.raises(ConfigurationError, match="no CA certificate"):
        tls.client_context(bare)
    pem = (other.directory / "ca.pem").read_text()
    with tls.connect(*sim.address, tls.client_context(bare, cadata=f"\n{pem}\n")) as sock:
        sock.sendall(event_stream_request(START_NOW, DEFAULT_FLAGS))
        assert sock.recv(8)  # the FMC accepted us and answered
    # the CA given replaces the PKCS12's: our FMC's CA (inside the PKCS12) is not trusted
    ours = simulator()
    with pytest.raises(TransportError, match="server certificate not trusted"):
        tls.connect(*ours.address, tls.client_context(client_identity, cadata=pem))
    with pytest.raises(ConfigurationError, match="not PEM text"):
        tls.client_context(bare, cadata="MIIB-not-a-certificate")
    broken = pem.replace(pem.splitlines()[3], "A" * 64)
    with pytest.raises(ConfigurationError, match="CA certificate could not be loaded"):
        tls.client_context(bare, cadata=broken)


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_foreign_client_certificate_is_rejected(foreign_ca, simulator, caplog, version):
    sim = simulator(tls_max_version=version)
    identity = tls.load_pkcs12(client_pkcs12_bytes(foreign_ca, "127.0.0.1", "pw"), "pw")
    context = tls.client_context(identity, cafile=None, verify=False)
    # TLS 1.2: the handshake fails; TLS 1.3: the first read does
    with pytest.raises(TransportError) as info, caplog.at_level(logging.WARNING), \
            tls.connect(*sim.address, context) as sock:
        _first_read(sock, sim.address)
    text = _one_line(info.value)
    assert f"127.0.0.1:{sim.port}" in text and "rejected our client certificate" in text
    assert sim.wait_for(lambda s: s.rejected == 1, 5)
    assert "SSL_accept failed" in caplog.text


def test_cn_mismatch_is_refused_like_the_fmc(fmc_certs, simulator, caplog):
    sim = simulator()
    identity = tls.load_pkcs12(client_pkcs12_bytes(fmc_certs.ca, "10.48.26.47", "pw"), "pw")
    with caplog.at_level(logging.INFO, logger="estreamer.simulator"):
        with pytest.raises(TransportError) as info, \
                tls.connect(*sim.address, tls.client_context(identity)) as sock:
            _first_read(sock, sim.address)
        assert sim.wait_for(lambda s: s.rejected == 1, 5)
    assert "rejected our client certificate: its CN must be the address" in str(info.value)
    assert ("Certificate Common Name 10.48.26.47 does not match remote host: 127.0.0.1. "
            "It was issued to a different client.") in caplog.text


def test_cn_may_be_a_name_resolving_to_the_client(fmc_certs, simulator, caplog):
    sim = simulator()
    identity = tls.load_pkcs12(client_pkcs12_bytes(fmc_certs.ca, "localhost", "pw"), "pw")
    with caplog.at_level(logging.INFO, logger="estreamer.simulator"), \
            tls.connect(*sim.address, tls.client_context(identity)) as sock:
        assert _first_read(sock, sim.address)  # Streaming Information arrives
    assert "Matched Certificate CN:localhost to 127.0.0.1 (IPv4)" in caplog.text


def test_tls_version_refused(client_identity, simulator):
    sim = simulator(tls_max_version="1.2")
    context = tls.client_context(client_identity, min_version="1.3")
    with pytest.raises(TransportError, match="TLS version refused"):
        tls.connect(*sim.address, context)


def test_revoked_alert_names_the_fix():
    err = ssl.SSLError(1, "[SSL: SSLV3_ALERT_CERTIFICATE_REVOKED] sslv3 alert certificate revoked")
    err.reason = "SSLV3_ALERT_CERTIFICATE_REVOKED"
    text = str(tls.explain_io_error(err, "fmc", 8302))
    assert text.startswith("fmc:8302:") and "download the new PKCS12" in text


def test_reset_after_handshake_and_later():
    early = tls.explain_io_error(ConnectionResetError(104, "reset"), "fmc", 8302,
                                 received_any=False)
    assert "rejected our client certificate" in str(early)
    later = tls.explain_io_error(ConnectionResetError(104, "reset"), "fmc", 8302)
    assert str(later) == "fmc:8302: connection reset by the peer; reconnect"
    assert str(tls.peer_closed("fmc", 8302, received_any=True)) == \
        "fmc:8302: peer closed the connection"

