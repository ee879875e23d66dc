from __future__ import annotations

import io
import os
import socket
import struct
import threading

import pytest

from estreamer.errors import ConfigurationError, TransportError
from estreamer.records.record import Record
from estreamer.stream.outputs import (
    OutputSink,
    Outputter,
    RotatingFileStream,
    StdoutStream,
    TcpStream,
    UdpStream,
    open_stream,
)


def rec(i: int) -> Record:
    return Record(400, {"eventId": i}, archive_timestamp=1000 + i)


def fmt(record: Record) -> str:
    return f"event_id={record.fields['eventId']}"


def lines_of(paths):
    out = []
    for path in sorted(paths):
        with open(path, encoding="utf-8") as handle:
            out.extend(handle.read().splitlines())
    return out


def test_relfile_is_relative_to_config_dir_and_rotates_at_checkpoint(tmp_path):
    clock = iter(range(1000, 2000))
    stream = open_stream("relfile:///data/enc.{0}.log", base_dir=str(tmp_path), max_logs=3)
    assert isinstance(stream, RotatingFileStream)
    stream._clock = lambda: next(clock)
    sink = OutputSink([Outputter(fmt, stream)])
    sink.write([rec(0), rec(1)])
    pos1 = sink.flush()
    sink.write([rec(2), rec(3)])
    pos2 = sink.flush()  # 4 lines >= 3: the next file starts here
    sink.write([rec(4)])
    sink.close()
    files = sorted(os.listdir(tmp_path / "data"))
    assert files == ["enc.1000.log", "enc.1001.log"]
    assert lines_of([tmp_path / "data" / f for f in files]) == [
        f"event_id={i}" for i in range(5)]
    path1 = str(tmp_path / "data" / "enc.1000.log")
    assert pos1 == {"outputs": {"relfile:///data/enc.{0}.log": {"path": path1, "size": 22}}}
    assert pos2["outputs"]["relfile:///data/enc.{0}.log"]["size"] == 0


def test_restore_truncates_what_was_written_after_the_bookmark(tmp_path):
    template = str(tmp_path / "out.{0}.log")
    stream = RotatingFileStream(template, max_logs=100)
    sink = OutputSink([Outputter(fmt, stream)])
    sink.write([rec(0), rec(1)])
    position = sink.flush()
    sink.write([rec(2), rec(3)])  # written, never bookmarked (the process dies here)
    stream._handle.flush()
    # a new process restores the bookmarked position and delivers 2, 3 again
    stream2 = RotatingFileStream(template, max_logs=100)
    sink2 = OutputSink([Outputter(fmt, stream2)])
    sink2.restore(position)
    sink2.write([rec(2), rec(3), rec(4)])
    sink2.close()
    files = [tmp_path / f for f in os.listdir(tmp_path)]
    assert lines_of(files) == [f"event_id={i}" for i in range(5)]


def _killed_after_writing(stream, lines):
    """Write ``lines`` and let them reach the disk with no checkpoint (then kill -9)."""
    stream.write_lines(lines)
    stream._handle.flush()


def test_a_run_killed_before_its_first_checkpoint_is_wound_back(tmp_path):
    template = str(tmp_path / "out.{0}.log")
    stream = RotatingFileStream(template, clock=lambda: 1000)
    stream.restore(None)  # no bookmark yet: a fresh start
    start = stream.flush()  # the client's first checkpoint, before any write
    assert start == {"path": str(tmp_path / "out.1000.log"), "size": 0}
    assert os.path.exists(start["path"])
    _killed_after_writing(stream, ["e1", "e2"])
    again = RotatingFileStream(template, clock=lambda: 2000)
    again.restore(start)
    # checkpoints before anything is written again (metadata only) keep the position
    assert again.flush() == start
    again.write_lines(["e1", "e2", "e3"])  # delivered again after the restart
    again.close()
    assert os.listdir(tmp_path) == ["out.1000.log"]
    assert lines_of([start["path"]]) == ["e1", "e2", "e3"]


def test_rotation_creates_the_next_file_before_a_checkpoint_names_it(tmp_path):
    clock = iter(range(1000, 2000))
    template = str(tmp_path / "out.{0}.log")
    stream = RotatingFileStream(template, max_logs=2, clock=lambda: next(clock))
    stream.restore(None)
    stream.write_lines(["e1", "e2"])
    rotated = stream.flush()  # 2 lines: the next file starts here
    assert rotated == {"path": str(tmp_path / "out.1001.log"), "size": 0}
    assert os.path.getsize(rotated["path"]) == 0  # it exists, so a restart finds it
    _killed_after_writing(stream, ["e3"])
    again = RotatingFileStream(template, max_logs=2, clock=lambda: next(clock))
    again.restore(rotated)
    again.write_lines(["e3", "e4"])
    again.close()
    assert sorted(os.listdir(tmp_path)) == ["out.1000.log", "out.1001.log"]
    assert lines_of([tmp_path / f for f in os.listdir(tmp_path)]) == ["e1", "e2", "e3", "e4"]


def test_a_bookmarked_file_that_is_gone_is_replaced_by_one_that_exists(tmp_path):
    stream = RotatingFileStream(str(tmp_path / "out.{0}.log"), clock=lambda: 1000)
    stream.restore({"path": str(tmp_path / "out.999.log"), "size": 50})  # removed by hand
    position = stream.flush()
    # the next bookmark names the new file, so a kill after this point is wound back
    assert position == {"path": str(tmp_path / "out.1000.log"), "size": 0}
    assert os.path.exists(position["path"])


def test_one_file_without_rotation_is_wound_back_to_where_the_run_began(tmp_path):
    path = tmp_path / "events.log"
    path.write_text("from an earlier run\n")
    stream = RotatingFileStream(str(path))
    stream.restore(None)
    start = stream.flush()
    assert start == {"path": str(path), "size": 20}
    _killed_after_writing(stream, ["e1"])
    again = RotatingFileStream(str(path))
    again.restore(start)
    again.close()
    assert path.read_text() == "from an earlier run\n"


def test_restore_ignores_a_file_that_is_not_ours(tmp_path):
    other = tmp_path / "unrelated.txt"
    other.write_text("keep me\n")
    stream = RotatingFileStream(str(tmp_path / "out.{0}.log"))
    stream.restore({"path": str(other), "size": 0})
    assert other.read_text() == "keep me\n"


def test_same_second_rotation_gets_distinct_names(tmp_path):
    stream = RotatingFileStream(str(tmp_path / "x.{0}.log"), max_logs=1,
                                clock=lambda: 1234)
    for i in range(3):
        stream.write_lines([f"l{i}"])
        stream.flush()
    stream.close()
    # the last flush rotated too: its new file exists (empty) before it is bookmarked
    assert sorted(os.listdir(tmp_path)) == ["x.1234-1.log", "x.1234-2.log", "x.1234-3.log",
                                            "x.1234.log"]
    assert (tmp_path / "x.1234-3.log").read_text() == ""


def test_unwritable_directory_is_a_transport_error(tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("")
    stream = RotatingFileStream(str(blocker / "x.{0}.log"))
    with pytest.raises(TransportError, match="cannot open output file"):
        stream.write_lines(["a"])


@pytest.mark.parametrize("uri", ["ftp://x/y", "udp://nohost", "file://host/x", "tcp://:9"])
def test_bad_uris(uri):
    with pytest.raises(ConfigurationError, match="output uri"):
        open_stream(uri)


def test_stdout_stream_writes_lines():
    buf = io.StringIO()
    stream = StdoutStream(buf)
    stream.write_lines(["a=1", "b=2"])
    assert stream.flush() is None
    assert buf.getvalue() == "a=1\nb=2\n"


def _bundle_of_lines() -> list[str]:
    # a bundle's worth of lines of mixed sizes, several write pieces long
    return [f"n={i} " + "x=y " * (i % 900) + "\u00e9" for i in range(1500)]


def test_a_large_batch_is_written_whole_and_in_order(tmp_path):
    lines = _bundle_of_lines()
    stream = RotatingFileStream(str(tmp_path / "out.{0}.log"), max_logs=10_000)
    stream.write_lines(lines)
    position = stream.flush()
    assert position is not None
    assert lines_of([position["path"]]) == lines
    buf = io.StringIO()
    StdoutStream(buf).write_lines(lines)
    assert buf.getvalue() == "\n".join(lines) + "\n"


def test_udp_one_datagram_per_event():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    try:
        port = receiver.getsockname()[1]
        stream = open_stream(f"udp://127.0.0.1:{port}")
        assert isinstance(stream, UdpStream)
        stream.write_lines(["one", "two words"])
        assert receiver.recv(1000) == b"one"
        assert receiver.recv(1000) == b"two words"
        stream.close()
    finally:
        receiver.close()


def _tcp_server(received: list, ready: threading.Event, port_box: list, conns: int):
    server = socket.socket()
    server.bind(("127.0.0.1", port_box[0] if port_box else 0))
    server.listen(1)
    server.settimeout(10)
    if not port_box:
        port_box.append(server.getsockname()[1])
    ready.set()
    try:
        for _ in range(conns):
            conn, _ = server.accept()
            with conn:
                conn.settimeout(10)
                data = b""
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                received.append(data)
    finally:
        server.close()


def test_tcp_reconnects_without_losing_events():
    received: list = []
    port_box: list = []
    ready = threading.Event()
    thread = threading.Thread(target=_tcp_server, args=(received, ready, port_box, 1))
    thread.start()
    ready.wait(5)
    port = port_box[0]
    stream = open_stream(f"tcp://127.0.0.1:{port}")
    assert isinstance(stream, TcpStream)
    stream.backoff_initial = 0.05
    stream.write_lines(["a", "b"])
    stream.close()  # the receiver sees EOF and goes away
    thread.join(10)
    # the receiver is down: the next batch waits, then goes to the restarted receiver
    ready2 = threading.Event()
    thread2 = threading.Thread(target=_tcp_server, args=(received, ready2, port_box, 1))
    timer = threading.Timer(0.3, thread2.start)
    timer.start()
    try:
        stream.write_lines(["c"])
        stream.close()
    finally:
        timer.join()
        thread2.join(10)
    assert received == [b"a\nb\n", b"c\n"]
    assert stream.reconnects >= 1


def test_tcp_stop_while_unreachable_refuses_the_batch():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens here now
    stop = threading.Event()
    stream = TcpStream("127.0.0.1", port, f"tcp://127.0.0.1:{port}", stop=stop,
                       backoff_initial=0.05)
    threading.Timer(0.2, stop.set).start()
    with pytest.raises(TransportError, match="un-bookmarked"):
        stream.write_lines(["x"])


class _Receiver:
    """A TCP receiver on loopback whose connections end as told: ``"read"`` reads to
    EOF, ``"die"`` reads nothing and resets the connection (a receiver killed with
    lines still unread in its socket), ``("read", n)`` reads n bytes, then closes
    (``("read", n, event)``: once ``event`` is set)."""

    def __init__(self, plan):
        self.plan = list(plan)
        self.received: list[bytes] = []
        self.ended = [threading.Event() for _ in self.plan]
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.server.settimeout(10)
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        for how, ended in zip(self.plan, self.ended):
            conn, _ = self.server.accept()
            conn.settimeout(10)
            data = b""
            if how == "die":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif how == "read":
                while chunk := conn.recv(65536):
                    data += chunk
            else:
                while len(data) < how[1]:
                    data += conn.recv(how[1] - len(data))
                if len(how) > 2:
                    how[2].wait(10)
            conn.close()
            self.received.append(data)
            ended.set()
        self.server.close()


def _lines(prefix, n):
    return [f"{prefix}{i} " + "x" * 200 for i in range(n)]


def _wire(lines):
    return "".join(line + "\n" for line in lines).encode()


def test_tcp_sends_again_what_a_dead_receiver_never_read():
    receiver = _Receiver(["die", "read"])
    stream = TcpStream("127.0.0.1", receiver.port, "tcp://test", backoff_initial=0.05)
    first, second = _lines("a", 300), _lines("b", 300)
    stream.write_lines(first)   # taken in by the receiver's system, never read
    assert receiver.ended[0].wait(10)
    stream.write_lines(second)  # fails (reset) or vanishes; either way sent again
    stream.flush()
    stream.close()
    receiver.thread.join(10)
    assert receiver.received == [b"", _wire(first + second)]
    assert stream.reconnects >= 1


def test_tcp_checkpoint_checks_the_receiver_and_bounds_what_is_repeated():
    first, second = _lines("a", 300), _lines("b", 300)
    checkpointed = threading.Event()
    receiver = _Receiver([("read", len(_wire(first)), checkpointed), "read"])
    stream = TcpStream("127.0.0.1", receiver.port, "tcp://test", backoff_initial=0.05)
    stream.write_lines(first)
    stream.flush()              # the checkpoint: ``first`` is not kept any longer
    checkpointed.set()          # (the receiver goes away only after it, never before)
    assert receiver.ended[0].wait(10)  # the receiver read ``first`` and went away
    stream.write_lines(second)  # may seem to succeed: the receiver's system discards it
    stream.flush()              # sees the receiver gone: reconnects, sends ``second`` again
    stream.close()
    receiver.thread.join(10)
    assert receiver.received == [_wire(first), _wire(second)]
