"""The built add-on's REST registrations: UCC's handlers and the pcap download side by side."""

from __future__ import annotations

import configparser
from pathlib import Path
from urllib.parse import urlsplit


def _conf(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def test_pcap_endpoint_is_registered_beside_the_generated_handlers(app_dir: Path) -> None:
    restmap = _conf(app_dir / "default" / "restmap.conf")
    web = _conf(app_dir / "default" / "web.conf")
    # UCC's own handlers are still there (a hand-written file would have replaced them)
    assert restmap["admin_external:TA_estreamer_account"]["handlerfile"] == \
        "TA_estreamer_rh_account.py"
    assert "expose:TA_estreamer_account" in web
    pcap = restmap["script:estreamer_pcap"]
    assert dict(pcap) == {
        "match": "/estreamer/pcap", "script": "estreamer_pcap.py", "scripttype": "persist",
        "handler": "estreamer_pcap.PcapHandler", "requireAuthentication": "true",
        "output_modes": "json", "passPayload": "false", "passHttpHeaders": "false",
        "passSession": "true", "python.version": "python3", "python.required": "3.9, 3.13"}
    module, _, cls = pcap["handler"].partition(".")
    script = app_dir / "bin" / pcap["script"]
    assert script.stem == module and f"class {cls}(" in script.read_text(encoding="utf-8")
    assert dict(web["expose:estreamer_pcap"]) == {"pattern": "estreamer/pcap",
                                                  "methods": "GET"}


def test_pcap_workflow_action_calls_the_exposed_endpoint(app_dir: Path) -> None:
    actions = _conf(app_dir / "default" / "workflow_actions.conf")
    link = actions["estreamer_download_pcap"]
    assert link["link.method"].lower() == "get"
    path = urlsplit(link["link.uri"]).path
    # Splunk Web proxies /splunkd/__raw/services/<pattern> to splunkd's /services/<match>
    assert path == "/splunkd/__raw/services/" + _conf(
        app_dir / "default" / "web.conf")["expose:estreamer_pcap"]["pattern"]
    assert path.removeprefix("/splunkd/__raw/services") == \
        _conf(app_dir / "default" / "restmap.conf")["script:estreamer_pcap"]["match"]
