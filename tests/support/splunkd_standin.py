"""A splunkd REST stand-in for tests: real HTTP on loopback, state in memory.

Implements what solnlib, splunklib and splunktaucclib call for a modular input and
the UCC account page (spec/SPLUNK_FACTS.md section 7): conf files through
``properties`` and ``configs/conf-*``, ``storage/passwords`` and the KV store
(``storage/collections/config`` and ``data``). Atom XML by default, JSON for
``output_mode=json`` and for every KV data endpoint; the status codes the libraries
rely on (404 missing, 409 exists, 201 created); ``Connection: Keep-Alive`` (splunklib
reads an empty body without it). Every request is recorded in ``calls``.

The KV store can misbehave as splunkd's does (``State.kv_unavailable``: 503 on every
``storage/collections`` call while it initializes after a restart, or while disabled;
``State.kv_refuse``: a collection's writes refused), and enforces its limits (a
document over 16 MB, a ``batch_save`` over 1,000 documents: 400). Each KV write is
recorded in ``State.kv_writes``.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from tests.support.certs import PKCS12_PASSWORD

#: MongoDB's document limit, which the KV store inherits
KV_DOCUMENT_LIMIT = 16 * 1024 * 1024
#: limits.conf [kvstore] max_documents_per_batch_save (default)
KV_BATCH_DOCUMENTS = 1000
KV_INITIALIZING = "KV Store is initializing. Please try again later."
KV_DISABLED = "KV Store is disabled."

SEP = "``splunk_cred_sep``"
END_MARK = SEP.join(["", "S", "P", "L", "U", "N", "K", ""])
CHUNK = 255


class NotFound(Exception):
    pass


class Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


class Conflict(Exception):
    pass


def _xml_value(value: Any) -> str:
    if isinstance(value, dict):
        keys = "".join(f"<s:key name={quoteattr(str(k))}>{_xml_value(v)}</s:key>"
                       for k, v in value.items())
        return f"<s:dict>{keys}</s:dict>"
    if isinstance(value, list):
        return "<s:list>" + "".join(f"<s:item>{_xml_value(v)}</s:item>" for v in value) + \
            "</s:list>"
    return escape("" if value is None else str(value))


class State:
    """What splunkd would hold: conf files, passwords, KV collections (thread-safe)."""

    def __init__(self, app: str) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.confs: dict[str, dict[str, dict[str, str]]] = {}
        self.passwords: dict[str, dict[str, str]] = {}   # "realm:user:" -> entry
        self.collections: dict[str, dict[str, dict[str, Any]]] = {}
        #: search/jobs/export: the POSTed arguments of each search, and the rows a test
        #: answers with (a function of those arguments)
        self.searches: list[dict[str, str]] = []
        self.search_results: Callable[[dict[str, str]], list[dict[str, Any]]] | None = None
        # KV misbehaviour: [text, requests left (None: until cleared)] of a 503 outage
        self.kv_outage: list[Any] | None = None
        self.kv_refuse: dict[str, tuple[int, str]] = {}   # collection -> refused writes
        self.kv_writes: list[tuple[str, int, int]] = []   # (collection, documents, bytes)

    def kv_unavailable(self, text: str | None = KV_INITIALIZING,
                       requests: int | None = None) -> None:
        """Answer 503 ``text`` to every KV store call (the next ``requests`` ones, or until
        called with None), as splunkd does while the KV store starts or is disabled."""
        with self.lock:
            self.kv_outage = None if text is None else [text, requests]

    def _kv_gate(self) -> None:
        """Raise the 503 of an outage (called with the lock held)."""
        if self.kv_outage is None:
            return
        text, left = self.kv_outage
        if left is not None:
            if left <= 0:
                self.kv_outage = None
                return
            self.kv_outage[1] = left - 1
        raise Refused(503, text)

    def kv_documents(self, collection: str) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {k: dict(v) for k, v in self.collections.get(collection, {}).items()}

    # helpers for tests ------------------------------------------------------------

    def add_account(self, conf: str, realm: str, name: str, fields: dict[str, str],
                    encrypted: dict[str, str]) -> None:
        """Store an account as splunktaucclib does: '******' in the conf, the clear
        values as one JSON blob in storage/passwords, in 255-character chunks."""
        stanza = dict(fields)
        for key in encrypted:
            stanza[key] = "******"
        blob = json.dumps(encrypted)
        chunks = [blob[i:i + CHUNK] for i in range(0, len(blob), CHUNK)] + [END_MARK]
        with self.lock:
            self.confs.setdefault(conf, {})[name] = stanza
            # saving an account again replaces all of its chunks (the new blob may be shorter)
            for key in [k for k, v in self.passwords.items()
                        if v["realm"] == realm and v["username"].startswith(f"{name}{SEP}")]:
                del self.passwords[key]
            for index, chunk in enumerate(chunks, 1):
                user = f"{name}{SEP}{index}"
                self.passwords[f"{realm}:{user}:"] = {
                    "realm": realm, "username": user, "clear_password": chunk}

    def add_conf(self, conf: str, stanzas: dict[str, dict[str, str]]) -> None:
        """A conf file as an app ships it in default/."""
        with self.lock:
            self.confs.setdefault(conf, {}).update({k: dict(v) for k, v in stanzas.items()})

    def add_input(self, input_type: str, name: str, params: dict[str, str]) -> None:
        """An input stanza ``<input_type>://<name>`` (served under data/inputs/<type>)."""
        with self.lock:
            self.confs.setdefault(f"inputs/{input_type}", {})[name] = dict(params)

    def inputs(self, input_type: str) -> dict[str, dict[str, str]]:
        with self.lock:
            return dict(self.confs.get(f"inputs/{input_type}", {}))

    def add_kv(self, collection: str, key: str, state: Any) -> None:
        """A document as solnlib's KVStoreCheckpointer saves it."""
        with self.lock:
            self.collections.setdefault(collection, {})[key] = {
                "_key": key, "state": json.dumps(state)}

    def kv_state(self, collection: str, key: str) -> Any:
        """The JSON state solnlib's KVStoreCheckpointer saved under ``key`` (or None)."""
        with self.lock:
            doc = self.collections.get(collection, {}).get(key)
        return None if doc is None else json.loads(doc["state"])


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client process that exits drops its keep-alive connection: not an error
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StandIn:
    """``with StandIn("TA_x") as sd: sd.uri`` - a splunkd stand-in on 127.0.0.1."""

    def __init__(self, app: str, session_key: str = "test-session-key") -> None:
        self.state = State(app)
        self.session_key = session_key
        self.calls: list[tuple[str, str]] = []
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = _Server(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    standin: StandIn

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    # plumbing -------------------------------------------------------------------

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "Keep-Alive")
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, text: str, as_json: bool) -> None:
        if as_json:
            self._send(status, json.dumps({"messages": [{"type": "ERROR", "text": text}]}),
                       "application/json")
        else:
            self._send(status, "<response><messages><msg type=\"ERROR\">"
                       f"{escape(text)}</msg></messages></response>", "text/xml")

    def _acl(self) -> dict[str, Any]:
        return {"app": self.standin.state.app, "owner": "nobody", "sharing": "app",
                "can_write": "1", "modifiable": "1", "removable": "1",
                "perms": {"read": ["*"], "write": ["admin"]}}

    def _feed(self, base: str, entries: list[tuple[str, dict[str, Any]]],
              as_json: bool) -> None:
        app = self.standin.state.app
        if as_json:
            body = {"links": {}, "origin": base, "updated": "2026-01-01T00:00:00+00:00",
                    "generator": {}, "messages": [],
                    "paging": {"total": len(entries), "perPage": 30, "offset": 0},
                    "entry": [{"name": name, "id": f"{base}/{name}",
                               "updated": "2026-01-01T00:00:00+00:00",
                               "links": {"alternate": f"/servicesNS/nobody/{app}/{base}/{name}"},
                               "author": "nobody", "acl": self._acl(),
                               "content": {**content, "eai:acl": self._acl()}}
                              for name, content in entries]}
            self._send(200, json.dumps(body), "application/json")
            return
        parts = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<feed xmlns="http://www.w3.org/2005/Atom" '
                 'xmlns:s="http://dev.splunk.com/ns/rest" '
                 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">',
                 f"<title>{escape(base)}</title>",
                 f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>",
                 "<opensearch:itemsPerPage>30</opensearch:itemsPerPage>",
                 "<opensearch:startIndex>0</opensearch:startIndex>"]
        for name, content in entries:
            href = f"/servicesNS/nobody/{app}/{base}/" + name.replace(":", "%3A")
            parts.append(
                f"<entry><title>{escape(name)}</title><id>{escape(href)}</id>"
                f"<updated>2026-01-01T00:00:00+00:00</updated>"
                f"<link href={quoteattr(href)} rel=\"alternate\"/>"
                "<author><name>nobody</name></author>"
                f"<content type=\"text/xml\">{_xml_value({**content, 'eai:acl': self._acl()})}"
                "</content></entry>")
        parts.append("</feed>")
        self._send(200, "".join(parts), "text/xml")

    def _route(self, method: str) -> None:
        standin = self.standin
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        is_json_body = (self.headers.get("Content-Type") or "").startswith("application/json")
        form = {} if is_json_body else {
            k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        as_json = (query.get("output_mode") or form.get("output_mode")) == "json"
        standin.calls.append((method, split.path))
        auth = self.headers.get("Authorization") or ""
        if auth not in (f"Splunk {standin.session_key}", f"Bearer {standin.session_key}"):
            self._error(401, "call not properly authenticated", as_json)
            return
        segments = split.path.strip("/").split("/")
        if segments[0] == "servicesNS" and len(segments) >= 3:
            rest = segments[3:]
        elif segments[0] == "services":
            rest = segments[1:]
        else:
            self._error(404, f"unknown path {split.path}", as_json)
            return
        try:
            self._dispatch(method, rest, query, form, raw, as_json)
        except NotFound as err:
            self._error(404, str(err), as_json or "collections" in rest[:2])
        except Conflict as err:
            self._error(409, str(err), as_json)
        except Refused as err:
            self._error(err.status, str(err), as_json or "collections" in rest[:2])

    def _dispatch(self, method: str, rest: list[str], query: dict[str, str],
                  form: dict[str, str], raw: bytes, as_json: bool) -> None:
        state = self.standin.state
        head = rest[0] if rest else ""
        if head == "properties":
            with state.lock:
                if method == "POST" and len(rest) == 1:
                    name = form.get("__conf", "")
                    existed = name in state.confs
                    state.confs.setdefault(name, {})
                    self._send(303 if existed else 201, "", "text/xml")
                    return
                conf = state.confs.get(unquote(rest[1])) if len(rest) > 1 else None
                if conf is None:
                    raise NotFound(f"conf {'/'.join(rest[1:])} does not exist")
                entries = [(name, {}) for name in conf]
            self._feed(f"properties/{rest[1]}", entries, as_json)
            return
        if head.startswith("conf-") or (head == "configs" and len(rest) > 1):
            if head == "configs":
                rest = rest[1:]
            self._conf(method, unquote(rest[0])[len("conf-"):], rest[1:], query, form, as_json)
            return
        if head == "storage" and len(rest) > 1 and rest[1] == "passwords":
            self._passwords(method, "/".join(rest[2:]), query, form, as_json)
            return
        if head == "storage" and len(rest) > 2 and rest[1] == "collections":
            with state.lock:
                state._kv_gate()
            if rest[2] == "config":
                self._collections_config(method, [r for r in rest[3:] if r], query, form,
                                         as_json)
            else:
                self._kv(method, [unquote(r) for r in rest[3:]], query, raw)
            return
        if head == "data" and rest[1:2] == ["inputs"] and len(rest) > 2:
            # data/inputs/<type>[/<name>] (UCC's input handler): the input stanzas
            self._conf(method, f"inputs/{unquote(rest[2])}", rest[3:], query, form, as_json,
                       base=f"data/inputs/{rest[2]}")
            return
        if head == "search" and rest[1:] == ["jobs", "export"] and method == "POST":
            # the pcap handler's search: JSON lines, one {"result": row} per row
            state.searches.append(dict(form))
            rows = state.search_results(form) if state.search_results else []
            self._send(200, "".join(json.dumps({"preview": False, "offset": i, "result": row})
                                    + "\n" for i, row in enumerate(rows)), "application/json")
            return
        if head == "server" and rest[1:] == ["info"]:
            self._feed("server/info", [("server-info", {"version": "9.4.0",
                                                        "serverName": "standin",
                                                        "kvStoreStatus": "ready"})], as_json)
            return
        raise NotFound(f"unknown endpoint {'/'.join(rest)}")

    def _conf(self, method: str, conf_name: str, rest: list[str], query: dict[str, str],
              form: dict[str, str], as_json: bool, base: str = "") -> None:
        state = self.standin.state
        base = base or f"configs/conf-{conf_name}"
        fields = {k: v for k, v in form.items() if k not in ("name", "output_mode")}
        with state.lock:
            conf = state.confs.get(conf_name)
            if rest and rest[0] == "_reload":
                self._send(200, "", "text/xml")
                return
            if not rest:
                if method == "POST":
                    name = form.get("name", "")
                    conf = state.confs.setdefault(conf_name, {})
                    if name in conf:
                        raise Conflict(f"An object with name={name} already exists")
                    conf[name] = fields
                    entries = [(name, dict(fields))]
                else:
                    if conf is None:
                        raise NotFound(f"conf {conf_name} does not exist")
                    entries = [(n, dict(c)) for n, c in conf.items()
                               if not query.get("name") or n == query["name"]]
            else:
                stanza = unquote(rest[0])
                if conf is None or stanza not in conf:
                    raise NotFound(f"Could not find object id={stanza}")
                if method == "DELETE":
                    del conf[stanza]
                    entries = []
                else:
                    if method == "POST":
                        conf[stanza].update(fields)
                    entries = [(stanza, dict(conf[stanza]))]
        for _, content in entries:
            content.setdefault("disabled", "0")
            content.setdefault("eai:appName", state.app)
            content.setdefault("eai:userName", "nobody")
        self._feed(base, entries, as_json)

    def _passwords(self, method: str, name: str, query: dict[str, str],
                   form: dict[str, str], as_json: bool) -> None:
        state = self.standin.state
        name = unquote(name)
        with state.lock:
            if not name and method == "POST":
                realm, user = form.get("realm", ""), form.get("name", "")
                key = f"{realm}:{user}:"
                if key in state.passwords:
                    raise Conflict(f"An object with name={key} already exists")
                state.passwords[key] = {"realm": realm, "username": user,
                                        "clear_password": form.get("password", "")}
                entries = [(key, state.passwords[key])]
                status = 201
            elif name:
                if name not in state.passwords:
                    raise NotFound(f"Could not find object id={name}")
                if method == "DELETE":
                    del state.passwords[name]
                    entries = []
                else:
                    if method == "POST":
                        state.passwords[name]["clear_password"] = form.get("password", "")
                    entries = [(name, state.passwords[name])]
                status = 200
            else:
                realm = ""
                search = query.get("search", "")
                if search.startswith("realm="):
                    realm = search[len("realm="):]
                entries = [(k, v) for k, v in state.passwords.items()
                           if not realm or v["realm"] == realm]
                status = 200
            entries = [(k, {**v, "password": "********", "encr_password": "$7$hidden"})
                       for k, v in entries]
        self._feed_status(status, "storage/passwords", entries, as_json)

    def _feed_status(self, status: int, base: str, entries: list[tuple[str, dict]],
                     as_json: bool) -> None:
        if status == 200:
            self._feed(base, entries, as_json)
            return
        # splunklib insists on 201 for a created password: render the feed with it
        original = self._send

        def send(_status: int, body: str, content_type: str) -> None:
            original(status, body, content_type)

        self._send = send  # type: ignore[method-assign]
        try:
            self._feed(base, entries, as_json)
        finally:
            self._send = original  # type: ignore[method-assign]

    def _collections_config(self, method: str, rest: list[str], query: dict[str, str],
                            form: dict[str, str], as_json: bool) -> None:
        state = self.standin.state
        with state.lock:
            if method == "POST" and not rest:
                name = form.get("name", "")
                if name in state.collections:
                    raise Conflict(f"collection {name} already exists")
                state.collections[name] = {}
                entries = [(name, {})]
                status = 201
            elif rest:
                name = unquote(rest[0])
                if name not in state.collections:
                    raise NotFound(f"collection {name} does not exist")
                if method == "DELETE":
                    del state.collections[name]
                entries = [(name, {})]
                status = 200
            else:
                search = query.get("search", "")
                entries = [(n, {}) for n in state.collections if not search or search in n]
                status = 200
        self._feed_status(status, "storage/collections/config", entries, as_json)

    def _kv(self, method: str, rest: list[str], query: dict[str, str], raw: bytes) -> None:
        state = self.standin.state
        if not rest:
            raise NotFound("no collection named")
        with state.lock:
            docs = state.collections.get(rest[0])
            if docs is None:
                raise NotFound(f"collection {rest[0]} does not exist")
            tail = rest[1:]
            if method == "POST":
                refused = state.kv_refuse.get(rest[0])
                if refused is not None:
                    raise Refused(*refused)
                body = json.loads(raw or b"[]" if tail == ["batch_save"] else raw or b"{}")
                batch = body if tail == ["batch_save"] else [body]
                if len(batch) > KV_BATCH_DOCUMENTS:
                    raise Refused(400, f"batch_save of {len(batch)} documents is over "
                                       f"max_documents_per_batch_save={KV_BATCH_DOCUMENTS}")
                for doc in batch:
                    if len(json.dumps(doc).encode("utf-8")) > KV_DOCUMENT_LIMIT:
                        raise Refused(400, "document is over the maximum size of "
                                           f"{KV_DOCUMENT_LIMIT} bytes")
                state.kv_writes.append((rest[0], len(batch), len(raw)))
            if tail == ["batch_save"] and method == "POST":
                keys = []
                for doc in batch:
                    key = doc.get("_key") or uuid.uuid4().hex
                    docs[key] = {**doc, "_key": key}
                    keys.append(key)
                result: Any = keys
            elif tail:
                key = tail[0]
                if method == "DELETE":
                    if key not in docs:
                        raise NotFound(f"Could not find object id={key}")
                    del docs[key]
                    result = ""
                elif method == "POST":
                    docs[key] = {**batch[0], "_key": key}
                    result = {"_key": key}
                else:
                    if key not in docs:
                        raise NotFound(f"Could not find object id={key}")
                    result = docs[key]
            elif method == "POST":
                key = batch[0].get("_key") or uuid.uuid4().hex
                docs[key] = {**batch[0], "_key": key}
                result = {"_key": key}
            else:
                where = json.loads(query.get("query") or "{}")
                chosen = [k for k, d in docs.items()
                          if all(d.get(f) == v for f, v in where.items())]
                if method == "DELETE":
                    for key in chosen:
                        del docs[key]
                    result = ""
                else:
                    if query.get("sort") == "_key":
                        chosen.sort()
                    skip = int(query.get("skip") or 0)
                    limit = int(query.get("limit") or 0)
                    chosen = chosen[skip:skip + limit] if limit else chosen[skip:]
                    result = [docs[k] for k in chosen]
        self._send(200, json.dumps(result) if result != "" else "", "application/json")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")


#: the add-on's account conf and the realm of its credentials (UCC's naming)
ACCOUNT_CONF = "ta_estreamer_account"
REALM = f"__REST_CREDENTIAL__#TA_estreamer#configs/conf-{ACCOUNT_CONF}"


def add_account(standin: StandIn, name: str, host: str, port: int, pkcs12: bytes,
                password: str = PKCS12_PASSWORD, **fields: str) -> None:
    """An FMC account as the UCC account page stores it."""
    standin.state.add_account(
        ACCOUNT_CONF, REALM, name,
        {"fmc_host": host, "fmc_port": str(port), "verify_server": "1",
         "check_hostname": "1", **fields},
        {"pkcs12_file": base64.b64encode(pkcs12).decode("ascii"),
         "pkcs12_password": password})
