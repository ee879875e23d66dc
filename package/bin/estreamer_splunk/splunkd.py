"""How this process reaches splunkd's REST API: always from the input's ``server_uri``.

solnlib's managers find splunkd themselves only inside a running Splunk (through the
private ``splunk`` module); given scheme, host and port explicitly they work
anywhere, so every manager is built here from the URI splunkd handed us.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from estreamer.errors import ConfigurationError
from estreamer_splunk import APP_NAME


@dataclass(frozen=True)
class Splunkd:
    """Access to splunkd's REST API (the session key is a secret: not in ``repr``)."""

    scheme: str
    host: str
    port: int
    session_key: str

    def __repr__(self) -> str:
        return f"Splunkd({self.scheme}://{self.host}:{self.port}, session_key=<hidden>)"

    @classmethod
    def from_metadata(cls, metadata: dict) -> Splunkd:
        """From splunklib's ``inputs.metadata`` / ``definition.metadata``."""
        uri = metadata.get("server_uri") or ""
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"splunkd server_uri {uri!r} is not an http(s) URI")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, metadata.get("session_key") or "")

    @property
    def context(self) -> dict:
        return {"scheme": self.scheme, "host": self.host, "port": self.port}

    def conf_manager(self, realm: str | None = None):
        from solnlib.conf_manager import ConfManager

        return ConfManager(self.session_key, APP_NAME, realm=realm, **self.context)

    def checkpointer(self, collection: str):
        from solnlib.modular_input.checkpointer import KVStoreCheckpointer

        return KVStoreCheckpointer(collection, self.session_key, APP_NAME, **self.context)
