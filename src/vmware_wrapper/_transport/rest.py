"""JSON over vCenter's vAPI REST endpoint (/rest, the 6.5 API), logged in with the session's
credentials and TLS settings, and logged in again when its token expires.

    rest = RestClient(session)                           # under /rest/com/vmware/cis
    rest.call("GET", "/tagging/tag", context="list tags")     # the answer's "value"
    rest.call("DELETE", f"/tagging/tag/id:{i}", context="delete tag 'env/prod'",
              subject="tag 'env/prod'")   # NotFoundError("...: tag 'env/prod' not found")

    content = RestClient(session, base="/rest/com/vmware")  # content libraries, OVF deploys
    content.upload(url, stream, size, sent=count, what="import 'app.ova'")  # a file, streamed

Errors are translated like SOAP faults (``faults.translate_rest``).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import threading
from collections.abc import Callable
from contextlib import closing
from typing import Any

from ..errors import AuthenticationError, ConnectError, VSphereError
from .faults import translate_rest
from .ovf_files import Counting, Readable
from .session import Session

_BASE = "/rest/com/vmware/cis"
_SESSION = "/rest/com/vmware/cis/session"


class RestClient:
    """JSON over the vAPI REST endpoint, logged in with the connection's credentials."""

    def __init__(self, session: Session, *, base: str = _BASE) -> None:
        self._session = session
        self._base = base
        self._token: str | None = None
        self._lock = threading.Lock()

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        connection = self._session.http.connect()
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {"Accept": "application/json", **headers}
            if data is not None:
                headers["Content-Type"] = "application/json"
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as e:
            raise ConnectError(
                f"vAPI {method} {path} at {self._session.settings.address}: {e}"
            ) from e
        finally:
            connection.close()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        return response.status, payload

    def _login(self) -> str:
        s = self._session.settings
        credentials = base64.b64encode(f"{s.username}:{s.password}".encode()).decode()
        status, payload = self._send(
            "POST", _SESSION, None, {"Authorization": f"Basic {credentials}"}
        )
        if status == 401:
            raise AuthenticationError(f"the vAPI endpoint of {s.address} refused {s.username!r}")
        if status != 200 or not isinstance(payload, dict):
            raise VSphereError(f"vAPI login at {s.address}: HTTP {status}: {payload}")
        return str(payload["value"])

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        context: str,
        subject: str = "",
        missing: str = "",
    ) -> Any:
        """One call; its "value". Logs in (again, if the session expired) as needed. A
        failure reads as a sentence about ``subject`` (what the call is for, "tag
        'env/prod'") or, when something is not found, ``missing`` (see
        ``faults.translate_rest``)."""
        for attempt in range(2):
            with self._lock:
                if self._token is None:
                    self._token = self._login()
                token = self._token
            status, payload = self._send(
                method, self._base + path, body, {"vmware-api-session-id": token}
            )
            if status == 401 and attempt == 0:
                with self._lock:
                    if self._token == token:
                        self._token = None
                continue
            break
        if 200 <= status < 300:
            return payload.get("value") if isinstance(payload, dict) else None
        raise translate_rest(status, payload, context, subject=subject, missing=missing)

    def token(self) -> str:
        """The session's token (logged in first, if need be)."""
        with self._lock:
            if self._token is None:
                self._token = self._login()
            return self._token

    def upload(
        self, url: str, stream: Readable, size: int, *, sent: Callable[[int], None], what: str
    ) -> None:
        """PUT ``size`` bytes of ``stream`` to an upload URL the server handed out (a content
        library's update session), streamed, with this session's token."""
        connection, target = self._session.http.connect_url(url)
        headers = {
            "Content-Length": str(size),
            "Content-Type": "application/octet-stream",
            "vmware-api-session-id": self.token(),
        }
        body = Counting(stream, size, sent)
        with closing(connection):
            try:
                connection.request("PUT", target, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read(500)
            except (OSError, http.client.HTTPException) as e:
                raise ConnectError(f"{what}: PUT {url}: {e}") from e
        if not 200 <= response.status < 300:
            detail = answer.decode("utf-8", "replace").strip()
            raise VSphereError(
                f"{what}: PUT {url}: HTTP {response.status} {response.reason} {detail}".strip()
            )

    def close(self) -> None:
        if self._token is not None:
            with contextlib.suppress(ConnectError):
                self._send("DELETE", _SESSION, None, {"vmware-api-session-id": self._token})
            self._token = None
