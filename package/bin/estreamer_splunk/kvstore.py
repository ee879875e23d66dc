"""Bookmarks and metadata caches in splunkd's KV store (collections of ``collections.conf``).

* Bookmark: one document per input, ``_key`` = the input name, ``state`` = JSON text
  ``{"stream": <host:port>, "state": <bookmark>}`` (the form solnlib's
  ``KVStoreCheckpointer`` writes; bookmarks of earlier versions are read as they are).
  The stream key is stored beside the state: when an input is pointed at another
  address, the log says so.
* Metadata cache: one document per part of a table (``estreamer.records.metadata``: at most
  2,000 names each, far below the KV store's 16 MB document limit), ``_key`` =
  ``<input>:<table>:<part>``, fields ``input``, ``table``, ``part`` and ``state`` (the
  part's JSON text). A save writes only the parts that changed, in ``batch_save``
  requests within the KV store's batch limits, and is best effort: the client logs a
  failure, counts it and retries later, and never holds the bookmark back for it. The
  single document per input of earlier versions is read once and deleted after the
  first save.

Deleting an input deletes exactly its documents (the REST handler calls ``delete``).

splunkd answers 503 while the KV store starts (after a restart) and while it is
disabled. Reading and bookmark writes then wait with exponential backoff (1 s doubling
to 60 s), saying so in the log and through ``on_wait`` (the input's status), until the
KV store answers or the input is stopped; nothing crash-loops. Metadata saves do not
wait (they are retried at a later checkpoint).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from typing import Any, Callable, TypeVar

from estreamer.errors import BookmarkError, ConfigurationError
from estreamer.records.metadata import MetadataCache
from estreamer.stream.bookmark import Bookmark
from estreamer_splunk import APP_NAME, BOOKMARK_COLLECTION, METADATA_COLLECTION

log = logging.getLogger("estreamer_splunk.kvstore")

T = TypeVar("T")

#: The KV store refuses a document over 16 MB (MongoDB's limit) and, by default
#: (limits.conf [kvstore]), a batch_save of more than 1,000 documents or 50 MB, and a
#: query result over 50 MB. We stay well inside each.
DOCUMENT_LIMIT = 16 * 1024 * 1024
BATCH_DOCUMENTS = 500
BATCH_BYTES = 32 * 1024 * 1024
#: documents per page when reading an input's metadata parts (each some 100 KB)
PAGE = 50
#: waiting out a 503: first delay and longest delay, in seconds
WAIT_FIRST, WAIT_MAX = 1.0, 60.0


def _detail(err: Exception) -> str:
    """splunkd's own message of an HTTP error (the KV store endpoints answer JSON)."""
    body = getattr(err, "body", b"")
    try:
        messages = json.loads(body)["messages"]
        return "; ".join(str(m["text"]) for m in messages)
    except (ValueError, KeyError, TypeError):
        return str(err)


class KVCollection:
    """One KV store collection, reached as solnlib's ``KVStoreCheckpointer`` reaches it
    (splunklib's ``KVStoreCollectionData`` through solnlib's ``SplunkRestClient``, the
    collection created when missing), plus waiting out a 503.

    ``stop`` ends a wait (the input is stopping); ``on_wait`` is told each wait's
    message, then None once the KV store answers again. ``patient=False`` never waits
    (a REST handler answering the UI).
    """

    def __init__(self, splunkd: Any, name: str, *, stop: threading.Event | None = None,
                 on_wait: Callable[[str | None], None] | None = None, patient: bool = True,
                 first: float = WAIT_FIRST, longest: float = WAIT_MAX) -> None:
        self.splunkd = splunkd
        self.name = name
        self.patient = patient
        self.stop = stop or threading.Event()
        self.on_wait = on_wait
        self.first = first
        self.longest = longest
        self._data: Any = None

    def _connect(self) -> Any:
        from solnlib.splunk_rest_client import SplunkRestClient
        from splunklib.binding import HTTPError

        kvstore = SplunkRestClient(self.splunkd.session_key, APP_NAME, owner="nobody",
                                   **self.splunkd.context).kvstore
        try:
            kvstore.get(name=self.name)
        except HTTPError as err:
            if err.status != 404:
                raise
            try:
                kvstore.create(self.name, fields={"state": "string"})
            except HTTPError as taken:
                if taken.status != 409:  # 409: another input created it meanwhile
                    raise
        for collection in kvstore.list(search=self.name):
            if collection.name == self.name:
                return collection.data
        raise BookmarkError(f"KV store collection {self.name} cannot be created")

    def call(self, action: str, fn: Callable[[Any], T], *, wait: bool = True) -> T:
        """``fn(collection data)``; a 503 is waited out (``wait``) or a BookmarkError, as is
        any other failure, naming the collection, the action and splunkd's answer."""
        from splunklib.binding import HTTPError

        delay = self.first
        waited = False
        while True:
            try:
                if self._data is None:
                    self._data = self._connect()
                result = fn(self._data)
            except HTTPError as err:
                if err.status != 503 or not (wait and self.patient):
                    raise BookmarkError(f"KV store {self.name}: cannot {action} (HTTP "
                                        f"{err.status}: {_detail(err)})") from err
                if self.stop.is_set():
                    raise BookmarkError(f"KV store {self.name}: cannot {action}: still "
                                        f"unavailable when the input stopped "
                                        f"({_detail(err)})") from err
                message = (f"KV store unavailable (HTTP 503: {_detail(err)}): it answers so "
                           "while it starts after a splunkd restart, or when it is disabled "
                           f"(server.conf [kvstore]); waiting {delay:.0f}s to {action}")
                log.warning("%s", message)
                if self.on_wait is not None:
                    self.on_wait(message)
                waited = True
                if self.stop.wait(delay):
                    continue  # one last try, then the stop is reported above
                delay = min(delay * 2, self.longest)
                continue
            except BookmarkError:
                raise
            except Exception as err:
                raise BookmarkError(f"KV store {self.name}: cannot {action} "
                                    f"({type(err).__name__}: {err}); check that the KV "
                                    "store is running") from err
            if waited:
                log.info("KV store %s answers again", self.name)
                if self.on_wait is not None:
                    self.on_wait(None)
            return result

    # --- the operations the stores need --------------------------------------------

    def get(self, key: str) -> dict | None:
        from splunklib.binding import HTTPError

        def get(data: Any) -> dict | None:
            try:
                return data.query_by_id(key)  # type: ignore[no-any-return]
            except HTTPError as err:
                if err.status == 404:
                    return None
                raise

        return self.call(f"read {key}", get)

    def query(self, query: dict) -> list[dict]:
        """Every document matching ``query``, read page by page."""
        out: list[dict] = []
        while True:
            page = self.call(f"read {json.dumps(query)}", lambda data: data.query(
                query=json.dumps(query), sort="_key", limit=PAGE, skip=len(out)))
            out.extend(page)
            if len(page) < PAGE:
                return out

    def save(self, documents: Sequence[dict], *, wait: bool = True) -> int:
        """``batch_save`` in batches within the KV store's limits; the requests sent."""
        requests = 0
        batch: list[dict] = []
        size = 0
        for doc in documents:
            doc_size = len(json.dumps(doc).encode("utf-8"))
            if batch and (len(batch) >= BATCH_DOCUMENTS or size + doc_size > BATCH_BYTES):
                self._save_batch(batch, wait)
                requests += 1
                batch, size = [], 0
            batch.append(doc)
            size += doc_size
        if batch:
            self._save_batch(batch, wait)
            requests += 1
        return requests

    def _save_batch(self, batch: list[dict], wait: bool) -> None:
        keys = ", ".join(doc["_key"] for doc in batch[:3]) + (" ..." if len(batch) > 3 else "")
        self.call(f"save {keys}", lambda data: data.batch_save(*batch), wait=wait)

    def delete(self, key: str, *, wait: bool = True) -> None:
        from splunklib.binding import HTTPError

        def delete(data: Any) -> None:
            try:
                data.delete_by_id(key)
            except HTTPError as err:
                if err.status != 404:
                    raise

        self.call(f"delete {key}", delete, wait=wait)

    def delete_where(self, query: dict) -> None:
        self.call(f"delete {json.dumps(query)}", lambda data: data.delete(json.dumps(query)))


class KVBookmarkStore:
    """``estreamer.stream.bookmark.BookmarkStore`` in the KV store, keyed by input name."""

    def __init__(self, collection: KVCollection, input_name: str) -> None:
        self.collection = collection
        self.input_name = input_name

    def load(self, key: str) -> Bookmark | None:
        doc = self.collection.get(self.input_name)
        if doc is None:
            return None
        try:
            wrapper = json.loads(doc["state"])
            state = wrapper["state"]
        except (ValueError, KeyError, TypeError) as err:
            raise BookmarkError(f"KV store {self.collection.name}/{self.input_name} holds no "
                                "bookmark; delete it to start over") from err
        if wrapper.get("stream") != key:
            log.warning("input %s was streaming %s and now streams %s; resuming from the "
                        "stored bookmark", self.input_name, wrapper.get("stream"), key)
        try:
            return Bookmark.from_dict(state)
        except BookmarkError as err:
            raise BookmarkError(f"KV store bookmark of input {self.input_name} is "
                                f"invalid: {err}") from err

    def save(self, key: str, bookmark: Bookmark) -> None:
        self.collection.save([{"_key": self.input_name, "state": json.dumps(
            {"stream": key, "state": bookmark.to_dict()})}])

    def delete(self) -> None:
        self.collection.delete(self.input_name)


class KVMetadataStore:
    """The core's ``MetadataStore`` in the KV store: a document per part of a table."""

    def __init__(self, collection: KVCollection, input_name: str) -> None:
        self.collection = collection
        self.input_name = input_name
        self.requests = 0           # batch_save requests sent (for tests and figures)
        self._legacy = False        # the earlier single document is still there

    def _key(self, table: str, part: int) -> str:
        return f"{self.input_name}:{table}:{part}"

    def load(self, key: str) -> MetadataCache:
        cache = MetadataCache()
        parts = []
        for doc in self.collection.query({"input": self.input_name}):
            try:
                parts.append(MetadataCache.parse_part(doc.get("state", "")))
            except ConfigurationError as err:
                # names only decorate events: a damaged part is learned again
                log.warning("metadata cache document %s of input %s is damaged (%s); its "
                            "names are learned again from the stream", doc.get("_key"),
                            self.input_name, err)
        cache.add_parts(parts)
        legacy = self.collection.get(self.input_name)
        if legacy is not None:
            self._legacy = True
            try:
                cache.merge(MetadataCache.from_json(json.loads(legacy["state"])["state"]))
            except (ValueError, KeyError, TypeError, ConfigurationError) as err:
                log.warning("metadata cache of input %s (earlier single document) is "
                            "unreadable (%s); its names are learned again from the stream",
                            self.input_name, err)
            cache.mark_all_changed()
        return cache

    def save(self, key: str, cache: MetadataCache) -> None:
        changed = cache.changed_parts()
        documents, empty, too_big = [], [], []
        for (table, part), text in changed.items():
            doc_key = self._key(table, part)
            if text is None:
                empty.append(doc_key)
                continue
            doc = {"_key": doc_key, "input": self.input_name, "table": table, "part": part,
                   "state": text}
            if len(json.dumps(doc).encode("utf-8")) >= DOCUMENT_LIMIT:
                too_big.append(doc_key)
                continue
            documents.append(doc)
        # no waiting here: a metadata save is retried at a later checkpoint
        if documents:
            self.requests += self.collection.save(documents, wait=False)
        for doc_key in empty:
            self.collection.delete(doc_key, wait=False)
        cache.mark_saved(p for p in changed if self._key(*p) not in too_big)
        if self._legacy:
            self.collection.delete(self.input_name, wait=False)
            self._legacy = False
        if too_big:
            raise BookmarkError(f"KV store {self.collection.name}: {', '.join(too_big)} over "
                                "the 16 MB document limit, not saved")

    def delete(self) -> None:
        self.collection.delete_where({"input": self.input_name})
        self.collection.delete(self.input_name)  # the single document of earlier versions


def stores(splunkd: Any, input_name: str, *, stop: threading.Event | None = None,
           on_wait: Callable[[str | None], None] | None = None
           ) -> tuple[KVBookmarkStore, KVMetadataStore]:
    """The bookmark and metadata stores of an input."""
    def collection(name: str) -> KVCollection:
        return KVCollection(splunkd, name, stop=stop, on_wait=on_wait)

    return (KVBookmarkStore(collection(BOOKMARK_COLLECTION), input_name),
            KVMetadataStore(collection(METADATA_COLLECTION), input_name))
