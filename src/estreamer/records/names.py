"""Static value -> display-name tables that do not come from the wire.

Sources (facts only, wording ours where wording is not the fact itself):

* IP protocol numbers: the IANA "Assigned Internet Protocol Numbers" registry
  (keywords as IANA spells them).
* TLS cipher suites: the IANA "TLS Cipher Suites" registry (names as IANA
  spells them). The FMC also sends its own names in record 602, which win.
* eStreamer value conventions: spec/PROTOCOL.md 7.4 (impact mask), spec/COVERAGE.md and
  ``spec/records.yaml`` ``decorationTables`` / ``discoveryEventTypes`` (blocked values
  incl. the eNcore 5.2.11 additions, blocked reasons, user auth types, VPN types,
  user protocols, extra-data types, discovery event names; eNcore's spellings
  kept because Splunk searches match on them).

Every table is a plain ``dict`` so decoration is one ``dict.get``. The tables that
``spec/records.yaml`` holds come from the generated catalogue, not from a second copy here.
"""

from __future__ import annotations

from .catalogue import DECORATION_TABLES as _TABLES
from .catalogue import DISCOVERY_EVENT_TYPES

# --- IANA Assigned Internet Protocol Numbers (keyword column) ---------------
IP_PROTOCOLS: dict[int, str] = {
    0: "HOPOPT", 1: "ICMP", 2: "IGMP", 3: "GGP", 4: "IPv4", 5: "ST", 6: "TCP", 7: "CBT",
    8: "EGP", 9: "IGP", 10: "BBN-RCC-MON", 11: "NVP-II", 12: "PUP", 13: "ARGUS",
    14: "EMCON", 15: "XNET", 16: "CHAOS", 17: "UDP", 18: "MUX", 19: "DCN-MEAS", 20: "HMP",
    21: "PRM", 22: "XNS-IDP", 23: "TRUNK-1", 24: "TRUNK-2", 25: "LEAF-1", 26: "LEAF-2",
    27: "RDP", 28: "IRTP", 29: "ISO-TP4", 30: "NETBLT", 31: "MFE-NSP", 32: "MERIT-INP",
    33: "DCCP", 34: "3PC", 35: "IDPR", 36: "XTP", 37: "DDP", 38: "IDPR-CMTP", 39: "TP++",
    40: "IL", 41: "IPv6", 42: "SDRP", 43: "IPv6-Route", 44: "IPv6-Frag", 45: "IDRP",
    46: "RSVP", 47: "GRE", 48: "DSR", 49: "BNA", 50: "ESP", 51: "AH", 52: "I-NLSP",
    53: "SWIPE", 54: "NARP", 55: "Min-IPv4", 56: "TLSP", 57: "SKIP", 58: "IPv6-ICMP",
    59: "IPv6-NoNxt", 60: "IPv6-Opts", 62: "CFTP", 64: "SAT-EXPAK", 65: "KRYPTOLAN",
    66: "RVD", 67: "IPPC", 69: "SAT-MON", 70: "VISA", 71: "IPCV", 72: "CPNX", 73: "CPHB",
    74: "WSN", 75: "PVP", 76: "BR-SAT-MON", 77: "SUN-ND", 78: "WB-MON", 79: "WB-EXPAK",
    80: "ISO-IP", 81: "VMTP", 82: "SECURE-VMTP", 83: "VINES", 84: "IPTM",
    85: "NSFNET-IGP", 86: "DGP", 87: "TCF", 88: "EIGRP", 89: "OSPFIGP", 90: "Sprite-RPC",
    91: "LARP", 92: "MTP", 93: "AX.25", 94: "IPIP", 95: "MICP", 96: "SCC-SP",
    97: "ETHERIP", 98: "ENCAP", 100: "GMTP", 101: "IFMP", 102: "PNNI", 103: "PIM",
    104: "ARIS", 105: "SCPS", 106: "QNX", 107: "A/N", 108: "IPComp", 109: "SNP",
    110: "Compaq-Peer", 111: "IPX-in-IP", 112: "VRRP", 113: "PGM", 115: "L2TP", 116: "DDX",
    117: "IATP", 118: "STP", 119: "SRP", 120: "UTI", 121: "SMP", 122: "SM", 123: "PTP",
    124: "ISIS over IPv4", 125: "FIRE", 126: "CRTP", 127: "CRUDP", 128: "SSCOPMCE",
    129: "IPLT", 130: "SPS", 131: "PIPE", 132: "SCTP", 133: "FC", 134: "RSVP-E2E-IGNORE",
    135: "Mobility Header", 136: "UDPLite", 137: "MPLS-in-IP", 138: "manet", 139: "HIP",
    140: "Shim6", 141: "WESP", 142: "ROHC", 143: "Ethernet", 144: "AGGFRAG", 145: "NSH",
}

# --- intrusion / correlation ------------------------------------------------
#: ``blocked`` of 400 and 112: 0-2 from the Integration Guide, 3-14 added by eNcore 5.2.11
#: for FMC 7.2 (spec/records.yaml decorationTables, through the generated catalogue).
BLOCKED: dict[int, str] = _TABLES["blocked"]

#: ``blockedReasonId`` of intrusion blocks s2.81/s2.85.
BLOCKED_REASONS: dict[int, str] = _TABLES["blockedReasonId"]

#: Impact level (derived from the impact-flag mask, spec/PROTOCOL.md 7.4) -> colour name.
IMPACT_LEVELS: dict[int, str] = {
    0: "Gray (unknown)",
    1: "Red (vulnerable)",
    2: "Orange (potentially vulnerable)",
    3: "Yellow (currently not vulnerable)",
    4: "Blue (unknown target)",
}


def impact_level(flags: int) -> int:
    """Impact level 0-4 from the 8-bit impact-flag mask (spec/PROTOCOL.md 7.4)."""
    if flags & 0xD8:  # 0x08 | 0x10 | 0x40 | 0x80: a vulnerability or the rule says red
        return 1
    if flags & 0x06 == 0x06:
        return 2
    if flags & 0x02:
        return 3
    if flags & 0x01:
        return 4
    return 0


#: ``eventType`` of correlation events (112).
CORRELATION_EVENT_TYPES: dict[int, str] = {
    0: "Unknown", 1: "Intrusion Event", 2: "Host Discovery", 3: "User Activity",
    4: "Whitelist", 5: "Malware Event",
}

#: host type of record 31 and ``source/destinationHostType`` of 112 (Integration Guide).
HOST_TYPES: dict[int, str] = {0: "Host", 1: "Router", 2: "Bridge"}

#: host criticality (``source/destinationCriticality`` of 112).
HOST_CRITICALITY: dict[int, str] = {0: "None", 1: "Low", 2: "Medium", 3: "High"}

# --- file and malware -------------------------------------------------------
FILE_DIRECTIONS: dict[int, str] = {0: "Unknown", 1: "Download", 2: "Upload"}

FILE_ACTIONS: dict[int, str] = {
    0: "N/A", 1: "Detect", 2: "Block", 3: "Malware Cloud Lookup", 4: "Malware Block",
    5: "Malware Whitelist", 6: "Cloud Lookup Timeout", 7: "Custom Detection",
    8: "Custom Detection Block", 9: "Archive Block (Depth Exceeded)",
    10: "Archive Block (Encrypted)", 11: "Archive Block (Failed To Inspect)",
}

#: file dispositions; record 517 adds to it.
FILE_DISPOSITIONS: dict[int, str] = _TABLES["dispositions"]

#: ``localMalwareAnalysisStatus`` of file events.
MALWARE_ANALYSIS_STATUS: dict[int, str] = {
    0: "File not analyzed", 1: "Analysis done", 2: "Analysis failed",
    3: "Manual analysis request",
}

# --- users and VPN ----------------------------------------------------------
#: ``authType`` of s1.167 (eNcore spellings kept, Splunk searches match them).
USER_AUTH_TYPES: dict[int, str] = _TABLES["userAuthTypes"]

#: ``vpnType`` of s1.166 (5 and 6 share a text in eNcore).
VPN_TYPES: dict[int, str] = _TABLES["vpnTypes"]

#: ``protocol`` of user records (62, 98, s1.155, s1.167): FMC application ids of login protocols.
USER_PROTOCOLS: dict[int, str] = _TABLES["userProtocols"]

#: intrusion extra-data ``type`` (record 110); record 111 metadata is authoritative.
EXTRA_DATA_TYPES: dict[int, str] = _TABLES["extraDataTypes"]

# --- SSL/TLS ----------------------------------------------------------------
SSL_ACTIONS: dict[int, str] = {
    0: "Unknown", 1: "Do Not Decrypt", 2: "Block", 3: "Block With Reset",
    4: "Decrypt (Known Key)", 5: "Decrypt (Replace Key)", 6: "Decrypt (Resign)",
}

SSL_FLOW_STATUSES: dict[int, str] = {
    0: "Unknown", 1: "No Match", 2: "Success", 3: "Uncached Session",
    4: "Unknown Cipher Suite", 5: "Unsupported Cipher Suite", 6: "Unsupported SSL Version",
    7: "SSL Compression Used", 8: "Session Undecryptable in Passive Mode",
    9: "Handshake Error", 10: "Decryption Error", 11: "Pending Server Name Category Lookup",
    12: "Pending Common Name Category Lookup", 13: "Internal Error",
    14: "Network Parameters Unavailable", 15: "Invalid Server Certificate Handle",
    16: "Server Certificate Fingerprint Unavailable", 17: "Cannot Cache Subject DN",
    18: "Cannot Cache Issuer DN", 19: "Unknown SSL Version",
    20: "External Certificate List Unavailable",
    21: "External Certificate Fingerprint Unavailable",
    22: "Internal Certificate List Invalid", 23: "Internal Certificate List Unavailable",
    24: "Internal Certificate Unavailable", 25: "Internal Certificate Fingerprint Unavailable",
    26: "Server Certificate Validation Unavailable",
    27: "Server Certificate Validation Failure", 28: "Invalid Action",
}

#: ``sslServerCertificateStatus`` values (short names; 605 metadata is authoritative).
SSL_CERT_STATUSES: dict[int, str] = {
    0: "Not Checked", 1: "Unknown", 2: "Valid", 4: "Self-signed", 16: "Invalid Issuer",
    32: "Invalid Signature", 64: "Expired", 128: "Not Valid Yet", 256: "Revoked",
}

#: ``sslFlowFlags`` bits (u64 mask).
SSL_FLOW_FLAGS: dict[int, str] = {
    0x1: "NSE_FLOW_VALID", 0x2: "NSE_FLOW_INITIALIZED", 0x4: "NSE_FLOW_INTERCEPT",
}

#: ``sslFlowMessages`` bits: which TLS handshake messages the device saw.
SSL_FLOW_MESSAGES: dict[int, str] = {
    0x1: "HELLO_REQUEST", 0x2: "CLIENT_ALERT", 0x4: "SERVER_ALERT", 0x8: "CLIENT_HELLO",
    0x10: "SERVER_HELLO", 0x20: "SERVER_CERTIFICATE", 0x40: "SERVER_KEY_EXCHANGE",
    0x80: "CERTIFICATE_REQUEST", 0x100: "SERVER_HELLO_DONE", 0x200: "CLIENT_CERTIFICATE",
    0x400: "CLIENT_KEY_EXCHANGE", 0x800: "CERTIFICATE_VERIFY",
    0x1000: "CLIENT_CHANGE_CIPHER_SPEC", 0x2000: "CLIENT_FINISHED",
    0x4000: "SERVER_CHANGE_CIPHER_SPEC", 0x8000: "SERVER_FINISHED",
    0x10000: "NEW_SESSION_TICKET", 0x20000: "HANDSHAKE_OTHER",
    0x40000: "APP_DATA_FROM_CLIENT", 0x80000: "APP_DATA_FROM_SERVER",
}


def bit_names(value: int, table: dict[int, str]) -> str:
    """Names of the set bits of ``value`` joined by ``|`` (unknown bits as hex)."""
    names = []
    rest = value
    for bit, name in table.items():
        if value & bit:
            names.append(name)
            rest &= ~bit
    if rest:
        names.append(f"0x{rest:x}")
    return "|".join(names)


def _tls_suites() -> dict[int, str]:
    # The IANA registry is regular enough to write as (first code, names...) runs.
    runs: list[tuple[int, str]] = [
        (0x0000, "TLS_NULL_WITH_NULL_NULL TLS_RSA_WITH_NULL_MD5 TLS_RSA_WITH_NULL_SHA "
                 "TLS_RSA_EXPORT_WITH_RC4_40_MD5 TLS_RSA_WITH_RC4_128_MD5 "
                 "TLS_RSA_WITH_RC4_128_SHA TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5 "
                 "TLS_RSA_WITH_IDEA_CBC_SHA TLS_RSA_EXPORT_WITH_DES40_CBC_SHA "
                 "TLS_RSA_WITH_DES_CBC_SHA TLS_RSA_WITH_3DES_EDE_CBC_SHA "
                 "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA TLS_DH_DSS_WITH_DES_CBC_SHA "
                 "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA "
                 "TLS_DH_RSA_WITH_DES_CBC_SHA TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA "
                 "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA TLS_DHE_DSS_WITH_DES_CBC_SHA "
                 "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA "
                 "TLS_DHE_RSA_WITH_DES_CBC_SHA TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA "
                 "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5 TLS_DH_anon_WITH_RC4_128_MD5 "
                 "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA TLS_DH_anon_WITH_DES_CBC_SHA "
                 "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
        (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA TLS_DH_DSS_WITH_AES_128_CBC_SHA "
                 "TLS_DH_RSA_WITH_AES_128_CBC_SHA TLS_DHE_DSS_WITH_AES_128_CBC_SHA "
                 "TLS_DHE_RSA_WITH_AES_128_CBC_SHA TLS_DH_anon_WITH_AES_128_CBC_SHA "
                 "TLS_RSA_WITH_AES_256_CBC_SHA TLS_DH_DSS_WITH_AES_256_CBC_SHA "
                 "TLS_DH_RSA_WITH_AES_256_CBC_SHA TLS_DHE_DSS_WITH_AES_256_CBC_SHA "
                 "TLS_DHE_RSA_WITH_AES_256_CBC_SHA TLS_DH_anon_WITH_AES_256_CBC_SHA "
                 "TLS_RSA_WITH_NULL_SHA256 TLS_RSA_WITH_AES_128_CBC_SHA256 "
                 "TLS_RSA_WITH_AES_256_CBC_SHA256 TLS_DH_DSS_WITH_AES_128_CBC_SHA256 "
                 "TLS_DH_RSA_WITH_AES_128_CBC_SHA256 TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"),
        (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 TLS_DH_DSS_WITH_AES_256_CBC_SHA256 "
                 "TLS_DH_RSA_WITH_AES_256_CBC_SHA256 TLS_DHE_DSS_WITH_AES_256_CBC_SHA256 "
                 "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 TLS_DH_anon_WITH_AES_128_CBC_SHA256 "
                 "TLS_DH_anon_WITH_AES_256_CBC_SHA256"),
        (0x008A, "TLS_PSK_WITH_RC4_128_SHA TLS_PSK_WITH_3DES_EDE_CBC_SHA "
                 "TLS_PSK_WITH_AES_128_CBC_SHA TLS_PSK_WITH_AES_256_CBC_SHA"),
        (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256 TLS_RSA_WITH_AES_256_GCM_SHA384 "
                 "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 "
                 "TLS_DH_RSA_WITH_AES_128_GCM_SHA256 TLS_DH_RSA_WITH_AES_256_GCM_SHA384 "
                 "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256 TLS_DHE_DSS_WITH_AES_256_GCM_SHA384 "
                 "TLS_DH_DSS_WITH_AES_128_GCM_SHA256 TLS_DH_DSS_WITH_AES_256_GCM_SHA384 "
                 "TLS_DH_anon_WITH_AES_128_GCM_SHA256 TLS_DH_anon_WITH_AES_256_GCM_SHA384 "
                 "TLS_PSK_WITH_AES_128_GCM_SHA256 TLS_PSK_WITH_AES_256_GCM_SHA384"),
        (0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
        (0x1301, "TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 "
                 "TLS_CHACHA20_POLY1305_SHA256 TLS_AES_128_CCM_SHA256 "
                 "TLS_AES_128_CCM_8_SHA256"),
        (0x5600, "TLS_FALLBACK_SCSV"),
        (0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA TLS_ECDH_ECDSA_WITH_RC4_128_SHA "
                 "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA "
                 "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA TLS_ECDHE_ECDSA_WITH_NULL_SHA "
                 "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA "
                 "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA "
                 "TLS_ECDH_RSA_WITH_NULL_SHA TLS_ECDH_RSA_WITH_RC4_128_SHA "
                 "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA TLS_ECDH_RSA_WITH_AES_128_CBC_SHA "
                 "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA TLS_ECDHE_RSA_WITH_NULL_SHA "
                 "TLS_ECDHE_RSA_WITH_RC4_128_SHA TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA "
                 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
        (0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 "
                 "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 "
                 "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256 TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384 "
                 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 "
                 "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256 TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384 "
                 "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 "
                 "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 "
                 "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256 TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384 "
                 "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 "
                 "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256 TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"),
        (0xC09C, "TLS_RSA_WITH_AES_128_CCM TLS_RSA_WITH_AES_256_CCM "
                 "TLS_DHE_RSA_WITH_AES_128_CCM TLS_DHE_RSA_WITH_AES_256_CCM "
                 "TLS_RSA_WITH_AES_128_CCM_8 TLS_RSA_WITH_AES_256_CCM_8 "
                 "TLS_DHE_RSA_WITH_AES_128_CCM_8 TLS_DHE_RSA_WITH_AES_256_CCM_8"),
        (0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM TLS_ECDHE_ECDSA_WITH_AES_256_CCM "
                 "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"),
        (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 "
                 "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 "
                 "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 "
                 "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256 "
                 "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 "
                 "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256 "
                 "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    ]
    table: dict[int, str] = {}
    for first, names in runs:
        for offset, name in enumerate(names.split()):
            table[first + offset] = name
    return table


#: IANA TLS cipher suite code -> name (the common ranges; record 602 overrides).
TLS_CIPHER_SUITES: dict[int, str] = _tls_suites()

# --- discovery event types (spec/records.yaml discoveryEventTypes) ---------------
DISCOVERY_EVENT_KINDS: dict[int, str] = {
    int(event_type): entry["kind"] for event_type, entry in DISCOVERY_EVENT_TYPES.items()
}


#: (eventType, eventSubtype) -> display name, as eNcore names them.
DISCOVERY_EVENT_NAMES: dict[tuple[int, int], str] = {
    (int(event_type), int(subtype)): name
    for event_type, entry in DISCOVERY_EVENT_TYPES.items()
    for subtype, name in entry["subtypes"].items()
}
