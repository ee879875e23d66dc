"""The add-on's KV store stores (the built ``estreamer_splunk.kvstore`` with its solnlib and
splunklib, on Splunk's Pythons) against the stand-in's KV store and its limits."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from tests.support.splunkd_standin import KV_DOCUMENT_LIMIT, KV_INITIALIZING, StandIn

METADATA = "TA_estreamer_metadata"

#: run in the Splunk Python: fill a cache, save it, save a few more names; print figures
DRIVER = textwrap.dedent("""
    import json, sys, time
    from estreamer.errors import BookmarkError
    from estreamer.records.metadata import MetadataCache
    from estreamer.records.record import Record
    from estreamer_splunk.kvstore import stores
    from estreamer_splunk.splunkd import Splunkd

    uri, key, hashes, step = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    splunkd = Splunkd.from_metadata({"server_uri": uri, "session_key": key})
    _, store = stores(splunkd, "fmc1")

    def learn(cache, first, count):
        for n in range(first, first + count):
            cache.update(Record(511, {"shaHash": "%064x" % n, "fileName": "setup-%d.exe" % n}))

    out = {}
    if step == "fill":
        cache = store.load("fmc:8302")
        learn(cache, 0, hashes)
        store.save("fmc:8302", cache)
        out["requests"] = store.requests
        out["changed_after"] = cache.changed
    elif step == "more":
        cache = store.load("fmc:8302")
        out["loaded"] = len(cache.table("file_shas"))
        out["changed_on_load"] = cache.changed
        learn(cache, 0, 100)                 # names it knows: nothing to write
        out["changed_by_known"] = cache.changed
        learn(cache, hashes, 10)             # ten new files
        store.save("fmc:8302", cache)
        out["requests"] = store.requests
        out["name"] = cache.lookup("file_shas", "%064x" % (hashes + 9))
    elif step == "legacy":
        cache = store.load("fmc:8302")
        out["loaded"] = cache.lookup("devices", 5)
        store.save("fmc:8302", cache)
    elif step == "refused":
        cache = store.load("fmc:8302")
        learn(cache, hashes + 100, 1)
        started = time.monotonic()
        try:
            store.save("fmc:8302", cache)
            out["error"] = None
        except BookmarkError as err:
            out["error"] = str(err)
        out["seconds"] = time.monotonic() - started
        out["changed"] = cache.changed
    print(json.dumps(out))
""")


def drive(python: str, app_dir: Path, standin: StandIn, hashes: int, step: str) -> dict:
    result = subprocess.run(
        [python, "-c", DRIVER, standin.uri, standin.session_key, str(hashes), step],
        capture_output=True, text=True, timeout=120,
        # lib/ first: bin/estreamer.py (the input script) would shadow the package
        env={"PYTHONPATH": f"{app_dir / 'lib'}:{app_dir / 'bin'}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_200000_file_hashes_stay_under_the_document_limit_and_are_saved_incrementally(
        splunk_python: str, app_dir: Path, standin: StandIn) -> None:
    hashes = 200_000
    first = drive(splunk_python, app_dir, standin, hashes, "fill")
    docs = standin.state.kv_documents(METADATA)
    sizes = [len(json.dumps(d).encode()) for d in docs.values()]
    assert len(docs) == 100                             # 2,000 names per document
    assert max(sizes) < KV_DOCUMENT_LIMIT // 16         # far below 16 MB (the stand-in's
    assert first == {"requests": 1, "changed_after": False}  # limit would refuse it)
    assert {d["input"] for d in docs.values()} == {"fmc1"}

    standin.state.kv_writes.clear()
    more = drive(splunk_python, app_dir, standin, hashes, "more")
    assert more == {"loaded": hashes, "changed_on_load": False, "changed_by_known": False,
                    "requests": 1, "name": f"setup-{hashes + 9}.exe"}
    # one request with two documents: the newest part and the one ten names left
    assert [(c, n) for c, n, _ in standin.state.kv_writes] == [(METADATA, 2)]
    assert standin.state.kv_writes[0][2] < 1_000_000


def test_a_metadata_save_does_not_wait_for_an_unavailable_kv_store(
        splunk_python: str, app_dir: Path, standin: StandIn) -> None:
    drive(splunk_python, app_dir, standin, 10, "fill")
    # a 503 answered to the save only (the load gets through): no waiting, an error, and
    # the names stay to be saved at a later checkpoint
    standin.state.kv_refuse[METADATA] = (503, KV_INITIALIZING)
    refused = drive(splunk_python, app_dir, standin, 10, "refused")
    assert refused["error"] and "HTTP 503" in refused["error"] and \
        KV_INITIALIZING in refused["error"]
    assert refused["changed"] is True and refused["seconds"] < 5


def test_the_stand_in_refuses_a_document_over_16_mb(standin: StandIn) -> None:
    import urllib.error
    import urllib.request

    standin.state.collections[METADATA] = {}
    body = json.dumps([{"_key": "big", "state": "x" * KV_DOCUMENT_LIMIT}]).encode()
    request = urllib.request.Request(
        f"{standin.uri}/servicesNS/nobody/TA_estreamer/storage/collections/data/{METADATA}"
        "/batch_save", data=body, headers={"Authorization": f"Splunk {standin.session_key}",
                                           "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("a 16 MB document was accepted")
    except urllib.error.HTTPError as err:
        assert err.code == 400 and b"maximum size" in err.read()
    assert standin.state.collections[METADATA] == {}


def test_the_single_document_of_earlier_versions_is_read_then_replaced(
        splunk_python: str, app_dir: Path, standin: StandIn) -> None:
    from estreamer.records.metadata import MetadataCache

    old = MetadataCache()
    old.store("devices", 5, "fw1")
    standin.state.collections[METADATA] = {}
    standin.state.add_kv(METADATA, "fmc1", {"stream": "fmc:8302", "state": old.to_json()})
    assert drive(splunk_python, app_dir, standin, 0, "legacy") == {"loaded": "fw1"}
    assert sorted(standin.state.kv_documents(METADATA)) == ["fmc1:devices:0"]
