"""REST handler of Configuration > FMC accounts: saving an account checks it first.

UCC's generated ``TA_estreamer_rh_account.py`` uses this class (globalConfig.json
``restHandlerModule``/``restHandlerClass``). Before the account is stored, the PKCS12
must open with the password (the message names the cause: wrong password, not a
PKCS12, expired certificate) and build a TLS context with the verification settings;
with "Test the connection when saving" the FMC is also asked the ``estreamer test``
request. Runs inside splunkd only (``splunk.admin``).
"""

from __future__ import annotations

# first: puts lib/ on sys.path, as UCC's own scripts do
import import_declare_test  # noqa: F401

# isort: split
from estreamer_splunk import account
from estreamer_splunk.options import parse_bool
from splunktaucclib.rest_handler.admin_external import AdminExternalHandler

from estreamer.errors import EStreamerError
from splunk import admin


class AccountHandler(AdminExternalHandler):
    def _stored(self) -> dict:
        """The account as stored now (decrypted), for fields an edit leaves masked."""
        try:
            entities = list(self.handler.get(self.callerArgs.id, decrypt=True))
        except Exception:
            return {}
        return dict(entities[0].content) if entities else {}

    def _check(self, editing: bool = False) -> None:
        """The account as it will be stored: an edit may send only what changes, and
        the page sends the secrets back masked; both mean "as stored"."""
        given = dict(self.payload or {})
        masked = any(v in account.MASKED for v in given.values())
        stored = self._stored() if editing or masked else {}
        fields = {**stored, **{k: v for k, v in given.items() if v not in account.MASKED}}
        try:
            acct = account.account_from_fields(self.callerArgs.id, fields)
            context = account.ssl_context(acct, account.identity(acct))
            if parse_bool(fields.get("test_connection"), "test_connection", False):
                account.test_connection(acct, context=context)
        except EStreamerError as err:
            raise admin.ArgValidationException(str(err)) from None

    def handleCreate(self, confInfo):
        self._check()
        AdminExternalHandler.handleCreate(self, confInfo)

    def handleEdit(self, confInfo):
        if self.payload.get("disabled") is None:  # not a plain enable/disable
            self._check(editing=True)
        AdminExternalHandler.handleEdit(self, confInfo)
