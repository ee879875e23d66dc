"""Records and metadata shaped like the ESCU example events (splunk/security_content
data_sources/cisco_secure_firewall_threat_defense_*_event.yml), shared by the Security Cloud
formatter tests and the knowledge tests that run the add-on's searches on both formats."""

from __future__ import annotations

from estreamer.records.decoder import decode_record
from estreamer.records.encoder import encode_record
from estreamer.records.metadata import MetadataCache
from estreamer.testing import samples

AC_POLICY, IPS_POLICY, NAP_POLICY = samples.AC_POLICY, samples.IPS_POLICY, samples.NAP_POLICY
SSL_POLICY = "5510c000-0000-4000-8000-000000000001"
FILE_POLICY = "f11ec000-0000-4000-8000-000000000001"
ZONE_IN, ZONE_OUT = list(samples.ZONES)
IF_0, IF_1 = list(samples.INTERFACES)
EICAR_SHA = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
CERT_SHA1 = "2fcc05c514c4cda4260531f967407cd33974340c"


def sfw_metadata() -> MetadataCache:
    """The sample metadata plus the names the ESCU examples use."""
    metadata = MetadataCache()
    extra = [
        (600, {"uuid": SSL_POLICY, "name": "Outbound TLS"}),
        (604, {"id": 4, "name": "TLSv1.3"}),
        (530, {"uuid": FILE_POLICY, "name": "Test"}),
        (66, {"generatorId": 1, "ruleId": 11192, "ruleRevision": 20, "signatureId": 11192,
              "message": "FILE-EXECUTABLE download of executable content"}),
        (510, {"id": 273, "name": "EICAR"}),
        (511, {"shaHash": EICAR_SHA, "fileName": "EICAR", "disposition": 3}),
        (515, {"id": 7, "name": "File Size Is Too Small"}),
        (519, {"id": 7, "name": "File Size Is Too Small"}),
        (128, {"id": 1, "name": "Threat Detected"}),
        (129, {"id": 4, "name": "Retrospective"}),
        (55, {"id": 3000, "name": "BITS"}),
        (67, {"id": 20, "name": "trojan-activity", "description": "A Network Trojan was Detected"}),
    ]
    for record_type, fields in samples.metadata_records() + extra:
        metadata.update(decode_record(encode_record(record_type, fields)))
    return metadata


# --- connection: the ESCU example's flow ------------------------------------------------
CONNECTION = {
    "deviceId": 1, "eventType": 1003, "eventSubtype": 1,
    "ingressZone": ZONE_IN, "egressZone": ZONE_OUT, "ingressInterface": IF_0,
    "egressInterface": IF_1, "initiatorIpAddress": "172.16.3.110",
    "responderIpAddress": "142.250.191.196", "policyRevision": AC_POLICY, "ruleId": 268435462,
    "ruleAction": 2, "initiatorPort": 62296, "responderPort": 443, "protocol": 6,
    "instanceId": 1, "connectionCounter": 259, "firstPacketTimestamp": 1743500734,
    "lastPacketTimestamp": 1743500736, "initiatorTransmittedPackets": 3,
    "responderTransmittedPackets": 1, "initiatorTransmittedBytes": 840,
    "responderTransmittedBytes": 66, "applicationId": 1122, "clientApplicationId": 638,
    "webApplicationId": 929, "userId": 1001, "clientUrl": "https://www.google.com",
    "clientApplicationVersion": "128.0", "responderCountry": 840,
    "networkAnalysisPolicyRevision": NAP_POLICY, "sslPolicyId": SSL_POLICY,
    "sslFlowStatus": 2, "sslCertificateFingerprint": CERT_SHA1, "sslCipherSuite": 0x1301,
    "sslServerCertificateStatus": 0, "sslVersion": 4, "sslActualAction": 1, "sslExpectedAction": 1,
    "natInitiatorPort": 62296, "natResponderPort": 443, "natInitiatorIp": "172.16.2.10",
    "natResponderIp": "142.250.191.196", "eveProcess": "firefox browser",
    "eveProcessConfidencePercentage": 100, "eveThreatConfidencePercentage": 0,
    "eveThreatConfidenceIndex": 1, "clientAppDectectorId": 3,
    "ingressVRFName": "Global", "egressVRFName": "Global",
}


# --- intrusion: the ESCU example's event ------------------------------------------------
INTRUSION = {
    "deviceId": 2, "eventId": 195, "eventSecond": 1744752707, "eventMicrosecond": 709756,
    "ruleId": 11192, "generatorId": 1, "ruleRevision": 20, "classificationId": 9,
    "priorityId": 1, "sourceIpAddress": "146.75.78.172", "destinationIpAddress": "172.16.3.110",
    "sourcePortOrIcmpType": 80, "destinationPortOrIcmpType": 2604, "ipProtocolId": 6,
    "impact": 5, "blocked": 5, "blockedReasonId": 2, "policyUuid": IPS_POLICY,
    "userId": 9999997, "webApplicationId": 929, "clientApplicationId": 638,
    "applicationId": 676, "accessControlRuleId": 268435461, "accessControlPolicyUuid": AC_POLICY,
    "interfaceIngressUuid": IF_1, "interfaceEgressUuid": IF_0,
    "securityZoneIngressUuid": ZONE_OUT, "securityZoneEgressUuid": ZONE_IN,
    "connectionTimestamp": 1744752707, "connectionInstanceId": 1, "connectionCounter": 27798,
    "sourceCountry": 840, "networkAnalysisPolicyUuid": NAP_POLICY,
    "ingressVRFName": "Global", "egressVRFName": "Global", "snortVersion": 3,
    "httpHostname": "au.download.windowsupdate.com", "httpURI": "/d/msdownload/am_delta.exe",
}


# --- file: the ESCU example's EICAR download --------------------------------------------
FILE = {
    "deviceId": 1, "connectionInstance": 1, "connectionCounter": 10092,
    "connectionTimestamp": 1741199881, "fileEventTimestamp": 1741199882,
    "sourceIpAddress": "172.16.3.158", "destinationIpAddress": "85.215.35.144",
    "disposition": 3, "fileStorageStatus": 7, "fileAnalysisStatus": 7, "threatScore": 76,
    "action": 3, "shaHash": EICAR_SHA, "fileTypeId": 273, "fileName": "csm-eicar.gif",
    "fileSize": 68, "direction": 1, "applicationId": 676, "uri": "/csm-eicar.gif",
    "sourcePort": 55988, "destinationPort": 80, "protocol": 6,
    "accessControlPolicyUuid": FILE_POLICY, "webApplicationId": 1080,
    "clientApplicationId": 2153, "ingressVRF": "Global", "egressVRF": "Global",
}


# --- malware (125, a retrospective verdict on the same file) ----------------------------
MALWARE = {
    "malwareEventTimestamp": 1741203000, "eventTypeId": 1, "eventSubtypeId": 4,
    "detectionName": "W32.EICAR.Test", "fileName": "csm-eicar.gif", "fileShaHash": EICAR_SHA,
    "fileSize": 68, "fileType": 273, "deviceId": 1, "connectionInstance": 1,
    "connectionCounter": 10092, "connectionEventTimestamp": 1741199881, "direction": 1,
    "sourceIpAddress": "172.16.3.158", "destinationIpAddress": "85.215.35.144",
    "applicationId": 676, "accessControlPolicyUuid": FILE_POLICY, "disposition": 3,
    "retroDisposition": 3, "uri": "/csm-eicar.gif", "sourcePort": 55988, "destinationPort": 80,
    "destinationCountry": 276, "clientApplicationId": 2153, "action": 4, "protocol": 6,
    "threatScore": 90,
}
