"""Where the input's log goes: the add-on's log file, splunkd's log and the index.

* ``$SPLUNK_HOME/var/log/splunk/ta_estreamer_<input>.log`` through solnlib's ``Logs``
  (rotating file; Splunk indexes it into ``_internal``);
* stderr, one line per message with splunkd's severities (``splunkd.log``,
  component ExecProcessor);
* events of sourcetype ``cisco:estreamer:log`` in the input's index (as eNcore's
  add-on did), written through the shared EventWriter.

Log messages never carry secrets: the core and this glue only log host names,
counts and one-line causes.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, Callable

from estreamer_splunk import APP_NAME, SOURCETYPE_LOG

LOGGER_NAMES = ("estreamer", "estreamer_splunk")
_SEVERITY = {logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARN",
             logging.ERROR: "ERROR", logging.CRITICAL: "FATAL"}


def severity(levelno: int) -> str:
    for level in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if levelno >= level:
            return _SEVERITY[level]
    return "DEBUG"


class StderrHandler(logging.Handler):
    """splunkd's modular-input log contract: ``<SEVERITY> <message>``, one line each."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__()
        self.stream = stream or sys.stderr

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = " ".join(self.format(record).splitlines())
            self.stream.write(f"{severity(record.levelno)} {text}\n")
            self.stream.flush()
        except Exception:
            self.handleError(record)


#: solnlib's log line, as its file handler writes ``ta_estreamer_<input>.log``;
#: props.conf [cisco:estreamer:log] (transform estreamer_log_line) extracts it
LOG_FORMAT = ("%(asctime)s log_level=%(levelname)s pid=%(process)d tid=%(threadName)s "
              "file=%(filename)s:%(funcName)s:%(lineno)d | %(message)s")


class SolnlibFormatter(logging.Formatter):
    """solnlib's format on one line: thread names without spaces (``tid=`` is one word),
    line breaks of messages and tracebacks turned into spaces."""

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if record.threadName and " " in record.threadName:
            record = logging.makeLogRecord(
                {**record.__dict__, "threadName": record.threadName.replace(" ", "_")})
        return " ".join(super().format(record).splitlines())


class EventLogHandler(logging.Handler):
    """Log lines as ``cisco:estreamer:log`` events, in solnlib's format (as the log file)."""

    def __init__(self, write: Callable[[str, str, float], None]) -> None:
        super().__init__()
        self._write = write
        self._local = threading.local()
        self.setFormatter(SolnlibFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._local, "busy", False):
            return  # a failure while writing a log event must not log recursively
        self._local.busy = True
        try:
            self._write(self.format(record), SOURCETYPE_LOG, record.created)
        except Exception:
            self.handleError(record)
        finally:
            self._local.busy = False


def file_logger(input_name: str) -> logging.Logger:
    """solnlib's logger of this input: it writes only ``ta_estreamer_<input>.log``
    (needs SPLUNK_HOME). UCC's monitoring dashboard reads that file in ``_internal``."""
    from solnlib import log

    return log.Logs().get_logger(f"{APP_NAME.lower()}_{input_name}")


def file_handlers(input_name: str) -> list[logging.Handler]:
    """solnlib's rotating file handler for this input's log file (needs SPLUNK_HOME)."""
    return list(file_logger(input_name).handlers)


def install(level: int, handlers: list[logging.Handler]) -> None:
    """Route the core's and the glue's loggers to ``handlers`` at ``level``."""
    formatter = logging.Formatter("%(name)s: %(message)s")
    for handler in handlers:
        if isinstance(handler, StderrHandler):
            handler.setFormatter(formatter)
    for name in LOGGER_NAMES:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = False
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        for handler in handlers:
            logger.addHandler(handler)


def level_from_name(name: str | None) -> int:
    value = logging.getLevelName((name or "INFO").upper())
    return value if isinstance(value, int) else logging.INFO
