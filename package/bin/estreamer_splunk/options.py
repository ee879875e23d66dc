"""The parameters of one ``estreamer://<name>`` input stanza, checked and translated.

splunkd hands every parameter as text (checkboxes as "0"/"1", multiple selections
joined with "|"). :func:`parse_input` turns them into :class:`InputOptions` for the
core client, or raises :class:`ConfigurationError` naming the parameter and the
allowed values - the message splunkd shows when an input is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from estreamer.errors import ConfigurationError
from estreamer.protocol.constants import RequestFlags
from estreamer.protocol.streams import Stream, select_streams
from estreamer.stream.config import METADATA_RECORDS, RECORD_GROUPS, RecordSelection, StartMode
from estreamer_splunk import SOURCETYPE_DATA, SOURCETYPE_LEAN, SOURCETYPE_SFW, SOURCETYPE_SPARSE


@dataclass(frozen=True)
class Family:
    """One event family of the input page: what to ask the FMC for, which records it is."""

    flags: int
    streams: tuple[str, ...]
    records: frozenset[int]


#: The families of the input page (globalConfig.json ``request_families`` items).
FAMILIES: dict[str, Family] = {
    "connections": Family(0, ("connection",), RECORD_GROUPS["connections"]),
    "intrusion": Family(RequestFlags.INTRUSION, ("intrusion",), frozenset({400})),
    "packets": Family(RequestFlags.PACKET_DATA, (), RECORD_GROUPS["packets"]),
    "files_malware": Family(0, ("file", "malware"), frozenset({125, 500, 502})),
    "correlation": Family(0, ("correlation",), frozenset({112})),
    "discovery": Family(0, ("discovery",), RECORD_GROUPS["rna"]),
    "users": Family(0, ("user",), RECORD_GROUPS["rua"] | RECORD_GROUPS["writeVPN"]),
    "metadata": Family(RequestFlags.METADATA, ("metadata",), METADATA_RECORDS),
    "extra_data": Family(RequestFlags.EXTRA_DATA, (), frozenset({110})),
    "impact": Family(RequestFlags.IMPACT_ALERTS, ("impact",), frozenset({9})),
}

#: Always requested: the long record header (bookmarks need the archive timestamp)
#: and the extended request (streams and their versions).
BASE_FLAGS = RequestFlags.ARCHIVE_TIMESTAMPS | RequestFlags.EXTENDED

#: the input's "start" choice (globalConfig.json) -> StartMode
START_MODES = {"bookmark": StartMode.BOOKMARK, "now": StartMode.NOW,
               "genesis": StartMode.GENESIS}
FMC_PROFILES = {"7": "default", "6": "legacy"}
FILTER_MODES = ("none", "include", "exclude")
#: event format -> its sourcetype; only the eNcore key=value records have an SI variant
FORMAT_SOURCETYPES = {"splunk": SOURCETYPE_DATA, "splunk-sparse": SOURCETYPE_SPARSE,
                      "splunk-lean": SOURCETYPE_LEAN, "json": SOURCETYPE_DATA,
                      "sfw": SOURCETYPE_SFW}
FORMATS = tuple(FORMAT_SOURCETYPES)


@dataclass(frozen=True)
class DeviceFilter:
    """Include or exclude events by device (or domain) name or id (CSCvt31270)."""

    mode: str = "none"
    names: frozenset[str] = frozenset()

    def allows(self, candidates: list[str]) -> bool:
        """Whether an event whose device/domain identifiers are ``candidates`` passes.

        Events that name no device (metadata, some discovery records) always pass:
        the filter is about whose events are indexed, not about the names they use.
        """
        if self.mode == "none" or not candidates:
            return True
        hit = any(c.lower() in self.names for c in candidates)
        return hit if self.mode == "include" else not hit


@dataclass(frozen=True)
class InputOptions:
    name: str
    account: str
    secondary_account: str | None
    index: str | None
    start: int
    flags: int
    streams: tuple[Stream, ...]
    selection: RecordSelection
    device_filter: DeviceFilter
    si_sourcetype: bool
    decorate: bool
    event_format: str
    status_interval: float


def _families(value: str, param: str) -> list[str]:
    names = [v.strip() for v in (value or "").replace(",", "|").split("|") if v.strip()]
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ConfigurationError(
            f"{param}: unknown event families {unknown}; allowed: {', '.join(FAMILIES)}")
    return names


def parse_bool(value: object, param: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "t", "y", "on"):
        return True
    if text in ("0", "false", "no", "f", "n", "off"):
        return False
    raise ConfigurationError(f"{param} must be 0 or 1, not {value!r}")


def _choice(params: Mapping[str, str], param: str, allowed: object, default: str) -> str:
    value = (params.get(param) or default).strip()
    if value not in allowed:  # type: ignore[operator]
        raise ConfigurationError(
            f"{param} must be one of {', '.join(allowed)}, not {value!r}")  # type: ignore[arg-type]
    return value


def stanza_name(stanza: str) -> str:
    """``estreamer://fmc1`` -> ``fmc1``."""
    return stanza.split("://", 1)[-1]


def parse_input(stanza: str, params: Mapping[str, str]) -> InputOptions:
    """Check and translate one stanza's parameters; ConfigurationError when invalid."""
    name = stanza_name(stanza)
    account = (params.get("account") or "").strip()
    if not account:
        raise ConfigurationError(f"input {name}: account is required (an FMC account name)")
    secondary = (params.get("secondary_account") or "").strip() or None
    if secondary == account:
        raise ConfigurationError(
            f"input {name}: the secondary account must be another FMC than the primary "
            f"({account})")
    requested = _families(params.get("request_families", ""), "request_families")
    if not requested:
        raise ConfigurationError("request_families: choose at least one event family")
    indexed = _families(params.get("index_families", ""), "index_families")
    missing = [f for f in indexed if f not in requested]
    if missing:
        raise ConfigurationError(
            f"index_families {missing} are not requested; add them to request_families")
    decorate = parse_bool(params.get("decorate"), "decorate", True)
    if decorate and "metadata" not in requested:
        # names come from the metadata records; without them decoration has nothing
        requested.append("metadata")
    flags = int(BASE_FLAGS)
    stream_names: list[str] = []
    for family in requested:
        flags |= int(FAMILIES[family].flags)
        stream_names.extend(s for s in FAMILIES[family].streams if s not in stream_names)
    profile = FMC_PROFILES[_choice(params, "fmc_version", FMC_PROFILES, "7")]
    streams = select_streams(stream_names, profile=profile)
    records: set[int] = set()
    for family in indexed:
        records |= FAMILIES[family].records
    mode = _choice(params, "device_filter_mode", FILTER_MODES, "none")
    names = frozenset(n.strip().lower() for n in (params.get("device_filter") or "").split(",")
                      if n.strip())
    if mode != "none" and not names:
        raise ConfigurationError(
            f"device_filter is empty but device_filter_mode is {mode}; list device or "
            "domain names or ids, separated by commas")
    try:
        status_interval = float(params.get("status_interval") or 60)
    except ValueError:
        raise ConfigurationError(
            f"status_interval must be a number of seconds, not "
            f"{params.get('status_interval')!r}") from None
    if not 1 <= status_interval <= 3600:
        raise ConfigurationError("status_interval must be 1 to 3600 seconds")
    index = (params.get("index") or "").strip() or None
    return InputOptions(
        name=name, account=account, secondary_account=secondary,
        # "default" is splunkd's own word for "the default index": leave it to splunkd
        index=None if index == "default" else index,
        start=START_MODES[_choice(params, "start", START_MODES, "bookmark")],
        flags=flags, streams=streams, selection=RecordSelection(frozenset(records)),
        device_filter=DeviceFilter(mode, names),
        si_sourcetype=parse_bool(params.get("si_sourcetype"), "si_sourcetype", False),
        decorate=decorate,
        event_format=_choice(params, "event_format", FORMATS, "splunk"),
        status_interval=status_interval)
