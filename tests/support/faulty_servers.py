"""Loopback servers that misbehave the way the network and refusing FMCs do.

``faulty_server(behaviour, certs=None)`` (context manager) -> port
    Listens on 127.0.0.1 (ephemeral port) and treats every connection the same way
    until the block ends:

    ``"silent"``  accept TCP and never answer (a port that does not speak TLS, or
                  a dead service behind a load balancer);
    ``"close"``   read the ClientHello, then close without a TLS answer;
    ``"reset"``   read the ClientHello, then reset (RST) without a TLS answer;
    ``"refuse"``  complete the TLS handshake (server certificate from ``certs``, a
                  :class:`estreamer.testing.certs.FmcCertificates`, client certificate required),
                  then reset: how an FMC refuses a client it does not accept.

    ``.accepted`` on the returned object counts the connections served.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class FaultyServer:
    port: int
    accepted: int = 0


def _reset(conn: socket.socket) -> None:
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


@contextlib.contextmanager
def faulty_server(behaviour: str, certs=None) -> Iterator[FaultyServer]:
    if behaviour not in ("silent", "close", "reset", "refuse"):
        raise ValueError(behaviour)
    context = None
    if behaviour == "refuse":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.server_cert, certs.server_key)
        context.load_verify_locations(cafile=certs.ca_pem)
        context.verify_mode = ssl.CERT_REQUIRED
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    server = FaultyServer(listener.getsockname()[1])
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            server.accepted += 1
            conn.settimeout(5)
            try:
                if behaviour == "silent":
                    held.append(conn)  # open, unanswered, until the block ends
                    continue
                if behaviour in ("close", "reset"):
                    conn.recv(4096)
                    conn.close() if behaviour == "close" else _reset(conn)
                    continue
                assert context is not None
                _reset(context.wrap_socket(conn, server_side=True))
            except OSError:
                conn.close()

    thread = threading.Thread(target=serve, name=f"faulty-{behaviour}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for conn in held:
            conn.close()
