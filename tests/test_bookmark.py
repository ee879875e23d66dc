from __future__ import annotations

import json
import os
import random
from collections import Counter

import pytest

from estreamer.errors import BookmarkError
from estreamer.stream.bookmark import (
    Bookmark,
    FileBookmarkStore,
    MemoryBookmarkStore,
    Tracker,
    key_filename,
    record_digest,
)


def test_digest_is_16_hex_and_depends_on_every_byte():
    a = record_digest(b"\x00\x00\x00\x47" + b"x" * 40)
    b = record_digest(b"\x00\x00\x00\x47" + b"x" * 39 + b"y")
    assert len(a) == 16 and int(a, 16) >= 0
    assert a != b


def test_file_store_round_trip_and_missing(tmp_path):
    store = FileBookmarkStore(tmp_path / "state")
    assert store.load("10.0.0.1:8302") is None
    bm = Bookmark(1700000000, ["00" * 8, "00" * 8, "ab" * 8], sink={"path": "/x", "size": 3})
    store.save("10.0.0.1:8302", bm)
    assert store.load("10.0.0.1:8302") == bm
    assert os.path.basename(store.path("10.0.0.1:8302")) == "10.0.0.1-8302.bookmark.json"
    # only the bookmark file remains: no temporary files left behind
    assert os.listdir(tmp_path / "state") == ["10.0.0.1-8302.bookmark.json"]


def test_ipv6_key_is_file_safe():
    assert key_filename("[::1]:8302") == "---1--8302"


def test_file_store_rejects_garbage_with_path_in_message(tmp_path):
    store = FileBookmarkStore(tmp_path)
    with open(store.path("h:1"), "w") as handle:
        handle.write("{not json")
    with pytest.raises(BookmarkError, match=r"h-1\.bookmark\.json"):
        store.load("h:1")
    with open(store.path("h:1"), "w") as handle:
        json.dump({"version": 1, "second": -4, "digests": []}, handle)
    with pytest.raises(BookmarkError, match="second"):
        store.load("h:1")
    with open(store.path("h:1"), "w") as handle:
        json.dump({"version": 1, "second": 4, "digests": ["zz"]}, handle)
    with pytest.raises(BookmarkError, match="digests"):
        store.load("h:1")


def test_save_failure_is_a_bookmark_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = FileBookmarkStore(blocker / "sub")
    with pytest.raises(BookmarkError, match="cannot write bookmark"):
        store.save("h:1", Bookmark(5))


def test_memory_store_copies():
    store = MemoryBookmarkStore()
    bm = Bookmark(10, ["aa" * 8])
    store.save("k", bm)
    bm.digests["bb" * 8] += 1
    assert store.load("k") == Bookmark(10, ["aa" * 8])


def _records(seed: int, n: int) -> list[tuple[int, bytes]]:
    """(archive second, payload) in archive order; several per second, some identical."""
    rng = random.Random(seed)
    out: list[tuple[int, bytes]] = []
    second = 1_600_000_000
    for i in range(n):
        if rng.random() < 0.3:
            second += rng.randint(1, 3)
        if rng.random() < 0.1:
            out.append((0, b"meta%d" % i))  # no archive timestamp
        elif out and rng.random() < 0.05 and out[-1][0] == second:
            out.append(out[-1])  # byte-identical record in the same second
        else:
            out.append((second, b"r%d" % i))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_resume_after_cut_delivers_each_timestamped_record_once(seed):
    """Simulate a crash after delivering a prefix: the FMC re-sends from the bookmark's
    second (and may start at an earlier archive file); nothing is lost or doubled."""
    records = _records(seed, 300)
    rng = random.Random(seed)
    cut = rng.randint(0, len(records))
    delivered = []
    tracker = Tracker()
    tracker.begin_session()
    for second, payload in records[:cut]:
        assert tracker.is_new(second, payload)
        tracker.delivered(second, payload)
        delivered.append((second, payload))
    saved = Bookmark.from_dict(json.loads(json.dumps(tracker.bookmark().to_dict())))
    resumed = Tracker(saved)
    start = resumed.begin_session()
    # the server re-sends from an archive file that begins at or before `start`
    first = next((i for i, (s, _) in enumerate(records) if s and s >= start - 2), 0)
    for second, payload in records[first:]:
        if resumed.is_new(second, payload):
            resumed.delivered(second, payload)
            delivered.append((second, payload))
    timestamped = [r for r in records if r[0]]
    assert sorted(r for r in delivered if r[0]) == sorted(timestamped)


@pytest.mark.parametrize("seed", range(20))
def test_bookmarks_taken_at_any_moment_hold_the_digests_of_their_second(seed):
    """The tracker digests lazily (at bookmarks, or past its pending limit): a
    bookmark taken at any moment - mid-second, twice in one second, after a fold - is
    the one that digesting every record at once would give."""
    rng = random.Random(seed)
    records = _records(seed, 400)
    if seed % 2:  # long seconds: past the pending limit
        records = [(1_600_000_000 + i // 50, b"x%d" % (i % 7)) for i in range(400)]
    tracker = Tracker(Bookmark(1_500_000_000, ["aa" * 8]),
                      pending_limit=rng.choice((2, 5, 4096)))
    tracker.begin_session()
    second, digests = 1_500_000_000, Counter(["aa" * 8])
    for record_second, payload in records:
        assert tracker.is_new(record_second, payload)
        tracker.delivered(record_second, payload)
        if record_second > second:
            second, digests = record_second, Counter([record_digest(payload)])
        elif record_second == second and record_second:
            digests[record_digest(payload)] += 1
        if rng.random() < 0.2:
            assert tracker.bookmark() == Bookmark(second, digests)
    assert tracker.bookmark() == Bookmark(second, digests)
    assert tracker.digests == digests


def test_zero_timestamp_never_moves_bookmark():
    tracker = Tracker(Bookmark(50, ["aa" * 8]))
    tracker.begin_session()
    tracker.delivered(0, b"metadata")
    assert tracker.bookmark() == Bookmark(50, ["aa" * 8])


def test_older_second_is_skipped_after_resume():
    tracker = Tracker(Bookmark(50, [record_digest(b"a")]))
    assert tracker.begin_session() == 50
    assert not tracker.is_new(49, b"c")
    assert not tracker.is_new(50, b"a")
    assert tracker.is_new(50, b"a")  # a second identical record was not delivered yet
    assert tracker.is_new(50, b"b")
    assert tracker.is_new(51, b"a")
