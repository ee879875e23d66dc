"""Every search string the add-on ships, and the fields each sourcetype offers.

The data fields come from the formatter itself (``emitted_field_names``) plus
what props.conf makes; the status fields from the monitor's own figures plus
the two the input adds; the log fields from the log transform. Nothing here is
a hand-kept list of field names.
"""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from estreamer.records.formatters.sfw import emitted_field_names as sfw_field_names
from estreamer.records.formatters.splunk import emitted_field_names
from estreamer.stream.client import StreamStatus
from estreamer.stream.monitor import Monitor

from . import splunk_eval
from .props_engine import parse_lookup
from .splunk_conf import PACKAGE, VIEWS, Conf, load_conf
from .splunk_search import expand_macros

DATA, STATUS, LOG = "cisco:estreamer:data", "cisco:estreamer:status", "cisco:estreamer:log"
#: security-intelligence connections (the input's SI option): the records of DATA
SI = "cisco:estreamer:si"
#: Security Cloud JSON (the input's event format option)
SFW = "cisco:sfw:estreamer"
#: the records in the sparse and lean Splunk formats (the input's event format option)
SPARSE, LEAN = "cisco:estreamer:sparse", "cisco:estreamer:lean"
TOKEN = re.compile(r"\$([A-Za-z_][\w.]*)\$")


@dataclass
class Search:
    where: str      # "views/x.xml", "macros.conf [name]", ...
    text: str


def props_created(props: Conf, transforms: Conf, sourcetype: str) -> set[str]:
    """Fields a sourcetype's props/transforms/lookups create at search time."""
    made: set[str] = set()
    for key, value in props.get(sourcetype, {}).items():
        kind, _, _name = key.partition("-")
        if kind == "FIELDALIAS":
            tokens = value.split()
            made.update(tokens[i + 2] for i in range(0, len(tokens), 3))
        elif kind == "EVAL":
            made.add(_name)
        elif kind == "LOOKUP":
            made.update(name for _, name in parse_lookup(value).outputs)
        elif kind == "REPORT":
            for transform in value.split(","):
                fmt = transforms[transform.strip()].get("FORMAT", "")
                made.update(n for n in re.findall(r"(?:^|\s)([A-Za-z_]\w*)::", fmt))
    return made


def _glue_status_module():
    """The add-on's ``estreamer_splunk/status.py`` (it imports only the core)."""
    path = PACKAGE / "bin" / "estreamer_splunk" / "status.py"
    spec = importlib.util.spec_from_file_location("estreamer_splunk_status", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def periodic_status_fields() -> set[str]:
    """What a periodic status event carries: the monitor's figures, the input name, the
    last error."""
    monitor = Monitor([lambda: StreamStatus(key="fmc.example:8302")])
    return set(monitor.sample()[0]) | {"input", "last_error",
                                       _glue_status_module().LAYOUTS_FIELD}


def certificate_status_fields() -> set[str]:
    """What the certificate status event carries (the add-on's ``CERTIFICATE_FIELDS``)."""
    return set(_glue_status_module().CERTIFICATE_FIELDS)


def status_fields() -> set[str]:
    return periodic_status_fields() | certificate_status_fields()


def fields_by_sourcetype() -> dict[str, set[str]]:
    props, transforms = load_conf("props.conf"), load_conf("transforms.conf")
    return {
        # what the default format writes: a search must not need splunk-full
        DATA: set(emitted_field_names(full=False)) | props_created(props, transforms, DATA),
        SI: set(emitted_field_names(full=False)) | props_created(props, transforms, SI),
        SPARSE: set(emitted_field_names(full=False)) | props_created(props, transforms, SPARSE),
        # lean lines carry no names: they all come from the transforms
        LEAN: props_created(props, transforms, LEAN),
        STATUS: status_fields() | props_created(props, transforms, STATUS),
        LOG: props_created(props, transforms, LOG),
        SFW: set(sfw_field_names()) | props_created(props, transforms, SFW),
    }


def view_files() -> list[Path]:
    return sorted(VIEWS.glob("*.xml"))


def view_searches() -> list[Search]:
    out = []
    for path in view_files():
        root = ET.parse(path).getroot()
        for query in root.iter("query"):
            out.append(Search(f"views/{path.name}", query.text or ""))
    return out


def conf_searches() -> list[Search]:
    out = []
    for name, stanza in load_conf("savedsearches.conf").items():
        out.append(Search(f"savedsearches.conf [{name}]", stanza["search"]))
    for name, stanza in load_conf("workflow_actions.conf").items():
        if "search.search_string" in stanza:
            out.append(Search(f"workflow_actions.conf [{name}]", stanza["search.search_string"]))
    return out


def with_tokens_filled(text: str) -> str:
    """Dashboard and workflow tokens as a user would fill them."""
    return TOKEN.sub("TOKEN", text)


def props_reads(sourcetype: str) -> set[str]:
    """The fields the props.conf stanza of ``sourcetype`` reads (EVAL, FIELDALIAS, LOOKUP)."""
    reads: set[str] = set()
    for key, value in load_conf("props.conf")[sourcetype].items():
        kind = key.partition("-")[0]
        if kind == "EVAL":
            reads |= splunk_eval.fields_used(splunk_eval.parse(value))
        elif kind == "FIELDALIAS":
            reads |= set(value.split()[0::3])
        elif kind == "LOOKUP":
            reads |= {name for _, name in parse_lookup(value).inputs}
    return reads


def search_sourcetypes(text: str, macros: Conf, records_with_si: bool = True) -> list[str]:
    """The sourcetypes a search reads: one, or the records in their formats (which the
    knowledge gives the same fields). Asserts that a search of the records misses none."""
    expanded = expand_macros(text, macros)
    found = [st for st in (DATA, STATUS, LOG, SFW) if st in expanded]
    # The records come in any of the input's formats, so a search of the records reads
    # them all; any other search reads exactly one sourcetype.
    assert len(found) == 1 or found == [DATA, SFW], \
        f"a search should read one sourcetype, or the records in every format: {text!r}"
    if found[0] == DATA and records_with_si:
        # security-intelligence connections may have their own sourcetype (input option)
        assert SI in expanded, f"a search of the records misses {SI}: {text!r}"
    return found
