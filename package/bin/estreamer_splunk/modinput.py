"""The ``estreamer`` modular input: validation and the stream run, driving the core client.

splunkd starts one process per input stanza (``use_single_instance = false``): the
process reads its FMC account(s) through splunkd's REST API (secrets decrypted by
solnlib, kept in memory only), streams with ``estreamer.stream.client.StreamClient`` into an
:class:`EventWriterSink`, keeps bookmark and metadata cache in the KV store and
reports health. SIGTERM (splunkd stopping the input) stops the client, which flushes
and saves its bookmark before the process exits.

The accounts are read again before every reconnect cycle (the client's
``refresh_servers``): a renewed PKCS12 or a changed password saved on the account page
is used on the next reconnect, without disabling the input. The certificate in use
(subject, serial, expiry) is logged and written as a status event when it changes, and
daily from 30 days before it expires.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from typing import Any, Callable

from estreamer.errors import ConfigurationError, EStreamerError
from estreamer.gc_tuning import tune_for_streaming
from estreamer.records import _native
from estreamer.records.formatters import get_formatter
from estreamer.stream.client import Endpoint, StreamClient, StreamStatus
from estreamer.stream.config import StartMode
from estreamer_splunk import (
    SETTINGS_CONF,
    SOURCETYPE_STATUS,
    account,
    kvstore,
    logbridge,
)
from estreamer_splunk.options import FORMAT_SOURCETYPES, InputOptions, parse_input, stanza_name
from estreamer_splunk.sink import EventWriterSink
from estreamer_splunk.splunkd import Splunkd
from estreamer_splunk.status import StatusReporter, certificate_event
from estreamer_splunk.xmlevents import widen_pipe

log = logging.getLogger("estreamer_splunk.modinput")


def validate(definition: Any) -> None:
    """``--validate-arguments``: parameters, account(s) and their PKCS12 must be usable.

    Raises ConfigurationError with a one-line reason (splunklib shows it to the user).
    """
    name = definition.metadata.get("name") or "estreamer"
    options = parse_input(name, definition.parameters)
    splunkd = Splunkd.from_metadata(definition.metadata)
    for account_name in (options.account, options.secondary_account):
        if account_name:
            acct = account.read_account(splunkd, account_name)
            account.ssl_context(acct, account.identity(acct))


def stream(inputs: Any, writer: Any) -> None:
    """The stream run; returns when splunkd stops the input (SIGTERM)."""
    stanzas = list(inputs.inputs.items())
    if len(stanzas) != 1:
        raise ConfigurationError(f"the estreamer input runs one stanza per process, "
                                 f"splunkd sent {len(stanzas)}")
    stanza, params = stanzas[0]
    widen_pipe(writer._out)
    InputRun(stanza, params, inputs.metadata, writer).run()


def _log_level(splunkd: Splunkd) -> int:
    """The add-on's log level (Configuration > Logging); INFO when none is saved yet."""
    from solnlib.conf_manager import ConfManagerException, ConfStanzaNotExistException

    try:
        stanza = splunkd.conf_manager().get_conf(SETTINGS_CONF).get("logging")
    except (ConfManagerException, ConfStanzaNotExistException):
        return logging.INFO
    return logbridge.level_from_name(stanza.get("loglevel"))


class KVWaitStatus:
    """Shows a wait for the KV store in the input's status: state ``waiting`` and the
    cause in ``last_error``; the state before it comes back when the KV store answers."""

    def __init__(self, status: Callable[[], StreamStatus]) -> None:
        self.status = status
        self.before: str | None = None

    def __call__(self, message: str | None) -> None:
        status = self.status()
        if message is not None:
            if status.state != "waiting":
                self.before = status.state
            status.state = "waiting"
            status.last_error = message
        elif self.before is not None:
            status.state = self.before
            self.before = None


class InputRun:
    """One stream run of one input stanza."""

    def __init__(self, stanza: str, params: dict, metadata: dict, writer: Any,
                 event_factory: Callable[..., Any] | None = None) -> None:
        if event_factory is None:
            from splunklib.modularinput import Event

            event_factory = Event
        self.stanza = stanza
        self.name = stanza_name(stanza)
        self.params = params
        self.metadata = metadata
        self.writer = writer
        self.event_factory = event_factory
        self.lock = threading.Lock()
        self.source = f"estreamer://{self.name}"
        self.account_name = str(params.get("account") or "")
        self.fmc_host = ""
        self.index: str | None = None
        #: solnlib's file-only logger: UCC's monitoring lines (started, ingested, ended)
        self.monitoring = log
        #: account -> (serial, day) of the last certificate status event written
        self._certificates: dict[str, tuple[int, int]] = {}
        self._ingested: Counter[str] = Counter()

    # -- events that are not records: log and status --------------------------------

    def write_text(self, data: str, sourcetype: str, when: float | None = None) -> None:
        event = self.event_factory(
            data=data, time=f"{time.time() if when is None else when:.3f}",
            host=self.fmc_host or None, index=self.index, source=self.source,
            sourcetype=sourcetype, stanza=self.stanza, unbroken=True, done=True)
        with self.lock:
            self.writer.write_event(event)

    def _setup_logging(self, splunkd: Splunkd) -> None:
        stderr = logbridge.StderrHandler()
        logbridge.install(logging.INFO, [stderr])  # until the configured level is known
        level = _log_level(splunkd)
        handlers: list[logging.Handler] = [stderr]
        try:
            self.monitoring = logbridge.file_logger(self.name)
            handlers.extend(self.monitoring.handlers)
        except Exception as err:  # no SPLUNK_HOME: stderr still reaches splunkd.log
            log.warning("add-on log file unavailable (%s); logging to splunkd.log only", err)
        events = logbridge.EventLogHandler(self.write_text)
        events.setLevel(max(level, logging.INFO))  # DEBUG stays out of the index
        handlers.append(events)
        logbridge.install(level, handlers)

    # -- the run ----------------------------------------------------------------------

    def _endpoints(self, splunkd: Splunkd, options: InputOptions) -> list[Endpoint]:
        """The accounts' endpoints, read now from splunkd (decrypted PKCS12 and password)."""
        endpoints = []
        for account_name in (options.account, options.secondary_account):
            if not account_name:
                continue
            acct = account.read_account(splunkd, account_name)
            ident = account.identity(acct)
            endpoints.append(Endpoint(acct.host, acct.port, account.ssl_context(acct, ident)))
            self._certificate_in_use(acct.name, ident)
        return endpoints

    def _reread_endpoints(self, splunkd: Splunkd, options: InputOptions) -> list[Endpoint]:
        """The client's ``refresh_servers``: an unreadable account keeps the old endpoints."""
        try:
            return self._endpoints(splunkd, options)
        except EStreamerError:
            raise
        except Exception as err:  # splunkd's REST API or the KV store did not answer
            raise ConfigurationError(f"the FMC accounts cannot be read again from splunkd "
                                     f"({type(err).__name__}: {err})") from err

    def _certificate_in_use(self, account_name: str, ident: Any) -> None:
        """Log and write a status event when the certificate changes, and once a day
        while it expires within 30 days."""
        serial = ident.certificate.serial_number
        day = int(time.time() // 86400)
        line = certificate_event(self.name, account_name, ident)
        previous = self._certificates.get(account_name)
        warning = ident.expiry_warning()
        if previous is not None and previous[0] == serial and (not warning or
                                                               previous[1] == day):
            return
        self._certificates[account_name] = (serial, day)
        if previous is None or previous[0] != serial:
            log.info("account %s: client certificate %s, serial %x, valid until %s",
                     account_name, ident.certificate.subject.rfc4514_string(), serial,
                     ident.not_after.strftime("%Y-%m-%d %H:%M:%S UTC"))
        if warning:
            log.warning("account %s: %s", account_name, warning)
        self.write_text(line, SOURCETYPE_STATUS)

    def _status(self, line: str, sink: EventWriterSink, index: str) -> None:
        """A status event, and the events ingested since the last one for UCC's
        monitoring dashboard (solnlib ``events_ingested``, one line per sourcetype)."""
        from solnlib import log as solnlib_log

        self.write_text(line, SOURCETYPE_STATUS)
        counts = Counter(sink.by_sourcetype)
        for sourcetype, total in sorted(counts.items()):
            fresh = total - self._ingested[sourcetype]
            if fresh > 0:
                solnlib_log.events_ingested(self.monitoring, self.source, sourcetype, fresh,
                                            index, account=self.account_name,
                                            host=self.fmc_host or None)
        self._ingested = counts

    def run(self) -> None:
        from solnlib import log as solnlib_log

        splunkd = Splunkd.from_metadata(self.metadata)
        self._setup_logging(splunkd)
        solnlib_log.modular_input_start(self.monitoring, self.source)
        try:
            self._run(splunkd)
        finally:
            solnlib_log.modular_input_end(self.monitoring, self.source)

    def _run(self, splunkd: Splunkd) -> None:
        try:
            options = parse_input(self.stanza, self.params)
            self.index = options.index
            endpoints = self._endpoints(splunkd, options)
        except EStreamerError as err:
            log.error("input %s cannot start: %s", self.name, err)
            raise
        primary = endpoints[0]
        self.fmc_host = primary.host
        current: dict[str, str] = {"host": primary.host}

        # Each format has its sourcetype (Security Cloud JSON the one ESCU reads, sparse
        # and lean their own reading), for every record: the SI sourcetype is a variant
        # of the eNcore key=value (and JSON) records.
        data_sourcetype = FORMAT_SOURCETYPES[options.event_format]
        sink = EventWriterSink(
            self.writer, get_formatter(options.event_format), stanza=self.stanza,
            source=self.source, host=lambda: current["host"], index=options.index,
            lock=self.lock,
            device_filter=options.device_filter,
            si_sourcetype=options.si_sourcetype and options.event_format in ("splunk", "json"),
            decorate=options.decorate, data_sourcetype=data_sourcetype)
        # the status before the client exists (waiting for the KV store), then the client's
        stopping = threading.Event()
        status = {"now": StreamStatus(primary.address)}

        def follow_server() -> Any:
            # events carry the FMC actually streaming (the standby after an HA switch)
            copy = status["now"].copy()
            for endpoint in (endpoints if client is None else client.servers):
                if copy.server == endpoint.address:
                    current["host"] = endpoint.host
            return copy

        index = options.index or "default"
        reporter = StatusReporter(self.name, follow_server,
                                  lambda line: self._status(line, sink, index),
                                  options.status_interval)

        def on_signal(signum: int, _frame: Any) -> None:
            stopping.set()  # the client's stop event: safe in a signal handler

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM,
                                                                   signal.SIGINT)}
        bookmarks, metadata = kvstore.stores(splunkd, self.name, stop=stopping,
                                             on_wait=KVWaitStatus(lambda: status["now"]))
        client: StreamClient | None = None
        reporter.start()
        try:
            # "start" chooses where the first run begins; once a bookmark exists every run
            # resumes from it (the core's genesis/now modes would ignore it)
            stored = bookmarks.load(primary.address)
            start = StartMode.BOOKMARK if stored is not None and stored.second \
                else options.start
            client = StreamClient(
                endpoints, key=primary.address, sink=sink, bookmarks=bookmarks,
                metadata=metadata, start=start, flags=options.flags, streams=options.streams,
                selection=options.selection, stop_event=stopping,
                refresh_servers=lambda: self._reread_endpoints(splunkd, options))
            status["now"] = client.status
            log.info("input %s: streaming %s (%d server%s) into index %s; %s", self.name,
                     primary.address, len(endpoints), "" if len(endpoints) == 1 else "s",
                     options.index or "default", _native.STATUS)
            tune_for_streaming()  # as `estreamer run` does: a fifth of the CPU otherwise
            client.run()
        except EStreamerError as err:
            if stopping.is_set() and client is None:
                status["now"].state = "stopped"  # stopped before the KV store answered
                log.info("input %s stopped while waiting for the KV store", self.name)
                return
            status["now"].state = "failed"
            status["now"].last_error = str(err)
            log.error("input %s stopped: %s", self.name, err)
            raise
        finally:
            reporter.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("input %s stopped: %d events written, %d filtered out; bookmark saved",
                 self.name, sink.written, sink.filtered)
