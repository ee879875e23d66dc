"""FMC accounts: what the account page stores, checked and turned into TLS contexts.

The page stores the PKCS12 file base64-encoded and, like the password, encrypted in
splunkd's credential store (splunktaucclib / solnlib do the encryption; reading the
conf through a ``ConfManager`` with the account realm gives the clear values back).
The PKCS12 bytes and the password stay in memory: never logged, never in an exception
text, never written to a file.
"""

from __future__ import annotations

import base64
import binascii
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field

from estreamer.errors import ConfigurationError
from estreamer.stream import tls
from estreamer.stream.net import format_address
from estreamer_splunk import ACCOUNT_CONF, ACCOUNT_REALM
from estreamer_splunk.options import parse_bool

MASKED = ("******", "********")


@dataclass(frozen=True)
class Account:
    name: str
    host: str
    port: int
    pkcs12: bytes = field(repr=False)
    password: str = field(repr=False)
    verify: bool = True
    check_hostname: bool = False  # the chain is verified; the name only on request
    ca_pem: str = ""

    @property
    def address(self) -> str:
        return format_address(self.host, self.port)


def decode_pkcs12(text: str) -> bytes:
    """The PKCS12 bytes from the page's base64 text (white space and data: prefix allowed)."""
    if text in MASKED:
        raise ConfigurationError("the PKCS12 file was not read back from the credential store")
    text = text.strip()
    if text.startswith("data:") and "," in text:  # a browser data URL
        text = text.split(",", 1)[1]
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            "the PKCS12 file is not valid base64; upload the .pkcs12 file again") from None
    if not data:
        raise ConfigurationError("the PKCS12 file is empty; upload the .pkcs12 file the FMC "
                                 "offers for download")
    return data


def account_from_fields(name: str, fields: Mapping[str, object]) -> Account:
    """An Account from the stored (decrypted) fields; ConfigurationError naming the field."""
    host = str(fields.get("fmc_host") or "").strip()
    if not host:
        raise ConfigurationError(f"account {name}: FMC host is empty")
    try:
        port = int(str(fields.get("fmc_port") or "8302"))
    except ValueError:
        raise ConfigurationError(
            f"account {name}: port must be a number, not {fields.get('fmc_port')!r}") from None
    if not 0 < port < 65536:
        raise ConfigurationError(f"account {name}: port must be 1 to 65535, not {port}")
    password = str(fields.get("pkcs12_password") or "")
    if password in MASKED:
        raise ConfigurationError(f"account {name}: the PKCS12 password was not read back "
                                 "from the credential store")
    return Account(
        name=name, host=host, port=port,
        pkcs12=decode_pkcs12(str(fields.get("pkcs12_file") or "")),
        password=password,
        verify=parse_bool(fields.get("verify_server"), "verify_server", True),
        check_hostname=parse_bool(fields.get("check_hostname"), "check_hostname", False),
        ca_pem=str(fields.get("ca_pem") or "").strip())


def identity(account: Account) -> tls.ClientIdentity:
    """Open the account's PKCS12; ConfigurationError naming the cause (password, format,
    expiry) and the account."""
    try:
        return tls.load_pkcs12(account.pkcs12, account.password)
    except ConfigurationError as err:
        raise ConfigurationError(f"account {account.name}: {err}") from err


def ssl_context(account: Account, ident: tls.ClientIdentity | None = None) -> ssl.SSLContext:
    """TLS context for the account's FMC (verification as configured on the page); the
    page's CA certificate (PEM text) is used as it is, never written to a file."""
    ident = ident or identity(account)
    try:
        return tls.client_context(ident, verify=account.verify,
                                  cadata=account.ca_pem or None,
                                  check_hostname=account.check_hostname and account.verify)
    except ConfigurationError as err:
        raise ConfigurationError(f"account {account.name}: {err}") from err


def read_account(splunkd, name: str) -> Account:
    """Read one account (decrypted) from splunkd; ConfigurationError when it is missing."""
    from solnlib.conf_manager import ConfManagerException, ConfStanzaNotExistException

    try:
        conf = splunkd.conf_manager(realm=ACCOUNT_REALM).get_conf(ACCOUNT_CONF)
        fields = conf.get(name)
    except ConfStanzaNotExistException:
        raise ConfigurationError(
            f"FMC account {name!r} does not exist; create it under Configuration > "
            "FMC accounts or choose another account for the input") from None
    except ConfManagerException:
        raise ConfigurationError(
            f"FMC account {name!r} cannot be read: no FMC account is configured yet") from None
    return account_from_fields(name, fields)


def test_connection(account: Account, *, context: ssl.SSLContext | None = None,
                    timeout: float = 10.0) -> str:
    """Connect to the FMC and run the ``estreamer test`` exchange: the line it prints on
    success; EStreamerError naming the account and the cause otherwise."""
    from estreamer.errors import EStreamerError
    from estreamer.stream.diagnostics import check_connection

    context = context or ssl_context(account)
    try:
        return check_connection(account.host, account.port, context,
                                connect_timeout=timeout, response_timeout=timeout)
    except EStreamerError as err:
        raise type(err)(f"account {account.name}: {err}") from err
