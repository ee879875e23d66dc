"""Wire value <-> output value conversions shared by the decoder and the encoder."""

from __future__ import annotations

import socket
import uuid as _uuid
from typing import Callable

_V4_MAPPED = b"\x00" * 10 + b"\xff\xff"


def ip6_text(raw: bytes) -> str:
    """16-byte address as text; IPv4-mapped addresses as a dotted quad (as eNcore prints them)."""
    if raw[:12] == _V4_MAPPED:
        return socket.inet_ntoa(raw[12:])
    return socket.inet_ntop(socket.AF_INET6, raw)


def ip6_bytes(text: str) -> bytes:
    if ":" in text:
        return socket.inet_pton(socket.AF_INET6, text)
    return _V4_MAPPED + socket.inet_aton(text)


def uuid_text(raw: bytes) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def mac_text(raw: bytes) -> str:
    return raw.hex(":")


def text(raw: bytes) -> str:
    """Text fields: trailing NULs removed, UTF-8, undecodable bytes kept as \\xNN escapes."""
    return raw.rstrip(b"\x00").decode("utf-8", "backslashreplace")


def text_bytes(value: str) -> bytes:
    return value.encode("utf-8")


#: decoder conversion per fixed-width catalogue type (integers need none)
TO_TEXT: dict[str, Callable[[bytes], str]] = {
    "ipv4": socket.inet_ntoa,
    "ipv6": ip6_text,
    "uuid": uuid_text,
    "mac": mac_text,
    "bytes16": bytes.hex,
    "bytes20": bytes.hex,
    "bytes32": bytes.hex,
}

#: encoder conversion per fixed-width catalogue type
TO_WIRE: dict[str, Callable[[str], bytes]] = {
    "ipv4": socket.inet_aton,
    "ipv6": ip6_bytes,
    "uuid": lambda s: _uuid.UUID(s).bytes,
    "mac": lambda s: bytes.fromhex(s.replace(":", "")),
    "bytes16": bytes.fromhex,
    "bytes20": bytes.fromhex,
    "bytes32": bytes.fromhex,
}

#: the value a field takes in the encoder when the caller leaves it out
ZERO: dict[str, object] = {
    "u8": 0, "u16": 0, "u32": 0, "u64": 0,
    "ipv4": "0.0.0.0", "ipv6": "::", "uuid": "00000000-0000-0000-0000-000000000000",
    "mac": "00:00:00:00:00:00", "bytes16": "00" * 16, "bytes20": "00" * 20, "bytes32": "00" * 32,
}
