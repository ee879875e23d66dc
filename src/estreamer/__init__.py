"""eStreamer client for Cisco Secure Firewall Management Center (FMC).

One folder per layer; imports point down only (tests/test_layers.py enforces it):

=========================  ===============================================================
``estreamer.protocol``     layer 1: framing, messages, the session state machines (no I/O)
``estreamer.records``      layer 2: layouts from ``spec/records.yaml``, decoder, encoder,
                           metadata cache and decoration, formatters
``estreamer.stream``       layer 3: TLS, the stream client, bookmarks, outputs, monitor,
                           configuration, connection diagnostics
``estreamer.testing``      the FMC simulator, test certificates, sample streams
``estreamer.cli``          the ``estreamer`` command (thin: parses, calls the layers)
=========================  ===============================================================

``errors`` (the one exception tree) and ``durable`` (atomic file replacement) sit beside
them and may be imported from any layer.

The public API is re-exported here, loaded on first use so that importing one layer
(``estreamer.protocol``) does not load the others: :func:`decode_record`,
:class:`Record`, :class:`MetadataCache`, :class:`StreamClient`, :func:`get_formatter`
and the exceptions of :mod:`estreamer.errors`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from estreamer.errors import (
    BookmarkError,
    ConfigurationError,
    EStreamerError,
    LocalProtocolError,
    ProtocolError,
    RecordDecodeError,
    RemoteProtocolError,
    TransportError,
)

if TYPE_CHECKING:
    from estreamer.records.decoder import decode_record
    from estreamer.records.formatters import get_formatter
    from estreamer.records.metadata import MetadataCache
    from estreamer.records.record import Record
    from estreamer.stream.client import StreamClient

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first access)
_LAZY = {
    "decode_record": "estreamer.records.decoder",
    "Record": "estreamer.records.record",
    "MetadataCache": "estreamer.records.metadata",
    "get_formatter": "estreamer.records.formatters",
    "StreamClient": "estreamer.stream.client",
}

__all__ = [
    "BookmarkError",
    "ConfigurationError",
    "EStreamerError",
    "LocalProtocolError",
    "MetadataCache",
    "ProtocolError",
    "Record",
    "RecordDecodeError",
    "RemoteProtocolError",
    "StreamClient",
    "TransportError",
    "decode_record",
    "get_formatter",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'estreamer' has no attribute {name!r}")
