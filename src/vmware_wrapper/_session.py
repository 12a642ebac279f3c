"""Connecting and logging in: the transport under everything else.

session = Session(ConnectionSettings("vc.example.com", "admin", "secret"), logger)
content = session.content
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from ._tls import TLSPolicy, make_ssl_context
from ._vmomi import GetServiceVersions, SoapStubAdapter, versionIdMap, vim
from .errors import AuthenticationError, ConnectError, InvalidInputError


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and as whom to connect. The password is left out of ``repr()``."""

    host: str
    username: str
    password: str = field(repr=False)
    port: int = 443
    protocol: str = "https"
    tls: TLSPolicy = field(default_factory=TLSPolicy)

    def __post_init__(self) -> None:
        if not self.host or any(c in self.host for c in "/ "):
            raise InvalidInputError(f"host {self.host!r} is not a host name or address")
        if self.protocol not in ("https", "http"):
            raise InvalidInputError(f"protocol {self.protocol!r} is not 'https' or 'http'")
        if not 0 < self.port < 65536:
            raise InvalidInputError(f"port {self.port!r} is not between 1 and 65535")
        if not self.username:
            raise InvalidInputError("a username is required")

    @property
    def address(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}"


class Session:
    """One logged-in session with a vCenter or ESXi host."""

    def __init__(self, settings: ConnectionSettings, logger: logging.Logger) -> None:
        self.settings = settings
        self.logger = logger
        self._ssl_context: ssl.SSLContext | None = None
        if settings.protocol == "https":
            self._ssl_context = make_ssl_context(settings.tls)
        self.service_instance = self._connect()
        try:
            self.content: Any = self.service_instance.RetrieveContent()
            self._login()
        except BaseException:
            # pyVmomi keeps pooled sockets open until told otherwise.
            self.service_instance._stub.DropConnections()
            raise

    def _connect(self) -> Any:
        s = self.settings
        try:
            version = negotiate_version(s.protocol, s.host, s.port, self._ssl_context)
            # pyVmomi's convention: a negative port means plain http.
            port = s.port if s.protocol == "https" else -s.port
            stub = SoapStubAdapter(
                host=s.host, port=port, version=version, sslContext=self._ssl_context
            )
        except ssl.SSLError as e:
            raise ConnectError(f"TLS with {s.address} failed: {_reason(e)}") from e
        except (OSError, http.client.HTTPException) as e:
            raise ConnectError(f"cannot reach {s.address}: {_reason(e)}") from e
        return vim.ServiceInstance("ServiceInstance", stub)

    def _login(self) -> None:
        s = self.settings
        try:
            self.content.sessionManager.Login(s.username, s.password)
        except vim.fault.InvalidLogin as e:
            raise AuthenticationError(
                f"{s.address} refused the credentials of {s.username!r}", fault=e
            ) from e
        except (OSError, http.client.HTTPException) as e:
            raise ConnectError(f"lost {s.address} while logging in: {_reason(e)}") from e
        self.logger.debug("logged in to %s as %s", s.address, s.username)

    def close(self) -> None:
        """Log out; a session that is already gone is not an error."""
        with contextlib.suppress(vim.fault.NotAuthenticated, OSError, http.client.HTTPException):
            self.content.sessionManager.Logout()
        self.service_instance._stub.DropConnections()
        self.logger.debug("logged out of %s", self.settings.address)


def negotiate_version(
    protocol: str, host: str, port: int, ssl_context: ssl.SSLContext | None
) -> str:
    """The newest API version that both pyVmomi and the server speak.

    This reads /sdk/vimServiceVersions.xml as pyVim's SmartStubAdapter does, but with our
    TLS context; SmartStubAdapter itself cannot speak plain http (it passes pyVmomi's
    negative "http" port on to the socket).
    """
    address = f"{protocol}://{host}:{port}"
    connection: http.client.HTTPConnection
    if protocol == "https":
        connection = http.client.HTTPSConnection(host, port, context=ssl_context, timeout=60)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("GET", "/sdk/vimServiceVersions.xml")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise ConnectError(
            f"{address} does not answer as vSphere "
            f"(HTTP {response.status} for /sdk/vimServiceVersions.xml)"
        )
    try:
        # The server we are about to trust with credentials; expat resolves no entities.
        root = ElementTree.fromstring(body)  # noqa: S314
    except ElementTree.ParseError as e:
        raise ConnectError(f"{address} does not answer as vSphere: {e}") from e
    offered = {v.text for v in root.iter("version")}
    for version in GetServiceVersions("vim25"):
        if versionIdMap.get(version) in offered:
            return str(version)
    raise ConnectError(
        f"{address} offers API versions {sorted(x for x in offered if x)}, "
        "none of which this pyVmomi speaks"
    )


def _reason(e: BaseException) -> str:
    if isinstance(e, ssl.SSLCertVerificationError):
        # Set by OpenSSL's checks; our thumbprint check puts its sentence in args instead.
        return str(getattr(e, "verify_message", None) or e.args[0])
    if isinstance(e, socket.timeout):
        return "timed out"
    return str(e) or type(e).__name__
