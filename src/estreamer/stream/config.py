"""eNcore-compatible configuration: reads ``estreamer.conf`` (JSON) into :class:`Settings`.

Every key eNcore users know keeps its meaning (``subscription.servers``,
``subscription.records`` flags, ``handler.records`` groups and include/exclude,
``handler.outputters``, ``logging``, ``monitor``, ``start``, ``connectTimeout``,
``responseTimeout``), with these differences: every server listed streams at the same
time (eNcore read only the first); a server may name its HA partner (``secondary``);
the FMC certificate is verified by default. Keys ending in ``@comment`` (eNcore's
comment convention) are ignored, an unknown key is logged as a warning naming it, and
an invalid value raises :class:`ConfigurationError` naming the key and the allowed
values. The full reference is ``docs/config.md``.

The PKCS12 password never comes from the file or argv: :func:`pkcs12_password` reads
``ESTREAMER_PKCS12_PASSWORD`` or prompts on a terminal.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from estreamer.errors import ConfigurationError
from estreamer.protocol.constants import DEFAULT_FLAGS, RequestFlags
from estreamer.protocol.streams import Stream, select_streams
from estreamer.stream.net import format_address

log = logging.getLogger("estreamer.config")

PASSWORD_ENV = "ESTREAMER_PKCS12_PASSWORD"

#: eNcore's level names; VERBOSE and TRACE sit below DEBUG.
VERBOSE = 7
TRACE = 5
LOG_LEVELS = {"FATAL": logging.CRITICAL, "CRITICAL": logging.CRITICAL,
              "ERROR": logging.ERROR, "WARNING": logging.WARNING, "INFO": logging.INFO,
              "DEBUG": logging.DEBUG, "VERBOSE": VERBOSE, "TRACE": TRACE}



class StartMode(IntEnum):
    """Where a stream starts (eNcore's ``start`` numbers, also the add-on's choice).

    Not the wire value: the request carries a timestamp, ``protocol.START_GENESIS`` (0)
    or ``protocol.START_NOW`` (0xFFFFFFFF) or the bookmark's second.
    """

    GENESIS = 0   # every event the FMC still holds
    NOW = 1       # only events from now on
    BOOKMARK = 2  # from the stored bookmark, else from genesis


#: ``subscription.records`` switches -> request flag (eNcore's names, all on by default).
SUBSCRIPTION_FLAGS: dict[str, int] = {
    "packetData": RequestFlags.PACKET_DATA,
    "impactEventAlerts": RequestFlags.IMPACT_ALERTS,
    "intrusion": RequestFlags.INTRUSION,
    "metadata": RequestFlags.METADATA,
    "archiveTimestamps": RequestFlags.ARCHIVE_TIMESTAMPS,
    "eventExtraData": RequestFlags.EXTRA_DATA,
    "extended": RequestFlags.EXTENDED,
}

_RNA = frozenset({10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
                  28, 29, 31, 34, 35, 42, 44, 45, 46, 47, 48, 51, 52, 53, 73, 74, 75, 76,
                  77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 101, 102, 103, 106,
                  107, 160})
#: Every record that names things rather than reports an event (spec/records.yaml METADATA
#: group, the uncategorised name tables, and 131/145/146/322 that eNcore filed under
#: EVENT - spec/ENCORE_COMPAT.md B28). Always decoded into the metadata cache.
METADATA_RECORDS = frozenset({
    4, 54, 55, 57, 58, 59, 60, 61, 62, 63, 66, 67, 69, 70, 90, 91, 96, 98, 109, 111, 115,
    116, 117, 118, 119, 120, 121, 122, 123, 124, 127, 128, 129, 130, 131, 132, 140, 145,
    146, 147, 161, 260, 270, 280, 281, 282, 300, 301, 302, 320, 321, 322, 350, 510, 511,
    515, 516, 517, 518, 519, 520, 530, 600, 601, 602, 604, 605, 606, 607, 608, 613, 614,
    700})
#: ``handler.records`` groups (eNcore's names). eNcore left 49 record types in no
#: group (never written unless included, D13); here each is routed by its category.
RECORD_GROUPS: dict[str, frozenset[int]] = {
    "core": frozenset({9, 110, 112, 125, 500, 502}),
    "connections": frozenset({71}),
    "intrusion": frozenset({400}),
    "metadata": METADATA_RECORDS,
    "packets": frozenset({2}),
    "rna": _RNA,
    "rua": frozenset({92, 93, 94, 95}),
    "writeVPN": frozenset({170, 171}),
}

#: the formatters an outputter can name (formatters.FORMATTERS; a test keeps them equal)
OUTPUT_FORMATS = ("splunk", "splunk-sparse", "splunk-lean", "splunk-full", "json", "cef", "sfw")


@dataclass(frozen=True)
class RecordSelection:
    """Which decoded records are written (``handler.records``)."""

    types: frozenset[int]

    @classmethod
    def build(cls, groups: Iterable[str] = tuple(RECORD_GROUPS), include: Iterable[int] = (),
              exclude: Iterable[int] = ()) -> RecordSelection:
        chosen: set[int] = set()
        for group in groups:
            chosen |= RECORD_GROUPS[group]
        return cls(frozenset((chosen | set(include)) - set(exclude)))

    def wants(self, record_type: int) -> bool:
        return record_type in self.types


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int = 8302
    pkcs12_path: str = "client.pkcs12"
    tls_version: str = "1.2"
    ca_file: str | None = None
    verify: bool = True
    check_hostname: bool = False

    @property
    def address(self) -> str:
        return format_address(self.host, self.port)


@dataclass(frozen=True)
class StreamSettings:
    """One FMC, or an HA pair (primary + secondary sharing one archive and bookmark)."""

    primary: ServerSettings
    secondary: ServerSettings | None = None

    @property
    def key(self) -> str:
        """Bookmark / metadata key: ``host:port`` of the primary."""
        return self.primary.address

    @property
    def servers(self) -> tuple[ServerSettings, ...]:
        return (self.primary,) if self.secondary is None else (self.primary, self.secondary)


@dataclass(frozen=True)
class OutputSettings:
    adapter: str
    uri: str
    max_logs: int = 10000
    rotate: bool = True


@dataclass(frozen=True)
class LoggingSettings:
    level: int = logging.INFO
    filepath: str | None = None
    stdout: bool = True
    format: str = "%(asctime)s %(name)-12s %(levelname)-8s %(message)s"


@dataclass(frozen=True)
class MonitorSettings:
    period: float = 120.0
    enabled: bool = True
    handled: bool = True
    velocity: bool = True
    bookmark: bool = True
    subscribed: bool = True


@dataclass(frozen=True)
class Settings:
    streams: tuple[StreamSettings, ...]
    flags: int = int(DEFAULT_FLAGS)
    request_streams: tuple[Stream, ...] = ()
    selection: RecordSelection = field(default_factory=RecordSelection.build)
    outputs: tuple[OutputSettings, ...] = ()
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    start: StartMode = StartMode.BOOKMARK
    connect_timeout: float = 10.0
    response_timeout: float = 2.0
    idle_timeout: float = 120.0
    reconnect_initial: float = 1.0
    reconnect_max: float = 60.0
    checkpoint_interval: float = 1.0
    state_dir: str = "."
    config_dir: str = "."
    path: str | None = None


# --- value readers: each names the key path and the allowed values on error ---------

def _is_comment(key: str) -> bool:
    return key.startswith("@") or key.endswith("@comment")


def _section(data: Any, where: str, known: Iterable[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigurationError(f"{where} must be a JSON object")
    known = set(known)
    for key in data:
        if not _is_comment(key) and key not in known:
            log.warning("unknown configuration key %s.%s ignored (known: %s)",
                        where, key, ", ".join(sorted(known)))
    return data


def _bool(data: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigurationError(f"{where}.{key} must be true or false, not {value!r}")
    return value


def _number(data: Mapping[str, Any], key: str, where: str, default: float, *,
            low: float, high: float, integer: bool = False) -> Any:
    value = data.get(key, default)
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise ConfigurationError(f"{where}.{key} must be {kind} from {low:g} to {high:g}, "
                                 f"not {value!r}")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, default: str | None = None,
          ) -> str | None:
    value = data.get(key, default)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigurationError(f"{where}.{key} must be a non-empty string, not {value!r}")
    return value


def _path(base: str, value: str | None) -> str | None:
    if value is None:
        return None
    return os.path.normpath(os.path.join(base, os.path.expanduser(value)))


def _int_list(data: Mapping[str, Any], key: str, where: str) -> list[int]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise ConfigurationError(f"{where}.{key} must be a list of record type numbers, "
                                 f"not {value!r}")
    return value


_SERVER_KEYS = ("host", "port", "pkcs12Filepath", "tlsVersion", "caFile",
                "verifyServerCertificate", "checkHostname", "secondary")


def _server(data: Any, where: str, base: str, inherit: ServerSettings | None = None,
            ) -> ServerSettings:
    keys = _SERVER_KEYS if inherit is None else _SERVER_KEYS[:-1]
    data = _section(data, where, keys)
    host = _text(data, "host", where)
    if host is None:
        raise ConfigurationError(f"{where}.host is missing: give the FMC's address")
    port = _number(data, "port", where, inherit.port if inherit else 8302, low=1,
                   high=65535, integer=True)
    tls = data.get("tlsVersion", inherit.tls_version if inherit else "1.2")
    tls_text = f"{tls:.1f}" if isinstance(tls, float) else str(tls)
    if tls_text in ("1.0", "1.1"):
        raise ConfigurationError(f"{where}.tlsVersion {tls_text} is no longer supported "
                                 "(insecure, and refused by current OpenSSL); use 1.2 or 1.3")
    if isinstance(tls, bool) or tls_text not in ("1.2", "1.3"):
        raise ConfigurationError(f"{where}.tlsVersion must be 1.2 or 1.3, not {tls!r}")
    if inherit is None:
        pkcs12 = _path(base, _text(data, "pkcs12Filepath", where, "client.pkcs12"))
        ca_file = _path(base, _text(data, "caFile", where))
        verify = _bool(data, "verifyServerCertificate", where, True)
    else:
        pkcs12 = _path(base, _text(data, "pkcs12Filepath", where)) or inherit.pkcs12_path
        ca_file = _path(base, _text(data, "caFile", where)) or inherit.ca_file
        verify = _bool(data, "verifyServerCertificate", where, inherit.verify)
    check = _bool(data, "checkHostname", where, inherit.check_hostname if inherit else False)
    if check and not verify:
        raise ConfigurationError(f"{where}.checkHostname needs verifyServerCertificate true "
                                 "(a host name is only checked on a verified certificate)")
    if not verify:
        log.warning("%s: verifyServerCertificate is false - the FMC's certificate is not "
                    "checked, so anyone on the path can pose as the FMC", where)
    assert pkcs12 is not None
    return ServerSettings(host=host.strip(), port=port, pkcs12_path=pkcs12,
                          tls_version=tls_text, ca_file=ca_file, verify=verify,
                          check_hostname=check)


def parse(data: Any, *, config_dir: str = ".", path: str | None = None) -> Settings:
    """Build :class:`Settings` from a parsed JSON document."""
    top = _section(data, "config", (
        "connectTimeout", "enabled", "handler", "logging", "monitor", "responseTimeout",
        "start", "subscription", "workerProcesses", "batchSize", "stateDirectory",
        "idleTimeout", "reconnect", "checkpointInterval"))
    for ignored in ("workerProcesses", "batchSize"):
        if ignored in top:
            log.info("config.%s is an eNcore tuning knob this client does not need "
                     "(one thread per FMC, events flushed per bundle); ignored", ignored)

    sub = _section(top.get("subscription", {}), "subscription", ("records", "servers"))
    sub_rec = _section(sub.get("records", {}), "subscription.records",
                       (*SUBSCRIPTION_FLAGS, "streams", "versions", "profile"))
    flags = 0
    for key, bit in SUBSCRIPTION_FLAGS.items():
        if _bool(sub_rec, key, "subscription.records", True):
            flags |= bit
    versions = sub_rec.get("versions")
    if versions is not None and not isinstance(versions, dict):
        raise ConfigurationError("subscription.records.versions must be an object of "
                                 "stream name -> version")
    profile = sub_rec.get("profile", "default")
    try:
        request_streams = select_streams(sub_rec.get("streams"), versions=versions,
                                         profile=profile)
    except ConfigurationError as err:
        raise ConfigurationError(f"subscription.records: {err}") from err

    servers = sub.get("servers")
    if not isinstance(servers, list) or not servers:
        raise ConfigurationError("subscription.servers must list at least one FMC "
                                 '({"host": ..., "port": 8302, "pkcs12Filepath": ...})')
    streams = []
    for i, entry in enumerate(servers):
        where = f"subscription.servers[{i}]"
        primary = _server(entry, where, config_dir)
        secondary = None
        if isinstance(entry, dict) and entry.get("secondary") is not None:
            secondary = _server(entry["secondary"], where + ".secondary", config_dir,
                                inherit=primary)
        streams.append(StreamSettings(primary, secondary))
    keys = [s.key for s in streams]
    if len(set(keys)) != len(keys):
        raise ConfigurationError("subscription.servers lists the same host:port twice; "
                                 "each FMC streams once")

    handler = _section(top.get("handler", {}), "handler", ("outputters", "records"))
    hrec = _section(handler.get("records", {}), "handler.records",
                    (*RECORD_GROUPS, "include", "exclude"))
    groups = [g for g in RECORD_GROUPS if _bool(hrec, g, "handler.records", True)]
    selection = RecordSelection.build(groups, _int_list(hrec, "include", "handler.records"),
                                      _int_list(hrec, "exclude", "handler.records"))

    outputters = handler.get("outputters", [])
    if not isinstance(outputters, list):
        raise ConfigurationError("handler.outputters must be a list")
    outputs = []
    for i, entry in enumerate(outputters):
        where = f"handler.outputters[{i}]"
        out = _section(entry, where, ("adapter", "enabled", "stream"))
        if not _bool(out, "enabled", where, True):
            continue
        adapter = out.get("adapter")
        if adapter not in OUTPUT_FORMATS:
            raise ConfigurationError(f"{where}.adapter must be one of "
                                     f"{', '.join(OUTPUT_FORMATS)}, not {adapter!r}")
        stream = _section(out.get("stream", {}), where + ".stream", ("uri", "options"))
        uri = _text(stream, "uri", where + ".stream")
        if uri is None:
            raise ConfigurationError(f"{where}.stream.uri is missing (e.g. "
                                     "relfile:///data/encore.{0}.log or stdout://)")
        options = _section(stream.get("options", {}), where + ".stream.options",
                           ("maxLogs", "rotate"))
        outputs.append(OutputSettings(
            adapter=adapter, uri=uri,
            max_logs=_number(options, "maxLogs", where + ".stream.options", 10000, low=1,
                             high=10**9, integer=True),
            rotate=_bool(options, "rotate", where + ".stream.options", True)))

    lg = _section(top.get("logging", {}), "logging", ("filepath", "format", "level", "stdOut"))
    level_name = lg.get("level", "INFO")
    if not isinstance(level_name, str) or level_name.upper() not in LOG_LEVELS:
        raise ConfigurationError(f"logging.level must be one of {', '.join(LOG_LEVELS)}, "
                                 f"not {level_name!r}")
    logging_settings = LoggingSettings(
        level=LOG_LEVELS[level_name.upper()],
        filepath=_path(config_dir, _text(lg, "filepath", "logging")),
        stdout=_bool(lg, "stdOut", "logging", True),
        format=_text(lg, "format", "logging", LoggingSettings.format) or "")

    mon = _section(top.get("monitor", {}), "monitor",
                   ("period", "enabled", "handled", "velocity", "bookmark", "subscribed"))
    monitor = MonitorSettings(
        period=_number(mon, "period", "monitor", 120, low=0.1, high=86400),
        enabled=_bool(mon, "enabled", "monitor", True),
        handled=_bool(mon, "handled", "monitor", True),
        velocity=_bool(mon, "velocity", "monitor", True),
        bookmark=_bool(mon, "bookmark", "monitor", True),
        subscribed=_bool(mon, "subscribed", "monitor", True))

    start = top.get("start", StartMode.BOOKMARK)
    if start not in tuple(StartMode) or isinstance(start, bool):
        raise ConfigurationError(f"start must be 0 (genesis), 1 (now) or 2 (bookmark), "
                                 f"not {start!r}")
    if start == StartMode.BOOKMARK and not flags & RequestFlags.ARCHIVE_TIMESTAMPS:
        raise ConfigurationError("start 2 (bookmark) needs subscription.records."
                                 "archiveTimestamps true: bookmarks are archive timestamps")
    if not _bool(top, "enabled", "config", True):
        raise ConfigurationError("config.enabled is false: nothing to run "
                                 "(set it to true to stream)")
    reconnect = _section(top.get("reconnect", {}), "reconnect", ("initialDelay", "maxDelay"))
    initial = _number(reconnect, "initialDelay", "reconnect", 1.0, low=0.01, high=3600)
    state_dir = _path(config_dir, _text(top, "stateDirectory", "config", "state"))
    assert state_dir is not None
    return Settings(
        streams=tuple(streams), flags=flags, request_streams=request_streams,
        selection=selection, outputs=tuple(outputs), logging=logging_settings,
        monitor=monitor, start=StartMode(start),
        connect_timeout=_number(top, "connectTimeout", "config", 10, low=0.1, high=3600),
        response_timeout=_number(top, "responseTimeout", "config", 2, low=0.05, high=3600),
        idle_timeout=_number(top, "idleTimeout", "config", 120, low=0, high=86400),
        reconnect_initial=initial,
        reconnect_max=_number(reconnect, "maxDelay", "reconnect", max(60.0, initial),
                              low=initial, high=86400),
        checkpoint_interval=_number(top, "checkpointInterval", "config", 1.0, low=0.01,
                                    high=3600),
        state_dir=state_dir, config_dir=config_dir, path=path)


def load(path: str | os.PathLike[str]) -> Settings:
    """Read and check the configuration file at ``path``."""
    path = os.path.abspath(os.fspath(path))
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError as err:
        raise ConfigurationError(f"configuration file {path} not found") from err
    except json.JSONDecodeError as err:
        raise ConfigurationError(f"configuration file {path} is not valid JSON: "
                                 f"{err.msg} at line {err.lineno} column {err.colno}") from err
    except RecursionError as err:  # the parser recurses once per nesting level
        raise ConfigurationError(f"configuration file {path} is nested too deeply to be an "
                                 "estreamer.conf; give the eNcore-style JSON file (see "
                                 "docs/config.md)") from err
    except UnicodeDecodeError as err:
        raise ConfigurationError(f"configuration file {path} is not UTF-8 text (byte "
                                 f"{err.start}); save it as UTF-8 JSON") from err
    except IsADirectoryError as err:
        raise ConfigurationError(f"configuration file {path} is a directory; give the "
                                 "estreamer.conf file inside it") from err
    except OSError as err:
        raise ConfigurationError(f"cannot read configuration file {path}: "
                                 f"{err.strerror or err}") from err
    return parse(data, config_dir=os.path.dirname(path), path=path)


def pkcs12_password(pkcs12_path: str, *, environ: Mapping[str, str] | None = None,
                    interactive: bool | None = None) -> str:
    """The PKCS12 password: ``ESTREAMER_PKCS12_PASSWORD``, else a prompt on a terminal."""
    env = os.environ if environ is None else environ
    value = env.get(PASSWORD_ENV)
    if value is not None:
        return value
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    if not interactive:
        raise ConfigurationError(f"no password for {pkcs12_path}: set {PASSWORD_ENV} in the "
                                 "environment or run on a terminal to be prompted")
    try:
        return getpass.getpass(f"Password for {pkcs12_path}: ")
    except (EOFError, KeyboardInterrupt) as err:
        raise ConfigurationError(f"no password entered for {pkcs12_path}") from err
