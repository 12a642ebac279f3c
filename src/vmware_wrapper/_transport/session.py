"""Connecting and logging in: the session under everything else.

    session = Session(ConnectionSettings("vc.example.com", "admin", "secret"), logger)
    session.content.about.fullName

Every call made through ``session.stub`` (pyVmomi's and our raw ones) runs under the
transport policy of ``_stub.py``: re-login on an expired session, retries on dead
connections and unreachable servers.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from .._base.vmomi import GetServiceVersions, SoapStubAdapter, versionIdMap, vim
from ..errors import ConnectError, InvalidInputError
from .faults import describing
from .http import HttpConnector
from .retry import RetryPolicy
from .soap import ResilientStub, Transport
from .tls import TLSPolicy, make_ssl_context, untrusted_certificate_message


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and as whom to connect. The password is left out of ``repr()``."""

    host: str
    username: str
    password: str = field(repr=False)
    port: int = 443
    protocol: str = "https"
    tls: TLSPolicy = field(default_factory=TLSPolicy)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if not self.host or any(c in self.host for c in "/ "):
            raise InvalidInputError(f"host {self.host!r} is not a host name or address")
        if self.protocol not in ("https", "http"):
            raise InvalidInputError(f"protocol {self.protocol!r} is not 'https' or 'http'")
        if not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise InvalidInputError(f"port {self.port!r} is not between 1 and 65535")
        if not self.username:
            raise InvalidInputError("a username is required")
        retry = self.retry
        if min(retry.retry_timeout, retry.first_retry_timeout) < 0:
            raise InvalidInputError(f"retry_timeout={retry.retry_timeout!r}: seconds, 0 or more")
        if retry.request_timeout <= 0:
            raise InvalidInputError(
                f"request_timeout={retry.request_timeout!r}: seconds, more than 0"
            )

    @property
    def address(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}"

    @property
    def vcenter(self) -> str:
        """The server as people name it: the host, with ":port" unless the protocol's own."""
        default = 443 if self.protocol == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


class Session:
    """One logged-in session with a vCenter or ESXi host, kept alive across expiries."""

    def __init__(self, settings: ConnectionSettings, logger: logging.Logger) -> None:
        self.settings = settings
        self.logger = logger
        self.ssl_context: ssl.SSLContext | None = None
        if settings.protocol == "https":
            self.ssl_context = make_ssl_context(settings.tls)
        self.transport = Transport(settings.retry, settings.address, logger)
        self.http = HttpConnector(
            settings.protocol,
            settings.host,
            settings.port,
            self.ssl_context,
            settings.retry.request_timeout,
        )
        try:
            version = self.transport.invoke(lambda: (200, negotiate_version(self.http)), "connect")
        except ConnectError as e:
            if (
                isinstance(e.__cause__, ssl.SSLCertVerificationError)
                and not settings.tls.thumbprint
            ):
                message = untrusted_certificate_message(
                    settings.address, settings.host, settings.port, e.__cause__
                )
                raise ConnectError(message) from e.__cause__
            raise
        # pyVmomi's convention: a negative port means plain http.
        port = settings.port if settings.protocol == "https" else -settings.port
        soap_stub = SoapStubAdapter(
            host=settings.host,
            port=port,
            version=version,
            sslContext=self.ssl_context,
            httpConnectionTimeout=settings.retry.request_timeout,
        )
        self.stub = ResilientStub(soap_stub, self.transport)
        self.service_instance: Any = vim.ServiceInstance("ServiceInstance", self.stub)
        try:
            self.content: Any = self.service_instance.RetrieveContent()
            self._login()
        except BaseException:
            # pyVmomi keeps pooled sockets open until told otherwise.
            self.stub.DropConnections()
            raise
        self.transport.login = self._relogin
        self.transport.established = True

    @property
    def generation(self) -> int:
        """Counts logins: objects of the session (collectors, views) die with each one."""
        return self.transport.generation

    def _login(self) -> None:
        s = self.settings
        with describing(f"log in to {s.address} as {s.username!r}"):
            self.content.sessionManager.Login(s.username, s.password)
        self.logger.debug("logged in to %s as %s", s.address, s.username)

    def _relogin(self) -> None:
        # Straight through pyVmomi's own stub: a re-login must not itself trigger one. A stale
        # cookie would make the server refuse to log in "again" within that session.
        raw = self.stub.soap_stub
        raw.cookie = ""
        manager = vim.SessionManager(self.content.sessionManager._moId, raw)
        # A fault here (the password changed meanwhile) is translated by the transport, as
        # the answer of the call that needed the new login.
        try:
            manager.Login(self.settings.username, self.settings.password)
        except (OSError, http.client.HTTPException) as e:
            raise ConnectError(f"lost {self.settings.address} while logging in again: {e}") from e

    def close(self) -> None:
        """Log out; a session that is already gone is not an error."""
        self.transport.login = None  # no re-login to log out
        self.transport.closing = True
        with contextlib.suppress(Exception):
            vim.SessionManager(self.content.sessionManager._moId, self.stub.soap_stub).Logout()
        self.stub.DropConnections()
        self.logger.debug("logged out of %s", self.settings.address)


def negotiate_version(connector: HttpConnector) -> str:
    """The newest API version that both pyVmomi and the server speak.

    This reads /sdk/vimServiceVersions.xml as pyVim's SmartStubAdapter does, but with our
    TLS context; SmartStubAdapter itself cannot speak plain http (it passes pyVmomi's
    negative "http" port on to the socket).
    """
    address = connector.address
    connection = connector.connect()
    try:
        connection.request("GET", "/sdk/vimServiceVersions.xml")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status in (502, 503, 504):  # a proxy in front of a restarting vCenter
        raise http.client.HTTPException(f"{response.status} {response.reason}")
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
