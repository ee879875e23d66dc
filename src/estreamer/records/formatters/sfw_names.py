"""Key tables of the ``sfw`` formatter: Security Cloud (``cisco:sfw:estreamer``) names.

The names, ``EventType`` values and value forms are those of the example events
and field lists in Splunk's ESCU repository (splunk/security_content,
``data_sources/cisco_secure_firewall_threat_defense_{connection,intrusion,file}_event.yml``),
which show the JSON that Cisco's Security Cloud add-on (Splunkbase 7404) indexes.
Keys those files do not show (``LastPacketSecond``, ``User``, ``DNS_Query`` ...) are
named in the same style and listed as ours in docs/knowledge.md.

Each family is a tuple of ``(key, source, form)``:

* ``source`` ``"f:<field>"`` is a decoded field (catalogue camelCase name),
  ``"c:<key>"`` a name from metadata decoration (``record.computed``), ``"d:<name>"``
  a value derived by :mod:`estreamer.formatters.sfw` from several fields;
* ``form`` ``""`` keeps the value as it is, ``"lower"`` lower-cases a text
  (``TCP`` -> ``tcp``, as the examples write ``Protocol``), ``"inline"`` renders the
  intrusion ``blocked`` value as a display word (:data:`INLINE_RESULTS`).

A key appears only when its source has a value: fields a block version lacks,
names metadata has not given, and unset texts (empty, ``::``, zero UUID or hash)
are left out, never written as null. Where the examples carry a name and its
numeric id (``FirewallRule``/``FirewallRuleID``) both are emitted.
"""

from __future__ import annotations

from estreamer.records import names as C

#: ``EventType`` of the families ESCU reads. ESCU documents none for records 502
#: (file malware) and 125 (malware, incl. retrospective and endpoint): keeping them
#: out of ``FileEvent`` keeps ESCU's file detections from counting a malware file
#: twice (the FMC sends the file event too), and a name each lets a search tell
#: them apart as ``rec_type`` does (the add-on's dashboards count 502 as a file
#: event, 125 not).
EVENT_TYPES: dict[int, str] = {
    71: "ConnectionEvent",
    400: "IntrusionEvent",
    500: "FileEvent",
    502: "FileMalwareEvent",
    125: "MalwareEvent",
}

#: Intrusion ``blocked`` -> the "Inline Result" word. The eNcore words of
#: constants.BLOCKED, except where the ESCU intrusion example shows Security Cloud's
#: word (``"InlineResultID":5`` with ``"InlineResult":"Would block"``).
INLINE_RESULTS: dict[int, str] = {**C.BLOCKED, 5: "Would block"}

Entry = tuple[str, str, str]

_APPS: tuple[Entry, ...] = (
    ("Application", "c:applicationName", ""),
    ("ApplicationID", "f:applicationId", ""),
    ("ClientApplication", "c:clientApplicationName", ""),
    ("ClientApplicationID", "f:clientApplicationId", ""),
    ("WebApplication", "c:webApplicationName", ""),
    ("WebApplicationID", "f:webApplicationId", ""),
    ("User", "c:userName", ""),
    ("UserID", "f:userId", ""),
)

_DEVICE: tuple[Entry, ...] = (
    ("Device", "c:deviceName", ""),
    ("SensorID", "f:deviceId", ""),
)

CONNECTION: tuple[Entry, ...] = (
    ("FirstPacketSecond", "f:firstPacketTimestamp", ""),
    ("LastPacketSecond", "f:lastPacketTimestamp", ""),
    ("ConnectionDuration", "d:duration", ""),
    *_DEVICE,
    ("InstanceID", "f:instanceId", ""),
    ("ConnectionID", "f:connectionCounter", ""),
    ("AC_RuleAction", "c:ruleActionName", ""),
    ("AC_RuleReason", "c:ruleReasonName", ""),
    ("InitiatorIP", "f:initiatorIpAddress", ""),
    ("ResponderIP", "f:responderIpAddress", ""),
    ("InitiatorPort", "f:initiatorPort", ""),
    ("ResponderPort", "f:responderPort", ""),
    ("Protocol", "c:protocolName", "lower"),
    ("ProtocolID", "f:protocol", ""),
    ("IngressInterface", "c:ingressInterfaceName", ""),
    ("EgressInterface", "c:egressInterfaceName", ""),
    ("IngressInterfaceUUID", "f:ingressInterface", ""),
    ("EgressInterfaceUUID", "f:egressInterface", ""),
    ("IngressZone", "c:ingressZoneName", ""),
    ("EgressZone", "c:egressZoneName", ""),
    ("IngressZoneUUID", "f:ingressZone", ""),
    ("EgressZoneUUID", "f:egressZone", ""),
    ("IngressVRF", "f:ingressVRFName", ""),
    ("EgressVRF", "f:egressVRFName", ""),
    ("FirewallPolicy", "c:accessControlPolicyName", ""),
    ("FirewallPolicyUUID", "f:policyRevision", ""),
    ("FirewallRule", "c:accessControlRuleName", ""),
    ("FirewallRuleID", "f:ruleId", ""),
    *_APPS,
    ("ClientApplicationVersion", "f:clientApplicationVersion", ""),
    ("InitiatorPackets", "f:initiatorTransmittedPackets", ""),
    ("ResponderPackets", "f:responderTransmittedPackets", ""),
    ("InitiatorBytes", "f:initiatorTransmittedBytes", ""),
    ("ResponderBytes", "f:responderTransmittedBytes", ""),
    ("InitiatorCountry", "c:initiatorCountryName", ""),
    ("InitiatorCountryCode", "d:initiatorCountryCode", ""),
    ("InitiatorContinent", "d:initiatorCountryContinent", ""),
    ("InitiatorContinentCode", "d:initiatorCountryContinentCode", ""),
    ("ResponderCountry", "c:responderCountryName", ""),
    ("ResponderCountryCode", "d:responderCountryCode", ""),
    ("ResponderContinent", "d:responderCountryContinent", ""),
    ("ResponderContinentCode", "d:responderCountryContinentCode", ""),
    ("NAP_Policy", "c:networkAnalysisPolicyName", ""),
    ("NAP_PolicyUUID", "f:networkAnalysisPolicyRevision", ""),
    ("SSL_Policy", "c:sslPolicyName", ""),
    ("SSL_PolicyUUID", "f:sslPolicyId", ""),
    ("SSL_FlowStatus", "c:sslFlowStatusName", ""),
    ("SSL_CipherSuite", "c:sslCipherSuiteName", ""),
    ("SSL_CertFingerprint", "f:sslCertificateFingerprint", ""),
    ("SSL_Version", "c:sslVersionName", ""),
    ("SSL_ServerCertStatus", "c:sslServerCertificateStatusName", ""),
    ("SSL_ActualAction", "c:sslActualActionName", ""),
    ("SSL_ExpectedAction", "c:sslExpectedActionName", ""),
    ("SSL_ServerName", "f:sslServerName", ""),
    ("URL", "f:clientUrl", ""),
    ("URL_Category", "c:urlCategoryName", ""),
    ("URL_Reputation", "c:urlReputationName", ""),
    ("HTTP_Referrer", "f:httpReferrer", ""),
    ("HTTP_Response", "f:httpResponse", ""),
    ("UserAgent", "f:userAgent", ""),
    ("DNS_Query", "f:dnsQuery", ""),
    ("DNS_RecordType", "c:dnsRecordTypeName", ""),
    ("DNS_ResponseType", "c:dnsResponseTypeName", ""),
    ("NAT_InitiatorIP", "f:natInitiatorIp", ""),
    ("NAT_ResponderIP", "f:natResponderIp", ""),
    ("NAT_InitiatorPort", "f:natInitiatorPort", ""),
    ("NAT_ResponderPort", "f:natResponderPort", ""),
    ("EVE_Process", "f:eveProcess", ""),
    ("EVE_ProcessConfidencePct", "f:eveProcessConfidencePercentage", ""),
    ("EVE_ThreatConfidencePct", "f:eveThreatConfidencePercentage", ""),
    ("EVE_ThreatConfidenceIndex", "f:eveThreatConfidenceIndex", ""),
    ("ClientAppDetectorID", "f:clientAppDectectorId", ""),
    ("SecurityIntelligenceEvent", "c:securityIntelligenceEvent", ""),
    ("SI_Category", "c:securityIntelligenceList1Name", ""),
    ("IntrusionEventCount", "f:intrusionEventCount", ""),
    ("FileEventCount", "f:fileEventCount", ""),
)

INTRUSION: tuple[Entry, ...] = (
    ("EventSecond", "f:eventSecond", ""),
    ("EventMicrosecond", "f:eventMicrosecond", ""),
    *_DEVICE,
    ("EventID", "f:eventId", ""),
    ("InstanceID", "f:connectionInstanceId", ""),
    ("FirstPacketSecond", "f:connectionTimestamp", ""),
    ("ConnectionID", "f:connectionCounter", ""),
    ("InitiatorIP", "f:sourceIpAddress", ""),
    ("ResponderIP", "f:destinationIpAddress", ""),
    ("InitiatorPort", "f:sourcePortOrIcmpType", ""),
    ("ResponderPort", "f:destinationPortOrIcmpType", ""),
    ("ICMP_Type", "d:icmpType", ""),
    ("ICMP_Code", "d:icmpCode", ""),
    ("Protocol", "c:ipProtocolName", "lower"),
    ("ProtocolID", "f:ipProtocolId", ""),
    ("IngressInterface", "c:ingressInterfaceName", ""),
    ("EgressInterface", "c:egressInterfaceName", ""),
    ("IngressInterfaceUUID", "f:interfaceIngressUuid", ""),
    ("EgressInterfaceUUID", "f:interfaceEgressUuid", ""),
    ("IngressZone", "c:ingressZoneName", ""),
    ("EgressZone", "c:egressZoneName", ""),
    ("IngressZoneUUID", "f:securityZoneIngressUuid", ""),
    ("EgressZoneUUID", "f:securityZoneEgressUuid", ""),
    ("IngressVRF", "f:ingressVRFName", ""),
    ("EgressVRF", "f:egressVRFName", ""),
    ("EgressVRF", "f:engressVRFName", ""),  # eNcore's spelling in block s2.81
    ("PriorityID", "f:priorityId", ""),
    ("Priority", "c:priorityName", ""),
    ("GeneratorID", "f:generatorId", ""),
    ("SignatureID", "d:signatureId", ""),
    ("SignatureRevision", "f:ruleRevision", ""),
    ("Impact", "f:impact", ""),
    ("ImpactFlags", "f:impactFlags", ""),
    # the impact level of the flags as eNcore's impact_desc (ESCU lists impact_desc)
    ("ImpactDescription", "c:impactLevelName", ""),
    ("IntrusionRuleMessage", "c:ruleMessage", ""),
    ("Classification", "c:classificationDescription", ""),
    ("ClassificationID", "f:classificationId", ""),
    ("ClassificationName", "c:classificationName", ""),
    *_APPS,
    ("IntrusionPolicy", "c:intrusionPolicyName", ""),
    ("IntrusionPolicyUUID", "f:policyUuid", ""),
    ("FirewallPolicy", "c:accessControlPolicyName", ""),
    ("FirewallPolicyUUID", "f:accessControlPolicyUuid", ""),
    ("FirewallRule", "c:accessControlRuleName", ""),
    ("FirewallRuleID", "f:accessControlRuleId", ""),
    ("NAP_Policy", "c:networkAnalysisPolicyName", ""),
    ("NAP_PolicyUUID", "f:networkAnalysisPolicyUuid", ""),
    ("InlineResult", "f:blocked", "inline"),
    ("InlineResultID", "f:blocked", ""),
    ("InlineResultReason", "c:blockedReasonName", ""),
    ("InlineResultReasonID", "f:blockedReasonId", ""),
    ("InitiatorCountry", "c:sourceCountryName", ""),
    ("InitiatorCountryID", "f:sourceCountry", ""),
    ("InitiatorCountryCode", "d:sourceCountryCode", ""),
    ("InitiatorContinent", "d:sourceCountryContinent", ""),
    ("InitiatorContinentCode", "d:sourceCountryContinentCode", ""),
    ("ResponderCountry", "c:destinationCountryName", ""),
    ("ResponderCountryID", "f:destinationCountry", ""),
    ("ResponderCountryCode", "d:destinationCountryCode", ""),
    ("ResponderContinent", "d:destinationCountryContinent", ""),
    ("ResponderContinentCode", "d:destinationCountryContinentCode", ""),
    ("HTTP_Hostname", "f:httpHostname", ""),
    ("HTTP_URI", "f:httpURI", ""),
    ("HTTP_Response", "f:httpResponse", ""),
    ("SnortVersionID", "f:snortVersion", ""),
    ("SSL_ActualAction", "c:sslActualActionName", ""),
    ("SSL_ActualActionID", "f:sslActualAction", ""),
    ("SSL_FlowStatus", "c:sslFlowStatusName", ""),
    ("SSL_FlowStatusID", "f:sslFlowStatus", ""),
    ("SSL_CertFingerprint", "f:sslCertificateFingerprint", ""),
    ("OriginalClientIP", "f:originalSrcIP", ""),
)

_FILE_COMMON: tuple[Entry, ...] = (
    *_DEVICE,
    ("InstanceID", "f:connectionInstance", ""),
    ("ConnectionID", "f:connectionCounter", ""),
    # Integration Guide: source/destination of the file event are the connection's
    # (source port "for the source of the connection"), i.e. initiator and responder.
    ("InitiatorIP", "f:sourceIpAddress", ""),
    ("ResponderIP", "f:destinationIpAddress", ""),
    ("InitiatorPort", "f:sourcePort", ""),
    ("ResponderPort", "f:destinationPort", ""),
    ("Protocol", "c:protocolName", "lower"),
    ("ProtocolID", "f:protocol", ""),
    ("FileDirection", "c:directionName", ""),
    ("FileAction", "c:actionName", ""),
    ("SHA_Disposition", "c:dispositionName", ""),
    ("ThreatScore", "f:threatScore", ""),
    ("FileName", "f:fileName", ""),
    ("FileSize", "f:fileSize", ""),
    *_APPS,
    ("FilePolicy", "c:accessControlPolicyName", ""),
    ("FilePolicyUUID", "f:accessControlPolicyUuid", ""),
    ("URI", "f:uri", ""),
    ("InitiatorCountry", "c:sourceCountryName", ""),
    ("InitiatorCountryCode", "d:sourceCountryCode", ""),
    ("InitiatorContinent", "d:sourceCountryContinent", ""),
    ("InitiatorContinentCode", "d:sourceCountryContinentCode", ""),
    ("ResponderCountry", "c:destinationCountryName", ""),
    ("ResponderCountryCode", "d:destinationCountryCode", ""),
    ("ResponderContinent", "d:destinationCountryContinent", ""),
    ("ResponderContinentCode", "d:destinationCountryContinentCode", ""),
    ("ArchiveSHA256", "f:archiveSha", ""),
    ("ArchiveName", "f:archiveName", ""),
    ("ArchiveDepth", "f:archiveDepth", ""),
    ("SSL_ActualAction", "c:sslActualActionName", ""),
    ("SSL_FlowStatus", "c:sslFlowStatusName", ""),
    ("SSL_CertFingerprint", "f:sslCertificateFingerprint", ""),
    ("HTTP_Response", "f:httpResponse", ""),
)

FILE: tuple[Entry, ...] = (
    ("EventSecond", "f:fileEventTimestamp", ""),
    ("FirstPacketSecond", "f:connectionTimestamp", ""),
    *_FILE_COMMON,
    ("FileSHA256", "f:shaHash", ""),
    # Record 511 names a SHA-256 (eNcore shows that name as the detection name).
    ("ThreatName", "c:shaFileName", ""),
    ("SperoDisposition", "c:speroDispositionName", ""),
    ("FileType", "c:fileTypeName", ""),
    ("FileTypeID", "f:fileTypeId", ""),
    ("FileStorageStatus", "c:fileStorageStatusName", ""),
    ("FileSandboxStatus", "c:fileAnalysisStatusName", ""),
    ("FileArchiveStatus", "c:archiveFileStatusName", ""),
    ("IngressVRF", "f:ingressVRF", ""),
    ("EgressVRF", "f:egressVRF", ""),
)

MALWARE: tuple[Entry, ...] = (
    ("EventSecond", "f:malwareEventTimestamp", ""),
    ("FirstPacketSecond", "f:connectionEventTimestamp", ""),
    *_FILE_COMMON,
    ("FileSHA256", "f:fileShaHash", ""),
    ("ThreatName", "f:detectionName", ""),
    ("RetroDisposition", "c:retroDispositionName", ""),
    ("FileType", "c:fileTypeName", ""),
    ("FileTypeID", "f:fileType", ""),
    ("FilePath", "f:filePath", ""),
    ("ParentFileName", "f:parentFileName", ""),
    ("ParentSHA256", "f:parentShaHash", ""),
    ("MalwareEventType", "c:eventTypeName", ""),
    ("MalwareEventSubtype", "c:eventSubtypeName", ""),
    ("Detector", "c:detectorName", ""),
    ("AgentUUID", "f:agentUuid", ""),
    ("AgentUser", "f:user", ""),
    ("CloudName", "c:cloudName", ""),
    ("EventDescription", "f:eventDescription", ""),
    ("IngressVRF", "f:ingressVRFName", ""),
    ("EgressVRF", "f:egressVRFName", ""),
)

#: record type -> its key table
FAMILIES: dict[int, tuple[Entry, ...]] = {
    71: CONNECTION, 400: INTRUSION, 500: FILE, 502: FILE, 125: MALWARE,
}
