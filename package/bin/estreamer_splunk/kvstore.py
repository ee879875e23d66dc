"""Bookmarks and metadata caches in splunkd's KV store, one document per input.

Implements the core's ``BookmarkStore`` and ``MetadataStore`` over solnlib's
``KVStoreCheckpointer`` (collections declared in ``collections.conf``). The document
key is the input name, so a search-head cluster or a rebuilt forwarder keeps its
position, and deleting the input deletes exactly its documents. The stream key the
core passes (``host:port`` of the primary FMC) is stored beside the state: when an
input is pointed at another address, the log says so.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from estreamer.bookmark import Bookmark
from estreamer.errors import BookmarkError, ConfigurationError
from estreamer.metadata import MetadataCache
from estreamer_splunk import BOOKMARK_COLLECTION, METADATA_COLLECTION

log = logging.getLogger("estreamer_splunk.kvstore")


def _kv_error(action: str, collection: str, err: Exception) -> BookmarkError:
    return BookmarkError(f"KV store {collection}: cannot {action} ({type(err).__name__}: "
                         f"{err}); check that the KV store is running")


class _Document:
    def __init__(self, checkpointer: Any, collection: str, input_name: str) -> None:
        self.checkpointer = checkpointer
        self.collection = collection
        self.input_name = input_name

    def get(self, stream_key: str) -> Any:
        try:
            doc = self.checkpointer.get(self.input_name)
        except Exception as err:
            raise _kv_error(f"read {self.input_name}", self.collection, err) from err
        if doc is None:
            return None
        if not isinstance(doc, dict) or "state" not in doc:
            raise BookmarkError(f"KV store {self.collection}/{self.input_name} holds no state "
                                "document; delete it to start over")
        if doc.get("stream") != stream_key:
            log.warning("input %s was streaming %s and now streams %s; resuming from the "
                        "stored %s", self.input_name, doc.get("stream"), stream_key,
                        self.collection)
        return doc["state"]

    def put(self, stream_key: str, state: Any) -> None:
        try:
            self.checkpointer.update(self.input_name, {"stream": stream_key, "state": state})
        except Exception as err:
            raise _kv_error(f"save {self.input_name}", self.collection, err) from err

    def delete(self) -> None:
        try:
            self.checkpointer.delete(self.input_name)
        except Exception as err:
            raise _kv_error(f"delete {self.input_name}", self.collection, err) from err


class KVBookmarkStore:
    """``estreamer.bookmark.BookmarkStore`` in the KV store, keyed by input name."""

    def __init__(self, checkpointer: Any, input_name: str) -> None:
        self._doc = _Document(checkpointer, BOOKMARK_COLLECTION, input_name)

    def load(self, key: str) -> Bookmark | None:
        state = self._doc.get(key)
        if state is None:
            return None
        try:
            return Bookmark.from_dict(state)
        except BookmarkError as err:
            raise BookmarkError(f"KV store bookmark of input {self._doc.input_name} is "
                                f"invalid: {err}") from err

    def save(self, key: str, bookmark: Bookmark) -> None:
        self._doc.put(key, bookmark.to_dict())

    def delete(self) -> None:
        self._doc.delete()


class KVMetadataStore:
    """The core's ``MetadataStore`` in the KV store (the cache's own JSON form)."""

    def __init__(self, checkpointer: Any, input_name: str) -> None:
        self._doc = _Document(checkpointer, METADATA_COLLECTION, input_name)

    def load(self, key: str) -> MetadataCache:
        state = self._doc.get(key)
        if state is None:
            return MetadataCache()
        try:
            return MetadataCache.from_json(state if isinstance(state, str) else json.dumps(state))
        except ConfigurationError as err:
            # names only decorate events: a bad cache is rebuilt from the stream
            log.warning("metadata cache of input %s is unreadable (%s); starting with an "
                        "empty one", self._doc.input_name, err)
            return MetadataCache()

    def save(self, key: str, cache: MetadataCache) -> None:
        self._doc.put(key, cache.to_json())

    def delete(self) -> None:
        self._doc.delete()
