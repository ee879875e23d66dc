"""Which event streams a Streaming Request asks for: (version, eventType) pairs.

Facts: spec/PROTOCOL.md sections 5.7 and 11.1. The pairs go out in the order of
:data:`STREAM_TYPES` (eNcore's order); the version picks the record layouts the FMC
sends, so the decoder must know every version requested here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple, Union

from estreamer.errors import ConfigurationError

from .constants import U16_MAX


class Stream(NamedTuple):
    """One requested stream; on the wire the version comes first."""

    version: int
    event_type: int

    @property
    def name(self) -> str:
        """The stream's name (``"connection"``), or ``"type<N>"`` for an unnamed type."""
        return STREAM_NAMES.get(self.event_type, f"type{self.event_type}")


#: Stream names a configuration may use, in the order eNcore sends them.
STREAM_TYPES: dict[str, int] = {
    "intrusion": 12,
    "metadata": 21,
    "correlation": 31,
    "discovery": 61,
    "connection": 71,
    "user": 91,
    "malware": 101,
    "file": 111,
    "impact": 131,
}
STREAM_NAMES: dict[int, str] = {event_type: name for name, event_type in STREAM_TYPES.items()}

#: eNcore 5.2.11 versions, written for FMC 7.x; what this project requests by default.
DEFAULT_STREAMS: tuple[Stream, ...] = (
    Stream(11, 12), Stream(4, 21), Stream(9, 31), Stream(11, 61), Stream(17, 71),
    Stream(7, 91), Stream(8, 101), Stream(7, 111), Stream(2, 131),
)
#: eNcore 3.5.8 versions, as in the TAC note capture; for FMCs that refuse the newer ones.
LEGACY_STREAMS: tuple[Stream, ...] = (
    Stream(9, 12), Stream(4, 21), Stream(9, 31), Stream(11, 61), Stream(14, 71),
    Stream(4, 91), Stream(7, 101), Stream(6, 111), Stream(2, 131),
)
#: Named stream sets for a configuration's ``profile`` setting.
STREAM_PROFILES: dict[str, tuple[Stream, ...]] = {
    "default": DEFAULT_STREAMS,
    "legacy": LEGACY_STREAMS,
}

StreamKey = Union[str, int]


def _event_type(key: StreamKey) -> int:
    if isinstance(key, bool):
        raise ConfigurationError(f"stream {key!r}: expected a stream name or event type number")
    if isinstance(key, int):
        return key
    if isinstance(key, str):
        name = key.strip().lower()
        if name in STREAM_TYPES:
            return STREAM_TYPES[name]
        if name.isdigit():
            return int(name)
    raise ConfigurationError(
        f"unknown stream {key!r}; known streams: {', '.join(STREAM_TYPES)} "
        "(or an event type number)")


def select_streams(include: Iterable[StreamKey] | None = None, *,
                   versions: Mapping[StreamKey, int] | None = None,
                   profile: str = "default") -> tuple[Stream, ...]:
    """Build the stream list of a Streaming Request from configuration values.

    ``profile`` names the base set (``"default"`` = eNcore 5.2.11, ``"legacy"`` =
    3.5.8). ``include`` keeps a subset, by name (``"connection"``) or event type
    (``71``); ``None`` keeps all. ``versions`` overrides versions, keyed the same way.
    The result keeps the base set's order. Leaving out ``"metadata"`` leaves ids
    without names. Raises :class:`ConfigurationError` naming the bad value.
    """
    try:
        base = STREAM_PROFILES[profile]
    except KeyError:
        raise ConfigurationError(
            f"unknown stream profile {profile!r}; use one of: {', '.join(STREAM_PROFILES)}"
        ) from None
    known = {stream.event_type: stream for stream in base}
    overrides: dict[int, int] = {}
    for key, version in (versions or {}).items():
        event_type = _event_type(key)
        if event_type not in known:
            raise ConfigurationError(f"version given for stream {key!r}, which is not requested")
        if isinstance(version, bool) or not isinstance(version, int) \
                or not 0 < version <= U16_MAX:
            raise ConfigurationError(
                f"version of stream {key!r} must be an integer from 1 to {U16_MAX}, "
                f"not {version!r}")
        overrides[event_type] = version
    if include is None:
        wanted = set(known)
    else:
        if isinstance(include, (str, bytes)):
            raise ConfigurationError("streams to include must be a list, not one string")
        wanted = set()
        for key in include:
            event_type = _event_type(key)
            if event_type not in known:
                raise ConfigurationError(
                    f"stream {key!r} is not one of: {', '.join(STREAM_TYPES)}")
            wanted.add(event_type)
        if not wanted:
            raise ConfigurationError("no stream selected: include at least one stream")
    return tuple(Stream(overrides.get(s.event_type, s.version), s.event_type)
                 for s in base if s.event_type in wanted)


def check_streams(streams: Iterable[Stream]) -> tuple[Stream, ...]:
    """Validate a stream list for a Streaming Request; raise ConfigurationError if bad."""
    checked = []
    for item in streams:
        try:
            version, event_type = item
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"stream {item!r} is not a (version, event_type) pair") from None
        for what, value in (("version", version), ("event type", event_type)):
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not 0 < value <= U16_MAX:
                raise ConfigurationError(
                    f"stream {item!r}: {what} must be an integer from 1 to {U16_MAX}")
        checked.append(Stream(version, event_type))
    if not checked:
        raise ConfigurationError("a Streaming Request needs at least one stream")
    return tuple(checked)
