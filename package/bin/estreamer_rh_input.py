"""REST handler of the estreamer inputs: deleting an input deletes its KV store state.

UCC's generated ``TA_estreamer_rh_estreamer.py`` uses this class. The bookmark and
metadata documents are keyed by input name (see ``estreamer_splunk.kvstore``); a new
input of the same name must not resume from an old one's bookmark. Runs inside
splunkd only (``splunk.admin``).
"""

from __future__ import annotations

import logging

# first: puts lib/ on sys.path, as UCC's own scripts do
import import_declare_test  # noqa: F401

# isort: split
from estreamer_splunk import BOOKMARK_COLLECTION, METADATA_COLLECTION
from estreamer_splunk.kvstore import KVBookmarkStore, KVCollection, KVMetadataStore
from estreamer_splunk.splunkd import Splunkd
from solnlib.splunkenv import get_splunkd_uri
from splunktaucclib.rest_handler.admin_external import AdminExternalHandler

log = logging.getLogger("estreamer_splunk.rh_input")


class InputHandler(AdminExternalHandler):
    def handleRemove(self, confInfo):
        name = str(self.callerArgs.id)
        splunkd = Splunkd.from_metadata({"server_uri": get_splunkd_uri(),
                                         "session_key": self.getSessionKey()})
        for collection, store in ((BOOKMARK_COLLECTION, KVBookmarkStore),
                                  (METADATA_COLLECTION, KVMetadataStore)):
            try:
                store(KVCollection(splunkd, collection, patient=False), name).delete()
            except Exception as err:  # the input is deleted anyway; say what stays behind
                log.error("input %s deleted, but its %s document was not: %s", name,
                          collection, err)
        AdminExternalHandler.handleRemove(self, confInfo)
