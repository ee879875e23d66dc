"""Metadata cache: what is stored, how events are decorated, JSON persistence."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import pytest

from estreamer.errors import ConfigurationError
from estreamer.records import names as constants
from estreamer.records.metadata import (
    DECORATIONS,
    DEFAULT_TABLE_LIMIT,
    PART_SIZE,
    STORES,
    MetadataCache,
)
from estreamer.records.record import Record

ZONE = "5d6d2a2e-0000-4000-8000-000000000001"
POLICY = "0c0ffee0-0000-4000-8000-000000000001"


def meta(rt: int, **fields: object) -> Record:
    return Record(rt, dict(fields))


def test_device_name_decorates_without_touching_the_id() -> None:
    cache = MetadataCache()
    assert cache.update(meta(123, id=5, length=3, name="fw1")) is True
    event = Record(400, {"deviceId": 5, "eventSecond": 1})
    cache.decorate(event)
    assert event.fields["deviceId"] == 5
    assert event.computed["deviceName"] == "fw1"


def test_event_records_are_not_metadata() -> None:
    cache = MetadataCache()
    assert cache.update(Record(71, {"deviceId": 1})) is False
    assert len(cache) == 0


def test_unknown_id_gives_no_name() -> None:
    event = MetadataCache().decorate(Record(400, {"deviceId": 9, "userId": 4}))
    assert "deviceName" not in event.computed
    assert "userName" not in event.computed


def test_user_98_both_layouts() -> None:
    cache = MetadataCache()
    cache.update(meta(98, id=7, protocol=710, username="alice"))   # eNcore 5.2.11 name
    cache.update(meta(98, id=8, protocol=710, name="bob"))          # older name
    event = cache.decorate(Record(71, {"userId": 7}))
    assert event.computed["userName"] == "alice"
    assert cache.lookup("users", 8) == "bob"


def test_icmp_codes_do_not_collide_across_types() -> None:
    cache = MetadataCache()
    cache.update(meta(270, code=0, type=3, protocol=1, description="Net Unreachable"))
    cache.update(meta(270, code=0, type=5, protocol=1, description="Redirect for Network"))
    cache.update(meta(270, code=0, type=1, protocol=58, description="No route (v6)"))
    assert cache.lookup("icmp_codes", (1, 3, 0)) == "Net Unreachable"
    assert cache.lookup("icmp_codes", (1, 5, 0)) == "Redirect for Network"
    assert cache.lookup("icmp_codes", (58, 1, 0)) == "No route (v6)"


def test_netmap_350_by_id_and_si_282_by_uuid() -> None:
    cache = MetadataCache()
    assert cache.update(meta(350, id=2, length=6, name="Global"))
    assert cache.update(meta(282, uuid=ZONE, name="Malware C2"))
    assert cache.lookup("netmap_domains", 2) == "Global"
    assert cache.lookup("si_categories", ZONE) == "Malware C2"
    event = cache.decorate(Record(112, {"securityIntelligenceUuid": ZONE}))
    assert event.computed["securityIntelligenceCategoryName"] == "Malware C2"


def test_connection_composite_keys_and_constants() -> None:
    cache = MetadataCache()
    cache.update(meta(145, uuid=POLICY, sensorId=3, name="Corporate AC"))
    cache.update(meta(119, uuid=POLICY, id=42, name="Allow-Web"))
    cache.update(meta(115, uuid=ZONE, name="inside"))
    cache.update(meta(117, uuid=POLICY, name="Old AC"))
    event = Record(71, {"deviceId": 3, "policyRevision": POLICY, "ruleId": 42,
                        "monitorRule1": 0, "ingressZone": ZONE, "protocol": 6,
                        "eventType": 1003, "eventSubtype": 1, "sslFlowFlags": 5})
    computed = cache.decorate(event).computed
    assert computed["accessControlPolicyName"] == "Corporate AC"
    assert computed["accessControlRuleName"] == "Allow-Web"
    assert computed["monitorRule1Name"] == "Default Action"   # implied by record 117
    assert computed["ingressZoneName"] == "inside"
    assert computed["protocolName"] == "TCP"
    assert computed["eventDescription"] == "Flow Statistics"
    assert computed["sslFlowFlagNames"] == "NSE_FLOW_VALID|NSE_FLOW_INTERCEPT"


def test_rule_message_rendered_sid_and_impact() -> None:
    cache = MetadataCache()
    cache.update(meta(66, generatorId=1, ruleId=2000, ruleRevision=1, signatureId=9000,
                      messageLength=3, message="bad"))
    cache.update(meta(67, id=3, name="trojan", description="A Trojan"))
    event = Record(400, {"generatorId": 1, "ruleId": 2000, "classificationId": 3,
                         "impactFlags": 0x06, "blocked": 7, "blockedReasonId": 4})
    c = cache.decorate(event).computed
    assert (c["ruleMessage"], c["renderedSignatureId"]) == ("bad", 9000)
    assert (c["classificationName"], c["classificationDescription"]) == ("trojan", "A Trojan")
    assert c["impactLevel"] == 2 and c["impactLevelName"].startswith("Orange")
    assert c["blockedName"] == "Drop"
    assert c["blockedReasonName"] == "Connection Timed Out"


def test_fmc_names_win_over_static_tables() -> None:
    cache = MetadataCache()
    event = Record(71, {"sslCipherSuite": 0xC02F})
    assert cache.decorate(event).computed["sslCipherSuiteName"] == \
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    cache.update(meta(602, id=0xC02F, length=5, name="ECDHE-RSA-AES128-GCM-SHA256"))
    fresh = Record(71, {"sslCipherSuite": 0xC02F})
    assert cache.decorate(fresh).computed["sslCipherSuiteName"] == "ECDHE-RSA-AES128-GCM-SHA256"


def test_nested_user_fields_are_decorated() -> None:
    cache = MetadataCache()
    cache.update(meta(98, id=7, protocol=710, username="alice"))
    event = Record(95, {"user": {"userId": 7, "authType": 2, "protocol": 710}})
    c = cache.decorate(event).computed
    assert c["userName"] == "alice"
    assert c["authTypeName"] == "Captive Portal Successfull Authenication"
    assert c["protocolName"] == "LDAP"


def test_impact_level_mask() -> None:
    assert [constants.impact_level(m) for m in (0, 1, 2, 3, 6, 7, 8, 0x40, 0x80)] == \
        [0, 4, 3, 3, 2, 2, 1, 1, 1]


def test_json_round_trip_and_atomic_save(tmp_path: Path) -> None:
    cache = MetadataCache()
    cache.update(meta(123, id=5, name='fw "1"'))
    cache.update(meta(119, uuid=POLICY, id=42, name="Allow-Web"))
    cache.update(meta(270, code=1, type=3, protocol=1, description="Host Unreachable"))
    cache.update(meta(67, id=3, name="trojan", description="A Trojan"))
    path = tmp_path / "cache.json"
    cache.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]   # no temp file left
    loaded = MetadataCache.load(path)
    assert loaded.to_json() == cache.to_json()
    assert loaded.lookup("access_control_rules", (POLICY, 42)) == "Allow-Web"
    assert loaded.lookup("icmp_codes", (1, 3, 1)) == "Host Unreachable"
    assert loaded.lookup("devices", 5) == 'fw "1"'
    assert json.loads(path.read_text())["version"] == 1


def test_load_missing_file_is_empty_and_a_damaged_one_is_set_aside(tmp_path: Path) -> None:
    assert len(MetadataCache.load(tmp_path / "absent.json")) == 0
    for content in (b"not json", b'{"version": 99, "tables": {}}', b"\xff\xfe{}"):
        bad = tmp_path / "bad.json"
        bad.write_bytes(content)
        assert len(MetadataCache.load(bad)) == 0      # rebuilt from the stream, not fatal
        assert not bad.exists()
        aside = [p for p in tmp_path.iterdir() if p.name.startswith("bad.json.damaged-")]
        assert len(aside) == 1 and aside[0].read_bytes() == content
        aside[0].unlink()


def test_a_cache_in_a_missing_directory_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"directory .*nowhere does not exist; create it"):
        MetadataCache.load(tmp_path / "nowhere" / "cache.json")
    with pytest.raises(ConfigurationError, match="cannot write metadata cache"):
        MetadataCache().save(tmp_path / "nowhere" / "cache.json")
    with pytest.raises(ConfigurationError, match="is a directory; give the path of a file"):
        MetadataCache.load(tmp_path)


def sha(n: int) -> str:
    return f"{n:064x}"


def test_a_name_sent_again_changes_nothing_to_save() -> None:
    cache = MetadataCache()
    cache.update(meta(123, id=5, name="fw1"))
    cache.update(meta(511, shaHash=sha(1), fileName="a.exe"))
    assert cache.changed
    cache.mark_saved(cache.changed_parts())
    assert not cache.changed
    cache.update(meta(123, id=5, name="fw1"))            # the FMC re-sends what we know
    cache.update(meta(511, shaHash=sha(1), fileName="a.exe"))
    assert not cache.changed
    cache.update(meta(123, id=5, name="fw1-renamed"))    # a renamed device is news
    assert list(cache.changed_parts()) == [("devices", 0)]


def test_tables_are_bounded_least_recently_stored_first() -> None:
    cache = MetadataCache(limits={"file_shas": 3})
    for n in range(3):
        cache.update(meta(511, shaHash=sha(n), fileName=f"f{n}"))
    cache.update(meta(511, shaHash=sha(0), fileName="f0"))   # sent again: recent
    cache.update(meta(511, shaHash=sha(3), fileName="f3"))
    assert [cache.lookup("file_shas", sha(n)) for n in range(4)] == ["f0", None, "f2", "f3"]
    assert len(cache.table("file_shas")) == 3
    assert cache.limit("file_shas") == 3 and cache.limit("devices") == DEFAULT_TABLE_LIMIT


def test_200000_file_hashes_are_stored_in_small_parts_and_saved_incrementally() -> None:
    cache = MetadataCache()
    assert cache.limit("file_shas") == 200_000
    for n in range(200_000):
        cache.update(meta(511, shaHash=sha(n), fileName=f"installer-{n}.exe"))
    parts = cache.changed_parts()
    assert len(parts) == 200_000 // PART_SIZE
    sizes = [len(text.encode()) for text in parts.values() if text]
    assert max(sizes) < 1_000_000                          # the KV store takes 16 MB
    cache.mark_saved(parts)
    for n in range(200_000, 200_010):                      # ten new files: ten evicted
        cache.update(meta(511, shaHash=sha(n), fileName=f"new-{n}.exe"))
    changed = cache.changed_parts()
    assert sorted(changed) == [("file_shas", 0), ("file_shas", 200_000 // PART_SIZE)]
    assert len(cache.table("file_shas")) == 200_000
    assert cache.lookup("file_shas", sha(5)) is None and \
        cache.lookup("file_shas", sha(200_009)) == "new-200009.exe"


def test_parts_round_trip_and_new_names_go_to_a_new_part() -> None:
    cache = MetadataCache()
    cache.update(meta(119, uuid=POLICY, id=42, name="Allow-Web"))
    cache.update(meta(67, id=3, name="trojan", description="A Trojan"))
    texts = cache.changed_parts()
    loaded = MetadataCache()
    loaded.add_parts(MetadataCache.parse_part(t) for t in texts.values() if t)
    assert not loaded.changed
    assert loaded.to_json() == cache.to_json()
    assert loaded.lookup("access_control_rules", (POLICY, 42)) == "Allow-Web"
    loaded.update(meta(119, uuid=POLICY, id=43, name="Deny-All"))
    assert list(loaded.changed_parts()) == [("access_control_rules", 1)]
    with pytest.raises(ConfigurationError, match="not a metadata cache part"):
        MetadataCache.parse_part('{"version": 1, "tables": {}}')


def _catalogue_paths() -> dict[int, set[str]]:
    """Every field path each record type can have, from the generated catalogue."""
    from estreamer.records.catalogue import (
        BLOCK,
        BLOCKS,
        DISCOVERY,
        DISCOVERY_HEADER,
        LIST,
        RECORDS,
    )

    header = [*DISCOVERY_HEADER[0].names, "ipv6Address"]

    def walk(steps: tuple, prefix: str, by_type: dict[int, str], out: set[str]) -> None:
        for step in steps:
            if step.kind == DISCOVERY:
                out.update(prefix + name for name in header)
            elif step.kind == BLOCK:
                inner = prefix + step.name + "." if step.name else prefix
                keys = list(by_type.values()) if step.of == "auto" else [step.of]
                for key in keys:
                    walk(BLOCKS[key].steps, inner, {}, out)
            elif step.kind == LIST:
                out.add(prefix + step.name)
                walk(BLOCKS[step.of].steps, prefix + step.name + ".0.", {}, out)
            elif step.names:
                out.update(prefix + name for name in step.names)
            else:
                out.add(prefix + step.name)

    paths: dict[int, set[str]] = {}
    for rt, record in RECORDS.items():
        out: set[str] = set()
        walk(record.steps, "", record.by_block_type, out)
        paths[rt] = out
    return paths


def test_every_decoration_field_exists_in_the_catalogue() -> None:
    paths = _catalogue_paths()
    missing = [(rt, field) for rt, decos in DECORATIONS.items() for deco in decos
               for field in deco.fields if field not in paths[rt]]
    assert missing == []


def test_every_stored_field_exists_in_the_catalogue() -> None:
    paths = _catalogue_paths()
    missing = []
    for rt, stores in STORES.items():
        for store in stores:
            values = store.value if isinstance(store.value, tuple) else \
                tuple(v for v in store.value.split("|") if v != "name" or rt not in (62, 98))
            missing += [(rt, f) for f in (*store.key, *values) if f not in paths[rt]]
    assert missing == []


def test_static_tables_carry_encore_spellings() -> None:
    # Splunk searches match these texts, typos included (records.yaml decorationTables).
    assert constants.DISCOVERY_EVENT_NAMES[(1000, 7)] == "New Client Applicastion"
    assert constants.BLOCKED[14] == "Would be Rewritten"
    assert constants.USER_AUTH_TYPES[2] == "Captive Portal Successfull Authenication"
    assert constants.VPN_TYPES[3] == "AnyConnect SSL"


def test_a_caches_generated_decorators_are_freed_with_it_without_a_collection() -> None:
    """A session's cache and the decorators generated for it go when the session drops
    it: no reference cycle that only a full collection would free (streaming makes those
    rare, and every session left its decorators and tables behind)."""
    gc.disable()
    try:
        cache = MetadataCache()
        cache.update(meta(123, id=5, length=3, name="fw1"))
        event = cache.decorate(Record(400, {"deviceId": 5, "eventSecond": 1}))
        assert event.computed["deviceName"] == "fw1"
        plans = [weakref.ref(plan) for plan in cache._plans.values()]
        assert plans
        del cache
        assert [plan() for plan in plans] == [None] * len(plans)
    finally:
        gc.enable()
