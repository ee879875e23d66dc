"""Persistent REST handler: the packets of one intrusion event as a pcap file.

GET .../estreamer/pcap?device_id=<n>&event_id=<n>&event_sec=<epoch>

The handler searches the packet records (rec_type=2) of that event with the
caller's session, in the add-on's namespace (so the ``estreamer_data`` macro
applies), and answers with a libpcap file: the 24-byte global header, then per
packet a 16-byte record header (ts_sec, ts_usec, incl_len, orig_len) and the
packet bytes. eNcore's "Save PCAP" wrote no record headers (bug B23), so
Wireshark could not read its files.
"""

from __future__ import annotations

import base64
import json
import os
import re
import struct
from collections.abc import Iterable
from typing import Any, Callable, NamedTuple

try:  # Splunk's Python; absent when the module is imported by tests or linters
    from splunk.persistconn.application import PersistentServerConnectionApplication
except ImportError:  # pragma: no cover - depends on the environment
    class PersistentServerConnectionApplication:  # type: ignore[no-redef]
        def __init__(self) -> None:
            pass

PCAP_MAGIC = 0xA1B2C3D4          # microsecond timestamps
PCAP_VERSION = (2, 4)
SNAPLEN = 262144
GLOBAL_HEADER = struct.Struct("<IHHiIII")
RECORD_HEADER = struct.Struct("<IIII")
MAX_PACKETS = 10000

#: the add-on's directory name is its app id (TA_estreamer): read it, never repeat it
APP = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_NUMBER = re.compile(r"^[0-9]{1,10}$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})*$")

#: run_search(path, post_args) -> response body text (splunkd's export endpoint)
SearchRunner = Callable[[str, dict], str]


class RequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Packet(NamedTuple):
    sec: int
    usec: int
    data: bytes
    orig_len: int


def build_pcap(packets: Iterable[Packet], link_type: int) -> bytes:
    """A complete pcap file: global header, then a record header before every packet."""
    parts = [GLOBAL_HEADER.pack(PCAP_MAGIC, PCAP_VERSION[0], PCAP_VERSION[1], 0, 0, SNAPLEN,
                                link_type)]
    for packet in packets:
        data = packet.data[:SNAPLEN]
        parts.append(RECORD_HEADER.pack(packet.sec, packet.usec, len(data),
                                        max(packet.orig_len, len(data))))
        parts.append(data)
    return b"".join(parts)


def _int(row: dict, name: str, default: int | None = None) -> int:
    value = row.get(name, default)
    if value is None or not _NUMBER.match(str(value)):
        raise RequestError(502, f"packet record without a valid {name}")
    return int(value)


def packets_from_rows(rows: Iterable[dict]) -> tuple[int, list[Packet]]:
    """(link type, packets in capture order) from search results of packet records."""
    packets: list[Packet] = []
    link_types = set()
    for row in rows:
        hex_data = str(row.get("packet") or "")
        if not _HEX.match(hex_data):
            raise RequestError(502, "a packet record holds no hex packet data")
        data = bytes.fromhex(hex_data)
        packets.append(Packet(_int(row, "packet_sec"), _int(row, "packet_usec", 0), data,
                              _int(row, "packet_len", len(data))))
        link_types.add(_int(row, "link_type", 1))
    if not packets:
        raise RequestError(404, "no packets are indexed for this event")
    if len(link_types) > 1:
        raise RequestError(409, f"the packets use several link types {sorted(link_types)}")
    packets.sort(key=lambda p: (p.sec, p.usec))
    return link_types.pop(), packets


def packet_search(device_id: int, event_id: int) -> str:
    return (f"search `estreamer_data` rec_type=2 device_id={device_id} event_id={event_id}"
            " | fields packet packet_sec packet_usec packet_len link_type")


def fetch_rows(run_search: SearchRunner, user: str, device_id: int, event_id: int,
               event_sec: int) -> list[dict]:
    """Packet records of the event; they carry the event's second as their time."""
    path = f"/servicesNS/{user}/{APP}/search/jobs/export"
    body = run_search(path, {"search": packet_search(device_id, event_id),
                             "earliest_time": str(event_sec),
                             "latest_time": str(event_sec + 1),
                             "output_mode": "json", "count": str(MAX_PACKETS)})
    rows = []
    for line in body.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as err:
            raise RequestError(502, "the search returned something that is not JSON") from err
        if isinstance(item, dict) and isinstance(item.get("result"), dict):
            rows.append(item["result"])
    return rows


def _query(request: dict) -> dict[str, str]:
    query = request.get("query") or []
    pairs = query.items() if isinstance(query, dict) else query
    return {str(k): str(v) for k, v in pairs}


def _number_arg(args: dict[str, str], name: str) -> int:
    value = args.get(name, "")
    if not _NUMBER.match(value):
        raise RequestError(400, f"{name} must be a whole number")
    return int(value)


def _text(status: int, message: str) -> dict[str, Any]:
    return {"status": status, "headers": {"Content-Type": "text/plain; charset=utf-8"},
            "payload": message + "\n"}


def handle_request(request: dict, run_search: SearchRunner) -> dict[str, Any]:
    """Answer one request (the persistent-handler request dict) with a pcap or an error."""
    try:
        if str(request.get("method", "GET")).upper() != "GET":
            raise RequestError(405, "use GET")
        args = _query(request)
        device_id = _number_arg(args, "device_id")
        event_id = _number_arg(args, "event_id")
        event_sec = _number_arg(args, "event_sec")
        user = str((request.get("session") or {}).get("user") or "nobody")
        if not re.match(r"^[\w.@-]+$", user):
            raise RequestError(400, "unexpected user name")
        rows = fetch_rows(run_search, user, device_id, event_id, event_sec)
        link_type, packets = packets_from_rows(rows)
    except RequestError as err:
        return _text(err.status, str(err))
    name = f"estreamer-{device_id}-{event_id}-{event_sec}.pcap"
    return {"status": 200,
            "headers": {"Content-Type": "application/vnd.tcpdump.pcap",
                        "Content-Disposition": f'attachment; filename="{name}"'},
            "payload_base64": base64.b64encode(build_pcap(packets, link_type)).decode("ascii")}


def _splunkd_runner(token: str) -> SearchRunner:
    """Run searches against the local splunkd with the caller's session."""
    import splunk.rest  # Splunk's own client: local address, TLS and auth as splunkd wants

    def run(path: str, args: dict) -> str:
        response, content = splunk.rest.simpleRequest(path, sessionKey=token, postargs=args,
                                                      method="POST", timeout=120)
        if int(response.status) != 200:
            raise RequestError(502, f"the packet search failed (HTTP {response.status})")
        return content.decode("utf-8") if isinstance(content, bytes) else str(content)

    return run


class PcapHandler(PersistentServerConnectionApplication):
    """restmap.conf: ``scripttype = persist``, ``handler = estreamer_pcap.PcapHandler``."""

    def __init__(self, command_line: Any = None, command_arg: Any = None) -> None:
        super().__init__()

    def handle(self, in_string: str | bytes) -> dict[str, Any]:
        try:
            request = json.loads(in_string)
        except ValueError:
            return _text(400, "the request is not JSON")
        token = str((request.get("session") or {}).get("authtoken") or "")
        if not token:
            return _text(401, "no session")
        try:
            runner = _splunkd_runner(token)
        except ImportError:
            return _text(500, "this handler runs only inside Splunk")
        return handle_request(request, runner)
