"""Fake of splunkd's private ``splunk.admin`` (EAI handlers), just enough for
splunktaucclib's ``AdminExternalHandler`` and the add-on's handlers (tests only).

splunkd runs an ``admin_external`` handler script, which calls
``admin.init(HandlerClass, ctxInfo)``; the real module then takes the request from
splunkd. This fake reads the request as one JSON object on stdin::

    {"action": "create" | "edit" | "list" | "remove", "id": "<name>",
     "data": {"<field>": "<value>", ...}}

builds the handler (``requestedAction``, ``callerArgs``, ``supportedArgs``,
``getSessionKey()`` as splunkd provides them), runs ``setup()``, checks the required
and supported arguments as splunkd does, calls ``handle<Action>(confInfo)`` and
prints one JSON line: ``{"entries": {name: {field: value}}}`` (exit 0) or
``{"error": "<message>"}`` (exit 1; splunkd shows that message on the page).

With ``handlerpersistentmode = true`` (what UCC generates) splunkd starts the script
once with the argument ``persistent`` and sends it request after request; the real
module builds a new handler object for each request in the same process and takes the
session key from each request. So does this fake: with ``persistent`` it reads one
JSON request per line until end of input (a request may carry its own
``"session_key"``), answers each with one JSON line (errors included, with the
process id) and exits 0.
"""

from __future__ import annotations

import json
import os
import sys

ACTION_CREATE = 1
ACTION_EDIT = 2
ACTION_REMOVE = 4
ACTION_MEMBERS = 8
ACTION_LIST = 16
ACTION_RELOAD = 32
ACTIONS = {"create": ACTION_CREATE, "edit": ACTION_EDIT, "remove": ACTION_REMOVE,
           "list": ACTION_LIST}
HANDLERS = {ACTION_CREATE: "handleCreate", ACTION_EDIT: "handleEdit",
            ACTION_REMOVE: "handleRemove", ACTION_LIST: "handleList"}

CONTEXT_NONE = 0
CONTEXT_APP_ONLY = 1
CONTEXT_APP_AND_USER = 2


class AdminManagerException(Exception):
    pass


class ArgValidationException(AdminManagerException):
    pass


class BadActionException(AdminManagerException):
    pass


class NotFoundException(AdminManagerException):
    pass


class AlreadyExistsException(AdminManagerException):
    pass


class InternalException(AdminManagerException):
    pass


class PermissionsException(AdminManagerException):
    pass


class CallerArgs:
    def __init__(self, name, data):
        self.id = name
        self.data = data


class SupportedArgs:
    def __init__(self):
        self.required = []
        self.optional = []

    def addReqArg(self, name):
        self.required.append(name)

    def addOptArg(self, name):
        self.optional.append(name)


class ConfItem(dict):
    def __init__(self):
        super().__init__()
        self.metadata = {}

    def setMetadata(self, key, value):
        self.metadata[key] = value


class ConfInfo(dict):
    def __missing__(self, key):
        item = self[key] = ConfItem()
        return item


_REQUEST = {}


class MConfigHandler:
    def __init__(self, scriptMode=None, ctxInfo=None, *args, **kwargs):
        request = _REQUEST
        self.requestedAction = ACTIONS[request["action"]]
        data = {k: [v] for k, v in (request.get("data") or {}).items()}
        self.callerArgs = CallerArgs(request.get("id"), data)
        self.supportedArgs = SupportedArgs()
        self.context = ctxInfo
        self.appName = request.get("app", "TA_estreamer")
        self.userName = "nobody"

    def getSessionKey(self):
        from splunk import getSessionKey

        return _REQUEST.get("session_key") or getSessionKey()

    def setup(self):
        pass


def _check_args(handler):
    if handler.requestedAction not in (ACTION_CREATE, ACTION_EDIT):
        return
    supported = handler.supportedArgs
    missing = [n for n in supported.required if n not in handler.callerArgs.data]
    if missing:
        raise ArgValidationException(f"Missing argument(s): {', '.join(missing)}")
    unknown = [n for n in handler.callerArgs.data
               if n not in supported.required + supported.optional]
    if unknown:
        raise ArgValidationException(f"Argument(s) not supported: {', '.join(unknown)}")


def _answer(handler_class, ctxInfo, request):
    """One request, as splunkd's EAI layer runs it: (answer dict, ok)."""
    _REQUEST.clear()
    _REQUEST.update(request)
    try:
        handler = handler_class(0, ctxInfo)
        handler.setup()
        _check_args(handler)
        conf_info = ConfInfo()
        getattr(handler, HANDLERS[handler.requestedAction])(conf_info)
    except Exception as err:  # splunkd turns any exception into the page's message
        return {"error": str(err), "type": type(err).__name__}, False
    return {"entries": {k: dict(v) for k, v in conf_info.items()}}, True


def init(handler_class, ctxInfo=CONTEXT_NONE):
    if sys.argv[1:2] == ["persistent"]:
        for line in sys.stdin:
            if line.strip():
                answer, _ok = _answer(handler_class, ctxInfo, json.loads(line))
                answer["pid"] = os.getpid()
                sys.stdout.write(json.dumps(answer) + "\n")
                sys.stdout.flush()
        return
    answer, ok = _answer(handler_class, ctxInfo, json.loads(sys.stdin.read()))
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    if not ok:
        sys.exit(1)
