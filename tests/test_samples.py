"""The realistic benchmark mix (issue 11): what the figures of bench/ are measured on."""

from __future__ import annotations

from collections import Counter

from estreamer.records import codegen
from estreamer.records.decoder import decode_record
from estreamer.records.formatters import get_formatter
from estreamer.records.metadata import MetadataCache
from estreamer.testing.samples import realistic_mix

N = 20_000


def test_realistic_mix_has_the_issue_shares_ipv6_hosts_and_many_addresses() -> None:
    payloads = list(realistic_mix(N, seed=5))
    records = [decode_record(p) for p in payloads]
    shares = Counter(r.record_type for r in records)
    total = len(records)
    assert abs(shares[71] / total - 0.70) < 0.03
    assert abs(shares[400] / total - 0.15) < 0.02
    assert abs(shares[500] / total - 0.05) < 0.01 and abs(shares[502] / total - 0.05) < 0.01
    assert abs(shares[2] / total - 0.03) < 0.01
    connections = [r for r in records if r.record_type == 71]
    # the generated decoder reads every one of them, IPv6 header or IPv4-mapped
    assert all(r.values is not None for r in connections) or not codegen.enabled()
    # every connection record has the long header, with the initiator as its host
    assert all(r.fields["hasIpv6"] == 1 for r in connections)
    assert all(r.fields["ipv6Address"] == r.fields["initiatorIpAddress"] for r in connections)
    ipv6 = sum(":" in r.fields["initiatorIpAddress"] for r in connections) / len(connections)
    assert 0.22 < ipv6 < 0.28
    hosts = {r.fields[k] for r in connections for k in ("initiatorIpAddress",
                                                          "responderIpAddress")}
    assert len(hosts) > 15_000
    # strings vary and have real-world lengths (a browser's user agent: 70+ characters)
    agents = {r.fields["userAgent"] for r in connections}
    assert len(agents) > 100 and max(map(len, agents)) > 100
    assert len({r.fields["clientUrl"] for r in connections}) > 300


def test_realistic_mix_is_deterministic_and_decorates_fully() -> None:
    first = list(realistic_mix(2_000, seed=9))
    assert first == list(realistic_mix(2_000, seed=9)) != list(realistic_mix(2_000, seed=8))
    cache, splunk = MetadataCache(), get_formatter("splunk-full")  # src_host: full only
    for payload in first:
        record = decode_record(payload)
        cache.update(record)
        cache.decorate(record)
        line = splunk(record)
        if record.record_type == 71:
            assert " sensor=" in line and " fw_rule=" in line and " src_host=" in line
