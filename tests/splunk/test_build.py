"""The built add-on: what it declares (manifest, app.conf), what lib/ holds and that
everything it runs imports on Splunk's Pythons; its REST registrations (UCC's handlers
and the pcap download side by side)."""

from __future__ import annotations

import configparser
import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from tests.support import splunk_harness as harness

ROOT = Path(__file__).resolve().parents[2]


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
    # splunkd keeps UCC's handlers running between requests (tested in test_rest_handlers)
    for name in ("account", "settings", "estreamer"):
        assert restmap[f"admin_external:TA_estreamer_{name}"]["handlerpersistentmode"] == "true"
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


def test_manifest_declares_splunk_9_3_and_no_search_head_clustering(app_dir: Path) -> None:
    """Every search-head cluster member would run each input against one shared KV
    bookmark (duplicates); Splunk 9.0-9.2 run add-ons on Python 3.7, which cannot load
    the add-on's libraries."""
    manifest = json.loads((app_dir / "app.manifest").read_text(encoding="utf-8"))
    assert manifest["platformRequirements"] == {"splunk": {"Enterprise": ">=9.3"}}
    assert "_search_head_clustering" not in manifest["supportedDeployments"]
    assert set(manifest["supportedDeployments"]) == {"_standalone", "_distributed"}
    assert "_forwarders" in manifest["targetWorkloads"]
    app = _conf(app_dir / "default" / "app.conf")
    assert app["package"]["check_for_updates"] == "false"
    # the documents say the same
    for text in ((ROOT / "README.md").read_text(encoding="utf-8"),
                 (ROOT / "docs" / "splunk.md").read_text(encoding="utf-8"),
                 (app_dir / "README.txt").read_text(encoding="utf-8")):
        assert "Splunk 9.3" in text


def _size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def test_lib_holds_no_observability_stack(app_dir: Path) -> None:
    """solnlib's optional OpenTelemetry/gRPC metrics are left out (additional_packaging.py)."""
    lib = app_dir / "lib"
    present = sorted(p.name for p in lib.iterdir()
                     if p.name.split("-")[0].split(".")[0].lower().replace("_", "")
                     in {"grpc", "grpcio", "opentelemetry", "google", "protobuf",
                         "googleapiscommonprotos", "importlibmetadata", "zipp"}
                     or p.name.startswith("opentelemetry"))
    assert present == []
    size, count = _size(lib)
    print(f"lib/: {size / 1e6:.1f} MB in {count} files")


def test_lib_ships_the_client_without_its_command_line_or_test_equipment(
        app_dir: Path) -> None:
    """lib/estreamer holds layers 1-3; the simulator, certificates, samples and the CLI
    stay out (mk/splunk.mk), since nothing in bin/ imports them."""
    core = app_dir / "lib" / "estreamer"
    packages = sorted(p.name for p in core.iterdir() if (p / "__init__.py").is_file())
    assert packages == ["protocol", "records", "stream"]


def test_everything_the_add_on_runs_imports(splunk_python: str, app_dir: Path,
                                            tmp_path: Path) -> None:
    """Every module the input, the REST handlers, the pcap handler and the checkpointer
    import (and every module of the core) imports from the built lib/, and none of the
    left-out packages is loaded on the way."""
    env = harness.environment(tmp_path / "splunk_home", "http://127.0.0.1:1", "key")
    installed = harness._installed(app_dir, env)
    result = subprocess.run([splunk_python, str(Path(__file__).parent / "import_check.py"),
                             str(installed / "bin")], capture_output=True, text=True,
                            env=env, timeout=120, cwd=str(installed / "bin"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failed"] == {}
    assert report["checked"] > 100
    assert {"estreamer", "estreamer_splunk", "solnlib", "splunklib", "splunktaucclib",
            "cryptography"} <= set(report["loaded"])
    assert not {"grpc", "opentelemetry", "google", "importlib_metadata", "zipp"} & \
        set(report["loaded"])
