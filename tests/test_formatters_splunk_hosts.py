"""Decorated host addresses in Splunk lines: right for every record, and never memoised
(tens of thousands of distinct hosts would miss a memo on nearly every record, issue 11)."""

from __future__ import annotations

from estreamer.records.decoder import decode_record
from estreamer.records.formatters import splunk
from estreamer.records.metadata import MetadataCache
from estreamer.testing.samples import realistic_mix


def test_every_line_names_its_own_host_and_the_memos_hold_no_hosts() -> None:
    cache = MetadataCache()
    hosts = set()
    for payload in realistic_mix(3_000, seed=2):
        record = decode_record(payload)
        cache.update(record)
        cache.decorate(record)
        line = splunk.format_splunk_full(record)  # src_host on connections: splunk-full only
        if record.record_type == 71:
            host = record.fields["ipv6Address"]
            hosts.add(host)
            assert f" src_host={host} " in line
            assert line.count(" src_host=") == 1
    assert len(hosts) > 1_000
    memo = splunk._PAIRS.get("src_host", {})
    assert not hosts & set(memo)
