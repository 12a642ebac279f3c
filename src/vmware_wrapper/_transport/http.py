"""HTTP connections beside SOAP, all made the same way: to the server (vAPI REST, version
negotiation) or to one of its hosts (guest file transfers), with the session's TLS settings
(verification, pinning, private CA) and its request timeout.

    connector = HttpConnector("https", "vc.example.com", 443, ssl_context, timeout=120)
    connection = connector.connect()                           # the server itself
    connection, target = connector.connect_url("https://*/guestFile?id=1")  # "*": the server
"""

from __future__ import annotations

import http.client
import ssl
import urllib.parse
from dataclasses import dataclass


@dataclass(frozen=True)
class HttpConnector:
    protocol: str  # "https" or "http"
    host: str
    port: int
    ssl_context: ssl.SSLContext | None
    timeout: float

    @property
    def address(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}"

    def connect(
        self, host: str | None = None, port: int | None = None, *, scheme: str | None = None
    ) -> http.client.HTTPConnection:
        """A new connection (not yet opened) to the server, or to ``host``:``port``."""
        host = host or self.host
        port = port or self.port
        if (scheme or self.protocol) == "https":
            return http.client.HTTPSConnection(
                host, port, context=self.ssl_context, timeout=self.timeout
            )
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def connect_url(self, url: str) -> tuple[http.client.HTTPConnection, str]:
        """A connection for a URL the server handed out, and the request target in it.

        Such URLs may name the host "*": it means the host we reached (vSphere API reference,
        GuestFileManager.InitiateFileTransferToGuest), on our port when it gives none.
        """
        parts = urllib.parse.urlsplit(url)
        ours = parts.hostname in ("*", None)
        host = self.host if ours else parts.hostname
        port = parts.port or (self.port if ours else None)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.connect(host, port, scheme=parts.scheme or self.protocol), target
