"""Run the built add-on's modular input exactly as splunkd does, and read what it wrote.

splunkd's contract (spec/SPLUNK_FACTS.md section 6): ``python bin/estreamer.py --scheme``;
``--validate-arguments`` with ``<items>`` XML on stdin; the stream run with
``<input>`` XML on stdin, the XML event stream on stdout, the log on stderr, SIGTERM
to stop it. The interpreter is one of Splunk's Pythons (3.9, 3.13); ``lib/`` comes
from the build; only the fake ``splunk`` module is added to ``PYTHONPATH``.
"""

from __future__ import annotations

import codecs
import json
import os
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

FAKE_SPLUNK = Path(__file__).parent / "fake_splunk"
APP = "TA_estreamer"


def environment(splunk_home: Path, splunkd_uri: str, session_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONPATH=str(FAKE_SPLUNK), SPLUNK_HOME=str(splunk_home),
               SPLUNKD_URI=splunkd_uri, SPLUNK_SESSION_KEY=session_key,
               PYTHONDONTWRITEBYTECODE="1")
    return env


def _params(params: dict[str, str]) -> str:
    return "".join(f"<param name={quoteattr(k)}>{escape(str(v))}</param>"
                   for k, v in params.items())


def validation_xml(name: str, params: dict[str, str], uri: str, session_key: str) -> str:
    return (f"<items><server_host>standin</server_host><server_uri>{escape(uri)}</server_uri>"
            f"<session_key>{escape(session_key)}</session_key><checkpoint_dir>/nonexistent"
            f"</checkpoint_dir><item name={quoteattr(name)}>{_params(params)}</item></items>")


def input_xml(name: str, params: dict[str, str], uri: str, session_key: str) -> str:
    full = {"disabled": "0", "host": "splunk-host", "interval": "60",
            "python.version": "python3", **params}
    return (f"<input><server_host>standin</server_host><server_uri>{escape(uri)}</server_uri>"
            f"<session_key>{escape(session_key)}</session_key><checkpoint_dir>/nonexistent"
            f"</checkpoint_dir><configuration><stanza name={quoteattr('estreamer://' + name)} "
            f"app=\"{APP}\">{_params(full)}</stanza></configuration></input>")


@dataclass
class Event:
    stanza: str
    time: str | None
    source: str | None
    sourcetype: str | None
    index: str | None
    host: str | None
    data: str


def parse_stream(text: str) -> list[Event]:
    """The events of an XML stream; a missing ``</stream>`` (killed process) is tolerated."""
    if not text.strip():
        return []
    if not text.rstrip().endswith("</stream>"):
        text += "</stream>"
    root = ET.fromstring(text)
    return [Event(e.get("stanza", ""), e.findtext("time"), e.findtext("source"),
                  e.findtext("sourcetype"), e.findtext("index"), e.findtext("host"),
                  e.findtext("data") or "") for e in root.iter("event")]


def run_script(python: str, app_dir: Path, args: list[str], stdin: str, env: dict[str, str],
               timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([python, str(app_dir / "bin" / "estreamer.py"), *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=str(app_dir / "bin"))


class StreamRun:
    """A stream run in the background: stdout and stderr collected as they arrive."""

    def __init__(self, python: str, app_dir: Path, stdin: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [python, str(app_dir / "bin" / "estreamer.py")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(app_dir / "bin"))
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [threading.Thread(target=self._pump, args=(s, b), daemon=True)
                         for s, b in ((self.proc.stdout, self._out),
                                      (self.proc.stderr, self._err))]
        for reader in self._readers:
            reader.start()
        assert self.proc.stdin is not None
        self.proc.stdin.write(stdin.encode("utf-8"))
        self.proc.stdin.close()

    @staticmethod
    def _pump(stream, buffer: list[str]) -> None:
        # os.read returns what the pipe holds now (a buffered read would wait for more)
        decoder = codecs.getincrementaldecoder("utf-8")()
        fd = stream.fileno()
        for chunk in iter(lambda: os.read(fd, 65536), b""):
            buffer.append(decoder.decode(chunk))
        buffer.append(decoder.decode(b"", final=True))

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def events(self) -> list[Event]:
        text = self.stdout
        # only whole events: cut after the last complete one
        end = text.rfind("</event>")
        return parse_stream(text[:end + len("</event>")] if end >= 0 else "")

    def wait_for(self, condition, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self):
                return True
            if self.proc.poll() is not None:
                return condition(self)
            time.sleep(0.05)
        return False

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as splunkd sends when it stops an input; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise
        for reader in self._readers:
            reader.join(5)
        return code


def _installed(app_dir: Path, env: dict[str, str]) -> Path:
    """The add-on under $SPLUNK_HOME/etc/apps/<app> (splunktaucclib finds its app name
    by the script's path), as a link to the build."""
    installed = Path(env["SPLUNK_HOME"]) / "etc" / "apps" / APP
    if not installed.exists():
        installed.parent.mkdir(parents=True, exist_ok=True)
        installed.symlink_to(app_dir, target_is_directory=True)
    return installed


def run_rest_handler(python: str, app_dir: Path, script: str, request: dict,
                     env: dict[str, str], timeout: float = 60) -> tuple[int, dict, str]:
    """Run a REST handler script of the add-on as splunkd would (``admin_external``),
    with the fake ``splunk.admin`` taking ``request`` on stdin; (rc, answer, stderr)."""
    installed = _installed(app_dir, env)
    result = subprocess.run([python, str(installed / "bin" / script)], input=json.dumps(request),
                            capture_output=True, text=True, env=env, timeout=timeout,
                            cwd=str(installed / "bin"))
    lines = result.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if lines else {}
    return result.returncode, answer, result.stderr


def run_persistent(python: str, app_dir: Path, args: list[str], requests: list[dict],
                   env: dict[str, str], timeout: float = 120) -> tuple[int, list[dict], str]:
    """One process serving ``requests`` one after another, as splunkd's persistent
    handlers run (``handlerpersistentmode = true`` / ``scripttype = persist``):
    ``args`` after the interpreter, run in the app's bin/; (rc, one answer per request,
    stderr)."""
    installed = _installed(app_dir, env)
    result = subprocess.run([python, *args], input="".join(json.dumps(r) + "\n"
                                                           for r in requests),
                            capture_output=True, text=True, env=env, timeout=timeout,
                            cwd=str(installed / "bin"))
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, answers, result.stderr


def run_admin_handler_persistent(python: str, app_dir: Path, script: str,
                                 requests: list[dict], env: dict[str, str]
                                 ) -> tuple[int, list[dict], str]:
    """A UCC ``admin_external`` handler script in persistent mode (argument ``persistent``)."""
    installed = _installed(app_dir, env)
    return run_persistent(python, app_dir, [str(installed / "bin" / script), "persistent"],
                          requests, env)


def run_persist_handler(python: str, app_dir: Path, script: str, class_name: str,
                        requests: list[dict], env: dict[str, str]
                        ) -> tuple[int, list[dict], str]:
    """A ``scripttype = persist`` handler: one object, ``handle()`` per request."""
    installed = _installed(app_dir, env)
    return run_persistent(python, app_dir, ["-m", "splunk.persistconn.appserver",
                                            str(installed / "bin" / script), class_name],
                          requests, env)
