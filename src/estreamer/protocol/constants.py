"""Wire constants of eStreamer: message types, header version, service id, request flags.

Facts: spec/PROTOCOL.md sections 4, 5 and 6.
"""

from __future__ import annotations

import enum

#: Every message header starts with this u16; anything else is FMC bug CSCve44987.
HEADER_VERSION = 1
#: The service id of eStreamer event streaming in Streaming Information / Request.
ESTREAMER_SERVICE = 6667

#: initialTimestamp meaning "the oldest data still in the FMC archive".
START_GENESIS = 0
#: initialTimestamp meaning "only events that arrive after the request".
START_NOW = 0xFFFFFFFF

#: Largest message we buffer unless told otherwise: a bundle of an FMC is far smaller,
#: so a bigger length word means broken framing rather than a big message.
DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024

U16_MAX = 0xFFFF
U32_MAX = 0xFFFFFFFF


class MessageType(enum.IntEnum):
    """The u16 messageType of the message header."""

    NULL = 0
    ERROR = 1
    EVENT_STREAM_REQUEST = 2
    EVENT_DATA = 4
    HOST_DATA_REQUEST = 5
    SINGLE_HOST_DATA = 6
    MULTIPLE_HOST_DATA = 7
    STREAMING_REQUEST = 2049
    STREAMING_INFORMATION = 2051
    MESSAGE_BUNDLE = 4002


class RequestFlags(enum.IntFlag):
    """Bits of requestFlags in the Event Stream Request (and copied into the Streaming Request)."""

    PACKET_DATA = 1 << 0
    METADATA_V1 = 1 << 1
    INTRUSION_LEGACY = 1 << 2
    IMPACT_ALERTS = 1 << 5
    INTRUSION = 1 << 6
    #: legacy "suppress default event streaming", for host-data-only clients
    HOST_ONLY = 1 << 11
    METADATA_V2 = 1 << 14
    METADATA_V3 = 1 << 15
    #: metadata version 4, the current one
    METADATA = 1 << 20
    #: 16-byte record header with the archive timestamp; needed for bookmarks
    ARCHIVE_TIMESTAMPS = 1 << 23
    EXTRA_DATA = 1 << 27
    #: named by eNcore, never set by it; meaning unconfirmed
    POLICY = 1 << 29
    #: extended request: starts the Streaming Information / Streaming Request exchange
    EXTENDED = 1 << 30


#: eNcore's default and the TAC note's value: packet | impact | intrusion | metadata v4 |
#: archive timestamps | extra data | extended.
DEFAULT_FLAGS = RequestFlags(0x48900061)


def flag_names(flags: int) -> list[str]:
    """Names of the bits set in ``flags``, low bit first; unnamed bits as ``bitN``.

    Stable across Python versions (``repr`` of an ``IntFlag`` is not), for logs.
    """
    names = []
    for bit in range(32):
        mask = 1 << bit
        if flags & mask:
            try:
                name = RequestFlags(mask).name
            except ValueError:
                name = None
            names.append(name or f"bit{bit}")
    return names
