from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from estreamer.errors import ConfigurationError
from estreamer.records.catalogue import RECORDS
from estreamer.stream import config

# eNcore's shipped configuration as printed in TAC note 215631 (comments included)
ENCORE_CONF = {
    "connectTimeout": 10,
    "enabled": True,
    "handler": {
        "output@comment": "If you disable all outputters it behaves as a sink",
        "outputters": [{"adapter": "json", "enabled": True,
                        "stream": {"options": {"maxLogs": 10000, "rotate": True},
                                   "uri": "relfile:///data/json/encore.{0}.json"}}],
        "records": {"connections": True, "core": True, "excl@comment": ["x"], "exclude": [],
                    "inc@comment": "y", "include": [], "intrusion": True, "metadata": True,
                    "packets": True, "rna": True, "rua": True},
    },
    "logging": {"filepath": "estreamer.log",
                "format": "%(asctime)s %(name)-12s %(levelname)-8s %(message)s",
                "lev@comment": "z", "level": "INFO", "stdOut": True},
    "monitor": {"bookmark": False, "handled": True, "period": 120, "subscribed": True,
                "velocity": False},
    "responseTimeout": 2,
    "star@comment": "0 for genesis, 1 for now, 2 for bookmark",
    "start": 2,
    "subscription": {
        "records": {"@comment": ["..."], "archiveTimestamps": True, "eventExtraData": True,
                    "extended": True, "impactEventAlerts": True, "intrusion": True,
                    "metadata": True, "packetData": True},
        "servers": [{"host": "10.62.148.75", "pkcs12Filepath": "client.pkcs12", "port": 8302,
                     "tls@comment": "Valid values are 1.0 and 1.2", "tlsVersion": 1.2}],
    },
    "workerProcesses": 4,
}


def write(tmp_path: Path, data) -> str:
    path = tmp_path / "estreamer.conf"
    path.write_text(json.dumps(data))
    return str(path)


def test_encore_config_loads_with_encore_meaning(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="estreamer.config")
    settings = config.load(write(tmp_path, ENCORE_CONF))
    assert caplog.records == []  # comments and known keys give no warning
    assert settings.flags == 0x48900061
    assert settings.start == config.StartMode.BOOKMARK
    (stream,) = settings.streams
    assert stream.key == "10.62.148.75:8302"
    assert stream.primary.pkcs12_path == str(tmp_path / "client.pkcs12")
    assert stream.primary.tls_version == "1.2" and stream.primary.verify is True
    (out,) = settings.outputs
    assert (out.adapter, out.uri, out.max_logs, out.rotate) == (
        "json", "relfile:///data/json/encore.{0}.json", 10000, True)
    assert settings.logging.filepath == str(tmp_path / "estreamer.log")
    assert settings.monitor.bookmark is False and settings.monitor.period == 120
    assert settings.state_dir == str(tmp_path / "state")
    for record_type in (2, 9, 71, 92, 400, 500, 123, 170):
        assert settings.selection.wants(record_type)


def test_every_server_is_a_stream_and_secondary_inherits(tmp_path):
    data = json.loads(json.dumps(ENCORE_CONF))
    data["subscription"]["servers"] = [
        {"host": "fmc1", "pkcs12Filepath": "a.p12", "caFile": "ca.pem",
         "secondary": {"host": "fmc1b", "port": 8303}},
        {"host": "fmc2", "port": 9000, "pkcs12Filepath": "/abs/b.p12"},
    ]
    settings = config.load(write(tmp_path, data))
    one, two = settings.streams
    assert [s.address for s in one.servers] == ["fmc1:8302", "fmc1b:8303"]
    assert one.secondary.pkcs12_path == str(tmp_path / "a.p12")
    assert one.secondary.ca_file == str(tmp_path / "ca.pem")
    assert two.key == "fmc2:9000" and two.primary.pkcs12_path == "/abs/b.p12"


def test_unknown_key_is_a_warning_naming_it(tmp_path, caplog):
    data = json.loads(json.dumps(ENCORE_CONF))
    data["handler"]["records"]["conections"] = True
    caplog.set_level(logging.WARNING, logger="estreamer.config")
    config.load(write(tmp_path, data))
    assert "handler.records.conections" in caplog.text


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.update(start=3), r"start must be 0 \(genesis\), 1 \(now\) or 2"),
    (lambda d: d["subscription"]["servers"][0].update(port=70000),
     r"subscription.servers\[0\].port must be an integer from 1 to 65535"),
    (lambda d: d["subscription"]["servers"][0].update(tlsVersion=1.0),
     r"tlsVersion 1.0 is no longer supported"),
    (lambda d: d["subscription"]["servers"][0].pop("host"), r"servers\[0\].host is missing"),
    (lambda d: d["handler"]["outputters"][0].update(adapter="csv"),
     r"adapter must be one of splunk, splunk-sparse, splunk-lean, splunk-full, json, cef, sfw"),
    (lambda d: d["logging"].update(level="LOUD"), r"logging.level must be one of .*VERBOSE"),
    (lambda d: d["handler"]["records"].update(core="yes"),
     r"handler.records.core must be true or false"),
    (lambda d: d["handler"]["records"].update(exclude="71"), r"exclude must be a list"),
    (lambda d: d["subscription"]["records"].update(archiveTimestamps=False),
     r"needs subscription.records.archiveTimestamps"),
    (lambda d: d["subscription"]["records"].update(streams=["conection"]),
     r"subscription.records: unknown stream"),
    (lambda d: d["subscription"].update(servers=[]), r"at least one FMC"),
])
def test_invalid_values_name_key_and_allowed_values(tmp_path, mutate, message):
    data = json.loads(json.dumps(ENCORE_CONF))
    mutate(data)
    with pytest.raises(ConfigurationError, match=message):
        config.load(write(tmp_path, data))


def test_flags_follow_switches_and_streams(tmp_path):
    data = json.loads(json.dumps(ENCORE_CONF))
    data["subscription"]["records"].update(packetData=False, eventExtraData=False,
                                           streams=["connection", "metadata"],
                                           versions={"connection": 14})
    settings = config.load(write(tmp_path, data))
    assert settings.flags == 0x48900061 & ~0x1 & ~0x08000000
    assert [(s.version, s.event_type) for s in settings.request_streams] == [(4, 21), (14, 71)]


def test_selection_groups_include_exclude(tmp_path):
    data = json.loads(json.dumps(ENCORE_CONF))
    data["handler"]["records"].update(connections=False, rna=False, include=[71, 999],
                                      exclude=[400])
    sel = config.load(write(tmp_path, data)).selection
    assert sel.wants(71) and sel.wants(999)      # include overrides the group switch
    assert not sel.wants(400)                    # exclude overrides everything
    assert not sel.wants(10) and sel.wants(92)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigurationError, match="not found"):
        config.load(tmp_path / "nope.conf")
    bad = tmp_path / "bad.conf"
    bad.write_text("{\n  \"start\": 2,\n}")
    with pytest.raises(ConfigurationError, match=r"not valid JSON.*line 3"):
        config.load(bad)


def test_password_from_env_or_refused_without_terminal():
    assert config.pkcs12_password("c.p12", environ={config.PASSWORD_ENV: "s3"}) == "s3"
    with pytest.raises(ConfigurationError, match=config.PASSWORD_ENV) as info:
        config.pkcs12_password("c.p12", environ={}, interactive=False)
    assert "s3" not in str(info.value)


def test_groups_cover_the_catalogue_like_encore():
    """Every record eNcore grouped stays in that group; every other record is routed."""
    mapping = {"PACKET": "packets", "INTRUSION": "intrusion", "CONNECTION": "connections",
               "RNA": "rna", "RUA": "rua", "VPN": "writeVPN", "FILE_MALWARE": "core",
               "METADATA": "metadata"}
    every = set().union(*config.RECORD_GROUPS.values())
    for record in RECORDS.values():
        assert record.record_type in every, record.record_type
        for group in record.encore_groups:
            if group in mapping:
                assert record.record_type in config.RECORD_GROUPS[mapping[group]], \
                    record.record_type


def test_shipped_example_loads_without_warnings(caplog):
    example = Path(__file__).resolve().parents[1] / "examples" / "estreamer.conf"
    caplog.set_level(logging.WARNING, logger="estreamer.config")
    settings = config.load(example)
    assert caplog.records == []
    assert [s.key for s in settings.streams] == ["10.62.148.75:8302",
                                                 "fmc-branch.example.net:8302"]
    assert settings.streams[0].secondary.address == "10.62.148.76:8302"
    assert not settings.selection.wants(123)  # metadata written: false in the example


def test_every_record_the_metadata_cache_learns_from_is_metadata_to_the_client():
    """The client hands only METADATA_RECORDS to the cache (and decodes them even when
    they are not written): a stored type missing there would never decorate anything."""
    from estreamer.records.metadata import STORES

    assert set(STORES) | {117} <= config.METADATA_RECORDS
