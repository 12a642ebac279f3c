"""The transport policy: every SOAP call, pyVmomi's or our own raw ones, goes through here.

    transport = Transport(RetryPolicy(retry_timeout=30), "https://vc:443", logger)
    stub = ResilientStub(soap_stub, transport)
    si = vim.ServiceInstance("ServiceInstance", stub)   # every call now has the policy

What it does, in one place (the retry policy itself is in ``retry.py``):

- NotAuthenticated (the session expired or was terminated): log in again, once for all the
  threads that noticed, and retry the call once. The server rejected the call, so retrying is
  safe. ``generation`` counts logins: session-scoped objects (property collectors, views)
  made before the current generation are gone and must be made again.
- A pooled connection the server had closed while idle (RemoteDisconnected, reset, broken
  pipe): retry once at once on a fresh connection.
- An unreachable server (refused, unreachable, HTTP 502/503 while it restarts): retry with
  exponential backoff until ``retry_timeout`` has passed, then ConnectError.
- No answer within ``request_timeout``: OperationTimeout (not retried: the server may be
  working on it). TLS failures: ConnectError at once.
- A fault: this library's error for it (``faults.translate_answer``), raised ``from`` the fault.
  Every SOAP answer comes through here, so no call can let a raw fault escape.
- Text that XML cannot carry (a lone surrogate, which pyVmomi fails to encode): refused
  with InvalidInputError before anything is sent. Operations check their inputs first; this
  is the net under them. A carriage return is sent as a character reference, so that it
  arrives (see ``keep_carriage_returns``).
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import io
import logging
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from .._base.vmomi import SoapResponseDeserializer, StubAdapterBase, vim, vmodl
from ..errors import ConnectError, InvalidInputError, OperationTimeout
from .faults import is_fault, translate_answer
from .retry import Backoff, RetryPolicy

# Errors that mean "this connection was already dead": the request never reached the server.
# Over TLS, a connection the server closed while idle ends with an EOF of the TLS layer.
_STALE = (
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)

# Guest requests go to these managers: their faults are guest errors (GuestOperationError).
_GUEST_MANAGERS = (
    vim.vm.guest.ProcessManager,
    vim.vm.guest.FileManager,
    vim.vm.guest.AuthManager,
)


class Transport:
    """Runs calls under the policy; knows how to log in again."""

    def __init__(self, policy: RetryPolicy, address: str, logger: logging.Logger) -> None:
        self.policy = policy
        self.address = address
        self.logger = logger
        self.generation = 0
        self.login: Callable[[], None] | None = None  # set once the session can log in
        self.closing = False  # when closing, an unreachable server is not waited for
        self.established = False  # a session was up: an unreachable server is waited for
        self._login_lock = threading.Lock()
        # Called after each new login, by the thread that made it: whoever waits on an
        # object of the old session (which a server may leave unanswered until the wait's
        # own time is up) starts again at once.
        self.after_login: list[Callable[[], None]] = []

    def invoke(self, send: Callable[[], tuple[int, Any]], what: str, *, guest: bool = False) -> Any:
        """Run ``send`` (one attempt, returning HTTP status and result) under the policy; a
        fault answered is raised as this library's error."""
        try:
            return self._invoke(send, what)
        except vmodl.MethodFault as fault:
            raise translate_answer(fault, what, guest=guest) from fault

    def _invoke(self, send: Callable[[], tuple[int, Any]], what: str) -> Any:
        stale_retried = relogged = False
        backoff: Backoff | None = None
        window = 0.0  # how long this call waits for an unreachable server (set with backoff)
        while True:
            generation = self.generation
            try:
                status, result = send()
            except _STALE as e:  # before OSError and ssl.SSLError: they are those
                if not stale_retried:
                    stale_retried = True
                    self.logger.debug("%s: connection closed by %s, retrying", what, self.address)
                    continue
                reason: BaseException = e
            except ssl.SSLError as e:
                raise ConnectError(f"TLS with {self.address} failed: {e}") from e
            except TimeoutError as e:
                raise OperationTimeout(
                    f"{self.address} did not answer {what} within {self.policy.request_timeout:g} s"
                ) from e
            except socket.gaierror as e:
                raise ConnectError(f"cannot resolve {self.address}: {e}") from e
            except (OSError, http.client.HTTPException) as e:
                reason = e
            else:
                if status == 200:
                    return result
                if is_fault(result, "NotAuthenticated") and not relogged and self.login:
                    relogged = True
                    self.relogin(generation)
                    continue
                if isinstance(result, BaseException):
                    raise result
                raise vmodl.fault.SystemError(msg=f"unexpected answer to {what}: {result!r}")

            if self.closing:
                raise ConnectError(f"cannot reach {self.address} ({what}): {reason}") from reason
            if backoff is None:
                window = (
                    self.policy.retry_timeout
                    if self.established
                    else self.policy.first_retry_timeout
                )
                backoff = Backoff(time.monotonic() + window)
                # Before the first session this is one of a few quick tries, not news.
                log = self.logger.warning if self.established else self.logger.info
                log(
                    "%s: %s unreachable (%s); retrying for up to %g s",
                    what,
                    self.address,
                    reason,
                    window,
                )
            if not backoff.pause():
                raise ConnectError(
                    f"cannot reach {self.address} ({what}): {reason or type(reason).__name__}; "
                    f"gave up after {window:g} s"
                    + (
                        " (retry_timeout= waits longer)"
                        if window < self.policy.retry_timeout
                        else ""
                    )
                ) from reason

    def relogin(self, seen_generation: int) -> None:
        """Log in again, unless another thread already did since ``seen_generation``."""
        assert self.login is not None
        with self._login_lock:
            if self.generation != seen_generation:
                return
            self.logger.info("session with %s expired; logging in again", self.address)
            self.login()
            self.generation += 1
        for listener in list(self.after_login):
            listener()


def keep_carriage_returns(request: bytes) -> bytes:
    """A serialized request whose carriage returns are character references ("&#13;").

    pyVmomi's serializer escapes only "&", "<" and ">" (SoapAdapter.XmlEscape, pyVmomi 9.1),
    so a "\r" in notes or a custom value went out as it is, and the server's XML parser
    read it as "\n", as XML 1.0 requires of line ends (section 2.11): "a\r\nb" came back as
    "a\nb". A reference is not normalised. pyVmomi writes no "\r" of its own (its markup
    breaks lines with "\n"), so every one in a request is in a value and may be replaced."""
    return request.replace(b"\r", b"&#13;")


class ResilientStub(StubAdapterBase):  # type: ignore[misc]  # pyVmomi's base is untyped
    """A pyVmomi stub adapter: pyVmomi's SoapStubAdapter under the transport's policy."""

    def __init__(self, soap_stub: Any, transport: Transport) -> None:
        super().__init__(version=soap_stub.version)
        self.soap_stub = soap_stub
        self.transport = transport
        # pyVmomi's hook for changing a serialized request (SoapStubAdapter.requestModifier,
        # applied in InvokeMethod), kept on this stub for good.
        soap_stub.requestModifierList.append(keep_carriage_returns)

    def InvokeMethod(self, mo: Any, info: Any, args: Any) -> Any:
        try:
            return self.transport.invoke(
                lambda: self.soap_stub.InvokeMethod(mo, info, args, self),
                info.wsdlName,
                guest=isinstance(mo, _GUEST_MANAGERS),
            )
        except UnicodeEncodeError as e:
            # Raised while serializing, before anything was sent: a str holding a lone
            # surrogate (from surrogateescape, say) is not Unicode text, and UTF-8 has none.
            bad = e.object[e.start : e.end]
            raise InvalidInputError(
                f"{info.wsdlName}: {bad!r} in a value cannot be sent (not Unicode text)"
            ) from None

    def DropConnections(self) -> None:
        self.soap_stub.DropConnections()

    def post(
        self, envelope: bytes, method: str, connection: DedicatedConnection | None = None
    ) -> bytes:
        """POST a SOAP envelope we built ourselves; return the body of the 200 answer.

        Used where pyVmomi's deserializer is the bottleneck (bulk retrievals). Faults are
        deserialized by pyVmomi and handled exactly as for its own calls. ``connection``
        keeps a long-running call (an update wait) off the shared pool.
        """
        return bytes(self.transport.invoke(lambda: self._post_once(envelope, connection), method))

    def _post_once(self, envelope: bytes, dedicated: DedicatedConnection | None) -> tuple[int, Any]:
        stub = self.soap_stub
        headers = {
            "Cookie": stub.cookie,
            "SOAPAction": stub.versionId,
            "Content-Type": "text/xml; charset=UTF-8",
            "Accept-Encoding": "gzip, deflate",
        }
        conn = dedicated.get() if dedicated else stub.GetConnection()
        try:
            conn.request("POST", stub.path, envelope, headers)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            if dedicated:
                dedicated.discard()
                if dedicated.aborted:
                    # Closed on purpose from another thread: not a server to wait for (nor
                    # to warn about).
                    raise CallAborted("this connection was closed on purpose") from e
            else:
                stub.DropConnections()
            raise
        if response.status not in (200, 500):
            conn.close()
            if dedicated:
                dedicated.discard()
            raise http.client.HTTPException(f"{response.status} {response.reason}")
        if not dedicated:
            stub.ReturnConnection(conn)
        encoding = (response.getheader("Content-Encoding") or "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if response.status == 200:
            return 200, body
        fault = SoapResponseDeserializer(self).Deserialize(io.BytesIO(body), object)
        return 500, fault


class CallAborted(Exception):
    """A call on a DedicatedConnection after abort(): not retried (not an OSError)."""


class DedicatedConnection:
    """One connection of a long-running caller's own, outside pyVmomi's pool, so that it can
    be aborted from another thread (closing a blocked update wait at once)."""

    def __init__(self, stub: ResilientStub) -> None:
        self._stub = stub
        self._conn: Any = None
        self._lock = threading.Lock()
        self._aborted = False

    def get(self) -> Any:
        with self._lock:
            if self._aborted:
                raise CallAborted("this connection was closed on purpose")
            if self._conn is None:
                # pyVmomi's GetConnection makes a new connection (with our TLS checks) when
                # its pool is empty, or hands out an idle one; either way it is ours now.
                self._conn = self._stub.soap_stub.GetConnection()
            return self._conn

    @property
    def aborted(self) -> bool:
        return self._aborted

    def discard(self) -> None:
        with self._lock:
            self._conn = None

    def interrupt(self) -> None:
        """Close the connection, waking any thread blocked on it; the next call makes a new
        one (a call in progress is tried again on it, as after any dropped connection)."""
        self._close(aborted=False)

    def abort(self) -> None:
        """Close the connection, waking any thread blocked on it; no further use."""
        self._close(aborted=True)

    def _close(self, aborted: bool) -> None:
        with self._lock:
            self._aborted = self._aborted or aborted
            conn, self._conn = self._conn, None
        if conn is not None:
            sock = getattr(conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            conn.close()
