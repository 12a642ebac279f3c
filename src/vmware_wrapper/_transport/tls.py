"""TLS settings: verified by default, pinned by thumbprint, or explicitly insecure.

    context = make_ssl_context(TLSPolicy(thumbprint="AB:CD:..."))
    stub = SmartStubAdapter(host, port, sslContext=context)

pyVmomi has two habits we do not copy. It skips certificate checks for "localhost",
"127.0.0.1" and "::1" when no context is given (pyVim.connect.getSslContext), and when it
pins a thumbprint it falls back by switching the *shared* context to CERT_NONE after the
first failed verification, so later pooled connections are no longer checked against the
pin (pyVmomi.SoapAdapter._Connect). We always pass our own context, and a pinned context
checks the thumbprint on every handshake.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInputError

_HEX = re.compile(r"^[0-9a-f]+$")
_DIGESTS = {40: "sha1", 64: "sha256", 128: "sha512"}


def normalize_thumbprint(thumbprint: str) -> str:
    """Return a thumbprint as lowercase hex without separators; SHA-1, SHA-256 or SHA-512.

    >>> normalize_thumbprint("AB:CD:" + "00:" * 17 + "EF")[:6]
    'abcd00'
    """
    value = re.sub(r"[\s:]", "", thumbprint).lower()
    if not _HEX.match(value) or len(value) not in _DIGESTS:
        raise InvalidInputError(
            f"thumbprint {thumbprint!r} is not a SHA-1, SHA-256 or SHA-512 digest "
            "(hex, with or without colons)"
        )
    return value


def format_thumbprint(hex_digest: str) -> str:
    """Format a digest as vSphere shows it: "AB:CD:..."."""
    return ":".join(hex_digest[i : i + 2] for i in range(0, len(hex_digest), 2)).upper()


def certificate_thumbprint(der: bytes, algorithm: str = "sha256") -> str:
    """The thumbprint of a DER certificate, as lowercase hex."""
    return hashlib.new(algorithm, der).hexdigest()


@dataclass(frozen=True)
class TLSPolicy:
    """How to check the server's certificate. The default verifies it against the system's
    CA store (or ``ca_file``) and its name, on every host, localhost included."""

    insecure: bool = False
    thumbprint: str | None = None
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.thumbprint is not None:
            object.__setattr__(self, "thumbprint", normalize_thumbprint(self.thumbprint))


class _PinnedContext(ssl.SSLContext):
    """A context that accepts exactly the certificate with the pinned thumbprint.

    The chain and name are not checked (a pinned certificate is usually self-signed); the
    digest of the certificate the server presents is, on every new connection.
    """

    pinned: str

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        sock = super().wrap_socket(*args, **kwargs)
        der = sock.getpeercert(binary_form=True)
        algorithm = _DIGESTS[len(self.pinned)]
        actual = certificate_thumbprint(der or b"", algorithm)
        if actual != self.pinned:
            sock.close()
            raise ssl.SSLCertVerificationError(
                f"certificate thumbprint mismatch: the server presented {algorithm.upper()} "
                f"{format_thumbprint(actual)}, expected {format_thumbprint(self.pinned)}"
            )
        return sock


def make_ssl_context(policy: TLSPolicy) -> ssl.SSLContext:
    """Build the client context that carries out the policy."""
    if policy.thumbprint:
        pinned = _PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
        pinned.check_hostname = False
        pinned.verify_mode = ssl.CERT_NONE
        pinned.pinned = policy.thumbprint
        return pinned
    if policy.insecure:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=policy.ca_file)


def presented_thumbprint(host: str, port: int, timeout: float = 5.0) -> str | None:
    """The SHA-256 thumbprint ("AB:CD:...") of the certificate a server presents, read
    without checking it; None if it cannot be read. Only for telling a user what they would
    pin: nothing is sent over this connection."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except OSError:
        return None
    return format_thumbprint(certificate_thumbprint(der)) if der else None


def untrusted_certificate_message(address: str, host: str, port: int, error: BaseException) -> str:
    """Why the certificate was refused, the server's thumbprint, and the ways forward."""
    reason = getattr(error, "verify_message", None) or str(error)
    thumbprint = presented_thumbprint(host, port)
    seen = (
        f"It presents a certificate with SHA-256 thumbprint {thumbprint}. If that is your "
        f"server's, pin it with thumbprint='{thumbprint}'"
        if thumbprint
        else "Pin the server's certificate with thumbprint= (its SHA-256 thumbprint)"
    )
    return (
        f"the certificate of {address} is not trusted ({reason}). {seen}, or trust the CA "
        "that issued it with ca_file=, or skip the check with insecure=True (then anyone on "
        "the path can read and change the session)"
    )
