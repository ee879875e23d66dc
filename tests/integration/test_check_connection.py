"""``check_connection``: the ``estreamer test`` exchange on a ready TLS context, as the
CLI and the Splunk add-on's "test the connection" use it, against the simulated FMC."""

from __future__ import annotations

import socket

import pytest

from estreamer.errors import EStreamerError, TransportError
from estreamer.protocol import DEFAULT_FLAGS, RequestFlags
from estreamer.stream import tls
from estreamer.stream.diagnostics import check_connection
from estreamer.testing.certs import client_pkcs12_bytes, make_fmc_certs
from tests.support.faulty_servers import faulty_server


def test_success_is_the_line_estreamer_test_prints(simulator, client_context):
    sim = simulator(records=10)
    line = check_connection("127.0.0.1", sim.port, client_context)
    assert line == (f"127.0.0.1:{sim.port}: Connection successful; server certificate names "
                    "localhost, 127.0.0.1, CN=127.0.0.1: matches 127.0.0.1 (host-name "
                    "checking can be turned on)")


def test_success_names_a_certificate_that_does_not_name_the_host(simulator, tmp_path):
    """The default setup (no host-name check) works, and says what the certificate names."""
    named = make_fmc_certs(tmp_path, "127.0.0.1", "pw", server_names=("fmc.example.com",))
    sim = simulator(certs_dir=named.directory)
    context = tls.client_context(tls.load_pkcs12(named.client_pkcs12.read_bytes(), "pw"))
    line = check_connection("127.0.0.1", sim.port, context)
    assert line.startswith(f"127.0.0.1:{sim.port}: Connection successful; ")
    assert line.endswith("names fmc.example.com, CN=fmc.example.com: does not match "
                         "127.0.0.1 (keep host-name checking off, or connect by one of "
                         "these names)")


def test_legacy_request_without_extended_flag_succeeds(simulator, client_context):
    sim = simulator(records=10)
    flags = int(DEFAULT_FLAGS) & ~int(RequestFlags.EXTENDED)
    line = check_connection("127.0.0.1", sim.port, client_context, flags=flags)
    assert "Connection successful; " in line


def _one_line_cause(err: EStreamerError, port: int) -> str:
    text = str(err)
    assert "\n" not in text
    assert text.startswith(f"127.0.0.1:{port}: ")
    return text


def test_refused_port_names_the_cause(client_context):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError) as info:
        check_connection("127.0.0.1", port, client_context, connect_timeout=5)
    assert "connection refused" in _one_line_cause(info.value, port)


def test_fmc_rejecting_our_cn_names_the_cause(fmc_certs, simulator):
    sim = simulator()
    identity = tls.load_pkcs12(client_pkcs12_bytes(fmc_certs.ca, "10.48.26.47", "pw"), "pw")
    with pytest.raises(TransportError) as info:
        check_connection("127.0.0.1", sim.port, tls.client_context(identity))
    assert "rejected our client certificate: its CN must be" in \
        _one_line_cause(info.value, sim.port)


def test_unknown_fmc_ca_names_the_cause(client_context, simulator, tmp_path):
    other = make_fmc_certs(tmp_path, "127.0.0.1", "pw")
    sim = simulator(certs_dir=other.directory)
    with pytest.raises(TransportError) as info:
        check_connection("127.0.0.1", sim.port, client_context)
    assert "server certificate not trusted" in _one_line_cause(info.value, sim.port)


def test_fmc_resetting_after_the_handshake_is_one_line(fmc_certs, client_context):
    """How an FMC refuses a client: TLS completes, then a reset (or EOF) on the first
    write or read. One TransportError line, never a raw ssl/OS error."""
    for _ in range(5):  # the reset meets the request's write or the first read: both paths
        with faulty_server("refuse", fmc_certs) as server, \
                pytest.raises(TransportError) as info:
            check_connection("127.0.0.1", server.port, client_context, connect_timeout=5)
        text = _one_line_cause(info.value, server.port)
        assert "rejected our client certificate" in text


def test_tcp_without_tls_says_no_tls_answer(client_context):
    with faulty_server("silent") as server, pytest.raises(TransportError) as info:
        check_connection("127.0.0.1", server.port, client_context, connect_timeout=0.3)
    text = _one_line_cause(info.value, server.port)
    assert "no TLS answer within 0.3s" in text and "rejected" not in text
