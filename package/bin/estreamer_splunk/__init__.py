"""Splunk glue of the eStreamer add-on (layer 4 of docs/design.md).

Ships in the add-on's ``bin/``; splunkd puts that directory on ``sys.path`` for the
input and REST handler scripts, so no path manipulation is needed. It drives the
core client (package ``estreamer`` in ``lib/``) and knows no protocol details.
"""

from __future__ import annotations

#: The add-on id (UCC ``meta.name``); also the app namespace of every REST call.
APP_NAME = "TA_estreamer"
#: Conf files UCC generates from globalConfig.json.
ACCOUNT_CONF = "ta_estreamer_account"
SETTINGS_CONF = "ta_estreamer_settings"
#: splunktaucclib's realm for encrypted fields of the account conf.
ACCOUNT_REALM = f"__REST_CREDENTIAL__#{APP_NAME}#configs/conf-{ACCOUNT_CONF}"
#: KV store collections (collections.conf): bookmarks and metadata caches, keyed by input.
BOOKMARK_COLLECTION = "TA_estreamer_bookmarks"
METADATA_COLLECTION = "TA_estreamer_metadata"

SOURCETYPE_DATA = "cisco:estreamer:data"
#: the records without zero values (event_format "splunk-sparse") and values only
#: ("splunk-lean"); the add-on's knowledge gives them the fields of SOURCETYPE_DATA
SOURCETYPE_SPARSE = "cisco:estreamer:sparse"
SOURCETYPE_LEAN = "cisco:estreamer:lean"
SOURCETYPE_SI = "cisco:estreamer:si"
#: the Security Cloud JSON format (event_format "sfw"), the sourcetype ESCU reads
SOURCETYPE_SFW = "cisco:sfw:estreamer"
SOURCETYPE_LOG = "cisco:estreamer:log"
SOURCETYPE_STATUS = "cisco:estreamer:status"
