"""``estreamer run --config FILE [--max-events N]``: stream every configured FMC.

Runs in the foreground until SIGINT/SIGTERM (or until each stream has written N
records), then stops cleanly: every stream flushes its outputs and saves its
bookmark and metadata cache. Diagnostics and monitor lines go to stderr (and to
``logging.filepath``); events go to the configured outputs.

What each output guarantees (a checkpoint - outputs flushed, then bookmark saved -
is taken every checkpointInterval seconds, 1 by default):
  files   exactly once, also after kill -9 or a power cut: on restart the file of
          the last bookmark is cut back to its bookmarked size and the rest is
          fetched from the FMC again
  stdout  nothing lost; after a crash, up to one checkpoint interval of events is
          written again
  tcp     as stdout; besides, when the receiver dies or the connection breaks,
          the client reconnects and sends again everything since the last
          checkpoint (some lines twice): lost are only lines the receiver had
          taken in before that checkpoint and never read
  udp     as stdout for crashes; datagrams sent while nobody listens, or dropped
          by the network, are lost
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Any, Callable

from estreamer.errors import ConfigurationError, EStreamerError
from estreamer.gc_tuning import tune_for_streaming
from estreamer.stream import config as cfg
from estreamer.stream import tls
from estreamer.stream.bookmark import FileBookmarkStore, key_filename
from estreamer.stream.client import (
    Backoff,
    Endpoint,
    FileMetadataStore,
    StreamClient,
    StreamStatus,
    run_streams,
)
from estreamer.stream.monitor import Monitor
from estreamer.stream.outputs import OutputSink, Outputter, open_stream

log = logging.getLogger("estreamer.run")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", help="stream events from the configured FMCs to the configured outputs",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="eNcore-style estreamer.conf (JSON)")
    parser.add_argument("--max-events", type=int, default=None, metavar="N",
                        help="stop each stream after it has written N records")
    parser.set_defaults(func=main)


def setup_logging(settings: cfg.LoggingSettings) -> None:
    """Apply the configuration's level, and its log file, to the package's loggers."""
    logging.addLevelName(cfg.TRACE, "TRACE")
    logging.addLevelName(cfg.VERBOSE, "VERBOSE")
    logger = logging.getLogger("estreamer")
    logger.setLevel(settings.level)
    if settings.filepath:
        try:
            os.makedirs(os.path.dirname(settings.filepath) or ".", exist_ok=True)
            handler = logging.FileHandler(settings.filepath, encoding="utf-8")
        except OSError as err:
            raise ConfigurationError(f"logging.filepath {settings.filepath}: {err}") from err
        handler.setFormatter(logging.Formatter(settings.format))
        logger.addHandler(handler)
    if not settings.stdout:
        logger.propagate = False


class PasswordCache:
    """Asks for each PKCS12 password once (environment or terminal prompt)."""

    def __init__(self) -> None:
        self._identities: dict[str, tls.ClientIdentity] = {}

    def identity(self, path: str) -> tls.ClientIdentity:
        if path not in self._identities:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as err:
                raise ConfigurationError(f"cannot read PKCS12 file {path}: "
                                         f"{err.strerror or err}") from err
            self._identities[path] = tls.load_pkcs12(data, cfg.pkcs12_password(path))
            warning = self._identities[path].expiry_warning()
            if warning:
                log.warning("%s: %s", path, warning)
        return self._identities[path]


def build_endpoints(stream: cfg.StreamSettings, secrets: PasswordCache) -> list[Endpoint]:
    endpoints = []
    for server in stream.servers:
        context = tls.client_context(secrets.identity(server.pkcs12_path), verify=server.verify,
                                     cafile=server.ca_file,
                                     check_hostname=server.check_hostname,
                                     min_version=server.tls_version)
        endpoints.append(Endpoint(server.host, server.port, context))
    return endpoints


def stream_uri(uri: str, stream: cfg.StreamSettings, several: bool) -> str:
    """Per-stream output name: ``{host}``/``{port}`` filled in; with several FMCs a file
    name without ``{host}`` gets ``<host>-<port>.`` in front, so streams never share a
    file (each winds back its own file on restart)."""
    host = key_filename(stream.primary.host)
    port = str(stream.primary.port)
    if several and uri.startswith(("file:", "relfile:")) and "{host}" not in uri:
        head, sep, name = uri.rpartition("/")
        uri = f"{head}{sep}{{host}}-{{port}}.{name}"
    return uri.replace("{host}", host).replace("{port}", port)


def build_sink(settings: cfg.Settings, stream: cfg.StreamSettings,
               stop: threading.Event) -> OutputSink:
    from estreamer.records.formatters import get_formatter  # layer 2, loaded only when running

    several = len(settings.streams) > 1
    outputters = []
    for out in settings.outputs:
        uri = stream_uri(out.uri, stream, several)
        outputters.append(Outputter(get_formatter(out.adapter), open_stream(
            uri, base_dir=settings.config_dir, max_logs=out.max_logs, rotate=out.rotate,
            stop=stop)))
    return OutputSink(outputters)


def build_clients(settings: cfg.Settings, stop: threading.Event,
                  max_events: int | None = None) -> list[StreamClient]:
    secrets = PasswordCache()
    bookmarks = FileBookmarkStore(settings.state_dir)
    metadata = FileMetadataStore(settings.state_dir)
    clients = []
    for stream in settings.streams:
        clients.append(StreamClient(
            build_endpoints(stream, secrets), key=stream.key,
            sink=build_sink(settings, stream, stop), bookmarks=bookmarks, metadata=metadata,
            start=settings.start, flags=settings.flags, streams=settings.request_streams,
            selection=settings.selection, connect_timeout=settings.connect_timeout,
            read_timeout=settings.response_timeout, idle_timeout=settings.idle_timeout,
            backoff=Backoff(settings.reconnect_initial, settings.reconnect_max),
            checkpoint_interval=settings.checkpoint_interval, max_events=max_events,
            stop_event=stop))
    return clients


def _status_of(client: StreamClient) -> Callable[[], StreamStatus]:
    return client.status.copy


def main(args: argparse.Namespace) -> int:
    settings = cfg.load(args.config)
    setup_logging(settings.logging)
    if args.max_events is not None and args.max_events < 1:
        raise ConfigurationError("--max-events must be at least 1")
    if not settings.outputs:
        log.warning("no output enabled in handler.outputters: records are read, counted and "
                    "bookmarked but written nowhere")
    stop = threading.Event()
    clients = build_clients(settings, stop, args.max_events)

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("%s received: stopping after the current bundle",
                 signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    tune_for_streaming()
    monitor = None
    if settings.monitor.enabled:
        monitor = Monitor([_status_of(c) for c in clients],
                          period=settings.monitor.period, handled=settings.monitor.handled,
                          velocity=settings.monitor.velocity,
                          bookmark=settings.monitor.bookmark,
                          subscribed=settings.monitor.subscribed)
        monitor.run_in_thread()
    try:
        results = run_streams(clients, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if monitor is not None:
            monitor.close()
        for client in clients:
            try:
                client.sink.close()
            except EStreamerError as err:
                log.error("%s: %s", client.key, err)
    failed = 0
    for client, error in zip(clients, results):
        if error is not None:
            failed += 1
            print(f"estreamer run: {client.key}: {error}", file=sys.stderr)
    return 1 if failed else 0
