"""Splunk field names: eNcore 5.2.11's spellings, our rule for the rest.

Rule (documented for users and for the knowledge objects):

1. A field eNcore 5.2.11 mapped keeps eNcore's output name (misspellings such as
   ``smtp_attachements``/``stmp_headers`` included). ``ENCORE_NAMES`` lists only
   the fields whose eNcore name differs from rule 2; keys are the catalogue's
   camelCase field paths (``user.userId`` for a field of the named block ``user``).
2. Every other field: snake_case of the camelCase name (``natInitiatorIp`` ->
   ``nat_initiator_ip``); a field of a named (nested) block is
   ``<block>.<field>`` in snake_case (``host_profile.hops``); a list is one
   field holding the items as compact JSON (``host_profile.tcp_server``), so
   ``spath`` reads it and the name set stays finite.
3. Decorated names (``record.computed``) take eNcore's decorated name
   (``COMPUTED_NAMES``, per-record overrides in ``COMPUTED_OVERRIDES``). When a
   decorated name equals the name of a raw field of the same record, the raw
   field moves to ``<name>_id`` (``fw_rule`` = rule name, ``fw_rule_id`` = rule
   id; ``user``/``user_id``, ``priority``/``priority_id`` ...), so the raw id is
   always present under a stable name and the name field only when known (B26).
4. ``deviceId`` is ``device_id`` on every record (eNcore bug B5); ``pad``,
   ``reserved``, ``fileNumber`` and ``filePosition`` (framing / Cisco internal)
   are not emitted.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

from estreamer.records import catalogue
from estreamer.records.metadata import decorated_names

_DH = {
    "eventSecond": "event_sec", "eventMicrosecond": "event_usec", "ipv6Address": "src_ipv6",
    "reserved": "", "fileNumber": "", "filePosition": "",
}

_CONNECTION = {
    "applicationId": "app_proto", "clientApplicationId": "client_app",
    "clientApplicationVersion": "client_version", "clientUrl": "url",
    "connectionCounter": "connection_id", "destinationAutonomousSystem": "dest_autonomous_system",
    "destinationMask": "dest_mask", "destinationTos": "dest_tos", "dnsRecordType": "dns_rec_id",
    "dnsResponseType": "dns_resp_id", "egressInterface": "iface_egress",
    "egressZone": "sec_zone_egress", "fileEventCount": "file_count", "fileCount": "file_count",
    "firstPacketTimestamp": "first_pkt_sec", "ingressInterface": "iface_ingress",
    "ingressZone": "sec_zone_ingress", "initiatorBytesDropped": "src_bytes_dropped",
    "initiatorCountry": "src_ip_country", "initiatorIpAddress": "src_ip",
    "initiatorPacketsDropped": "src_packets_dropped", "initiatorPort": "src_port",
    "initiatorTransmittedBytes": "src_bytes", "initiatorTransmittedPackets": "src_pkts",
    "intrusionEventCount": "ips_count", "iocNumber": "num_ioc",
    "lastPacketTimestamp": "last_pkt_sec",
    **{f"monitorRule{n}": f"monitor_rule_{n}" for n in range(1, 9)},
    "netbios": "netbios_domain", "netflowSource": "netflow_src",
    "originalClientCountry": "original_src_country",
    # eNcore's keys never matched this field (B24); the intended name:
    "originalClientIpAddress": "original_client_src_ip",
    "policyRevision": "fw_policy", "protocol": "ip_proto",
    "qosAppliedInterface": "qoa_applied_interface", "qosRuleId": "qoa_rule_id",
    "responderBytesDropped": "dest_bytes_dropped", "responderCountry": "dest_ip_country",
    "responderIpAddress": "dest_ip", "responderPacketsDropped": "dest_packets_dropped",
    "responderPort": "dest_port", "responderTransmittedBytes": "dest_bytes",
    "responderTransmittedPackets": "dest_pkts", "ruleAction": "fw_rule_action",
    "ruleId": "fw_rule", "ruleReason": "fw_rule_reason",
    "securityIntelligenceLayer": "ip_layer", "securityIntelligenceList1": "sec_intel_list1",
    "securityIntelligenceList2": "sec_intel_list2",
    "securityIntelligenceSourceDestination": "sec_intel_ip",
    "sourceAutonomousSystem": "src_autonomous_system", "sourceMask": "src_mask",
    "sourceTos": "src_tos", "sslCertificateFingerprint": "ssl_cert_fingerprint",
    "sslServerCertificateStatus": "ssl_server_cert_status", "tcpFlag": "tcp_flags",
    "userId": "user", "webApplicationId": "web_app", "destIpDynamicAttributes":
    "dest_ip_dynamic_attributes",
}

_INTRUSION = {
    "accessControlPolicyUuid": "fw_policy", "accessControlRuleId": "fw_rule",
    "applicationId": "app_proto", "clientApplicationId": "client_app",
    "connectionCounter": "connection_id", "connectionInstanceId": "instance_id",
    "connectionTimestamp": "connection_sec", "destinationCountry": "dest_ip_country",
    "destinationIpAddress": "dest_ip", "destinationPortOrIcmpType": "dest_port",
    "eventSecond": "event_sec", "eventMicrosecond": "event_usec", "generatorId": "gid",
    "impactFlags": "impact_bits", "interfaceEgressUuid": "iface_egress",
    "interfaceIngressUuid": "iface_ingress", "iocNumber": "num_ioc", "ipProtocolId": "ip_proto",
    "policyUuid": "ids_policy", "priorityId": "priority", "ruleRevision": "rev",
    "securityZoneEgressUuid": "sec_zone_egress", "securityZoneIngressUuid": "sec_zone_ingress",
    "smtpAttachments": "smtp_attachements", "smtpHeaders": "stmp_headers",
    # eNcore's key smtpTo never matched the block's smptTo (B24); eNcore's output name:
    "smptTo": "smtp_to", "sourceCountry": "src_ip_country", "sourceIpAddress": "src_ip",
    "sourcePortOrIcmpType": "src_port", "sslCertificateFingerprint": "ssl_cert_fingerprint",
    "userId": "user", "webApplicationId": "web_app", "pad": "",
    # engressVRFName is eNcore's spelling of the field in s2.81
    "engressVRFName": "egress_vrf_name",
}

_FILE = {
    "action": "file_action", "applicationId": "app_proto", "clientApplicationId": "client_app",
    "connectionCounter": "connection_id", "connectionInstance": "instance_id",
    "connectionTimestamp": "connection_sec", "destinationCountry": "dest_ip_country",
    "destinationIpAddress": "dest_ip", "destinationPort": "dest_port",
    "fileAnalysisStatus": "file_sandbox_status", "fileEventTimestamp": "event_sec",
    "fileTypeId": "file_type", "localMalwareAnalysisStatus": "malware_analysis_status",
    "protocol": "ip_proto", "shaHash": "sha256", "sourceCountry": "src_ip_country",
    "sourceIpAddress": "src_ip", "sourcePort": "src_port",
    "sslCertificateFingerprint": "ssl_cert_fingerprint", "userId": "user",
    "webApplicationId": "web_app",
    # eNcore put the ingress VRF name into iface_ingress and lost the egress one (B24).
    "ingressVRF": "ingress_vrf_name", "egressVRF": "egress_vrf_name",
}

_MALWARE = {
    "accessControlPolicyUuid": "policy_uuid", "action": "file_action",
    "applicationId": "app_proto", "clientApplicationId": "client_app",
    "connectionCounter": "connection_id", "connectionEventTimestamp": "connection_sec",
    "connectionInstance": "instance_id", "destinationCountry": "dest_ip_country",
    "destinationIpAddress": "dest_ip", "destinationPort": "dest_port",
    "detectionName": "detection", "detectorId": "detector", "eventSubtypeId": "subtype",
    "eventTypeId": "type", "fileShaHash": "sha256", "fileTimestamp": "file_ts",
    "iocNumber": "num_ioc", "malwareEventTimestamp": "event_sec",
    "parentFileName": "parent_fname", "parentShaHash": "parent_sha256", "protocol": "ip_proto",
    "sourceCountry": "src_ip_country", "sourceIpAddress": "src_ip", "sourcePort": "src_port",
    "sslCertificateFingerprint": "ssl_cert_fingerprint", "userId": "agent_user",
    "webApplicationId": "web_app",
}

_CORRELATION = {
    "accessControlPolicyRevision": "policy_uuid", "accessControlRuleId": "policy_rule",
    "correlationEventSecond": "event_sec", "destinationCountry": "dest_ip_country",
    "destinationCriticality": "dest_criticality", "destinationHostType": "dest_host_type",
    "destinationIp": "dest_ip", "destinationOperatingSystemFingerprintUuid":
    "dest_os_fingerprint_uuid", "destinationPort": "dest_port",
    "destinationServerId": "dest_app_proto", "destinationUserId": "dest_user",
    "destinationVlanId": "dest_vlan_id", "deviceEventId": "policy_event_id",
    "egressIntefaceUuid": "iface_egress", "egressZoneUuid": "sec_zone_egress",
    "eventDefinedMask": "defined_mask", "eventDescription": "description",
    "eventImpactFlags": "impact_bits", "ingressIntefaceUuid": "iface_ingress",
    "ingressZoneUuid": "sec_zone_ingress", "ipProtocol": "ip_proto", "netbios": "netbios_domain",
    "networkProtocol": "net_proto", "policyId": "corr_policy", "ruleId": "corr_rule",
    "ruleAction": "action", "signatureGeneratorId": "gid", "signatureId": "sid",
    "sourceCountry": "src_ip_country", "sourceCriticality": "src_criticality",
    "sourceHostType": "src_host_type", "sourceIp": "src_ip",
    "sourceOperatingSystemFingerprintUuid": "src_os_fingerprint_uuid",
    "sourcePort": "src_port", "sourceServerId": "src_app_proto", "sourceUserId": "src_user",
    "sourceVlanId": "src_vlan_id", "sslCertificateFingerprint": "ssl_cert_fingerprint",
    "triggerEventMicrosecond": "orig_event_usec", "triggerEventSecond": "orig_event_sec",
}

_CLIENT_APP = {**_DH, "client.applicationProto": "app_proto", "client.hits": "hits",
               "client.id": "client_id", "client.lastUsed": "last_used",
               "client.version": "version"}
_HOST_SERVER = {**_DH, "hostServer.confidence": "confidence", "hostServer.hits": "hits",
                "hostServer.lastUsed": "last_used", "hostServer.port": "port"}
_MAC = {**_DH, "mac.address": "additional_mac_address", "mac.lastSeen": "last_seen",
        "mac.primary": "primary", "mac.ttl": "ttl"}


def _user(block: str) -> dict[str, str]:
    return {**_DH, f"{block}.userId": "user", f"{block}.applicationId": "client_app",
            f"{block}.email": "email", f"{block}.ipv4Address": "ipv4",
            f"{block}.ipv6Address": "ipv6", f"{block}.loginType": "login_type",
            f"{block}.reportedBy": "reported_by", f"{block}.timestamp": "timestamp",
            f"{block}.username": "username", f"{block}.authType": "user_auth_type",
            f"{block}.description": "description", f"{block}.domain": "domain",
            f"{block}.endpointProfileId": "endpoint_profile_id", f"{block}.protocol": "protocol",
            f"{block}.rangeStart": "range_start", f"{block}.realmId": "realm_id",
            f"{block}.securityGroupId": "security_group_id"}


_VPN = {"userLogin.ipv6Address": "ipv6Address", "userLogoff.ipv6Address": "ipv6Address"}

#: record type -> {catalogue field path: eNcore 5.2.11 Splunk name} where it differs from rule 2
ENCORE_NAMES: dict[int, dict[str, str]] = {
    2: {"eventSecond": "event_sec", "packetData": "packet", "packetLength": "packet_len",
        "packetMicrosecond": "packet_usec", "packetSecond": "packet_sec"},
    4: {"id": "priority_id"},
    9: {"destinationIpAddress": "dest_ip", "sourceIpAddress": "src_ip",
        "eventSecond": "event_sec"},
    10: {**_DH, "hostProfile.hops": "hops", "hostProfile.hostLastSeen": "last_seen",
         "hostProfile.hostType": "host_type", "hostProfile.ipAddress": "host_ip_address",
         "hostProfile.jailbroken": "jailbroken", "hostProfile.mobile": "mobile",
         "hostProfile.netbios": "netbios_domain", "hostProfile.vlanId": "vlan_id",
         "hostProfile.vlanPresence": "vlan_presence", "hostProfile.vlanPriority": "vlan_priority",
         "hostProfile.vlanType": "vlan_type"},
    11: _HOST_SERVER, 12: _HOST_SERVER, 16: _HOST_SERVER, 17: _HOST_SERVER,
    13: {**_DH, "networkProtocol": "net_proto"},
    14: {**_DH, "transportProtocol": "ip_proto"},
    15: _CLIENT_APP, 35: _CLIENT_APP, 107: _CLIENT_APP,
    27: _MAC, 28: _MAC,
    54: {"uuid": "fpuuid", "name": "os_name_data", "vendor": "os_vendor_data",
         "version": "os_version_data"},
    66: {"generatorId": "gid", "ruleId": "id", "ruleRevision": "rev", "signatureId": "sid",
         "ruleRevisionUuid": "rev_uuid", "message": "msg"},
    67: {"revisionUuid": "rev_uuid"},
    69: {"revisionUuid": "rev_uuid"},
    70: {"correlationRevisionUuid": "rev_uuid", "correlationRuleUuid": "uuid"},
    71: {**_DH, **_CONNECTION},
    92: _user("user"), 93: _user("user"), 94: _user("user"), 95: _user("user"),
    98: {"protocol": "ip_proto"},
    101: {**_DH, "osfingerprint.lastSeen": "last_seen", "osfingerprint.sourceId": "source_id",
          "osfingerprint.sourceType": "source_type",
          "osfingerprint.ttlDifference": "ttl_difference", "osfingerprint.type": "os_type",
          "osfingerprint.uuid": "os_uuid"},
    103: {**_DH, "identity.sourceId": "source_id", "identity.sourceType": "source_type",
          "identity.port": "port", "identity.protocol": "ip_proto",
          "identity.serverMapId": "server_map", "identity.uuid": "identity_uuid"},
    110: {"blob": "data", "eventSecond": "event_sec"},
    112: _CORRELATION,
    124: {"id": "reason"},
    125: _MALWARE,
    161: {"id": "ioc_id"},
    170: {**_user("userLogin"), **_VPN},
    171: {**_user("userLogoff"), **_VPN},
    260: {"protocol": "ip_proto"},
    270: {"protocol": "ip_proto"},
    280: {"id": "fw_rule", "accessControlPolicyUuid": "policy_uuid"},
    400: {**_INTRUSION},
    500: _FILE, 502: _FILE,
    511: {"fileName": "name", "shaHash": "sha256"},
    518: {"id": "status", "name": "description"},
    519: {"id": "status", "name": "description"},
    520: {"country": "name", "countryCode": "id"},
    605: {"name": "description"}, 606: {"name": "description"}, 608: {"name": "description"},
}
# Discovery records eNcore never mapped still use its discovery-header names.
for _rt, _layout in catalogue.RECORDS.items():
    if _layout.steps and _layout.steps[0].kind == catalogue.DISCOVERY:
        ENCORE_NAMES.setdefault(_rt, _DH)

#: computed (decorated) key -> Splunk name
COMPUTED_NAMES: dict[str, str] = {
    "deviceName": "sensor", "eventDescription": "event_desc",
    "ingressZoneName": "sec_zone_ingress", "egressZoneName": "sec_zone_egress",
    "ingressInterfaceName": "iface_ingress", "egressInterfaceName": "iface_egress",
    "accessControlPolicyName": "fw_policy", "accessControlRuleName": "fw_rule",
    "ruleActionName": "fw_rule_action", "ruleReasonName": "fw_rule_reason",
    "initiatorCountryName": "src_ip_country", "responderCountryName": "dest_ip_country",
    "originalClientCountryName": "original_src_country", "protocolName": "ip_proto",
    "applicationName": "app_proto", "clientApplicationName": "client_app",
    "webApplicationName": "web_app", "userName": "user", "urlCategoryName": "url_category",
    "urlReputationName": "url_reputation",
    **{f"monitorRule{n}Name": f"monitor_rule_{n}" for n in range(1, 9)},
    "securityIntelligenceList1Name": "sec_intel_list1",
    "securityIntelligenceList2Name": "sec_intel_list2",
    "securityIntelligenceSourceDestinationName": "sec_intel_ip",
    "securityIntelligenceEvent": "sec_intel_event",
    "dnsRecordTypeName": "dns_record_name", "dnsRecordTypeDescription": "dns_record_desc",
    "dnsResponseTypeName": "dns_response_name",
    "dnsResponseTypeDescription": "dns_response_desc", "sinkholeName": "sinkhole",
    "iocCategory": "ioc_category", "iocEventType": "ioc_event_type",
    "sslCipherSuiteName": "ssl_cipher_suite", "sslVersionName": "ssl_version",
    "sslServerCertificateStatusName": "ssl_server_cert_status",
    "sslActualActionName": "ssl_actual_action", "sslExpectedActionName": "ssl_expected_action",
    "sslPolicyName": "ssl_policy",
    "sslFlowStatusName": "ssl_flow_status", "sslUrlCategoryName": "ssl_url_category",
    "sslFlowFlagNames": "ssl_flow_flag", "sslFlowMessageNames": "ssl_flow_message",
    "securityGroupName": "security_group", "ruleMessage": "msg", "renderedSignatureId": "sid",
    "classificationName": "class", "classificationDescription": "class_desc",
    "priorityName": "priority", "intrusionPolicyName": "ids_policy",
    "networkAnalysisPolicyName": "net_analysis_policy", "sourceCountryName": "src_ip_country",
    "destinationCountryName": "dest_ip_country", "ipProtocolName": "ip_proto",
    "blockedName": "blocked", "blockedReasonName": "blocked_reason", "impactLevel": "impact",
    "impactLevelName": "impact_desc", "fileTypeName": "file_type", "shaFileName": "detection",
    "dispositionName": "disposition", "speroDispositionName": "spero_disposition",
    "fileStorageStatusName": "file_storage_status",
    "fileAnalysisStatusName": "file_analysis_status",
    "archiveFileStatusName": "archive_file_status",
    "localMalwareAnalysisStatusName": "malware_analysis_status", "actionName": "file_action",
    "directionName": "direction", "cloudName": "cloud", "eventTypeName": "event_type",
    "eventSubtypeName": "malware_event_subtype", "detectorName": "detector",
    "fileShaName": "detection_name", "parentShaName": "parent_detection",
    "retroDispositionName": "retro_disposition", "correlationPolicyName": "corr_policy",
    "correlationRuleName": "corr_rule", "networkProtocolName": "net_proto",
    "sourceHostTypeName": "src_host_type", "destinationHostTypeName": "dest_host_type",
    "sourceCriticalityName": "src_criticality",
    "destinationCriticalityName": "dest_criticality", "sourceUserName": "src_user",
    "destinationUserName": "dest_user", "sourceServerName": "src_app_proto",
    "destinationServerName": "dest_app_proto", "sourceOsName": "src_os_name",
    "sourceOsVendor": "src_os_vendor", "sourceOsVersion": "src_os_ver",
    "destinationOsName": "dest_os_name", "destinationOsVendor": "dest_os_vendor",
    "destinationOsVersion": "dest_os_ver",
    "securityIntelligenceCategoryName": "sec_intel_policy",
    "transportProtocolName": "ip_proto", "hostTypeName": "host_type",
    "authTypeName": "user_auth_type", "realmName": "realm", "sourceTypeName": "source_type",
    "hostIpAddress": "src_host",
    # the first VPN session of 170/171, under eNcore 5.2.11's names
    "vpnSessionIndex": "index", "vpnTypeName": "vpn_type", "vpnGroupPolicy": "vpn_policy",
    "vpnConnectionProfile": "vpn_data", "vpnClientIp": "client_ip",
    "vpnCountryName": "country_code", "vpnClientOs": "client_os",
    "vpnClientApplication": "client_app", "vpnConnectionDuration": "vpn_connection_duration",
    "vpnBytesTransmitted": "bytes_transmitted", "vpnBytesReceived": "bytes_received",
    "sourceApplicationName": "source_app", "typeName": "xff_type",
}

_USER_PROTOCOL = {"protocolName": "protocol"}
#: record type -> computed key -> Splunk name, where it differs from COMPUTED_NAMES
COMPUTED_OVERRIDES: dict[int, dict[str, str]] = {
    62: _USER_PROTOCOL, 92: _USER_PROTOCOL, 93: _USER_PROTOCOL, 94: _USER_PROTOCOL,
    95: _USER_PROTOCOL, 170: _USER_PROTOCOL, 171: _USER_PROTOCOL,
    125: {"userName": "agent_user", "eventTypeName": "malware_event_type",
          "accessControlPolicyName": "file_policy"},
    500: {"accessControlPolicyName": "file_policy"},
    502: {"accessControlPolicyName": "file_policy"},
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """camelCase -> snake_case (``httpURI`` -> ``http_uri``, ``ingressVRFName`` ->
    ``ingress_vrf_name``)."""
    return _CAMEL.sub("_", name).lower()


@cache
def computed_names(record_type: int) -> dict[str, str]:
    """computed key -> Splunk name for this record type."""
    overrides = COMPUTED_OVERRIDES.get(record_type, {})
    return {key: overrides.get(key, COMPUTED_NAMES[key]) for key in decorated_names(record_type)}


@cache
def _decorated_set(record_type: int) -> frozenset[str]:
    return frozenset(computed_names(record_type).values())


def raw_name(record_type: int, path: str) -> str:
    """Splunk name of the raw field ``path`` (dotted camelCase); "" means not emitted."""
    if path == "deviceId":
        return "device_id"  # on every record (eNcore bug B5)
    name = ENCORE_NAMES.get(record_type, {}).get(path)
    if name is None:
        name = ".".join(snake(part) for part in path.split("."))
    if name and name in _decorated_set(record_type):
        name += "_id"  # the decorated name takes the eNcore name; the id stays beside it
    return name


def layout_paths(record_type: int, block_type: int | None = None) -> list[tuple[str, bool]]:
    """Every field path a record of this type can have: (dotted path, is_list), in
    wire order; with ``block_type``, those of that body block version only."""
    layout = catalogue.RECORDS.get(record_type)
    if layout is None:
        return []
    block_types = layout.by_block_type
    if block_type is not None:
        block_types = {block_type: block_types[block_type]}
    found: dict[str, bool] = {}

    def walk(steps: tuple[catalogue.Step, ...], prefix: str, block_types: dict[int, str]) -> None:
        for step in steps:
            if step.kind == catalogue.DISCOVERY:
                for sub in catalogue.DISCOVERY_HEADER:
                    for name in sub.names:
                        found.setdefault(prefix + name, False)
                found.setdefault(prefix + "ipv6Address", False)
            elif step.kind == catalogue.FIXED:
                for name in step.names:
                    found.setdefault(prefix + name, False)
            elif step.kind == catalogue.LIST:
                found[prefix + str(step.name)] = True
            elif step.kind == catalogue.BLOCK:
                inner = prefix + step.name + "." if step.name else prefix
                keys = list(block_types.values()) if step.of == "auto" else [step.of]
                for key in keys:
                    if key in catalogue.BLOCKS:
                        walk(catalogue.BLOCKS[key].steps, inner, {})
            else:
                found.setdefault(prefix + str(step.name), False)

    walk(layout.steps, "", block_types)
    return list(found.items())


# Fixed-width types the decoder renders as text that never needs quoting
# (addresses, UUIDs, MACs, hex): the formatter skips the quoting check for them.
_SAFE_TEXT_TYPES = frozenset(("ipv4", "ipv6", "uuid", "mac", "bytes16", "bytes20", "bytes32"))


@cache
def safe_text_fields(record_type: int) -> frozenset[str]:
    """Top-level field names of this record type that are always address/UUID/MAC/hex text."""
    layout = catalogue.RECORDS.get(record_type)
    if layout is None:
        return frozenset()
    safe: set[str] = set()
    unsafe: set[str] = set()

    def walk(steps: tuple[catalogue.Step, ...], block_types: dict[int, str]) -> None:
        for step in steps:
            if step.kind == catalogue.DISCOVERY:
                for sub in catalogue.DISCOVERY_HEADER:
                    walk((sub,), {})
                safe.add("ipv6Address")
            elif step.kind == catalogue.FIXED:
                for name, ftype in zip(step.names, step.types):
                    (safe if ftype in _SAFE_TEXT_TYPES else unsafe).add(name)
            elif step.kind == catalogue.BLOCK and step.name is None:
                keys = list(block_types.values()) if step.of == "auto" else [step.of]
                for key in keys:
                    if key in catalogue.BLOCKS:
                        walk(catalogue.BLOCKS[key].steps, {})
            elif step.name:
                unsafe.add(step.name)

    walk(layout.steps, layout.by_block_type)
    return frozenset(safe - unsafe)


# --- the default format's field set (issue 13 item 5) --------------------------------
#
# The default ``splunk`` format writes the fields of ``splunk-full`` (every field under
# the names above) except those below; docs/knowledge.md has the audit. A raw ``<name>_id``
# beside its decorated ``<name>`` (rule 3) is written only when the name is unknown
# (:func:`id_beside_name`): with the name on the line it repeats what the name says,
# and the id stays in ``splunk-full`` and JSON.

#: Splunk name -> why the default leaves it out, on every record type
FULL_ONLY: dict[str, str] = {
    "rec_type_simple": "the same value as rec_type_category; props.conf aliases it for "
                       "eNcore 3.5.8's searches",
    "ssl_session_id_length": "the length of ssl_session_id, which is on the line",
    "ssl_ticket_id_length": "the length of ssl_ticket_id, which is on the line",
}

_VRF = {"ingress_vrf_name": "the VRF names (FMC 7.x): no search reads them",
        "egress_vrf_name": "the VRF names (FMC 7.x): no search reads them"}
_NEWER_CONNECTION = {
    # fields of newer FMCs that eNcore never wrote and no search of the add-on reads
    **{name: "NAT (FMC 7.x): no search reads it; the sfw format carries it"
       for name in ("nat_initiator_ip", "nat_responder_ip", "nat_initiator_port",
                    "nat_responder_port")},
    **{name: "Encrypted Visibility Engine (FMC 7.1+): no search reads it; the sfw format "
             "carries it"
       for name in ("eve_process", "eve_process_confidence_percentage",
                    "eve_threat_confidence_percentage", "eve_threat_confidence_index")},
    **{name: "TrustSec/ISE tags and dynamic attributes: no search reads them"
       for name in ("source_security_group_tag", "source_security_group_tag_type",
                    "destination_security_group_tag", "destination_security_group_tag_type",
                    "security_group_id", "endpoint_profile_id", "location_ipv6",
                    "source_ip_dynamic_attributes", "dest_ip_dynamic_attributes")},
    **{name: "QoS rule and interface: no search reads them"
       for name in ("qoa_applied_interface", "qoa_rule_id")},
    "tunnel_rule_id": "the prefilter tunnel rule: no search reads it",
    "client_app_dectector_id": "the detector of the client application: no search reads it",
    "threat_intelligence_category": "no search reads it (mostly 0)",
    "original_client_src_ip": "the X-Forwarded-For client: no search reads it (mostly ::)",
    "original_src_country": "the X-Forwarded-For client's country: no search reads it",
    "original_src_country_id": "the X-Forwarded-For client's country: no search reads it",
    **_VRF,
}

#: record type -> {Splunk name: why the default leaves it out}
FULL_ONLY_BY_TYPE: dict[int, dict[str, str]] = {
    71: {"src_host": "the discovery header's host, which on a connection is src_ip",
         "src_ipv6": "the discovery header's address, which on a connection is src_ip",
         **_NEWER_CONNECTION},
    400: {"ssl_cert_fingerprint": "eNcore never wrote it on intrusions; the connection "
                                  "event carries it", **_VRF},
    500: _VRF, 502: _VRF,
}

#: record type -> {raw Splunk name: the computed key of its decorated name}, for ids
#: whose name is not ``<decorated name>_id`` (the rule of :func:`id_beside_name`)
ID_BESIDE: dict[int, dict[str, str]] = {
    71: {"network_analysis_policy_revision": "networkAnalysisPolicyName"},
    400: {"network_analysis_policy_uuid": "networkAnalysisPolicyName",
          "classification_id": "classificationName"},
    500: {"access_control_policy_uuid": "accessControlPolicyName"},
    502: {"access_control_policy_uuid": "accessControlPolicyName"},
}


@cache
def full_only(record_type: int) -> frozenset[str]:
    """Names the default format leaves out on this record type (``splunk-full`` keeps them)."""
    return frozenset(FULL_ONLY) | frozenset(FULL_ONLY_BY_TYPE.get(record_type, ()))


@cache
def id_beside_name(record_type: int) -> dict[str, str]:
    """Raw ``<name>_id`` Splunk name -> the computed key whose value is ``<name>``."""
    computed = computed_names(record_type)
    out: dict[str, str] = {}
    for key, name in computed.items():
        out.setdefault(name + "_id", key)
    out.update((name, key) for name, key in ID_BESIDE.get(record_type, {}).items()
               if key in computed)
    return out


# --- the lean format's layouts (issue 13 item 2) -------------------------------------

#: A lean value slot: the raw field's dotted path, or the computed key of a decorated
#: name; ``beside`` is the computed key whose value empties an id slot (the default
#: format writes an id only when its name is unknown).
class LeanSlot(NamedTuple):
    name: str                 # the Splunk (eNcore) name the transform gives the value
    path: tuple[str, ...]     # raw field path in record.fields, or () for a computed value
    computed: str             # computed key, or ""
    beside: str               # computed key whose presence empties this raw id, or ""
    is_list: bool


def lean_tag(record_type: int, block_type: int | None) -> str:
    """The layout tag that starts a lean line: ``71.173`` (record type, body block
    version), or ``123`` for a record type with one layout."""
    return f"{record_type}.{block_type}" if block_type is not None else str(record_type)


@cache
def lean_slots(record_type: int, block_type: int | None) -> tuple[LeanSlot, ...] | None:
    """The values of a lean line of this layout, in order (None: a layout we do not know).

    ``event_sec`` and ``event_usec`` come first (Splunk's timestamp; empty slots when
    the layout has no such field), then the raw
    fields in wire order, then the decorated names; the default format's field set.
    """
    layout = catalogue.RECORDS.get(record_type)
    if layout is None or (block_type is None) != (not layout.by_block_type):
        return None
    if block_type is not None and block_type not in layout.by_block_type:
        return None
    dropped, beside = full_only(record_type), id_beside_name(record_type)
    slots: dict[str, LeanSlot] = {}
    for path, is_list in layout_paths(record_type, block_type):
        name = raw_name(record_type, path)
        if name and name not in dropped and name not in slots:
            slots[name] = LeanSlot(name, tuple(path.split(".")), "", beside.get(name, ""),
                                   is_list)
    for key, name in computed_names(record_type).items():
        if name not in dropped and name not in slots:
            slots[name] = LeanSlot(name, (), key, "", False)
    # the time always in the first two slots (empty when the layout has none), so that
    # index time finds it without knowing the layout
    first = [slots.pop(n, LeanSlot(n, (), "", "", False)) for n in ("event_sec", "event_usec")]
    return (*first, *slots.values())


def lean_layouts() -> dict[str, tuple[LeanSlot, ...]]:
    """Every layout tag the lean format knows -> its slots (for the generated transforms)."""
    out = {}
    for record_type, layout in sorted(catalogue.RECORDS.items()):
        block_types: list[int | None] = [*sorted(layout.by_block_type)] or [None]
        for block_type in block_types:
            slots = lean_slots(record_type, block_type)
            assert slots is not None
            out[lean_tag(record_type, block_type)] = slots
    return out
