"""The ``estreamer`` modular input: validation and the stream run, driving the core client.

splunkd starts one process per input stanza (``use_single_instance = false``): the
process reads its FMC account(s) through splunkd's REST API (secrets decrypted by
solnlib, kept in memory only), streams with ``estreamer.client.StreamClient`` into an
:class:`EventWriterSink`, keeps bookmark and metadata cache in the KV store and
reports health. SIGTERM (splunkd stopping the input) stops the client, which flushes
and saves its bookmark before the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any, Callable

from estreamer.client import START_MODE_BOOKMARK, Endpoint, StreamClient
from estreamer.errors import ConfigurationError, EStreamerError
from estreamer.formatters import get_formatter
from estreamer_splunk import (
    BOOKMARK_COLLECTION,
    METADATA_COLLECTION,
    SETTINGS_CONF,
    SOURCETYPE_DATA,
    SOURCETYPE_SFW,
    SOURCETYPE_STATUS,
    account,
    logbridge,
)
from estreamer_splunk.kvstore import KVBookmarkStore, KVMetadataStore
from estreamer_splunk.options import InputOptions, parse_input, stanza_name
from estreamer_splunk.sink import EventWriterSink
from estreamer_splunk.splunkd import Splunkd
from estreamer_splunk.status import StatusReporter

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
    InputRun(stanza, params, inputs.metadata, writer).run()


def _log_level(splunkd: Splunkd) -> int:
    """The add-on's log level (Configuration > Logging); INFO when none is saved yet."""
    from solnlib.conf_manager import ConfManagerException, ConfStanzaNotExistException

    try:
        stanza = splunkd.conf_manager().get_conf(SETTINGS_CONF).get("logging")
    except (ConfManagerException, ConfStanzaNotExistException):
        return logging.INFO
    return logbridge.level_from_name(stanza.get("loglevel"))


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
        self.fmc_host = ""
        self.index: str | None = None

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
            handlers.extend(logbridge.file_handlers(self.name))
        except Exception as err:  # no SPLUNK_HOME: stderr still reaches splunkd.log
            log.warning("add-on log file unavailable (%s); logging to splunkd.log only", err)
        events = logbridge.EventLogHandler(self.write_text)
        events.setLevel(max(level, logging.INFO))  # DEBUG stays out of the index
        handlers.append(events)
        logbridge.install(level, handlers)

    # -- the run ----------------------------------------------------------------------

    def _endpoints(self, splunkd: Splunkd, options: InputOptions) -> list[Endpoint]:
        endpoints = []
        for account_name in (options.account, options.secondary_account):
            if not account_name:
                continue
            acct = account.read_account(splunkd, account_name)
            ident = account.identity(acct)
            warning = ident.expiry_warning()
            if warning:
                log.warning("account %s: %s", acct.name, warning)
            endpoints.append(Endpoint(acct.host, acct.port, account.ssl_context(acct, ident)))
        return endpoints

    def run(self) -> None:
        splunkd = Splunkd.from_metadata(self.metadata)
        self._setup_logging(splunkd)
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

        # Security Cloud JSON has a sourcetype of its own (the one ESCU reads), for
        # every record: the SI sourcetype is a variant of the key=value records.
        sfw = options.event_format == "sfw"
        sink = EventWriterSink(
            self.writer, get_formatter(options.event_format), stanza=self.stanza,
            source=self.source, host=lambda: current["host"], index=options.index,
            event_factory=self.event_factory, lock=self.lock,
            device_filter=options.device_filter,
            si_sourcetype=options.si_sourcetype and not sfw, decorate=options.decorate,
            data_sourcetype=SOURCETYPE_SFW if sfw else SOURCETYPE_DATA)
        bookmarks = KVBookmarkStore(splunkd.checkpointer(BOOKMARK_COLLECTION), self.name)
        # "start" chooses where the first run begins; once a bookmark exists every run
        # resumes from it (the core's genesis/now modes would ignore it)
        stored = bookmarks.load(primary.address)
        start = START_MODE_BOOKMARK if stored is not None and stored.second else options.start
        client = StreamClient(
            endpoints, key=primary.address, sink=sink, bookmarks=bookmarks,
            metadata=KVMetadataStore(splunkd.checkpointer(METADATA_COLLECTION), self.name),
            start=start, flags=options.flags, streams=options.streams,
            selection=options.selection)

        def follow_server() -> Any:
            # events carry the FMC actually streaming (the standby after an HA switch)
            status = client.status.copy()
            for endpoint in endpoints:
                if status.server == endpoint.address:
                    current["host"] = endpoint.host
            return status

        reporter = StatusReporter(self.name, follow_server,
                                  lambda line: self.write_text(line, SOURCETYPE_STATUS),
                                  options.status_interval)

        def on_signal(signum: int, _frame: Any) -> None:
            client.stop()  # only sets an event: safe in a signal handler

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM,
                                                                   signal.SIGINT)}
        log.info("input %s: streaming %s (%d server%s) into index %s", self.name,
                 primary.address, len(endpoints), "" if len(endpoints) == 1 else "s",
                 options.index or "default")
        reporter.start()
        try:
            client.run()
        except EStreamerError as err:
            log.error("input %s stopped: %s", self.name, err)
            raise
        finally:
            reporter.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("input %s stopped: %d events written, %d filtered out; bookmark saved",
                 self.name, sink.written, sink.filtered)
