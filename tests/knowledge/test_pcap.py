"""The pcap download writes files that pcap readers accept, from indexed packet records."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.pcap import pcap_handler, read_pcap
from tests.support.splunk_emulation.props_engine import search_time

pcap = pcap_handler()


class FakeSplunkd:
    """Stands in for splunkd's search export: JSON lines, one result per line."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, path: str, args: dict) -> str:
        self.calls.append((path, args))
        lines = [json.dumps({"preview": False, "offset": i, "result": row})
                 for i, row in enumerate(self.rows)]
        return "\n".join(lines) + "\n"


def _request(**query: str) -> dict:
    return {"method": "GET", "query": [[k, v] for k, v in query.items()],
            "session": {"user": "analyst", "authtoken": "x"}}


def test_build_pcap_writes_a_record_header_before_every_packet():
    packets = [pcap.Packet(1700000000, 5, bytes(range(60)), 60),
               pcap.Packet(1700000001, 999999, b"\xff" * 1514, 9000)]
    link, records = read_pcap(pcap.build_pcap(packets, 1))
    assert link == 1
    assert records == [(1700000000, 5, 60, bytes(range(60))),
                       (1700000001, 999999, 9000, b"\xff" * 1514)]


def test_download_of_indexed_packets_is_a_valid_pcap(mix_lines, knowledge, sourcetype):
    # The packet records as Splunk extracts them from the add-on's lines.
    lines = mix_lines[2][:3]
    rows = [search_time(knowledge, sourcetype, line) for line in lines]
    splunkd = FakeSplunkd(list(reversed(rows)))
    first = rows[0]
    answer = pcap.handle_request(_request(device_id=first["device_id"],
                                          event_id=first["event_id"],
                                          event_sec=first["event_sec"]), splunkd)
    assert answer["status"] == 200
    assert answer["headers"]["Content-Type"] == "application/vnd.tcpdump.pcap"
    assert "attachment" in answer["headers"]["Content-Disposition"]
    link, records = read_pcap(base64.b64decode(answer["payload_base64"]))
    assert link == int(first["link_type"])
    expected = sorted((int(r["packet_sec"]), int(r["packet_usec"]), int(r["packet_len"]),
                       bytes.fromhex(r["packet"])) for r in rows)
    assert records == expected
    path, args = splunkd.calls[0]
    assert path == f"/servicesNS/analyst/{pcap.APP}/search/jobs/export"
    assert f"device_id={first['device_id']} event_id={first['event_id']}" in args["search"]
    assert args["earliest_time"] == str(first["event_sec"])


@pytest.mark.parametrize("query", [
    {"device_id": "1", "event_id": "2"},                                  # no event_sec
    {"device_id": "1", "event_id": "2 OR rec_type=*", "event_sec": "3"},  # injection
    {"device_id": "-1", "event_id": "2", "event_sec": "3"},
])
def test_bad_requests_are_refused_without_searching(query):
    splunkd = FakeSplunkd([])
    answer = pcap.handle_request(_request(**query), splunkd)
    assert answer["status"] == 400
    assert splunkd.calls == []


def test_event_without_packets_is_not_found():
    answer = pcap.handle_request(_request(device_id="1", event_id="2", event_sec="3"),
                                 FakeSplunkd([]))
    assert answer["status"] == 404


def test_mixed_link_types_are_refused_rather_than_mislabelled():
    rows = [{"packet": "00" * 20, "packet_sec": "1", "packet_usec": "0", "link_type": "1"},
            {"packet": "00" * 20, "packet_sec": "2", "packet_usec": "0", "link_type": "101"}]
    answer = pcap.handle_request(_request(device_id="1", event_id="2", event_sec="3"),
                                 FakeSplunkd(rows))
    assert answer["status"] == 409


def test_handler_without_session_is_refused():
    handler = pcap.PcapHandler("", "")
    answer = handler.handle(json.dumps({"method": "GET", "query": []}))
    assert answer["status"] == 401
