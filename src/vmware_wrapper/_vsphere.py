"""The VSphere facade: one object per connection, every operation by name.

with VSphere("vc.example.com", "admin@vsphere.local", password) as vs:
    print(vs.content.about.fullName)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from ._session import ConnectionSettings, Session
from ._tls import TLSPolicy
from .errors import InvalidInputError

_FALSE = {"0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}
_REQUIRED_ENV = {"host": "VMWARE_HOST", "username": "VMWARE_USER", "password": "VMWARE_PASSWORD"}


class VSphere:
    """A connection to a vCenter (or ESXi host) and everything you can do with it by name.

    Certificates are verified by default, also for localhost. ``insecure=True`` skips the
    check (and says so in the log); ``thumbprint=`` pins the server's certificate (SHA-1 or
    SHA-256, hex, with or without colons); ``ca_file=`` trusts a private CA.
    """

    def __init__(
        self,
        host: str,
        username: str,
        password: str,
        *,
        port: int = 443,
        protocol: str = "https",
        insecure: bool = False,
        thumbprint: str | None = None,
        ca_file: str | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.logger = logger or logging.getLogger("vmware_wrapper")
        if insecure and thumbprint:
            raise InvalidInputError("insecure=True and thumbprint= contradict each other")
        settings = ConnectionSettings(
            host=host,
            username=username,
            password=password,
            port=port,
            protocol=protocol,
            tls=TLSPolicy(insecure=insecure, thumbprint=thumbprint, ca_file=ca_file),
        )
        if insecure and protocol == "https":
            self.logger.warning(
                "certificate checks for %s are off (insecure=True): anyone on the path "
                "can read and change this session",
                settings.address,
            )
        self._session = Session(settings, self.logger)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> VSphere:
        """Connect with the settings in the environment, as Ansible's and govc's users know them.

        VMWARE_HOST, VMWARE_USER, VMWARE_PASSWORD, VMWARE_PORT, VMWARE_VALIDATE_CERTS
        (false -> insecure), VMWARE_THUMBPRINT; falling back to GOVC_URL, GOVC_USERNAME,
        GOVC_PASSWORD, GOVC_INSECURE. Keyword arguments override both.
        """
        settings = {**settings_from_env(os.environ if env is None else env), **overrides}
        missing = [name for key, name in _REQUIRED_ENV.items() if not settings.get(key)]
        if missing:
            raise InvalidInputError(
                "missing connection settings: "
                + ", ".join(missing)
                + " (or GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD)"
            )
        return cls(**settings)

    @property
    def service_instance(self) -> Any:
        """The raw pyVmomi ServiceInstance, for anything this library does not wrap."""
        return self._session.service_instance

    @property
    def content(self) -> Any:
        """The raw pyVmomi ServiceContent."""
        return self._session.content

    def close(self) -> None:
        """Log out."""
        self._session.close()

    def __enter__(self) -> VSphere:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self._session.settings
        return f"<VSphere {s.address} user:{s.username}>"


def settings_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Read the connection settings that are set in VMWARE_* variables, else GOVC_* ones."""
    out: dict[str, Any] = {}
    govc_url = env.get("GOVC_URL", "")
    if govc_url:
        # govc accepts "host", "host:port", "https://user:pass@host/sdk".
        parts = urlsplit(govc_url if "://" in govc_url else "https://" + govc_url)
        if parts.hostname:
            out["host"] = parts.hostname
        if parts.port:
            out["port"] = parts.port
        if parts.scheme in ("http", "https"):
            out["protocol"] = parts.scheme
        if parts.username:
            out["username"] = unquote(parts.username)
        if parts.password:
            out["password"] = unquote(parts.password)
    for key, name in (("username", "GOVC_USERNAME"), ("password", "GOVC_PASSWORD")):
        if env.get(name):
            out[key] = env[name]
    if env.get("GOVC_INSECURE", "").lower() in _TRUE:
        out["insecure"] = True

    for key, name in (
        ("host", "VMWARE_HOST"),
        ("username", "VMWARE_USER"),
        ("password", "VMWARE_PASSWORD"),
        ("thumbprint", "VMWARE_THUMBPRINT"),
    ):
        if env.get(name):
            out[key] = env[name]
    if env.get("VMWARE_PORT"):
        try:
            out["port"] = int(env["VMWARE_PORT"])
        except ValueError:
            raise InvalidInputError(
                f"VMWARE_PORT={env['VMWARE_PORT']!r} is not a port number"
            ) from None
    validate = env.get("VMWARE_VALIDATE_CERTS", "").lower()
    if validate in _FALSE:
        out["insecure"] = True
    elif validate in _TRUE:
        out["insecure"] = False
    return out
