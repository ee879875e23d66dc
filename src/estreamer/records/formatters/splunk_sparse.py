"""The ``splunk-sparse`` format: the default Splunk line without unset values.

eNcore's names and quoting (:mod:`estreamer.formatters.splunk`), but a field whose
value is zero, empty, an all-zero UUID/hash or an unset address (``0.0.0.0``, ``::``)
is left out, except the fields that identify or classify an event
(:data:`ALWAYS_KEPT`): a user reading one event must still see what it is, when it
happened, where, between whom and what the firewall did.

Searches give the same results as on the default format: where a search, dashboard,
eventtype or CIM mapping reads a field that may be zero, the add-on's knowledge
objects put the value back at search time (:data:`SEARCH_DEFAULTS`, written to
transforms.conf by ``tools/gen_splunk_formats.py``; tests/knowledge runs every search
on both formats).
"""

from __future__ import annotations

from functools import cache

from estreamer.records.formatters import splunk

#: Splunk name -> why the sparse format writes it even when zero or empty
ALWAYS_KEPT: dict[str, str] = {
    "event_sec": "the event time (Splunk's timestamp)",
    "event_usec": "the event time's microseconds (added to _time at index time)",
    "device_id": "the device that saw the event",
    "src_ip": "the initiator", "dest_ip": "the responder",
    "src_port": "the initiator's port (0 is the ICMP type echo reply)",
    "dest_port": "the responder's port (0 is an ICMP code)",
    "ip_proto": "the transport", "ip_proto_id": "the transport, when its name is unknown",
    "fw_rule_action": "what the firewall did", "fw_rule_action_id": "the same, as a number",
    "fw_rule_reason": "why", "fw_rule_reason_id": "why, as a number",
    "fw_rule": "the access rule", "fw_rule_id": "the access rule's id",
    "blocked": "what an intrusion rule did", "blocked_id": "the same, as a number",
    "file_action": "what a file rule did", "file_action_id": "the same, as a number",
    "disposition": "a file's disposition", "disposition_id": "the same, as a number",
    "gid": "the intrusion rule's generator", "sid": "the intrusion rule",
    "rule_id": "the intrusion rule's id", "rev": "the intrusion rule's revision",
    "corr_rule": "the correlation rule", "corr_rule_id": "its id",
    "corr_policy": "the correlation policy", "corr_policy_id": "its id",
    "event_type": "the discovery event type", "event_subtype": "its subtype",
}

#: Splunk name -> the value a search reads when the sparse line leaves the field out.
#: Each is a field some search, eventtype, dashboard or CIM mapping of the add-on
#: reads on records where it can be zero (found by tests/knowledge, which runs every
#: search on the default and the sparse lines of a stream).
SEARCH_DEFAULTS: dict[str, str] = {
    "src_bytes": "0", "dest_bytes": "0", "src_pkts": "0", "dest_pkts": "0",
    "connection_id": "0", "instance_id": "0", "first_pkt_sec": "0", "last_pkt_sec": "0",
    "connection_sec": "0", "event_id": "0", "vlan_id": "0", "tcp_flags": "0",
    "legacy_ip_address": "0.0.0.0",
    "sha256": "0" * 64,
}


@cache
def always_kept(record_type: int) -> frozenset[str]:
    """Names the sparse format writes on this record type even when unset."""
    del record_type  # one list for every record type; the parameter keeps room to differ
    return frozenset(ALWAYS_KEPT)


def search_defaults() -> dict[str, tuple[str, tuple[int, ...]]]:
    """Splunk name -> (default value, the record types whose lines can carry it)."""
    from estreamer.records import catalogue

    out = {}
    for name, value in SEARCH_DEFAULTS.items():
        types = tuple(rt for rt in sorted(catalogue.RECORDS)
                      if name in splunk.field_names_for(rt, full=False)
                      and name not in always_kept(rt))
        if types:
            out[name] = (value, types)
    return out


#: one sparse Splunk key=value line for a record (the line formatter itself, no wrapper)
format_splunk_sparse = splunk._format_sparse
