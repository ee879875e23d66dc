"""``check_connection``: the ``estreamer test`` exchange on a ready TLS context, as the
CLI and the Splunk add-on's "test the connection" use it, against the simulated FMC."""

from __future__ import annotations

import socket

import pytest

from estreamer import tls
from estreamer.certs import client_pkcs12_bytes, make_fmc_certs
from estreamer.cli.test import check_connection
from estreamer.errors import EStreamerError, TransportError
from estreamer.protocol import DEFAULT_FLAGS, RequestFlags


def test_success_is_the_line_estreamer_test_prints(simulator, client_context):
    sim = simulator(records=10)
    line = check_connection("127.0.0.1", sim.port, client_context)
    assert line == f"127.0.0.1:{sim.port}: Connection successful"


def test_legacy_request_without_extended_flag_succeeds(simulator, client_context):
    sim = simulator(records=10)
    flags = int(DEFAULT_FLAGS) & ~int(RequestFlags.EXTENDED)
    line = check_connection("127.0.0.1", sim.port, client_context, flags=flags)
    assert line.endswith("Connection successful")


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
