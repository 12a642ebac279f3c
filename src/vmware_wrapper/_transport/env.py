"""Connection settings from the environment, as Ansible's and govc's users set them.

settings_from_env(os.environ)   # {"host": ..., "username": ..., ...}

A password in a variable or on a command line can be read by other local users (in
/proc/PID/environ for the same user, in ``ps`` for everyone); VMWARE_PASSWORD_FILE names a
file that holds it instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import InvalidInputError

_FALSE = {"0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}
REQUIRED_ENV = {"host": "VMWARE_HOST", "username": "VMWARE_USER", "password": "VMWARE_PASSWORD"}


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
    if "password" not in out and env.get("VMWARE_PASSWORD_FILE"):
        out["password"] = read_password_file(env["VMWARE_PASSWORD_FILE"], "VMWARE_PASSWORD_FILE")
    validate = env.get("VMWARE_VALIDATE_CERTS", "").lower()
    if validate in _FALSE:
        out["insecure"] = True
    elif validate in _TRUE:
        out["insecure"] = False
    return out


def read_password_file(path: str, what: str) -> str:
    """The password in a file: its first line, without the line break."""
    try:
        with open(path, encoding="utf-8") as f:
            line = f.readline()
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"{what}={path!r}: cannot read it ({e})") from e
    password = line.rstrip("\r\n")
    if not password:
        raise InvalidInputError(f"{what}={path!r}: its first line is empty")
    return password
