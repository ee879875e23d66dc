"""Records written byte by byte from the spec, with the values a decoder must give.

Every vector below was laid out by hand from spec/PROTOCOL.md (7.1 record header,
7.2 discovery event header, 7.3 data blocks) and records.yaml (the field list,
``header: true/false`` and types of each block), not produced by any code of
ours. One line per field: the hex, then what it is. There is at least one
vector for each distinct shape the spec describes:

=============================================  ==========================
shape                                          vectors
=============================================  ==========================
short / long record header                     most / ``long_header_*``
header:false pseudo-block (x.idLengthName)     ``device_123``, ``application_63``,
                                               ``rule_action_120``, ``long_header_application_63``
String block (length counts its 8 bytes)       ``zone_115``, ``context_132_nul``
BLOB series 1 (type 10) / series 2 (type 1)    ``banner_45`` / ``extra_data_110``
list of blocks with headers                    ``criticality_82``
nested lists, empty lists                      ``delete_protocol_76``
list of header:false items (s1.166)            ``vpn_login_170``
discovery header IPv4 / IPv6                   ``banner_45`` ... / ``long_header_hops_22_ipv6``
named nested block / flattened block           ``mac_27``, ``ioc_160`` / ``banner_45``
body block chosen by its own block type        ``user_94_block_120``
body block with or without its header (98)     ``user_98``, ``user_98_without_block_header``
block layout chosen by blockLength (s2.41)     ``intrusion_400_block_41_223``
counted text, u16 and u32 counts               ``classification_67``, ``fingerprint_54``
field of unknown width (skipped to block end)  ``attribute_46``
enclosing header read as plain fields          ``file_policy_530``
=============================================  ==========================

``canonical`` is False for a vector the independent writer cannot reproduce
(a NUL after a text, which the decoder drops; record 98 in eNcore 3.8.4's form,
which records.yaml describes only in a note; s2.41's eNcore 5.2.11 form, which
records.yaml gives under ``encore5211``).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Vector(NamedTuple):
    name: str
    record_type: int
    wire: bytes
    fields: dict[str, Any]
    #: the archive timestamp of a long (16-byte) record header; None: short header
    archive: int | None = None
    block_type: int | None = None
    canonical: bool = True


def wire(text: str) -> bytes:
    """The bytes of a commented hex listing: ``#`` starts a comment, spaces are ignored."""
    return bytes.fromhex("".join(line.split("#")[0].replace(" ", "")
                                 for line in text.splitlines()))


def discovery_header(subtype_hex: str, subtype: int, event_type: int = 1001) -> tuple[str, dict]:
    """The IPv4 discovery event header (spec/PROTOCOL.md 7.2) shared by the RNA vectors."""
    listing = f"""
        00000005          # deviceId 5
        0a000001          # legacyIpAddress 10.0.0.1
        005056aabbcc      # macAddress
        00                # hasIpv6 0: no IPv6 address follows
        00                # reserved
        60000000          # eventSecond 1610612736
        00010000          # eventMicrosecond 65536
        {event_type:08x}          # eventType
        {subtype_hex}          # eventSubtype
        00000011          # fileNumber 17
        00000022          # filePosition 34
    """
    values = {"deviceId": 5, "legacyIpAddress": "10.0.0.1", "macAddress": "00:50:56:aa:bb:cc",
              "hasIpv6": 0, "reserved": 0, "eventSecond": 1610612736,
              "eventMicrosecond": 65536, "eventType": event_type, "eventSubtype": subtype,
              "fileNumber": 17, "filePosition": 34}
    return listing, values


VECTORS: list[Vector] = []


def _add(name: str, record_type: int, listing: str, fields: dict[str, Any], **kw: Any) -> None:
    VECTORS.append(Vector(name, record_type, wire(listing), fields, **kw))


# --- header:false pseudo-block: u32 id, u32 length, name (records.yaml x.idLengthName) --------
_add("device_123", 123, """
    0000007b          # recordType 123 Managed Device Metadata
    0000000d          # recordLength 13
    00000007          # id 7           (no blockType/blockLength before it)
    00000005          # length 5
    66772d3031        # name "fw-01"
""", {"id": 7, "length": 5, "name": "fw-01"})

_add("application_63", 63, """
    0000003f          # recordType 63 Server Metadata
    0000000c          # recordLength 12
    0000029a          # id 666
    00000004          # length 4
    48545450          # name "HTTP"
""", {"id": 666, "length": 4, "name": "HTTP"})

_add("rule_action_120", 120, """
    00000078          # recordType 120 Access Control Rule Action Metadata
    0000000d          # recordLength 13
    00000001          # id 1
    00000005          # length 5
    416c6c6f77        # name "Allow"
""", {"id": 1, "length": 5, "name": "Allow"})

# --- long record header (request bit 23): archive timestamp + reserved ---------------------
_add("long_header_application_63", 63, """
    0000003f          # recordType 63
    0000000d          # recordLength 13 (body only)
    00000000          # archiveTimestamp 0 (metadata)
    00000000          # reserved
    00000bb8          # id 3000
    00000005          # length 5
    4d7953514c        # name "MySQL"
""", {"id": 3000, "length": 5, "name": "MySQL"}, archive=0)

_add("long_header_hops_22_ipv6", 22, """
    00000016          # recordType 22 Hops Change
    00000039          # recordLength 57 = 56 (header with IPv6) + 1
    6553f100          # archiveTimestamp 1700000000
    00000000          # reserved
    00000009          # deviceId 9
    00000000          # legacyIpAddress 0.0.0.0 (hasIpv6 is set)
    0050560000ff      # macAddress
    01                # hasIpv6 1
    00                # reserved
    60000001          # eventSecond 1610612737
    00000000          # eventMicrosecond 0
    000003e9          # eventType 1001 change
    00000005          # eventSubtype 5 Hops Change
    00000000          # fileNumber
    00000000          # filePosition
    20010db8000000000000000000000005  # ipv6Address 2001:db8::5 (right after the 40 bytes)
    03                # hops 3
""", {"deviceId": 9, "legacyIpAddress": "0.0.0.0", "macAddress": "00:50:56:00:00:ff",
      "hasIpv6": 1, "reserved": 0, "eventSecond": 1610612737, "eventMicrosecond": 0,
      "eventType": 1001, "eventSubtype": 5, "fileNumber": 0, "filePosition": 0,
      "ipv6Address": "2001:db8::5", "hops": 3}, archive=1700000000)

# --- String blocks: u32 type 0, u32 blockLength counting its own 8 bytes, text -------------
_add("zone_115", 115, """
    00000073          # recordType 115 Security Zone Name Metadata
    00000023          # recordLength 35
    0000000e          # blockType 14 (s2.14 Uuid String)
    00000023          # blockLength 35 = 8 + 16 + 11
    a1a2a3a4b1b2c1c2d1d2e1e2e3e4e5e6  # uuid
    00000000          # String blockType 0
    0000000b          # String blockLength 11 = 8 + 3
    646d7a            # "dmz"
""", {"uuid": "a1a2a3a4-b1b2-c1c2-d1d2-e1e2e3e4e5e6", "name": "dmz"})

_add("context_132_nul", 132, """
    00000084          # recordType 132 Security Context Name (bare uuid + String)
    0000001e          # recordLength 30
    00112233445566778899aabbccddeeff  # uuid
    00000000          # String blockType 0
    0000000e          # String blockLength 14 = 8 + 6
    6374782d4100      # "ctx-A" and a trailing NUL (dropped)
""", {"uuid": "00112233-4455-6677-8899-aabbccddeeff", "name": "ctx-A"}, canonical=False)

# --- BLOBs: series 2 type 1, series 1 type 10 ------------------------------------------------
_add("extra_data_110", 110, """
    0000006e          # recordType 110 Intrusion Event Extra Data
    00000024          # recordLength 36
    00000004          # blockType 4 (s2.4 Event Extra Data)
    00000024          # blockLength 36 = 8 + 16 + 12
    00000003          # deviceId 3
    00000010          # eventId 16
    5f5e1000          # eventSecond 1600000000
    00000002          # type 2
    00000001          # BLOB blockType 1 (series 2)
    0000000c          # BLOB blockLength 12 = 8 + 4
    c0a80001          # data
""", {"deviceId": 3, "eventId": 16, "eventSecond": 1600000000, "type": 2, "blob": "c0a80001"})

_DH, _DH_VALUES = discovery_header("00000018", 24)
_add("banner_45", 45, f"""
    0000002d          # recordType 45 Update Banner
    00000040          # recordLength 64 = 40 + 24
    {_DH}
    00000025          # blockType 37 (s1.37 Server Banner, flattened)
    00000018          # blockLength 24 = 8 + 2 + 1 + 13
    0016              # port 22
    06                # protocol 6
    0000000a          # BLOB blockType 10 (series 1)
    0000000d          # BLOB blockLength 13 = 8 + 5
    5353482d32        # data "SSH-2" (raw: shown as hex)
""", {**_DH_VALUES, "port": 22, "protocol": 6, "data": "5353482d32"})

# --- a list of blocks with headers (series-1 List 11) ------------------------------------
_DH, _DH_VALUES = discovery_header("00000005", 5, 1002)
_add("criticality_82", 82, f"""
    00000052          # recordType 82 User Set Host Criticality
    0000006c          # recordLength 108 = 40 + 68
    {_DH}
    00000051          # blockType 81 (s1.81, flattened)
    00000044          # blockLength 68 = 8 + 48 + 12
    0000000b          #   ipRanges: List blockType 11
    00000030          #   List blockLength 48 = 8 + 40
    0000008d          #     blockType 141 (s1.141 Ip Address Range)
    00000028          #     blockLength 40
    00000000000000000000ffffc0000201  # start 192.0.2.1 (IPv4-mapped)
    00000000000000000000ffffc00002fe  # finish 192.0.2.254
    00000004          # sourceId 4
    00000001          # sourceType 1
    00000003          # criticality 3
""", {**_DH_VALUES, "ipRanges": [{"start": "192.0.2.1", "finish": "192.0.2.254"}],
      "sourceId": 4, "sourceType": 1, "criticality": 3})

# --- nested lists, and empty lists -----------------------------------------------------------
_DH, _DH_VALUES = discovery_header("0000000e", 14, 1002)
_add("delete_protocol_76", 76, f"""
    0000004c          # recordType 76 User Delete Protocol
    000000ac          # recordLength 172 = 40 + 132
    {_DH}
    00000053          # blockType 83 (s1.83 User Protocol List, flattened)
    00000084          # blockLength 132 = 8 + 4 + 4 + 116
    00000001          # sourceType 1
    00000002          # sourceId 2
    0000000b          # list: List blockType 11
    00000074          # List blockLength 116 = 8 + 81 + 27
    00000039          #   item 1: blockType 57 (s1.57 User Protocol)
    00000051          #   blockLength 81 = 8 + 48 + 22 + 3
    0000000b          #     ipRanges: List 11
    00000030          #     List blockLength 48
    0000008d          #       blockType 141
    00000028          #       blockLength 40
    20010db8000000000000000000000000  # start 2001:db8::
    20010db800000000ffffffffffffffff  # finish 2001:db8::ffff:ffff:ffff:ffff
    0000000b          #     macRanges: List 11
    00000016          #     List blockLength 22 = 8 + 14
    0000003f          #       blockType 63 (s1.63 Mac Address Specification)
    0000000e          #       blockLength 14
    0a0b0c0d0e0f      #       macAddress
    01                #   protocolType 1
    0006              #   protocol 6
    00000039          #   item 2: blockType 57
    0000001b          #   blockLength 27 = 8 + 8 + 8 + 3
    0000000b          #     ipRanges: List 11
    00000008          #     List blockLength 8: empty
    0000000b          #     macRanges: List 11
    00000008          #     List blockLength 8: empty
    02                #   protocolType 2
    0011              #   protocol 17
""", {**_DH_VALUES, "sourceType": 1, "sourceId": 2, "list": [
    {"ipRanges": [{"start": "2001:db8::", "finish": "2001:db8::ffff:ffff:ffff:ffff"}],
     "macRanges": [{"macAddress": "0a:0b:0c:0d:0e:0f"}], "protocolType": 1, "protocol": 6},
    {"ipRanges": [], "macRanges": [], "protocolType": 2, "protocol": 17}]})

# --- a list whose items have no header (s1.166, header: false), inside a named block ----------
_DH, _DH_VALUES = discovery_header("00000001", 1, 1004)
_add("vpn_login_170", 170, f"""
    000000aa          # recordType 170 New VPN Device Login
    000000f8          # recordLength 248 = 40 + 208
    {_DH}
    000000a7          # blockType 167 (s1.167, the nested object userLogin)
    000000d0          # blockLength 208
    60000002          # timestamp 1610612738
    c0a80a0b          # ipv4Address 192.168.10.11
    00000000 0000000d 616c696365  # username String "alice" (13)
    00000000 00000008 # domain String "" (8)
    00000065          # userId 101
    00000002          # realmId 2
    00000003          # endpointProfileId 3
    00000004          # securityGroupId 4
    00000006          # protocol 6
    01bb              # port 443
    0000              # rangeStart 0
    0000              # startPort 0
    0000              # endPort 0
    00000000 00000008 # email String ""
    00000000000000000000ffffc0a80a0b  # ipv6Address 192.168.10.11 (mapped)
    fe800000000000000000000000000001  # locationIpv6Address fe80::1
    01                # loginType 1
    05                # authType 5
    00000000 00000008 # reportedBy String ""
    00000000 00000008 # description String ""
    0000000b          # vpnSession: List blockType 11
    00000055          # List blockLength 85 = 8 + 77
    00000001          #   index 1           (item 1: no blockType/blockLength)
    03                #   vpnType 3
    00000000 0000000a 6770  # groupPolicy String "gp" (10)
    00000000 00000008 #   vpnConnectionProfile String ""
    00000000000000000000ffffcb007101  # clientIP, 16 raw bytes (hex)
    0348              #   countryCode 840
    00000000 00000008 #   clientOS String ""
    00000000 00000008 #   clientApplication String ""
    00000e10          #   connectionDuration 3600
    0000000000000400  #   bytesTransmitted 1024
    0000000000000800  #   bytesReceived 2048
""", {**_DH_VALUES, "userLogin": {
    "timestamp": 1610612738, "ipv4Address": "192.168.10.11", "username": "alice", "domain": "",
    "userId": 101, "realmId": 2, "endpointProfileId": 3, "securityGroupId": 4, "protocol": 6,
    "port": 443, "rangeStart": 0, "startPort": 0, "endPort": 0, "email": "",
    "ipv6Address": "192.168.10.11", "locationIpv6Address": "fe80::1", "loginType": 1,
    "authType": 5, "reportedBy": "", "description": "", "vpnSession": [
        {"index": 1, "vpnType": 3, "groupPolicy": "gp", "vpnConnectionProfile": "",
         "clientIP": "00000000000000000000ffffcb007101", "countryCode": 840, "clientOS": "",
         "clientApplication": "", "connectionDuration": 3600, "bytesTransmitted": 1024,
         "bytesReceived": 2048}]}})

# --- named nested blocks ------------------------------------------------------------------
_DH, _DH_VALUES = discovery_header("0000000d", 13)
_add("mac_27", 27, f"""
    0000001b          # recordType 27 MAC Information Change
    0000003c          # recordLength 60 = 40 + 20
    {_DH}
    0000005f          # blockType 95 (s1.95 Host Mac Address, the nested object mac)
    00000014          # blockLength 20
    40                # ttl 64
    0050569a0001      # address
    01                # primary 1
    60000003          # lastSeen 1610612739
""", {**_DH_VALUES, "mac": {"ttl": 64, "address": "00:50:56:9a:00:01", "primary": 1,
                            "lastSeen": 1610612739}})

_DH, _DH_VALUES = discovery_header("00000001", 1, 1008)
_add("ioc_160", 160, f"""
    000000a0          # recordType 160 Host IOC Set Messages
    00000034          # recordLength 52 = 40 + 12
    {_DH}
    00000007          # blockType 7 (s1.7 Integer, the nested object id)
    0000000c          # blockLength 12
    0000002a          # value 42
""", {**_DH_VALUES, "id": {"value": 42}})

# --- body block chosen by the block type found right after the discovery header -----------
_DH, _DH_VALUES = discovery_header("00000001", 1, 1004)
_add("user_94_block_120", 94, f"""
    0000005e          # recordType 94 New User Identification Event
    0000006b          # recordLength 107 = 40 + 67
    {_DH}
    00000078          # blockType 120 -> s1.120 User Information (nested object user)
    00000043          # blockLength 67
    00000065          # userId 101
    00000000 0000000b 626f62  # username String "bob" (11)
    00000313          # protocol 787
    00000000 00000008 # firstName ""
    00000000 00000008 # lastName ""
    00000000 00000008 # email ""
    00000000 00000008 # department ""
    00000000 00000008 # phone ""
""", {**_DH_VALUES, "user": {"userId": 101, "username": "bob", "protocol": 787,
                             "firstName": "", "lastName": "", "email": "", "department": "",
                             "phone": ""}}, block_type=120)

# --- block 41 in eNcore 5.2.11's 223-byte form (blockedReasonId after blocked) -----------------
_add("intrusion_400_block_41_223", 400, """
    00000190          # recordType 400 Intrusion Event
    000000df          # recordLength 223
    00000029          # blockType 41 (s2.41) @0
    000000df          # blockLength 223: the eNcore 5.2.11 layout (222: the 3.5.8 one) @4
    00000001          # deviceId 1 @8
    00000002          # eventId 2 @12
    60000000          # eventSecond 1610612736 @16
    00000003          # eventMicrosecond 3 @20
    00000004          # ruleId 4 @24
    00000005          # generatorId 5 @28
    00000006          # ruleRevision 6 @32
    00000007          # classificationId 7 @36
    00000008          # priorityId 8 @40
    00000000000000000000ffffc6336401  # sourceIpAddress 198.51.100.1 @44
    20010db8000000000000000000000009  # destinationIpAddress 2001:db8::9 @60
    d431              # sourcePortOrIcmpType 54321 @76
    0050              # destinationPortOrIcmpType 80 @78
    06                # ipProtocolId 6 @80
    0b                # impactFlags 11 @81
    01                # impact 1 @82
    02                # blocked 2 @83
    03                # blockedReasonId 3 @84
    0000000a          # mplsLabel 10 @85
    000b              # vlanId 11 @89
    0000              # pad @91
    c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1  # policyUuid @93
    0000000c          # userId 12 @109
    0000000d          # webApplicationId 13 @113
    0000000e          # clientApplicationId 14 @117
    0000000f          # applicationId 15 @121
    00000010          # accessControlRuleId 16 @125
    c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2  # accessControlPolicyUuid @129
    c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3  # interfaceIngressUuid @145
    c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4  # interfaceEgressUuid @161
    c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5  # securityZoneIngressUuid @177
    c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6  # securityZoneEgressUuid @193
    60000004          # connectionTimestamp 1610612740 @209
    0011              # connectionInstanceId 17 @213
    0012              # connectionCounter 18 @215
    0348              # sourceCountry 840 @217
    00f9              # destinationCountry 249 @219
    0013              # iocNumber 19 @221, ends at 223
""", {"deviceId": 1, "eventId": 2, "eventSecond": 1610612736, "eventMicrosecond": 3,
      "ruleId": 4, "generatorId": 5, "ruleRevision": 6, "classificationId": 7, "priorityId": 8,
      "sourceIpAddress": "198.51.100.1", "destinationIpAddress": "2001:db8::9",
      "sourcePortOrIcmpType": 54321, "destinationPortOrIcmpType": 80, "ipProtocolId": 6,
      "impactFlags": 11, "impact": 1, "blocked": 2, "blockedReasonId": 3, "mplsLabel": 10,
      "vlanId": 11, "pad": 0, "policyUuid": "c1c1c1c1-c1c1-c1c1-c1c1-c1c1c1c1c1c1",
      "userId": 12, "webApplicationId": 13, "clientApplicationId": 14, "applicationId": 15,
      "accessControlRuleId": 16,
      "accessControlPolicyUuid": "c2c2c2c2-c2c2-c2c2-c2c2-c2c2c2c2c2c2",
      "interfaceIngressUuid": "c3c3c3c3-c3c3-c3c3-c3c3-c3c3c3c3c3c3",
      "interfaceEgressUuid": "c4c4c4c4-c4c4-c4c4-c4c4-c4c4c4c4c4c4",
      "securityZoneIngressUuid": "c5c5c5c5-c5c5-c5c5-c5c5-c5c5c5c5c5c5",
      "securityZoneEgressUuid": "c6c6c6c6-c6c6-c6c6-c6c6-c6c6c6c6c6c6",
      "connectionTimestamp": 1610612740, "connectionInstanceId": 17, "connectionCounter": 18,
      "sourceCountry": 840, "destinationCountry": 249, "iocNumber": 19},
     block_type=41, canonical=False)

# --- record 98: the s2.57 block, or (eNcore 3.8.4) the same fields with no block header ------
_add("user_98", 98, """
    00000062          # recordType 98 User
    0000001f          # recordLength 31
    00000039          # blockType 57 (s2.57 User, flattened)
    0000001f          # blockLength 31 = 8 + 4 + 4 + 15
    0000002a          # id 42
    000002c6          # protocol 710 (LDAP)
    00000000 0000000f 6a2e736d697468  # username String "j.smith" (15)
""", {"id": 42, "protocol": 710, "username": "j.smith"})

_add("user_98_without_block_header", 98, """
    00000062          # recordType 98 User
    00000017          # recordLength 23
    0000002a          # id 42           (no blockType/blockLength: records.yaml record 98 note)
    000002c6          # protocol 710
    00000000 0000000f 6a2e736d697468  # username String "j.smith" (15)
""", {"id": 42, "protocol": 710, "username": "j.smith"}, canonical=False)

# --- counted text (no block header; the count field is a field of its own) -----------------
_add("classification_67", 67, """
    00000043          # recordType 67 Classification Metadata
    0000002f          # recordLength 47 = 4 + 2+3 + 2+4 + 16 + 16
    00000002          # id 2
    0003              # nameLength 3 (u16)
    646f73            # name "dos"
    0004              # descriptionLength 4 (u16)
    446f5321          # description "DoS!"
    0102030405060708090a0b0c0d0e0f10  # uuid
    1112131415161718191a1b1c1d1e1f20  # revisionUuid
""", {"id": 2, "nameLength": 3, "name": "dos", "descriptionLength": 4, "description": "DoS!",
      "uuid": "01020304-0506-0708-090a-0b0c0d0e0f10",
      "revisionUuid": "11121314-1516-1718-191a-1b1c1d1e1f20"})

_add("fingerprint_54", 54, """
    00000036          # recordType 54 Fingerprint Metadata
    0000002a          # recordLength 42 = 16 + 4+5 + 4+5 + 4+4
    f0e0d0c0b0a090807060504030201000  # uuid
    00000005          # nameLength 5 (u32)
    4c696e7578        # name "Linux"
    00000005          # vendorLength 5
    4c696e7573        # vendor "Linus"
    00000004          # versionLength 4
    362e3130          # version "6.10"
""", {"uuid": "f0e0d0c0-b0a0-9080-7060-504030201000", "nameLength": 5, "name": "Linux",
      "vendorLength": 5, "vendor": "Linus", "versionLength": 4, "version": "6.10"})

# --- a field of unknown width: the rest of the block is skipped by its blockLength ---------
_DH, _DH_VALUES = discovery_header("00000006", 6, 1002)
_add("attribute_46", 46, f"""
    0000002e          # recordType 46 Add Host Attribute
    00000054          # recordLength 84 = 40 + 44
    {_DH}
    00000037          # blockType 55 (s1.55 Attribute Definition, flattened)
    0000002c          # blockLength 44 = 8 + 4 + 16 + 4 + 8 + 4
    00000001          # sourceId 1
    000102030405060708090a0b0c0d0e0f  # uuid
    00000009          # id 9
    00000000 00000008 # name String ""
    eeeeeeee          # attributeType ... (width unknown: skipped)
""", {**_DH_VALUES, "sourceId": 1, "uuid": "00010203-0405-0607-0809-0a0b0c0d0e0f", "id": 9,
      "name": ""})

# --- an enclosing block header that records.yaml lists as two plain fields ------------------
_add("file_policy_530", 530, """
    00000212          # recordType 530 File Policy Name
    0000002b          # recordLength 43 = 4 + 4 + 16 + 19
    00000000          # blockType (a plain field here; eNcore does not check it)
    0000002b          # blockLength 43, the whole body
    a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  # uuid
    00000000 00000013 6d616c776172652d706f6c  # name String "malware-pol" (19 = 8 + 11)
""", {"blockType": 0, "blockLength": 43, "uuid": "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf",
      "name": "malware-pol"})
