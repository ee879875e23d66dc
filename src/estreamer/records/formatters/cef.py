"""ArcSight CEF lines: ``CEF:0|Cisco|Firepower|<ver>|<sigId>|<name>|<sev>|<extension>``.

Header fields escape ``\\`` and ``|`` (line breaks become spaces); extension
values escape ``\\``, ``=`` and line breaks (``\\n``, ``\\r``), as the CEF
standard says. Extension keys are CEF dictionary keys (``src``, ``dst``, ``spt``,
``dpt``, ``proto``, ``act``, ``suser``, ``duser``, ``deviceExternalId``,
``dvchost``, ``rt``, ``start``, ``end``, ``in``/``out`` (not bytesIn/bytesOut,
issue G10), ``fname``, ``fsize``, ``fileHash``, ``filePath``, ``fileType``,
``request``, ``requestClientApplication``, ``msg``, ``externalId``, ``cs1..cs6``
and ``cn1..cn3`` with their ``...Label`` keys). ``suser``/``duser`` carry names
only, never a numeric id (G10).

Mapped record types: 2, 71, 110, 112, 125, 400, 500, 502. Any other record gets
the generic mapping: device, time, and the record as compact JSON in ``msg``.
Severity (0-10) comes from priority / impact level (intrusion, correlation), file
disposition and malware (file, malware events) or rule action (connections).
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any, Callable

from estreamer.records import catalogue
from estreamer.records.record import Record

DEVICE_VENDOR = "Cisco"
DEVICE_PRODUCT = "Firepower"
#: CEF Device Version: the eStreamer protocol family the client speaks (FMC 7.x)
DEVICE_VERSION = "7.x"

_HEADER_ESCAPE = re.compile(r"[\\|\r\n]")
_EXT_ESCAPE = re.compile(r"[\\=\r\n]")
_EXT_MAP = {"\\": "\\\\", "=": "\\=", "\n": "\\n", "\r": "\\r"}


def escape_header(value: str) -> str:
    return _HEADER_ESCAPE.sub(lambda m: " " if m.group() in "\r\n" else "\\" + m.group(), value)


def escape_extension(value: str) -> str:
    return _EXT_ESCAPE.sub(lambda m: _EXT_MAP[m.group()], value)


def _ms(value: Any) -> Any:
    return value * 1000 if isinstance(value, int) and value else None


def _ipv4_int(value: Any) -> Any:
    return str(ipaddress.IPv4Address(value)) if isinstance(value, int) and value else None


F = "f"   # from record.fields
C = "c"   # from record.computed

# (cef key, source, name, label or None, transform or None)
Mapping = tuple[tuple[str, str, str, "str | None", "Callable[[Any], Any] | None"], ...]

_COMMON: Mapping = (
    ("deviceExternalId", F, "deviceId", None, None),
    ("dvchost", C, "deviceName", None, None),
)

MAPPINGS: dict[int, Mapping] = {
    2: (*_COMMON, ("externalId", F, "eventId", None, None),
        ("rt", F, "packetSecond", None, _ms),
        ("cn1", F, "linkType", "Link Type", None), ("cn2", F, "packetLength", "Packet Length",
                                                      None),
        ("cs1", F, "packetData", "Packet Data (hex)", None)),
    71: (*_COMMON, ("src", F, "initiatorIpAddress", None, None),
         ("dst", F, "responderIpAddress", None, None), ("spt", F, "initiatorPort", None, None),
         ("dpt", F, "responderPort", None, None), ("proto", C, "protocolName", None, None),
         ("act", C, "ruleActionName", None, None), ("suser", C, "userName", None, None),
         ("rt", F, "firstPacketTimestamp", None, _ms),
         ("start", F, "firstPacketTimestamp", None, _ms),
         ("end", F, "lastPacketTimestamp", None, _ms),
         ("in", F, "initiatorTransmittedBytes", None, None),
         ("out", F, "responderTransmittedBytes", None, None),
         ("request", F, "clientUrl", None, None),
         ("requestClientApplication", F, "userAgent", None, None),
         ("deviceInboundInterface", C, "ingressInterfaceName", None, None),
         ("deviceOutboundInterface", C, "egressInterfaceName", None, None),
         ("cs1", C, "accessControlPolicyName", "Access Control Policy", None),
         ("cs2", C, "accessControlRuleName", "Access Control Rule", None),
         ("cs3", C, "ingressZoneName", "Ingress Zone", None),
         ("cs4", C, "egressZoneName", "Egress Zone", None),
         ("cs5", C, "applicationName", "Application Protocol", None),
         ("cs6", C, "clientApplicationName", "Client Application", None),
         ("cn1", F, "connectionCounter", "Connection Counter", None),
         ("cn2", F, "ruleId", "Access Control Rule ID", None)),
    110: (*_COMMON, ("externalId", F, "eventId", None, None),
          ("rt", F, "eventSecond", None, _ms), ("msg", F, "blob", None, None),
          ("cs1", C, "typeName", "Extra Data Type", None), ("cn1", F, "type", "Type", None)),
    112: (*_COMMON, ("src", F, "sourceIp", None, _ipv4_int),
          ("dst", F, "destinationIp", None, _ipv4_int),
          ("spt", F, "sourcePort", None, None), ("dpt", F, "destinationPort", None, None),
          ("proto", C, "ipProtocolName", None, None), ("act", C, "blockedName", None, None),
          ("suser", C, "sourceUserName", None, None),
          ("duser", C, "destinationUserName", None, None),
          ("rt", F, "correlationEventSecond", None, _ms),
          ("externalId", F, "eventId", None, None), ("msg", F, "eventDescription", None, None),
          ("cs1", C, "correlationPolicyName", "Correlation Policy", None),
          ("cs2", C, "correlationRuleName", "Correlation Rule", None),
          ("cs3", C, "ingressZoneName", "Ingress Zone", None),
          ("cs4", C, "egressZoneName", "Egress Zone", None),
          ("cn1", C, "impactLevel", "Impact Level", None),
          ("cn2", F, "priority", "Priority", None)),
    125: (*_COMMON, ("src", F, "sourceIpAddress", None, None),
          ("dst", F, "destinationIpAddress", None, None), ("spt", F, "sourcePort", None, None),
          ("dpt", F, "destinationPort", None, None), ("proto", C, "protocolName", None, None),
          ("act", C, "actionName", None, None), ("suser", F, "user", None, None),
          ("rt", F, "malwareEventTimestamp", None, _ms), ("fname", F, "fileName", None, None),
          ("fsize", F, "fileSize", None, None), ("fileHash", F, "fileShaHash", None, None),
          ("filePath", F, "filePath", None, None), ("fileType", C, "fileTypeName", None, None),
          ("request", F, "uri", None, None), ("msg", F, "detectionName", None, None),
          ("cs1", C, "dispositionName", "Disposition", None),
          ("cs2", C, "eventTypeName", "Malware Event Type", None),
          ("cs3", C, "cloudName", "AMP Cloud", None),
          ("cs4", C, "detectorName", "Detector", None),
          ("cs5", C, "applicationName", "Application Protocol", None),
          ("cn1", F, "threatScore", "Threat Score", None)),
    400: (*_COMMON, ("src", F, "sourceIpAddress", None, None),
          ("dst", F, "destinationIpAddress", None, None),
          ("spt", F, "sourcePortOrIcmpType", None, None),
          ("dpt", F, "destinationPortOrIcmpType", None, None),
          ("proto", C, "ipProtocolName", None, None), ("act", C, "blockedName", None, None),
          ("suser", C, "userName", None, None), ("rt", F, "eventSecond", None, _ms),
          ("externalId", F, "eventId", None, None), ("msg", C, "ruleMessage", None, None),
          ("cs1", C, "intrusionPolicyName", "Intrusion Policy", None),
          ("cs2", C, "accessControlRuleName", "Access Control Rule", None),
          ("cs3", C, "ingressZoneName", "Ingress Zone", None),
          ("cs4", C, "egressZoneName", "Egress Zone", None),
          ("cs5", C, "classificationName", "Classification", None),
          ("cs6", C, "applicationName", "Application Protocol", None),
          ("cn1", C, "impactLevel", "Impact Level", None),
          ("cn2", F, "priorityId", "Priority", None),
          ("cn3", F, "ruleId", "Signature ID", None)),
}
MAPPINGS[500] = MAPPINGS[502] = (
    *_COMMON, ("src", F, "sourceIpAddress", None, None),
    ("dst", F, "destinationIpAddress", None, None), ("spt", F, "sourcePort", None, None),
    ("dpt", F, "destinationPort", None, None), ("proto", C, "protocolName", None, None),
    ("act", C, "actionName", None, None), ("suser", C, "userName", None, None),
    ("rt", F, "fileEventTimestamp", None, _ms), ("fname", F, "fileName", None, None),
    ("fsize", F, "fileSize", None, None), ("fileHash", F, "shaHash", None, None),
    ("fileType", C, "fileTypeName", None, None), ("request", F, "uri", None, None),
    ("cs1", C, "dispositionName", "Disposition", None),
    ("cs2", C, "accessControlPolicyName", "Access Control Policy", None),
    ("cs3", C, "applicationName", "Application Protocol", None),
    ("cs4", C, "directionName", "Direction", None),
    ("cn1", F, "threatScore", "Threat Score", None),
)

_TIME_FIELDS = ("eventSecond", "correlationEventSecond", "fileEventTimestamp",
                "malwareEventTimestamp", "packetSecond", "firstPacketTimestamp")
_PRIORITY_SEVERITY = {1: 8, 2: 5, 3: 3}
_IMPACT_SEVERITY = {1: 10, 2: 7, 3: 4, 4: 3, 0: 2}


def _severity(record: Record) -> int:
    rt, f, c = record.record_type, record.fields, record.computed
    if rt in (400, 112):
        priority = f.get("priorityId", f.get("priority"))
        sev = _PRIORITY_SEVERITY.get(priority, 3) if isinstance(priority, int) else 3
        impact = c.get("impactLevel")
        if isinstance(impact, int):
            sev = max(sev, _IMPACT_SEVERITY.get(impact, 0))
        return sev
    if rt == 125 or rt == 502:
        return 8
    if rt == 500:
        return 8 if f.get("disposition") == 3 else 3
    if rt == 71:
        action = c.get("ruleActionName", "")
        return 5 if isinstance(action, str) and "block" in action.lower() else 3
    return 1


def _text(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def _signature(record: Record) -> str:
    rt, f = record.record_type, record.fields
    if rt == 400:
        return f"{f.get('generatorId', 0)}:{f.get('ruleId', 0)}"
    if rt == 112:
        return f"112:{f.get('ruleId', 0)}"
    if rt == 110:
        return f"110:{f.get('type', 0)}"
    if rt == 125:
        return f"125:{f.get('eventTypeId', 0)}"
    if rt in (500, 502):
        return f"{rt}:{f.get('action', 0)}"
    if rt == 71:
        return f"71:{f.get('ruleAction', 0)}"
    return str(rt)


def format_cef(record: Record) -> str:
    """One CEF line for ``record`` (no trailing newline)."""
    layout = catalogue.RECORDS.get(record.record_type)
    description = layout.name if layout else f"Record type {record.record_type}"
    name = record.computed.get("ruleMessage") or description
    header = "|".join((
        "CEF:0", DEVICE_VENDOR, DEVICE_PRODUCT, DEVICE_VERSION,
        escape_header(_signature(record)), escape_header(str(name)), str(_severity(record))))
    ext: list[str] = []
    mapping = MAPPINGS.get(record.record_type)
    sources = {F: record.fields, C: record.computed}
    if mapping is None:
        mapping = (*_COMMON,)
        for field in _TIME_FIELDS:
            if isinstance(record.fields.get(field), int):
                mapping = (*mapping, ("rt", F, field, None, _ms))
                break
        body = dict(record.fields)
        body.update({k: v for k, v in record.computed.items() if k not in body})
        ext.append("msg=" + escape_extension(_text(body)))
    for key, source, field, label, transform in mapping:
        value = sources[source].get(field)
        if transform is not None and value is not None:
            value = transform(value)
        if value is None or value == "":
            continue
        ext.append(f"{key}={escape_extension(_text(value))}")
        if label is not None:
            ext.append(f"{key}Label={escape_extension(label)}")
    return header + "|" + " ".join(ext)
