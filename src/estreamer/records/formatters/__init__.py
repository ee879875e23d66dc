"""Output formatters: ``format_<name>(record) -> str``, one line without a newline.

``FORMATTERS`` maps the configuration value to the function; ``get_formatter``
validates the name.
"""

from __future__ import annotations

from typing import Callable

from estreamer.errors import ConfigurationError
from estreamer.records.formatters.cef import format_cef
from estreamer.records.formatters.json import format_json
from estreamer.records.formatters.sfw import format_sfw
from estreamer.records.formatters.splunk import format_splunk, format_splunk_full
from estreamer.records.formatters.splunk_lean import format_splunk_lean
from estreamer.records.formatters.splunk_sparse import format_splunk_sparse
from estreamer.records.record import Record

Formatter = Callable[[Record], str]

FORMATTERS: dict[str, Formatter] = {
    "splunk": format_splunk,
    "splunk-sparse": format_splunk_sparse,
    "splunk-lean": format_splunk_lean,
    "splunk-full": format_splunk_full,
    "json": format_json,
    "cef": format_cef,
    "sfw": format_sfw,
}


def get_formatter(name: str) -> Formatter:
    """The formatter called ``name``; ConfigurationError naming the allowed values otherwise."""
    try:
        return FORMATTERS[name]
    except (KeyError, TypeError) as err:
        allowed = ", ".join(sorted(FORMATTERS))
        raise ConfigurationError(
            f"unknown output format {name!r}: allowed values are {allowed}") from err


__all__ = ["FORMATTERS", "Formatter", "format_cef", "format_json", "format_sfw",
           "format_splunk", "format_splunk_full", "format_splunk_lean", "format_splunk_sparse",
           "get_formatter"]
