"""Shared fixtures: FMC-style test certificates and a simulated FMC on loopback.

``fmc_certs`` (session scope) -> :class:`estreamer.testing.certs.FmcCertificates`
    A directory made once per test session by ``make_fmc_certs``: ``ca.pem``,
    ``server.pem``, ``server.key`` (the simulated FMC) and ``client.pkcs12`` (modern
    AES-256 encryption, client CN ``127.0.0.1``, password :data:`PKCS12_PASSWORD`).
    ``fmc_certs.ca`` is the CA, to issue more certificates (expired ones, other CNs)
    with ``estreamer.testing.certs.client_pkcs12_bytes``.

``client_identity`` (session scope) -> :class:`estreamer.stream.tls.ClientIdentity`
    ``fmc_certs.client_pkcs12`` loaded with the password.

``client_context`` -> ``ssl.SSLContext``
    A verifying client context for that identity (``estreamer.stream.tls.client_context``).

``simulator`` -> factory ``simulator(**options) -> Simulator``
    Starts an :class:`estreamer.testing.simulator.Simulator` on 127.0.0.1, an ephemeral port,
    with ``fmc_certs``' directory (override with ``certs_dir=``); every keyword goes
    to the constructor (``records=``, ``rate=``, ``faults=``, ``enforce_cn=`` ...).
    Everything started is stopped (threads joined) at the end of the test. Connect
    with ``estreamer.stream.tls.connect(*sim.address, client_context)``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from estreamer.stream.tls import ClientIdentity, load_pkcs12
from estreamer.stream.tls import client_context as make_client_context
from estreamer.testing.certs import FmcCertificates, make_fmc_certs
from estreamer.testing.simulator import Simulator
from tests.support.certs import PKCS12_PASSWORD


@pytest.fixture(scope="session")
def fmc_certs(tmp_path_factory: pytest.TempPathFactory) -> FmcCertificates:
    return make_fmc_certs(tmp_path_factory.mktemp("fmc-certs"), "127.0.0.1",
                          PKCS12_PASSWORD)


@pytest.fixture(scope="session")
def client_identity(fmc_certs: FmcCertificates) -> ClientIdentity:
    return load_pkcs12(fmc_certs.client_pkcs12.read_bytes(), PKCS12_PASSWORD)


@pytest.fixture
def client_context(client_identity: ClientIdentity) -> ssl.SSLContext:
    return make_client_context(client_identity)


@pytest.fixture
def simulator(fmc_certs: FmcCertificates) -> Iterator[Callable[..., Simulator]]:
    started: list[Simulator] = []

    def start(**options: Any) -> Simulator:
        certs_dir = options.pop("certs_dir", fmc_certs.directory)
        sim = Simulator(certs_dir, "127.0.0.1", 0, **options)
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


#: what `pytest -m "not slow"` (the quick loop, under 30 s) leaves out and the whole suite
#: runs: folders whose tests run processes, sockets, the built add-on or the Splunk
#: emulation over whole streams, and modules of fuzzing, property tests over every record
#: type, real TLS and the simulator
_SLOW_FOLDERS = ("integration", "splunk", "knowledge")
_SLOW_MODULES = ("test_native.py", "test_session_fuzz.py", "test_protocol_fuzz.py",
                 "test_simulator.py", "test_tls.py", "test_flat_records.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent.name in _SLOW_FOLDERS or item.path.name in _SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
