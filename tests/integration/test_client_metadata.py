"""The live client and its metadata cache store: best effort, incremental, never the
bookmark's master (simulator over loopback TLS)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from estreamer.errors import TransportError
from estreamer.records.metadata import MetadataCache
from estreamer.stream.bookmark import FileBookmarkStore
from estreamer.stream.client import FileMetadataStore
from estreamer.stream.outputs import CollectingSink
from tests.support.live import assert_exactly_once, event_count, make_client


class RefusingStore(FileMetadataStore):
    """A metadata store whose saves fail, like a KV store that rejects the document."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.attempts = 0

    def save(self, key: str, cache: MetadataCache) -> None:
        self.attempts += 1
        raise TransportError("KV store TA_estreamer_metadata: HTTP 503 KV Store is disabled")


class CountingStore(FileMetadataStore):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.written: list[tuple[str, int]] = []

    def save(self, key: str, cache: MetadataCache) -> None:
        self.written.extend(cache.changed_parts())
        super().save(key, cache)


def test_a_failing_metadata_save_never_holds_the_bookmark_back(
        simulator, client_context, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 10 item 1: two runs with a store that refuses every metadata save must not
    index the same window twice (the second resumes from the first's bookmark)."""
    sim = simulator(records=600, bundle_size=50)
    expected = event_count(sim.archive)
    sink = CollectingSink()
    bookmarks = FileBookmarkStore(tmp_path)
    refusing = RefusingStore(tmp_path)
    first = make_client(sim, client_context, sink, bookmarks, metadata=refusing,
                        max_events=expected // 2)
    with caplog.at_level(logging.WARNING, "estreamer.client"):
        status = first.run()   # no exception: the stream is fine
    assert status.handled == expected // 2
    assert status.metadata_save_errors >= 1 and refusing.attempts >= 1
    assert "metadata cache not saved" in status.last_error
    assert bookmarks.load(first.key).second > 0
    warnings = [r.getMessage() for r in caplog.records if "metadata cache" in r.getMessage()]
    assert len(warnings) == 1 and "retried" in warnings[0]   # logged once, not per attempt

    second = make_client(sim, client_context, sink, bookmarks, metadata=refusing,
                         max_events=expected - expected // 2)
    second.run()
    assert_exactly_once(sink, expected)   # no replay


def test_metadata_files_are_written_per_part_and_only_when_they_change(
        simulator, client_context, tmp_path: Path) -> None:
    sim = simulator(records=300)
    expected = event_count(sim.archive)
    bookmarks = FileBookmarkStore(tmp_path)
    store = CountingStore(tmp_path)
    client = make_client(sim, client_context, CollectingSink(), bookmarks, metadata=store,
                         max_events=expected // 2)
    client.run()
    folder = Path(store.path(client.key))
    files = sorted(p.name for p in folder.iterdir())
    assert files and all(name.endswith(".0.json") for name in files)   # small tables
    assert len(store.written) == len(files)
    devices = MetadataCache.parse_part((folder / "devices.0.json").read_text())
    assert devices[0] == "devices" and devices[2]

    # the simulator serves the same metadata again: nothing new, nothing written
    store.written.clear()
    again = make_client(sim, client_context, CollectingSink(), bookmarks, metadata=store,
                        max_events=expected - expected // 2)
    again.run()
    assert store.written == []
    assert len(again.cache) == len(client.cache)


def test_a_damaged_part_is_set_aside_and_the_rest_loaded(tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    store = FileMetadataStore(tmp_path)
    cache = MetadataCache()
    cache.store("devices", 5, "fw1")
    cache.store("zones", "z-1", "inside")
    store.save("fmc:8302", cache)
    folder = Path(store.path("fmc:8302"))
    (folder / "zones.0.json").write_bytes(b"\x00\xff garbage")
    with caplog.at_level(logging.WARNING):
        loaded = store.load("fmc:8302")
    assert loaded.lookup("devices", 5) == "fw1" and loaded.lookup("zones", "z-1") is None
    assert [p.name.split(".damaged-")[0] for p in folder.iterdir() if ".damaged-" in p.name] \
        == ["zones.0.json"]
    assert len(caplog.records) == 1 and "zones.0.json" in caplog.records[0].getMessage()


def test_the_single_file_of_earlier_versions_is_read_then_replaced(tmp_path: Path) -> None:
    store = FileMetadataStore(tmp_path)
    old = MetadataCache()
    old.store("devices", 5, "fw1")
    old.save(tmp_path / "fmc-8302.metadata.json")
    loaded = store.load("fmc:8302")
    assert loaded.lookup("devices", 5) == "fw1" and loaded.changed
    store.save("fmc:8302", loaded)
    assert not (tmp_path / "fmc-8302.metadata.json").exists()
    assert store.load("fmc:8302").lookup("devices", 5) == "fw1"


def test_an_unwritable_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be")
    cache = MetadataCache()
    cache.store("devices", 5, "fw1")
    with pytest.raises(TransportError, match=r"cannot save metadata cache in .*writable"):
        FileMetadataStore(blocker).save("fmc:8302", cache)
    assert cache.changed   # still to be saved at the next checkpoint
