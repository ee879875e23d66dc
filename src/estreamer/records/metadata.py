"""Metadata cache and decoration (layer 2; the only I/O is save/load of the cache).

The FMC sends names (devices, policies, rules, zones, applications ...) once, as
metadata records with archive timestamp 0, so a resumed stream may never see them
again: :class:`MetadataCache` keeps them and persists them as JSON (never pickle).

:meth:`MetadataCache.decorate` fills ``record.computed`` with names for the raw ids
of an event; ``record.fields`` is never touched, so an id is never replaced by a
name (eNcore bug B26).

Naming rule of the computed keys (the JSON formatter emits them beside the raw
ids, the Splunk formatter maps them to eNcore's names): camelCase, the concept
plus ``Name`` (``deviceId`` -> ``deviceName``, ``ingressZone`` ->
``ingressZoneName``), ``...Description`` for a second text, ``impactLevel`` /
``impactLevelName`` for the level derived from the impact-flag mask.

Cache keys (spec/COVERAGE.md "Metadata a client must cache", spec/ENCORE_COMPAT.md B25):
350 netmap domains by id, 282 SI categories by uuid, 270 ICMP codes by
(protocol, type, code) so codes of different ICMP types do not collide.

Bounded and stored in parts: a table keeps at most its :data:`TABLE_LIMITS` entries
(least recently stored evicted first; a name the FMC sends again counts as recent,
an evicted one is learned again when the FMC next sends it). Entries are filed in
numbered parts of at most :data:`PART_SIZE` entries in the order they were learned,
and only the parts that changed since the last save are written again (one file or
one KV store document per part), so a save after a few new names writes a part or
two however big the cache is, and no part comes near the KV store's 16 MB document
limit. A name sent again unchanged changes nothing to save.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Callable, NamedTuple, Union

from estreamer.durable import atomic_write
from estreamer.errors import ConfigurationError
from estreamer.records import _native as native
from estreamer.records import codegen
from estreamer.records import names as C
from estreamer.records.record import FieldNames, Record
from estreamer.records.values import ip6_text

Key = Union[int, str, tuple]

log = logging.getLogger("estreamer.metadata")

#: version of the JSON of :meth:`MetadataCache.to_json` and :meth:`MetadataCache.changed_parts`
FORMAT_VERSION = 1

#: Most entries a table keeps; the tables an FMC fills without limit get more room
#: (docs/config.md and docs/splunk.md quote these figures: keep them in step).
TABLE_LIMITS: dict[str, int] = {
    "file_shas": 200_000,           # record 511: a name per file SHA-256 seen
    "rule_messages": 100_000,       # record 66: every intrusion rule of the policies
    "rule_signature_ids": 100_000,
    "users": 100_000,               # record 98
}
#: the limit of every other table
DEFAULT_TABLE_LIMIT = 20_000
#: Most entries in one stored part. Names are short (a file name, a rule message), so a
#: part is some hundred kilobytes; even 2,000 names of 4 KB each stay under 16 MB.
PART_SIZE = 2_000


class Store(NamedTuple):
    """How one metadata record type is stored: ``table[key fields] = value``.

    ``value`` names the field holding the value; a tuple of names stores a dict
    of those fields; alternatives separated by ``|`` are tried in order (record
    98: eNcore 5.2.11 calls the string ``username``, older layouts ``name``).
    """

    table: str
    key: tuple[str, ...]
    value: str | tuple[str, ...]


def _s(table: str, key: str | tuple[str, ...], value: str | tuple[str, ...]) -> Store:
    return Store(table, (key,) if isinstance(key, str) else key, value)


#: record type -> how to store it (one record may fill several tables)
STORES: dict[int, tuple[Store, ...]] = {
    4: (_s("priorities", "id", "name"),),
    54: (_s("fingerprints", "uuid", ("name", "vendor", "version")),),
    55: (_s("client_applications", "id", "name"),),
    59: (_s("network_protocols", "id", "name"),),
    60: (_s("attributes", "id", "name"),),
    62: (_s("system_users", "id", "username|name"),),
    63: (_s("applications", "id", "name"),),
    66: (_s("rule_messages", ("generatorId", "ruleId"), "message"),
         _s("rule_signature_ids", ("generatorId", "ruleId"), "signatureId")),
    67: (_s("classifications", "id", ("name", "description")),),
    69: (_s("correlation_policies", "id", "name"),),
    70: (_s("correlation_rules", "id", ("name", "description", "eventType")),),
    90: (_s("source_types", "id", "name"),),
    91: (_s("source_applications", "id", "name"),),
    96: (_s("source_detectors", "id", "name"),),
    98: (_s("users", "id", "username|name"),),
    109: (_s("web_applications", "id", "name"),),
    111: (_s("extra_data_types", "type", "name"),),
    115: (_s("zones", "uuid", "name"),),
    116: (_s("interfaces", "uuid", "name"),),
    # 117 is the older AC policy name record; it also names rule 0 of the policy.
    117: (_s("policies", "uuid", "name"),),
    118: (_s("policies", "uuid", "name"),),
    119: (_s("access_control_rules", ("uuid", "id"), "name"),),
    120: (_s("rule_actions", "id", "name"),),
    121: (_s("url_categories", "id", "name"),),
    122: (_s("url_reputations", "id", "name"),),
    123: (_s("devices", "id", "name"),),
    124: (_s("rule_reasons", "id", "description"),),
    127: (_s("amp_clouds", "uuid", "name"),),
    128: (_s("malware_event_types", "id", "name"),),
    129: (_s("malware_event_subtypes", "id", "name"),),
    130: (_s("amp_detector_types", "id", "name"),),
    # 131 (AMP file types) and 510 (file types) share one id space.
    131: (_s("file_types", "id", "name"),),
    145: (_s("access_control_policies", ("sensorId", "uuid"), "name"),),
    146: (_s("access_control_policies", ("sensorId", "uuid"), "name"),),
    147: (_s("access_control_policies", ("sensorId", "uuid"), "name"),),
    161: (_s("iocs", "id", ("category", "eventType")),),
    260: (_s("icmp_types", ("protocol", "type"), "description"),),
    270: (_s("icmp_codes", ("protocol", "type", "code"), "description"),),
    280: (_s("si_discovery_categories", ("id", "accessControlPolicyUuid"), "name"),),
    281: (_s("si_sources_destinations", "id", "name"),),
    282: (_s("si_categories", "uuid", "name"),),
    300: (_s("realms", "id", "name"),),
    302: (_s("security_groups", "id", "name"),),
    320: (_s("dns_record_types", "id", ("name", "description")),),
    321: (_s("dns_response_types", "id", ("name", "description")),),
    322: (_s("sinkholes", "uuid", "name"),),
    350: (_s("netmap_domains", "id", "name"),),
    510: (_s("file_types", "id", "name"),),
    511: (_s("file_shas", "shaHash", "fileName"),),
    515: (_s("file_storage_statuses", "id", "name"),),
    516: (_s("file_sandbox_statuses", "id", "name"),),
    # eNcore keeps Spero dispositions in the file-disposition table; so do we.
    517: (_s("file_dispositions", "id", "name"),),
    518: (_s("archive_statuses", "id", "name"),),
    519: (_s("static_analysis_statuses", "id", "name"),),
    520: (_s("countries", "countryCode", "country"),),
    530: (_s("policies", "uuid", "name"),),
    600: (_s("ssl_policies", "uuid", "name"),),
    602: (_s("ssl_cipher_suites", "id", "name"),),
    604: (_s("ssl_versions", "id", "name"),),
    605: (_s("ssl_certificate_statuses", "id", "name"),),
    606: (_s("ssl_actions", "id", "name"),),
    607: (_s("ssl_actions", "id", "name"),),
    608: (_s("ssl_flow_statuses", "id", "name"),),
    613: (_s("ssl_url_categories", "id", "name"),),
    700: (_s("policies", "uuid", "name"),),
}

#: static tables consulted when the FMC has not (yet) sent a name for a value
FALLBACKS: dict[str, dict[Any, str]] = {
    "ip_protocols": C.IP_PROTOCOLS,
    "blocked": C.BLOCKED,
    "blocked_reasons": C.BLOCKED_REASONS,
    "impact_levels": C.IMPACT_LEVELS,
    "correlation_event_types": C.CORRELATION_EVENT_TYPES,
    "host_types": C.HOST_TYPES,
    "host_criticality": C.HOST_CRITICALITY,
    "file_directions": C.FILE_DIRECTIONS,
    "file_actions": C.FILE_ACTIONS,
    "file_dispositions": C.FILE_DISPOSITIONS,
    "malware_analysis_statuses": C.MALWARE_ANALYSIS_STATUS,
    "user_auth_types": C.USER_AUTH_TYPES,
    "vpn_types": C.VPN_TYPES,
    "user_protocols": C.USER_PROTOCOLS,
    "extra_data_types": C.EXTRA_DATA_TYPES,
    "ssl_actions": C.SSL_ACTIONS,
    "ssl_flow_statuses": C.SSL_FLOW_STATUSES,
    "ssl_certificate_statuses": C.SSL_CERT_STATUSES,
    "ssl_cipher_suites": C.TLS_CIPHER_SUITES,
    "discovery_events": C.DISCOVERY_EVENT_NAMES,
}

def is_security_intelligence(record: Record) -> bool:
    """A connection event raised by Security Intelligence (eNcore's rule: the SI
    source/destination field is set). Decoration, the SI sourcetype of the Splunk
    input and the SI eventtype (sec_intel_event=Yes) all follow this one rule."""
    return record.record_type == 71 and \
        record.get("securityIntelligenceSourceDestination", 0) != 0


#: derived values: function of the raw value instead of a table
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "impact_level": C.impact_level,
    "impact_level_name": lambda flags: C.IMPACT_LEVELS[C.impact_level(flags)],
    # no bit set: nothing to name (the raw 0 is still emitted)
    # (0 is tested first only for speed: it is the usual value, and bit_names
    # would walk the whole table to return "")
    "ssl_flow_flag_names": lambda v: (C.bit_names(v, C.SSL_FLOW_FLAGS) or None) if v else None,
    "ssl_flow_message_names":
        lambda v: (C.bit_names(v, C.SSL_FLOW_MESSAGES) or None) if v else None,
    # see is_security_intelligence (the same rule on the field's value)
    "security_intelligence_event": lambda v: "No" if v == 0 else "Yes",
    # a raw value copied beside the names (eNcore's view does this for VPN sessions)
    "value": lambda v: v,
    # the VPN client address: 16 raw bytes, IPv4-mapped when IPv4
    "address": lambda v: ip6_text(bytes.fromhex(v)) if len(v) == 32 else None,
}


class Deco(NamedTuple):
    """One decoration: ``computed[name] = table[value of fields]`` (``part`` of a dict value).

    ``fields`` are dotted paths into ``record.fields`` (``user.userId``); several
    fields make a composite key. ``table`` is a cache table name, a static table
    (``FALLBACKS``) or ``fn:<FUNCTIONS key>``.
    """

    fields: tuple[str, ...]
    name: str
    table: str
    part: str | None = None


def _d(fields: str | tuple[str, ...], name: str, table: str, part: str | None = None) -> Deco:
    return Deco((fields,) if isinstance(fields, str) else fields, name, table, part)


_DEVICE = (_d("deviceId", "deviceName", "devices"),)
_DISCOVERY = (
    *_DEVICE,
    _d(("eventType", "eventSubtype"), "eventDescription", "discovery_events"),
    # The host's address (eNcore's src_host): the IPv4 header address, replaced by the
    # IPv6 one when the header carries it (eNcore read it from a fixed offset, bug B6).
    _d("legacyIpAddress", "hostIpAddress", "fn:value"),
    _d("ipv6Address", "hostIpAddress", "fn:value"),
)
_SSL_EVENT = (
    _d("sslActualAction", "sslActualActionName", "ssl_actions"),
    _d("sslFlowStatus", "sslFlowStatusName", "ssl_flow_statuses"),
)
_IOC = (
    _d("iocNumber", "iocCategory", "iocs", "category"),
    _d("iocNumber", "iocEventType", "iocs", "eventType"),
)
_APPS = (
    _d("applicationId", "applicationName", "applications"),
    _d("clientApplicationId", "clientApplicationName", "client_applications"),
    _d("webApplicationId", "webApplicationName", "web_applications"),
)
_COUNTRIES = (
    _d("sourceCountry", "sourceCountryName", "countries"),
    _d("destinationCountry", "destinationCountryName", "countries"),
)

_CONNECTION = (
    *_DISCOVERY,
    _d("ingressZone", "ingressZoneName", "zones"),
    _d("egressZone", "egressZoneName", "zones"),
    _d("ingressInterface", "ingressInterfaceName", "interfaces"),
    _d("egressInterface", "egressInterfaceName", "interfaces"),
    _d(("deviceId", "policyRevision"), "accessControlPolicyName", "access_control_policies"),
    _d(("policyRevision", "ruleId"), "accessControlRuleName", "access_control_rules"),
    _d("ruleAction", "ruleActionName", "rule_actions"),
    _d("ruleReason", "ruleReasonName", "rule_reasons"),
    # the NAP of the connection (Security Cloud's NAP_Policy), named by record 700
    _d("networkAnalysisPolicyRevision", "networkAnalysisPolicyName", "policies"),
    _d("initiatorCountry", "initiatorCountryName", "countries"),
    _d("responderCountry", "responderCountryName", "countries"),
    _d("originalClientCountry", "originalClientCountryName", "countries"),
    _d("protocol", "protocolName", "ip_protocols"),
    *_APPS,
    _d("userId", "userName", "users"),
    _d("urlCategory", "urlCategoryName", "url_categories"),
    _d("urlReputation", "urlReputationName", "url_reputations"),
    *(_d(("policyRevision", f"monitorRule{n}"), f"monitorRule{n}Name", "access_control_rules")
      for n in range(1, 9)),
    _d(("securityIntelligenceList1", "policyRevision"), "securityIntelligenceList1Name",
       "si_discovery_categories"),
    _d(("securityIntelligenceList2", "policyRevision"), "securityIntelligenceList2Name",
       "si_discovery_categories"),
    _d("securityIntelligenceSourceDestination", "securityIntelligenceSourceDestinationName",
       "si_sources_destinations"),
    _d("dnsRecordType", "dnsRecordTypeName", "dns_record_types", "name"),
    _d("dnsRecordType", "dnsRecordTypeDescription", "dns_record_types", "description"),
    _d("dnsResponseType", "dnsResponseTypeName", "dns_response_types", "name"),
    _d("dnsResponseType", "dnsResponseTypeDescription", "dns_response_types", "description"),
    _d("sinkholeUuid", "sinkholeName", "sinkholes"),
    *_IOC,
    _d("sslCipherSuite", "sslCipherSuiteName", "ssl_cipher_suites"),
    _d("sslVersion", "sslVersionName", "ssl_versions"),
    _d("sslServerCertificateStatus", "sslServerCertificateStatusName",
       "ssl_certificate_statuses"),
    *_SSL_EVENT,
    _d("sslExpectedAction", "sslExpectedActionName", "ssl_actions"),
    _d("sslPolicyId", "sslPolicyName", "ssl_policies"),
    _d("sslUrlCategory", "sslUrlCategoryName", "ssl_url_categories"),
    _d("sslFlowFlags", "sslFlowFlagNames", "fn:ssl_flow_flag_names"),
    _d("sslFlowMessages", "sslFlowMessageNames", "fn:ssl_flow_message_names"),
    _d("securityGroupId", "securityGroupName", "security_groups"),
    _d("securityIntelligenceSourceDestination", "securityIntelligenceEvent",
       "fn:security_intelligence_event"),
)

_INTRUSION = (
    *_DEVICE,
    _d(("generatorId", "ruleId"), "ruleMessage", "rule_messages"),
    _d(("generatorId", "ruleId"), "renderedSignatureId", "rule_signature_ids"),
    _d("classificationId", "classificationName", "classifications", "name"),
    _d("classificationId", "classificationDescription", "classifications", "description"),
    _d("priorityId", "priorityName", "priorities"),
    _d("policyUuid", "intrusionPolicyName", "policies"),
    _d("networkAnalysisPolicyUuid", "networkAnalysisPolicyName", "policies"),
    _d(("deviceId", "accessControlPolicyUuid"), "accessControlPolicyName",
       "access_control_policies"),
    _d(("accessControlPolicyUuid", "accessControlRuleId"), "accessControlRuleName",
       "access_control_rules"),
    _d("securityZoneIngressUuid", "ingressZoneName", "zones"),
    _d("securityZoneEgressUuid", "egressZoneName", "zones"),
    _d("interfaceIngressUuid", "ingressInterfaceName", "interfaces"),
    _d("interfaceEgressUuid", "egressInterfaceName", "interfaces"),
    *_COUNTRIES,
    _d("ipProtocolId", "ipProtocolName", "ip_protocols"),
    *_APPS,
    _d("userId", "userName", "users"),
    _d("blocked", "blockedName", "blocked"),
    _d("blockedReasonId", "blockedReasonName", "blocked_reasons"),
    _d("impactFlags", "impactLevel", "fn:impact_level"),
    _d("impactFlags", "impactLevelName", "fn:impact_level_name"),
    *_IOC,
    *_SSL_EVENT,
)

_FILE = (
    *_DEVICE,
    *_COUNTRIES,
    _d("protocol", "protocolName", "ip_protocols"),
    *_APPS,
    _d("userId", "userName", "users"),
    _d("fileTypeId", "fileTypeName", "file_types"),
    _d("shaHash", "shaFileName", "file_shas"),
    _d("disposition", "dispositionName", "file_dispositions"),
    _d("speroDisposition", "speroDispositionName", "file_dispositions"),
    _d("fileStorageStatus", "fileStorageStatusName", "file_storage_statuses"),
    _d("fileAnalysisStatus", "fileAnalysisStatusName", "static_analysis_statuses"),
    _d("archiveFileStatus", "archiveFileStatusName", "archive_statuses"),
    _d("localMalwareAnalysisStatus", "localMalwareAnalysisStatusName",
       "malware_analysis_statuses"),
    _d("action", "actionName", "file_actions"),
    _d("direction", "directionName", "file_directions"),
    _d("accessControlPolicyUuid", "accessControlPolicyName", "policies"),
    *_SSL_EVENT,
)

_MALWARE = (
    *_DEVICE,
    _d("cloudUuid", "cloudName", "amp_clouds"),
    _d("eventTypeId", "eventTypeName", "malware_event_types"),
    _d("eventSubtypeId", "eventSubtypeName", "malware_event_subtypes"),
    _d("detectorId", "detectorName", "amp_detector_types"),
    _d("fileType", "fileTypeName", "file_types"),
    _d("fileShaHash", "fileShaName", "file_shas"),
    _d("parentShaHash", "parentShaName", "file_shas"),
    *_COUNTRIES,
    _d("protocol", "protocolName", "ip_protocols"),
    *_APPS,
    _d("userId", "userName", "users"),
    _d("disposition", "dispositionName", "file_dispositions"),
    _d("retroDisposition", "retroDispositionName", "file_dispositions"),
    _d("action", "actionName", "file_actions"),
    _d("direction", "directionName", "file_directions"),
    _d("accessControlPolicyUuid", "accessControlPolicyName", "policies"),
    *_IOC,
    *_SSL_EVENT,
)

_CORRELATION = (
    *_DEVICE,
    _d("policyId", "correlationPolicyName", "correlation_policies"),
    _d("ruleId", "correlationRuleName", "correlation_rules", "name"),
    _d("priority", "priorityName", "priorities"),
    _d("eventType", "eventTypeName", "correlation_event_types"),
    _d(("signatureGeneratorId", "signatureId"), "ruleMessage", "rule_messages"),
    _d("blocked", "blockedName", "blocked"),
    _d("eventImpactFlags", "impactLevel", "fn:impact_level"),
    _d("eventImpactFlags", "impactLevelName", "fn:impact_level_name"),
    _d("ipProtocol", "ipProtocolName", "ip_protocols"),
    _d("networkProtocol", "networkProtocolName", "network_protocols"),
    _d("sourceHostType", "sourceHostTypeName", "host_types"),
    _d("destinationHostType", "destinationHostTypeName", "host_types"),
    _d("sourceCriticality", "sourceCriticalityName", "host_criticality"),
    _d("destinationCriticality", "destinationCriticalityName", "host_criticality"),
    _d("sourceUserId", "sourceUserName", "users"),
    _d("destinationUserId", "destinationUserName", "users"),
    _d("sourceServerId", "sourceServerName", "applications"),
    _d("destinationServerId", "destinationServerName", "applications"),
    *_COUNTRIES,
    _d("ingressZoneUuid", "ingressZoneName", "zones"),
    _d("egressZoneUuid", "egressZoneName", "zones"),
    _d("ingressIntefaceUuid", "ingressInterfaceName", "interfaces"),
    _d("egressIntefaceUuid", "egressInterfaceName", "interfaces"),
    _d("urlCategory", "urlCategoryName", "url_categories"),
    _d("urlReputation", "urlReputationName", "url_reputations"),
    _d("sourceOperatingSystemFingerprintUuid", "sourceOsName", "fingerprints", "name"),
    _d("sourceOperatingSystemFingerprintUuid", "sourceOsVendor", "fingerprints", "vendor"),
    _d("sourceOperatingSystemFingerprintUuid", "sourceOsVersion", "fingerprints", "version"),
    _d("destinationOperatingSystemFingerprintUuid", "destinationOsName", "fingerprints", "name"),
    _d("destinationOperatingSystemFingerprintUuid", "destinationOsVendor", "fingerprints",
       "vendor"),
    _d("destinationOperatingSystemFingerprintUuid", "destinationOsVersion", "fingerprints",
       "version"),
    _d("securityIntelligenceUuid", "securityIntelligenceCategoryName", "si_categories"),
    _d(("deviceId", "accessControlPolicyRevision"), "accessControlPolicyName",
       "access_control_policies"),
    _d(("accessControlPolicyRevision", "accessControlRuleId"), "accessControlRuleName",
       "access_control_rules"),
    *_SSL_EVENT,
)


def _user_block(block: str, login: bool = False) -> tuple[Deco, ...]:
    # Only the login blocks of record 95 (s1.127/159/165/167) carry an applicationId.
    app = (_d(f"{block}.applicationId", "clientApplicationName", "client_applications"),)
    return (
        _d(f"{block}.userId", "userName", "users"),
        *(app if login else ()),
        _d(f"{block}.authType", "authTypeName", "user_auth_types"),
        _d(f"{block}.protocol", "protocolName", "user_protocols"),
        _d(f"{block}.realmId", "realmName", "realms"),
        _d(f"{block}.securityGroupId", "securityGroupName", "security_groups"),
    )


def _vpn_session(block: str) -> tuple[Deco, ...]:
    """The first VPN session of a VPN login/logoff under eNcore's view names.

    eNcore flattens ``<block>.vpnSession`` into top-level fields (client_ip,
    vpn_policy, bytes_received, ...); VPN searches and dashboards use them. The
    whole session list is still emitted as it is."""
    first = f"{block}.vpnSession.0."
    return (
        _d(first + "index", "vpnSessionIndex", "fn:value"),
        _d(first + "vpnType", "vpnTypeName", "vpn_types"),
        _d(first + "groupPolicy", "vpnGroupPolicy", "fn:value"),
        _d(first + "vpnConnectionProfile", "vpnConnectionProfile", "fn:value"),
        _d(first + "clientIP", "vpnClientIp", "fn:address"),
        _d(first + "countryCode", "vpnCountryName", "countries"),
        _d(first + "clientOS", "vpnClientOs", "fn:value"),
        _d(first + "clientApplication", "vpnClientApplication", "fn:value"),
        _d(first + "connectionDuration", "vpnConnectionDuration", "fn:value"),
        _d(first + "bytesTransmitted", "vpnBytesTransmitted", "fn:value"),
        _d(first + "bytesReceived", "vpnBytesReceived", "fn:value"),
    )


_CLIENT_APP = (
    *_DISCOVERY,
    _d("client.applicationProto", "applicationName", "applications"),
    _d("client.id", "clientApplicationName", "client_applications"),
)

#: record type -> decorations. Records not listed get deviceName when they have a deviceId.
DECORATIONS: dict[int, tuple[Deco, ...]] = {
    2: _DEVICE,
    9: (*_DEVICE, _d("impact", "impactLevel", "fn:impact_level"),
        _d("impact", "impactLevelName", "fn:impact_level_name")),
    13: (*_DISCOVERY, _d("networkProtocol", "networkProtocolName", "network_protocols")),
    14: (*_DISCOVERY, _d("transportProtocol", "transportProtocolName", "ip_protocols")),
    15: _CLIENT_APP,
    35: _CLIENT_APP,
    107: _CLIENT_APP,
    31: (*_DISCOVERY, _d("hostType", "hostTypeName", "host_types")),
    62: (_d("protocol", "protocolName", "user_protocols"),),
    71: _CONNECTION,
    92: (*_DISCOVERY, *_user_block("user")),
    93: (*_DISCOVERY, *_user_block("user")),
    94: (*_DISCOVERY, *_user_block("user")),
    95: (*_DISCOVERY, *_user_block("user", login=True)),
    98: (_d("protocol", "protocolName", "user_protocols"),),
    101: (*_DISCOVERY, _d("osfingerprint.sourceType", "sourceTypeName", "source_types"),
          _d("osfingerprint.sourceId", "sourceApplicationName", "source_applications")),
    103: (*_DISCOVERY, _d("identity.sourceType", "sourceTypeName", "source_types"),
          _d("identity.sourceId", "sourceApplicationName", "source_applications"),
          _d("identity.protocol", "protocolName", "ip_protocols")),
    110: (*_DEVICE, _d("type", "typeName", "extra_data_types")),
    112: _CORRELATION,
    125: _MALWARE,
    145: (_d("sensorId", "deviceName", "devices"),),
    146: (_d("sensorId", "deviceName", "devices"),),
    147: (_d("sensorId", "deviceName", "devices"),),
    170: (*_DISCOVERY, *_user_block("userLogin"), *_vpn_session("userLogin")),
    171: (*_DISCOVERY, *_user_block("userLogoff"), *_vpn_session("userLogoff")),
    400: _INTRUSION,
    500: _FILE,
    502: _FILE,
}

# Discovery records not listed above still get the device and event names.
_DISCOVERY_RECORDS = (10, 11, 12, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 34,
                      42, 44, 45, 46, 47, 48, 51, 52, 53, 73, 74, 75, 76, 77, 78, 79, 80, 81,
                      82, 83, 84, 85, 86, 87, 88, 89, 102, 160)
for _rt in _DISCOVERY_RECORDS:
    DECORATIONS.setdefault(_rt, _DISCOVERY)


def decorated_names(record_type: int) -> tuple[str, ...]:
    """Computed keys that decoration can add to a record of this type (in plan order)."""
    names: list[str] = []
    for deco in DECORATIONS.get(record_type, _DEVICE):
        if deco.name not in names:
            names.append(deco.name)
    return tuple(names)


def _path_value(fields: dict, parts: tuple[str, ...]) -> Any:
    """The value at a dotted path into nested blocks and lists (``a.b.0.c``; None when a
    part is absent)."""
    value: Any = fields
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is None:
            return None
    return value


def _decorations(record_type: int, names: FieldNames | None) -> list[Deco]:
    """The decorations of ``record_type`` that apply: for a flat layout (``names``),
    those whose fields it has (the generated code leaves the others out)."""
    return [deco for deco in DECORATIONS.get(record_type, _DEVICE)
            if names is None or all(path in names.position for path in deco.fields)]


def decoration_source(record_type: int) -> str:
    """The generated decorator of ``record_type`` for a fields dict (``estreamer explain``)."""
    return _source(record_type).text


class _Source(NamedTuple):
    """A record type's decorations as Python source, compiled once per process."""

    text: str                   # the generated source (for reading and debugging)
    code: Any                   # its code object, defining ``decorate(F, C)``
    tables: tuple[str, ...]     # cache tables bound to T0, T1, ... in the generated code
    fallbacks: tuple[str, ...]  # FALLBACKS tables bound to B0, B1, ...
    functions: tuple[str, ...]  # FUNCTIONS entries bound to FN0, FN1, ...


_sources: dict[tuple[int, int], _Source] = {}


def _plan_key(record_type: int, names: FieldNames | None) -> tuple[int, int]:
    """Decorators are generated per record type and per flat layout (-1: a fields dict)."""
    return record_type, -1 if names is None else names.serial


def _source(record_type: int, names: FieldNames | None = None) -> _Source:
    """Straight-line code for the decorations of ``record_type``.

    Decoration runs for every event, and a connection record has ~50
    decorations: walking a list of steps costs an interpreter round trip and a
    few Python calls per step. Like :mod:`estreamer.records.fastpath`, each record type
    becomes one generated function instead: every field is read once into a
    local, then each decoration is a dict lookup (plus the static fallback
    table) and a store, with the tables bound as globals of the function.
    The generated statements follow :data:`DECORATIONS` in order and do what
    the step-by-step reading of a ``Deco`` says: no key (a field absent) -> no
    name; table first, then ``FALLBACKS``; then ``part`` of a dict value;
    ``fn:`` tables call the function and keep a non-None result.

    Two readings of the fields: ``decorate(F, C)`` reads the dict ``F``; with
    ``names`` (a flat record's :class:`FieldNames`) ``decorate(V, C)`` reads the
    values tuple ``V`` by position, and a decoration whose field the layout lacks
    is left out when the code is generated.
    """
    key = _plan_key(record_type, names)
    cached = _sources.get(key)
    if cached is not None:
        return cached
    lines = ["def decorate(F, C):", "    get = F.get"] if names is None \
        else ["def decorate(V, C):"]
    header = len(lines)
    reads: dict[str, str | None] = {}  # field path -> local holding its value (None: absent)
    tables: list[str] = []
    fallbacks: list[str] = []
    functions: list[str] = []

    def read(path: str) -> str | None:
        if path in reads:
            return reads[path]
        var: str | None = f"v{len(reads)}"
        if names is not None:
            index = names.position.get(path)
            if index is None:
                var = None  # not in this layout: never decorated
            else:
                lines.append(f"    {var} = V[{index}]")
        elif "." in path:
            lines.append(f"    {var} = _path_value(F, {tuple(path.split('.'))!r})")
        else:
            lines.append(f"    {var} = get({path!r})")
        reads[path] = var
        return var

    def bound(names: list[str], name: str, prefix: str) -> str:
        if name not in names:
            names.append(name)
        return f"{prefix}{names.index(name)}"

    for deco in DECORATIONS.get(record_type, _DEVICE):
        variables = [read(path) for path in deco.fields]
        if None in variables:
            continue
        lines.append(f"    # {' + '.join(deco.fields)} -> {deco.name} ({deco.table})")
        pad = "    "
        if names is None:  # a flat record's values are never None: no test needed
            lines.append(f"{pad}if " + " and ".join(f"{v} is not None" for v in variables) + ":")
            pad += "    "
        key_var = variables[0]
        if len(variables) > 1:
            key_var = "k"
            lines.append(f"{pad}k = ({', '.join(variables)})")  # type: ignore[arg-type]
        # T<i>, B<i>: the ``get`` of a cache table / static table, bound once
        if deco.table.startswith("fn:"):
            lines.append(f"{pad}n = {bound(functions, deco.table[3:], 'FN')}({key_var})")
        else:
            lines.append(f"{pad}n = {bound(tables, deco.table, 'T')}({key_var})")
            if deco.table in FALLBACKS:
                lines.append(f"{pad}if n is None:")
                lines.append(f"{pad}    n = {bound(fallbacks, deco.table, 'B')}({key_var})")
            if deco.part is not None:
                lines.append(f"{pad}if n is not None:")
                lines.append(f"{pad}    n = n.get({deco.part!r})")
        lines.append(f"{pad}if n is not None:")
        lines.append(f"{pad}    C[{deco.name!r}] = n")
    if len(lines) == header:
        lines.append("    return")
    text = "\n".join(lines) + "\n"
    label = f"decorate_{record_type}" + ("" if names is None else f"_flat{names.serial}")
    code = codegen.compile_source(text, label)
    cached = _sources[key] = _Source(text, code, tuple(tables), tuple(fallbacks),
                                     tuple(functions))
    return cached


class MetadataCache:
    """Names learned from metadata records, looked up by decoration.

    Tables are created on first use and never replaced (only mutated), so the
    compiled decoration plans can hold their bound ``get`` methods.
    """

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        # each table in least-recently-stored-first order (eviction takes the first)
        self._tables: dict[str, OrderedDict[Key, Any]] = {}
        # _plan_key -> the generated decorator bound to this cache's tables
        self._plans: dict[tuple[int, int], Callable[[Any, dict], None]] = {}
        self._limits = {**TABLE_LIMITS, **(limits or {})}
        # table -> key -> number of the stored part the entry is filed in
        self._part_of: dict[str, dict[Key, int]] = {}
        # table -> [part new entries go to, entries filed in it so far]
        self._filling: dict[str, list[int]] = {}
        # (table, part) written differently from what was last saved
        self._changed: set[tuple[str, int]] = set()
        # item 0 is replaced whenever a table's contents change: the native decorators
        # remember each step's last look-up while it stays the same object
        self._generation: list[int] = [0]

    # --- storing --------------------------------------------------------
    def table(self, name: str) -> OrderedDict[Key, Any]:
        """The live table ``name`` (created empty if unknown)."""
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = OrderedDict()
        return table

    def limit(self, name: str) -> int:
        """Most entries table ``name`` keeps."""
        return self._limits.get(name, DEFAULT_TABLE_LIMIT)

    def _new_part(self, name: str) -> int:
        """The part a new entry of ``name`` is filed in (a new one every PART_SIZE entries)."""
        filling = self._filling.get(name)
        if filling is None:
            filling = self._filling[name] = [0, 0]
        if filling[1] >= PART_SIZE:
            filling[0] += 1
            filling[1] = 0
        filling[1] += 1
        return filling[0]

    def store(self, name: str, key: Key, value: Any) -> None:
        """``table[key] = value`` with the bookkeeping: recency, bound, parts to save."""
        table = self.table(name)
        part_of = self._part_of.setdefault(name, {})
        old = table.get(key)
        part = part_of.get(key)
        if old == value and part is not None:
            table.move_to_end(key)  # recently used; nothing new to save
            newest = self._filling[name][0]
            if part >= newest - self.limit(name) // PART_SIZE:
                return
            # Filed a whole table's worth of parts ago: refile it with the new entries,
            # so hot names do not keep ever more old parts alive.
            self._changed.add((name, part))
            part = None
        table[key] = value
        table.move_to_end(key)
        self._generation[0] += 1
        if part is None:
            part = part_of[key] = self._new_part(name)
        self._changed.add((name, part))
        limit = self.limit(name)
        while len(table) > limit:
            evicted, _ = table.popitem(last=False)
            gone = part_of.pop(evicted, None)
            if gone is not None:
                self._changed.add((name, gone))

    def update(self, record: Record) -> bool:
        """Store ``record`` if it is a metadata record we know; True when it was."""
        stores = STORES.get(record.record_type)
        if stores is None:
            return False
        fields = record.fields
        for store in stores:
            key_parts = [fields.get(k) for k in store.key]
            if any(part is None for part in key_parts):
                continue  # truncated record: nothing to key it by
            key: Any = key_parts[0] if len(key_parts) == 1 else tuple(key_parts)
            if isinstance(store.value, tuple):
                value: Any = {f: fields[f] for f in store.value if f in fields}
                if not value:
                    continue
            else:
                value = None
                for alternative in store.value.split("|"):
                    value = fields.get(alternative)
                    if value is not None:
                        break
                if value is None:
                    continue
            self.store(store.table, key, value)
        if record.record_type == 117 and "uuid" in fields:
            # The older AC policy record implies the policy's default rule (id 0).
            self.store("access_control_rules", (fields["uuid"], 0), "Default Action")
        return True

    def update_all(self, records: Iterable[Record]) -> int:
        """Store every metadata record of ``records``; returns how many were metadata."""
        return sum(1 for record in records if self.update(record))

    def lookup(self, table: str, key: Key) -> Any:
        """The name stored for ``key`` (falling back to the static table), or None."""
        entries = self._tables.get(table)
        value = None if entries is None else entries.get(key)
        if value is None and table in FALLBACKS:
            value = FALLBACKS[table].get(key)
        return value

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())

    # --- decoration -----------------------------------------------------
    def _plan(self, record_type: int, names: FieldNames | None) -> Callable[[Any, dict], None]:
        """The generated decorator of ``record_type``, bound to this cache's live tables
        (for a flat record, its native twin when the core is built; the reference
        decorator when code generation is off)."""
        if not codegen.enabled():
            reference = self._plans[_plan_key(record_type, names)] = \
                self._reference_plan(record_type, names)
            return reference
        if names is not None and native.CORE is not None:
            # a flat record: the same decorations run in C, when the core is built
            steps = tuple(
                (tuple(names.position[path] for path in deco.fields),
                 None, None, None, FUNCTIONS[deco.table[3:]], deco.name)
                if deco.table.startswith("fn:") else
                (tuple(names.position[path] for path in deco.fields), self.table(deco.table),
                 FALLBACKS.get(deco.table), deco.part, None, deco.name)
                for deco in _decorations(record_type, names))
            fast = native.decorator(steps, self._generation)
            if fast is not None:
                self._plans[_plan_key(record_type, names)] = fast
                return fast
        source = _source(record_type, names)
        env: dict[str, Any] = {"_path_value": _path_value}
        env.update((f"T{i}", self.table(name).get) for i, name in enumerate(source.tables))
        env.update((f"B{i}", FALLBACKS[name].get) for i, name in enumerate(source.fallbacks))
        env.update((f"FN{i}", FUNCTIONS[name]) for i, name in enumerate(source.functions))
        exec(source.code, env)
        # taken out of its own globals: a function in a cycle with them outlives its
        # cache (a session) until a full collection, which streaming makes rare
        plan: Callable[[Any, dict], None] = env.pop("decorate")
        self._plans[_plan_key(record_type, names)] = plan
        return plan

    def _reference_plan(self, record_type: int, names: FieldNames | None
                        ) -> Callable[[Any, dict], None]:
        """:data:`DECORATIONS` read step by step: what the generated decorator does."""
        def read(source: Any, path: str) -> Any:
            if names is not None:  # a flat record's values tuple, by position
                return source[names.position[path]]
            return _path_value(source, tuple(path.split("."))) if "." in path \
                else source.get(path)

        decos = _decorations(record_type, names)
        lookups = [FUNCTIONS[deco.table[3:]] if deco.table.startswith("fn:")
                   else self.table(deco.table).get for deco in decos]

        def decorate(source: Any, computed: dict) -> None:
            for deco, lookup in zip(decos, lookups):
                parts = [read(source, path) for path in deco.fields]
                if None in parts:
                    continue
                key = parts[0] if len(parts) == 1 else tuple(parts)
                name = lookup(key)
                if not deco.table.startswith("fn:"):
                    if name is None and deco.table in FALLBACKS:
                        name = FALLBACKS[deco.table].get(key)
                    if name is not None and deco.part is not None:
                        name = name.get(deco.part)
                if name is not None:
                    computed[deco.name] = name
        return decorate

    def decorate(self, record: Record) -> Record:
        """Fill ``record.computed`` with the names known for its ids; returns the record."""
        values = record.values
        # a flat record is read by position, any other through its fields dict
        names = record.names if values is not None else None
        plan = self._plans.get(_plan_key(record.record_type, names))
        if plan is None:
            plan = self._plan(record.record_type, names)
        plan(record.fields if values is None else values, record.computed)
        return record

    # --- persistence ----------------------------------------------------
    # Two forms, both JSON (never pickle), entries as [key, value] pairs (tuple keys as
    # lists, int keys kept as ints): the whole cache in one document (to_json, the
    # single file of ``estreamer decode --metadata-cache``), and one document per part
    # of a table (changed_parts: the files and KV store documents of the live client).

    @property
    def changed(self) -> bool:
        """Something was learned or evicted since the last save."""
        return bool(self._changed)

    def changed_parts(self) -> dict[tuple[str, int], str | None]:
        """``(table, part) -> JSON text`` of every part changed since the last save (None:
        the part is now empty, delete it). Hand the keys to :meth:`mark_saved` once written."""
        wanted: dict[str, set[int]] = {}
        for name, part in self._changed:
            wanted.setdefault(name, set()).add(part)
        out: dict[tuple[str, int], str | None] = {}
        for name, parts in wanted.items():
            entries: dict[int, list[list[Any]]] = {part: [] for part in parts}
            part_of = self._part_of.get(name, {})
            for key, value in self._tables.get(name, {}).items():
                filed = part_of.get(key)
                if filed in entries:
                    entries[filed].append([_key_json(key), value])
            for part, pairs in entries.items():
                out[(name, part)] = _dumps({"version": FORMAT_VERSION, "table": name,
                                            "part": part, "entries": pairs}) if pairs else None
        return out

    def mark_saved(self, parts: Iterable[tuple[str, int]]) -> None:
        """These parts (from :meth:`changed_parts`) are stored as they are now."""
        self._changed.difference_update(parts)

    def mark_all_changed(self) -> None:
        """Every part needs writing (the stored form was another one, or was lost)."""
        for name, part_of in self._part_of.items():
            self._changed.update((name, part) for part in set(part_of.values()))

    @staticmethod
    def parse_part(text: str) -> tuple[str, int, list]:
        """``(table, part, entries)`` of one :meth:`changed_parts` text; ConfigurationError
        naming what is wrong when it is not one."""
        doc = _loads(text)
        if not (isinstance(doc, dict) and doc.get("version") == FORMAT_VERSION
                and isinstance(doc.get("table"), str) and isinstance(doc.get("part"), int)
                and isinstance(doc.get("entries"), list)):
            raise ConfigurationError(f"not a metadata cache part of version {FORMAT_VERSION}")
        _check_entries(doc["table"], doc["entries"])
        return doc["table"], doc["part"], doc["entries"]

    def add_parts(self, parts: Iterable[tuple[str, int, list]]) -> None:
        """Load parsed parts (oldest part first, so recency survives a restart); the cache
        counts them as saved."""
        newest: dict[str, int] = {}
        self._generation[0] += 1
        for name, part, entries in sorted(parts, key=lambda p: (p[0], p[1])):
            table = self.table(name)
            part_of = self._part_of.setdefault(name, {})
            for key, value in entries:
                key = _key_from_json(key)
                table[key] = value
                table.move_to_end(key)
                part_of[key] = part
            newest[name] = max(part, newest.get(name, part))
        for name, part in newest.items():
            self._filling[name] = [part + 1, 0]  # new names go to a new part
            table, part_of = self._tables[name], self._part_of[name]
            while len(table) > self.limit(name):  # the limit was lowered
                gone = part_of.pop(table.popitem(last=False)[0], None)
                if gone is not None:
                    self._changed.add((name, gone))

    def to_json(self) -> str:
        """The whole cache as one JSON document."""
        return _dumps({
            "version": FORMAT_VERSION,
            "tables": {name: [[_key_json(k), v] for k, v in table.items()]
                       for name, table in sorted(self._tables.items()) if table},
        })

    @classmethod
    def from_json(cls, text: str) -> MetadataCache:
        """Rebuild a cache from :meth:`to_json` output; ConfigurationError when it is not one."""
        doc = _loads(text)
        if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION \
                or not isinstance(doc.get("tables"), dict):
            raise ConfigurationError(
                f"not a metadata cache of version {FORMAT_VERSION}")
        cache = cls()
        for name, pairs in doc["tables"].items():
            _check_entries(name, pairs)
            for key, value in pairs:
                cache.store(name, _key_from_json(key), value)
        cache._changed.clear()
        return cache

    def merge(self, other: MetadataCache) -> None:
        """Add every entry of ``other`` (its values win), keeping our live tables."""
        for name, table in other._tables.items():
            for key, value in table.items():
                self.store(name, key, value)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the whole cache to one file durably (temp file, fsync, rename)."""
        path = os.fspath(path)
        try:
            atomic_write(path, self.to_json())
        except OSError as err:
            raise ConfigurationError(f"cannot write metadata cache {path}: {err.strerror}; "
                                     "check that its directory exists and is writable") from err
        self._changed.clear()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MetadataCache:
        """Read a cache written by :meth:`save`. An absent file gives an empty cache; a
        damaged one is set aside (:func:`set_aside`) and an empty cache returned, to be
        rebuilt from the stream; a missing directory is a ConfigurationError."""
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise ConfigurationError(f"metadata cache {path}: directory {directory} does not "
                                     "exist; create it or choose a path in an existing one")
        text = read_text(path)
        if text is None:
            return cls()
        try:
            return cls.from_json(text)
        except ConfigurationError as err:
            set_aside(path, err)
            return cls()


def _key_json(key: Key) -> Any:
    return list(key) if isinstance(key, tuple) else key


def _key_from_json(key: Any) -> Key:
    return tuple(key) if isinstance(key, list) else key


def _dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as err:
        raise ConfigurationError(f"not valid JSON: {err}") from err


def _check_entries(name: Any, pairs: Any) -> None:
    if not isinstance(pairs, list):
        raise ConfigurationError(f"table {name!r} is not a list")
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ConfigurationError(f"table {name!r} has a bad entry")


def read_text(path: str) -> str | None:
    """A metadata cache file's text; None when absent or damaged (not UTF-8: set aside).
    ConfigurationError when it cannot be read at all (permissions)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError as err:
        raise ConfigurationError(f"metadata cache {path} is a directory; give the path of a "
                                 "file (it is created if absent)") from err
    except UnicodeDecodeError as err:
        set_aside(path, ConfigurationError(f"not UTF-8 text ({err.reason} at byte {err.start})"))
        return None
    except OSError as err:
        raise ConfigurationError(f"cannot read metadata cache {path}: {err.strerror}; check "
                                 "its permissions") from err


def set_aside(path: str, why: Exception) -> str:
    """Rename a damaged cache file to ``<path>.damaged-<UTC time>`` and log one line; the
    names are learned again from the stream. Returns the new name."""
    aside = f"{path}.damaged-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    try:
        os.replace(path, aside)
    except OSError as err:
        raise ConfigurationError(f"metadata cache {path} is damaged ({why}) and cannot be "
                                 f"renamed ({err.strerror}); delete it") from err
    log.warning("metadata cache %s is damaged (%s): renamed to %s; names are learned again "
                "from the stream", path, why, aside)
    return aside
