"""Transport failures anywhere in a session are retried by `run` and explained by `test`.

An FMC refuses a client by completing the TLS handshake and then resetting: the
reset meets the client's first write (the request) or its first read. Either way it
is a TransportError, retried with backoff for as long as `run` runs.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time

from estreamer.stream.bookmark import FileBookmarkStore
from estreamer.stream.client import Endpoint, StreamClient
from estreamer.stream.net import Backoff
from estreamer.stream.outputs import OutputSink
from tests.support.certs import PKCS12_PASSWORD
from tests.support.faulty_servers import faulty_server


class _RefusedSocket:
    """What ``tls.connect`` returns when the FMC resets right after the handshake."""

    def sendall(self, data: bytes) -> None:
        raise ssl.SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:2427)")

    def recv(self, size: int) -> bytes:  # pragma: no cover - never reached
        raise AssertionError("no read after a failed request")

    def close(self) -> None:
        pass


def test_reset_on_the_first_write_is_retried(tmp_path, caplog):
    stop = threading.Event()
    attempts = []

    def connect(host, port, context, **_):
        attempts.append(time.monotonic())
        if len(attempts) == 4:
            stop.set()
        return _RefusedSocket()

    client = StreamClient([Endpoint("fmc", 8302, ssl.create_default_context())],
                          key="fmc:8302", sink=OutputSink([]),
                          bookmarks=FileBookmarkStore(tmp_path), stop_event=stop,
                          backoff=Backoff(0.01, 0.02), connect=connect)
    status = client.run()  # returns (no exception escapes) once stopped
    assert len(attempts) == 4
    assert status.state == "stopped" and status.reconnects == 4
    assert status.last_error.startswith("fmc:8302: connection closed before any data: the "
                                        "FMC rejected our client certificate")
    assert caplog.text.count("retrying fmc:8302 in") >= 3


def _config(tmp_path, fmc_certs, port, connect_timeout=5.0):
    path = tmp_path / "estreamer.conf"
    path.write_text(json.dumps({
        "connectTimeout": connect_timeout,
        "reconnect": {"initialDelay": 0.05, "maxDelay": 0.2},
        "monitor": {"enabled": False},
        "stateDirectory": str(tmp_path / "state"),
        "subscription": {"servers": [{
            "host": "127.0.0.1", "port": port, "pkcs12Filepath": str(fmc_certs.client_pkcs12),
            "caFile": str(fmc_certs.ca_pem)}]},
        "handler": {"outputters": []},
    }))
    return str(path)


def _estreamer(*args, **kwargs):
    env = dict(os.environ, ESTREAMER_PKCS12_PASSWORD=PKCS12_PASSWORD)
    return subprocess.Popen([sys.executable, "-m", "estreamer.cli", *args], env=env,
                            text=True, **kwargs)


def test_run_keeps_retrying_an_fmc_that_resets_after_the_handshake(fmc_certs, tmp_path):
    log = tmp_path / "stderr.log"
    with faulty_server("refuse", fmc_certs) as server, open(log, "w") as err:
        proc = _estreamer("run", "--config", _config(tmp_path, fmc_certs, server.port),
                          stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None and \
                    log.read_text().count("; retrying ") < 5:
                time.sleep(0.1)
            assert proc.poll() is None, "run ended instead of retrying:\n" + log.read_text()
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(20)
    text = log.read_text()
    assert rc == 0, text
    assert text.count("; retrying ") >= 5 and server.accepted >= 5
    assert "rejected our client certificate" in text
    assert "Traceback" not in text


def test_test_command_explains_a_refusing_fmc_and_a_silent_port(fmc_certs, tmp_path):
    for behaviour, expected in (("refuse", "rejected our client certificate"),
                                ("silent", "no TLS answer within 0.5s")):
        with faulty_server(behaviour, fmc_certs) as server:
            config = _config(tmp_path, fmc_certs, server.port, connect_timeout=0.5)
            proc = _estreamer("test", "--config", config, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1, err
        assert "Traceback" not in err and out == ""
        causes = [line for line in err.splitlines() if line.startswith("127.0.0.1:")]
        assert len(causes) == 1 and expected in causes[0], err
