"""A realistic, reproducible stream of records for the demo, the simulator and benchmarks.

The mix follows what an FMC typically sends: metadata first (archive timestamp
0, as the FMC sends it), then about 70% connection events (71), 15% intrusion
events (400) each possibly followed by its packet (2), 5% file events (500), 5%
file malware events (502) and a trickle of metadata updates. Ids are
consistent, so metadata decoration finds every name, and every event is
unique (connection counters and event ids count up), so delivery tests can
check exactly-once by identity.

Connection events carry the long discovery event header, as FMCs send them:
hasIpv6 = 1 and the host (initiator) address in the 16 extra bytes,
IPv4-mapped (::ffff:a.b.c.d) for an IPv4 host, legacyIpAddress 0.0.0.0
(spec/PROTOCOL.md 7.2; Cisco's eNcore reads the connection block at the offset
that assumes it). ``ipv6_header=False`` gives the short, 40-byte form.

Encoding ~110 fields per record is slow in Python, so each record type is
encoded a few times as a template and then stamped: the archive timestamp, the
event time and the identifying counters are written into a copy at their fixed
offsets, which keeps generation fast enough to feed a 50,000 records/s stream.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from typing import Any

from estreamer.protocol import DEFAULT_STREAMS, LEGACY_STREAMS
from estreamer.records.catalogue import BLOCK, BLOCKS, DISCOVERY, DISCOVERY_FIXED, FIXED, RECORDS
from estreamer.records.encoder import encode_record

from .simulator.versions import served_blocks

U16 = struct.Struct(">H")
U32 = struct.Struct(">I")

#: body block versions per FMC release: what an FMC serves for eNcore 5.2.11's requested
#: versions (FMC 7.x) and for eNcore 3.5.8's (FMC 6.x); spec/PROTOCOL.md 11.1
FMC7_BLOCKS = served_blocks(DEFAULT_STREAMS)
FMC6_BLOCKS = served_blocks(LEGACY_STREAMS)

DEVICES = {1: "fw-edge-01", 2: "fw-dc-02", 3: "fw \"branch\" 03"}
ZONES = {"5d6d2a2e-0000-4000-8000-000000000001": "inside",
         "5d6d2a2e-0000-4000-8000-000000000002": "outside"}
INTERFACES = {"7a1b0000-0000-4000-8000-000000000001": "GigabitEthernet0/0",
              "7a1b0000-0000-4000-8000-000000000002": "GigabitEthernet0/1"}
AC_POLICY = "0c0ffee0-0000-4000-8000-000000000001"
IPS_POLICY = "1dc0ffee-0000-4000-8000-000000000001"
NAP_POLICY = "2dc0ffee-0000-4000-8000-000000000001"
SSL_POLICY = "5510c000-0000-4000-8000-000000000001"
FILE_POLICY = "f11ec000-0000-4000-8000-000000000001"
AC_RULES = {268434432: "Default Action", 268435461: "Allow-Web", 268435462: "Block-Telnet"}
RULE_ACTIONS = {1: "Allow", 2: "Block", 4: "Trust"}
APPLICATIONS = {676: "HTTP", 1122: "HTTPS", 617: "DNS", 1428: "SSH"}
CLIENTS = {638: "Firefox", 1296: "Chrome", 2153: "curl"}
WEB_APPS = {929: "Google", 1080: "Wikipedia"}
USERS = {1001: "alice", 1002: "bob"}
COUNTRIES = {840: "united states", 276: "germany", 0: "unknown"}
SIGNATURES = {(1, 2019401): "ET POLICY \"Vulnerable\" Java Version=1.8 detected",
              (1, 1000001): "SERVER-WEBAPP path traversal attempt",
              (3, 36611): "PROTOCOL-DNS TMG Firewall Client long host entry exploit attempt"}
CLASSIFICATIONS = {3: ("attempted-recon", "Attempted Information Leak"),
                   9: ("policy-violation", "Potential Corporate Privacy Violation")}
PRIORITIES = {1: "high", 2: "medium", 3: "low"}
FILE_TYPES = {2: "PDF", 23: "MSEXE", 105: "ZIP"}
SSL_VERSIONS = {4: "TLSv1.3"}
#: file storage (515) and static analysis (519) statuses
FILE_STATUSES = {1: "File Size Is Too Small"}
#: the name record 511 gives the SHA-256 of a malware file (the threat name)
THREAT_NAME = "W32.Trojan.Sample"


def _ip(rng: random.Random, inside: bool) -> str:
    if inside:
        return f"10.{rng.randrange(1, 4)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    first = rng.choice((93, 151, 203))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def metadata_records() -> list[tuple[int, dict[str, Any]]]:
    """The metadata an FMC sends before events (names for every id the events use)."""
    out: list[tuple[int, dict[str, Any]]] = []
    out += [(123, {"id": i, "name": n}) for i, n in DEVICES.items()]
    out += [(115, {"uuid": u, "name": n}) for u, n in ZONES.items()]
    out += [(116, {"uuid": u, "name": n}) for u, n in INTERFACES.items()]
    out += [(145, {"uuid": AC_POLICY, "sensorId": d, "name": "Corporate AC"}) for d in DEVICES]
    out += [(118, {"uuid": IPS_POLICY, "name": "Balanced Security and Connectivity"})]
    out += [(700, {"uuid": NAP_POLICY, "name": "Default NAP"})]
    out += [(119, {"uuid": AC_POLICY, "id": i, "name": n}) for i, n in AC_RULES.items()]
    out += [(120, {"id": i, "name": n}) for i, n in RULE_ACTIONS.items()]
    out += [(63, {"id": i, "name": n}) for i, n in APPLICATIONS.items()]
    out += [(55, {"id": i, "name": n}) for i, n in CLIENTS.items()]
    out += [(109, {"id": i, "name": n}) for i, n in WEB_APPS.items()]
    out += [(98, {"id": i, "protocol": 710, "username": n}) for i, n in USERS.items()]
    out += [(520, {"countryCode": c, "country": n}) for c, n in COUNTRIES.items()]
    out += [(66, {"generatorId": g, "ruleId": r, "ruleRevision": 3, "signatureId": r,
                  "message": m}) for (g, r), m in SIGNATURES.items()]
    out += [(67, {"id": i, "name": n, "description": d}) for i, (n, d) in CLASSIFICATIONS.items()]
    out += [(4, {"id": i, "name": n}) for i, n in PRIORITIES.items()]
    out += [(510, {"id": i, "name": n}) for i, n in FILE_TYPES.items()]
    out += [(600, {"uuid": SSL_POLICY, "name": "Outbound TLS"})]
    out += [(604, {"id": i, "name": n}) for i, n in SSL_VERSIONS.items()]
    out += [(530, {"uuid": FILE_POLICY, "name": "Malware and Files"})]
    out += [(rt, {"id": i, "name": n}) for rt in (515, 519) for i, n in FILE_STATUSES.items()]
    return out


def _connection(rng: random.Random, ipv6_header: bool = True) -> dict[str, Any]:
    app = rng.choice(list(APPLICATIONS))
    initiator = _ip(rng, True)
    out = {
        "deviceId": rng.choice(list(DEVICES)),
        # the host of the discovery header is the initiator (FMC: IPv4-mapped, hasIpv6 1)
        "legacyIpAddress": "0.0.0.0" if ipv6_header else initiator,
        "hasIpv6": 1 if ipv6_header else 0, "ipv6Address": f"::ffff:{initiator}",
        "macAddress": "00:50:56:8a:0b:0c", "eventType": 1003, "eventSubtype": 1,
        "ingressZone": next(iter(ZONES)), "egressZone": list(ZONES)[1],
        "ingressInterface": next(iter(INTERFACES)), "egressInterface": list(INTERFACES)[1],
        "initiatorIpAddress": initiator, "responderIpAddress": _ip(rng, False),
        "policyRevision": AC_POLICY, "ruleId": rng.choice(list(AC_RULES)),
        "ruleAction": rng.choice(list(RULE_ACTIONS)), "ruleReason": 0,
        "initiatorPort": rng.randrange(1024, 65535), "responderPort": rng.choice((443, 80, 53, 22)),
        "tcpFlag": 0, "protocol": rng.choice((6, 6, 6, 17)),
        "initiatorTransmittedPackets": rng.randrange(1, 200),
        "responderTransmittedPackets": rng.randrange(1, 200),
        "initiatorTransmittedBytes": rng.randrange(60, 200000),
        "responderTransmittedBytes": rng.randrange(60, 2000000),
        "userId": rng.choice([*list(USERS), 0]), "applicationId": app,
        "clientApplicationId": rng.choice(list(CLIENTS)),
        "webApplicationId": rng.choice(list(WEB_APPS)),
        "urlCategory": 0, "urlReputation": 0,
        "initiatorCountry": 0, "responderCountry": rng.choice((840, 276)),
        "clientUrl": rng.choice(("", "https://www.example.com/index.html?q=a b",
                                 "http://wiki.example.org/")),
        "userAgent": rng.choice(("", "Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0")),
        "dnsQuery": rng.choice(("", "www.example.com")),
        "sslServerName": rng.choice(("", "www.example.com")),
        "ingressVRFName": "Global", "egressVRFName": "Global",
        "networkAnalysisPolicyRevision": NAP_POLICY, "sslPolicyId": SSL_POLICY,
    }
    # Values derived from those drawn above, so that every seed keeps its stream:
    # outbound flows leave through NAT, TLS flows carry the TLS and EVE fields.
    out.update(natInitiatorIp="198.51.100.7", natInitiatorPort=out["initiatorPort"],
               natResponderIp=out["responderIpAddress"], natResponderPort=out["responderPort"])
    if out["responderPort"] == 443:
        out.update(sslCertificateFingerprint=f"{out['initiatorPort']:040x}", sslVersion=4,
                   sslCipherSuite=0x1301, sslFlowStatus=2, sslActualAction=1,
                   sslExpectedAction=1, eveProcess="firefox browser",
                   eveProcessConfidencePercentage=100, eveThreatConfidencePercentage=7,
                   eveThreatConfidenceIndex=1)
    return out


def _intrusion(rng: random.Random) -> dict[str, Any]:
    gid, sid = rng.choice(list(SIGNATURES))
    out = {
        "deviceId": rng.choice(list(DEVICES)), "ruleId": sid, "generatorId": gid,
        "ruleRevision": 3, "classificationId": rng.choice(list(CLASSIFICATIONS)),
        "priorityId": rng.choice(list(PRIORITIES)),
        "sourceIpAddress": _ip(rng, False), "destinationIpAddress": _ip(rng, True),
        "sourcePortOrIcmpType": rng.randrange(1024, 65535), "destinationPortOrIcmpType": 80,
        "ipProtocolId": 6, "impactFlags": rng.choice((0x07, 0x01, 0x0f)), "impact": 2,
        "blocked": rng.choice((0, 1)), "policyUuid": IPS_POLICY,
        "accessControlRuleId": 268435461, "accessControlPolicyUuid": AC_POLICY,
        "interfaceIngressUuid": list(INTERFACES)[1], "interfaceEgressUuid": next(iter(INTERFACES)),
        "securityZoneIngressUuid": list(ZONES)[1], "securityZoneEgressUuid": next(iter(ZONES)),
        "applicationId": 676, "clientApplicationId": 2153, "userId": 0,
        "sourceCountry": 840, "destinationCountry": 0, "networkAnalysisPolicyUuid": NAP_POLICY,
        "httpHostname": "victim.example.com", "httpURI": "/cgi-bin/../../etc/passwd",
        "webApplicationId": 929, "ingressVRFName": "Global", "egressVRFName": "Global",
    }
    # not dropped: the intrusion policy runs in detection mode (blocked reason 2)
    out["blockedReasonId"] = 0 if out["blocked"] else 2
    return out


def _file(rng: random.Random, malware: bool) -> dict[str, Any]:
    return {
        "deviceId": rng.choice(list(DEVICES)), "sourceIpAddress": _ip(rng, False),
        "destinationIpAddress": _ip(rng, True), "disposition": 3 if malware else 1,
        "action": 2 if malware else 1, "shaHash": rng.randbytes(32).hex(),
        "fileTypeId": rng.choice(list(FILE_TYPES)),
        "fileName": rng.choice(("report Q3.pdf", "setup.exe", "data=1.zip")),
        "fileSize": rng.randrange(1000, 10_000_000), "direction": 1, "applicationId": 676,
        "userId": rng.choice(list(USERS)), "uri": "http://files.example.com/dl",
        "sourcePort": 80, "destinationPort": rng.randrange(1024, 65535), "protocol": 6,
        "accessControlPolicyUuid": FILE_POLICY, "threatScore": 80 if malware else 0,
        "clientApplicationId": 2153, "webApplicationId": 1080, "fileStorageStatus": 1,
        "fileAnalysisStatus": 1, "ingressVRF": "Global", "egressVRF": "Global",
    }


class _Template:
    """An encoded record plus the offsets of the fields stamped per copy."""

    def __init__(self, record_type: int, fields: dict[str, Any], block_type: int | None,
                 stamps: tuple[str, ...]) -> None:
        self.payload = encode_record(record_type, fields, archive_timestamp=0,
                                     block_type=block_type)
        ipv6_header = fields.get("hasIpv6") == 1
        self.offsets = {name: _offset(record_type, block_type, name, ipv6_header)
                        for name in stamps}


def _offset(record_type: int, block_type: int | None, name: str,
            ipv6_header: bool) -> tuple[int, struct.Struct]:
    """Payload offset of a field in the first fixed run of the body (or body block)."""
    layout = RECORDS[record_type]
    base = 16  # long record header
    runs = []
    for step in layout.steps:
        if step.kind == DISCOVERY:
            runs.append((base, DISCOVERY_FIXED))
            assert DISCOVERY_FIXED.struct is not None
            base += DISCOVERY_FIXED.struct.size + (16 if ipv6_header else 0)
        elif step.kind == BLOCK:
            key = layout.by_block_type[block_type] if step.of == "auto" else step.of  # type: ignore[index]
            first = BLOCKS[key].steps[0]  # type: ignore[index]
            runs.append((base + 8, first))
        elif step.kind == FIXED:
            runs.append((base, step))
            assert step.struct is not None
            base += step.struct.size
    for start, step in runs:
        if name in step.names:
            index = step.names.index(name)
            prefix = ">" + "".join(s.struct.format[1:] for s in step.singles[:index])
            return start + struct.calcsize(prefix), step.singles[index].struct
    raise KeyError(name)


def generate_mix(n: int, *, seed: int = 0, start_time: int = 1_700_000_000,
                 per_second: int = 1000, blocks: dict[int, int] | None = None,
                 with_metadata: bool = True, ipv6_header: bool = True) -> Iterator[bytes]:
    """Yield the metadata records, then ``n`` event payloads (long record header).

    ``per_second`` events share each archive second; ``blocks`` chooses the
    body block versions (FMC7_BLOCKS by default, FMC6_BLOCKS for an older FMC);
    ``ipv6_header`` False gives connection events the short discovery header.
    """
    rng = random.Random(seed)
    versions = FMC7_BLOCKS if blocks is None else blocks
    metadata = [encode_record(rt, f, archive_timestamp=0) for rt, f in metadata_records()]
    if with_metadata:
        yield from metadata
    conn = [_Template(71, _connection(rng, ipv6_header), versions[71],
                      ("eventSecond", "eventMicrosecond", "firstPacketTimestamp",
                       "lastPacketTimestamp", "instanceId", "connectionCounter"))
            for _ in range(16)]
    ids = [_Template(400, _intrusion(rng), versions[400], ("eventId", "eventSecond",
                                                           "eventMicrosecond"))
           for _ in range(8)]
    # every 502 and one 500 template carry malware (the FMC sends a file event with
    # disposition Malware beside the malware event); record 511 names their hashes
    file_fields = [(rt, _file(rng, rt == 502 or k == 0)) for rt in (500, 502) for k in range(4)]
    files = [_Template(rt, fields, versions[rt],
                       ("fileEventTimestamp", "connectionInstance", "connectionCounter"))
             for rt, fields in file_fields]
    if with_metadata:
        for _, fields in file_fields:
            if fields["disposition"] == 3:
                yield encode_record(511, {"shaHash": fields["shaHash"], "fileName": THREAT_NAME,
                                          "disposition": 3}, archive_timestamp=0)
    frame = bytes.fromhex("005056c00008000c29aabbcc0800") + rng.randbytes(60)
    event_id = 0
    for i in range(n):
        second = start_time + i // per_second
        usec = (i % per_second) * (1_000_000 // per_second)
        roll = rng.random()
        if roll < 0.70:
            t = conn[i % len(conn)]
            out = _stamp(t, second, eventSecond=second, eventMicrosecond=usec,
                         firstPacketTimestamp=second - 1, lastPacketTimestamp=second,
                         instanceId=(i >> 16) & 0xFFFF, connectionCounter=i & 0xFFFF)
        elif roll < 0.85:
            event_id += 1
            t = ids[i % len(ids)]
            out = _stamp(t, second, eventId=event_id, eventSecond=second, eventMicrosecond=usec)
            yield bytes(out)
            if rng.random() < 0.2:  # the packet of that intrusion event follows it
                device = U32.unpack_from(out, 16 + 8)[0]
                yield encode_record(2, {"deviceId": device, "eventId": event_id,
                                        "eventSecond": second, "packetSecond": second,
                                        "packetMicrosecond": usec, "linkType": 1,
                                        "packetData": frame.hex()},
                                    archive_timestamp=second)
            continue
        elif roll < 0.95:
            t = files[i % 4] if roll < 0.90 else files[4 + i % 4]
            out = _stamp(t, second, fileEventTimestamp=second,
                         connectionInstance=(i >> 16) & 0xFFFF, connectionCounter=i & 0xFFFF)
        else:
            yield metadata[i % len(metadata)]
            continue
        yield bytes(out)


def _stamp(template: _Template, archive: int, **values: int | bytes) -> bytearray:
    out = bytearray(template.payload)
    U32.pack_into(out, 8, archive)
    for name, value in values.items():
        offset, st = template.offsets[name]
        st.pack_into(out, offset, value)
    return out


# The realistic mix (issue 11): what an FMC's stream looks like to the code that reads it,
# rather than what is quick to stamp. The templates above repeat 16 connection records, so
# every host address, URL and user agent recurs thousands of times and every memo of the
# formatters hits; a real stream has tens of thousands of hosts, IPv6 among them, and
# strings that rarely repeat. Benchmarks measure on this one (bench/).

#: payload offset of the discovery header's IPv6 host address (long record header + the
#: header's fixed 40 bytes; present when hasIpv6 = 1)
HEADER_IPV6 = 16 + (DISCOVERY_FIXED.struct.size if DISCOVERY_FIXED.struct else 0)

_TLDS = ("com", "net", "org", "de", "io", "co.uk", "example")
_WORDS = ("cdn", "api", "static", "login", "mail", "assets", "update", "telemetry", "files",
          "news", "shop", "img", "video", "docs", "auth", "edge", "media", "search")
_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.{v} Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Microsoft-CryptoAPI/10.0", "curl/8.{v}.0", "Go-http-client/1.1",
    "Dalvik/2.1.0 (Linux; U; Android 14; Pixel {v} Build/UQ1A.240205.004)",
)


def _host_name(rng: random.Random) -> str:
    parts = [rng.choice(_WORDS) for _ in range(rng.randrange(1, 3))]
    label = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                    for _ in range(rng.randrange(4, 14)))
    return ".".join([*parts, label, rng.choice(_TLDS)])


def _url_path(rng: random.Random) -> str:
    path = "/".join(rng.choice(_WORDS) + str(rng.randrange(1000))
                    for _ in range(rng.randrange(1, 6)))
    query = "&".join(f"{rng.choice(_WORDS)}={rng.randbytes(rng.randrange(2, 12)).hex()}"
                     for _ in range(rng.randrange(0, 4)))
    return "/" + path + ("?" + query if query else "")


def _realistic_connection(rng: random.Random) -> dict[str, Any]:
    out = _connection(rng)
    host = _host_name(rng)
    tls = out["responderPort"] == 443
    web = out["responderPort"] in (80, 443)
    agent = rng.choice(_AGENTS).format(v=rng.randrange(5, 125))
    out.update(
        # URLs and agents only where the flow is web traffic, TLS flows without the path
        clientUrl=(f"https://{host}/" if tls else f"http://{host}{_url_path(rng)}")
        if web else "",
        userAgent=agent if web else "", httpReferrer=f"https://{_host_name(rng)}/"
        if web and rng.random() < 0.4 else "",
        referencedHost=host if web else "",
        dnsQuery=host if out["responderPort"] == 53 else "",
        sslServerName=host if tls else "")
    return out


def _address_pool(rng: random.Random, count: int, ipv6: bool, inside: bool) -> list[bytes]:
    """``count`` distinct 16-byte addresses: IPv4-mapped (::ffff:a.b.c.d) or IPv6."""
    pool: set[bytes] = set()
    while len(pool) < count:
        if ipv6:
            prefix = bytes.fromhex("fd00000000000a01") if inside \
                else bytes.fromhex("2001067c") + rng.randbytes(4)
            pool.add(prefix + rng.randbytes(8))
        else:
            pool.add(bytes(10) + b"\xff\xff" + bytes(int(x) for x in _ip(rng, inside).split(".")))
    return sorted(pool)


def realistic_mix(n: int, *, seed: int = 0, start_time: int = 1_700_000_000,
                  per_second: int = 1000, blocks: dict[int, int] | None = None,
                  with_metadata: bool = True, ipv6_share: float = 0.25,
                  hosts: int = 60_000) -> Iterator[bytes]:
    """Yield the metadata records, then ``n`` event payloads as an FMC would send them.

    The issue-11 mix: 70% connection (71), 15% intrusion (400), about 3% packets (2)
    after a fifth of them, 5% file (500), 5% malware (502), 2% metadata (re-sent).
    Every connection record has the long discovery header; ``ipv6_share`` of them are
    between IPv6 hosts (the header carries the IPv6 host address), the others carry the
    IPv4-mapped address as FMCs send. Each event's addresses are drawn from ``hosts``
    distinct addresses (two thirds inside, a third outside; tens of thousands of them
    appear in 100,000 records), its ports, counters, byte and packet counts per event;
    URLs, host names, user agents, file names and packets have real-world lengths and
    vary over thousands of templates. Deterministic for a seed.
    """
    rng = random.Random(seed)
    versions = FMC7_BLOCKS if blocks is None else blocks
    metadata = [encode_record(rt, f, archive_timestamp=0) for rt, f in metadata_records()]
    if with_metadata:
        yield from metadata
    inside4 = _address_pool(rng, hosts * 2 // 3 * 3 // 4, False, True)
    outside4 = _address_pool(rng, hosts // 3 * 3 // 4, False, False)
    inside6 = _address_pool(rng, hosts * 2 // 3 // 4, True, True)
    outside6 = _address_pool(rng, hosts // 3 // 4, True, False)
    conn_stamps = ("eventSecond", "eventMicrosecond", "firstPacketTimestamp",
                   "lastPacketTimestamp", "instanceId", "connectionCounter",
                   "initiatorIpAddress", "responderIpAddress", "initiatorPort",
                   "initiatorTransmittedPackets", "responderTransmittedPackets",
                   "initiatorTransmittedBytes", "responderTransmittedBytes")
    conn = [_Template(71, _realistic_connection(rng), versions[71], conn_stamps)
            for _ in range(max(16, min(2048, n // 32)))]
    ids = []
    for _ in range(max(8, min(512, n // 128))):
        fields = _intrusion(rng)
        fields.update(httpHostname=_host_name(rng), httpURI=_url_path(rng))
        ids.append(_Template(400, fields, versions[400],
                             ("eventId", "eventSecond", "eventMicrosecond", "sourceIpAddress",
                              "destinationIpAddress", "sourcePortOrIcmpType")))
    file_fields = []
    for k in range(max(8, min(512, n // 128))):
        rt = 500 if k % 2 == 0 else 502
        fields = _file(rng, rt == 502 or k % 8 == 0)
        fields.update(fileName=f"{rng.choice(_WORDS)}_{rng.randrange(10**6)}."
                               f"{rng.choice(('pdf', 'exe', 'zip', 'docx', 'js'))}",
                      uri=f"http://{_host_name(rng)}{_url_path(rng)}")
        file_fields.append((rt, fields))
    files: dict[int, list[_Template]] = {500: [], 502: []}
    for rt, fields in file_fields:
        files[rt].append(_Template(rt, fields, versions[rt],
                                   ("fileEventTimestamp", "connectionInstance",
                                    "connectionCounter", "sourceIpAddress",
                                    "destinationIpAddress")))
    if with_metadata:
        for _, fields in file_fields:
            if fields["disposition"] == 3:
                yield encode_record(511, {"shaHash": fields["shaHash"], "fileName": THREAT_NAME,
                                          "disposition": 3}, archive_timestamp=0)
    frames = [bytes.fromhex("005056c00008000c29aabbcc0800") + rng.randbytes(size)
              for size in (46, 60, 120, 300, 576, 1200, 1486)]
    random_, choice, randrange = rng.random, rng.choice, rng.randrange
    event_id = 0
    for i in range(n):
        second = start_time + i // per_second
        usec = (i % per_second) * (1_000_000 // per_second)
        v6 = random_() < ipv6_share
        inside, outside = (inside6, outside6) if v6 else (inside4, outside4)
        roll = random_()
        if roll < 0.70:
            t = choice(conn)
            initiator = choice(inside)
            out = _stamp(t, second, eventSecond=second, eventMicrosecond=usec,
                         firstPacketTimestamp=second - randrange(0, 30),
                         lastPacketTimestamp=second, instanceId=(i >> 16) & 0xFFFF,
                         connectionCounter=i & 0xFFFF, initiatorIpAddress=initiator,
                         responderIpAddress=choice(outside),
                         initiatorPort=randrange(1024, 65535),
                         initiatorTransmittedPackets=randrange(1, 5000),
                         responderTransmittedPackets=randrange(1, 5000),
                         initiatorTransmittedBytes=randrange(60, 10**7),
                         responderTransmittedBytes=randrange(60, 10**9))
            out[HEADER_IPV6:HEADER_IPV6 + 16] = initiator
        elif roll < 0.85:
            event_id += 1
            t = choice(ids)
            out = _stamp(t, second, eventId=event_id, eventSecond=second,
                         eventMicrosecond=usec, sourceIpAddress=choice(outside),
                         destinationIpAddress=choice(inside),
                         sourcePortOrIcmpType=randrange(1024, 65535))
            yield bytes(out)
            if random_() < 0.2:  # the packet of that intrusion event follows it
                device = U32.unpack_from(out, 16 + 8)[0]
                yield encode_record(2, {"deviceId": device, "eventId": event_id,
                                        "eventSecond": second, "packetSecond": second,
                                        "packetMicrosecond": usec, "linkType": 1,
                                        "packetData": choice(frames).hex()},
                                    archive_timestamp=second)
            continue
        elif roll < 0.95:
            t = choice(files[500] if roll < 0.90 else files[502])
            out = _stamp(t, second, fileEventTimestamp=second,
                         connectionInstance=(i >> 16) & 0xFFFF, connectionCounter=i & 0xFFFF,
                         sourceIpAddress=choice(outside), destinationIpAddress=choice(inside))
        else:
            yield metadata[i % len(metadata)]
            continue
        yield bytes(out)
