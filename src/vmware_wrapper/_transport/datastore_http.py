"""Files of datastores over the server's ``/folder`` HTTP endpoint, streamed a chunk at a time
both ways (a file of 200 GB never sits in memory), with the session's cookie and the
connection's TLS settings (the connector's).

    url = folder_url(connector, "/DC0", "LocalDS_0", "iso/tools.iso")
    put_file(connector, url, cookie, stream, size, sent=progress.add, what="upload ...")
    get_file(connector, url, cookie, sink, received=progress.add, what="download ...")

The endpoint (vSphere Web Services SDK Programming Guide, "Datastore HTTP access"):
``https://<server>/folder/<path in the datastore>?dcPath=<datacenter's inventory path>&
dsName=<datastore>``, with the session's cookie; PUT writes a file (replacing one of that
name), GET reads one. It answers 401 without a session, 403 without the privilege for it
(Datastore.FileManagement, "low level file operations"), 404 for a datastore, datacenter or
file it does not know.
"""

from __future__ import annotations

import http.client
import urllib.parse
from collections.abc import Callable
from contextlib import closing
from typing import IO

from ..errors import (
    AuthenticationError,
    ConnectError,
    NotFoundError,
    PermissionDeniedError,
    VSphereError,
)
from .http import HttpConnector
from .ovf_files import CHUNK, Counting

_DONE = (200, 201, 204)  # vCenter answers a PUT 201 (a new file) or 200 (replaced)


def folder_url(connector: HttpConnector, datacenter_path: str, datastore: str, path: str) -> str:
    """The URL of a file (``path``, "dir/name") of a datastore, as govc makes it."""
    query = urllib.parse.urlencode({"dcPath": datacenter_path, "dsName": datastore})
    return f"{connector.address}/folder/{urllib.parse.quote(path, safe='/')}?{query}"


def http_error(status: int, reason: str, detail: str, what: str) -> VSphereError:
    """The library's error for an HTTP answer that is not a success."""
    text = f"{what}: HTTP {status} {reason}".strip()
    if detail:
        text += f": {detail}"
    if status == 401:
        return AuthenticationError(f"{text} (the session is not logged in, or has expired)")
    if status == 403:
        return PermissionDeniedError(f"{text} (the user lacks Datastore.FileManagement)")
    if status == 404:
        return NotFoundError(text)
    return VSphereError(text)


def put_file(
    connector: HttpConnector,
    url: str,
    cookie: str,
    stream: IO[bytes],
    size: int,
    *,
    sent: Callable[[int], None],
    what: str,
) -> None:
    """PUT ``size`` bytes of ``stream`` to a datastore file's URL, CHUNK bytes at a time."""
    connection, target = connector.connect_url(url)
    headers = {
        "Content-Length": str(size),
        "Content-Type": "application/octet-stream",
        "Cookie": cookie,
    }
    with closing(connection):
        try:
            try:
                body = Counting(stream, size, sent)
                connection.request("PUT", target, body=body, headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                # The server may have answered and closed before taking the whole body (a
                # full datastore, a refused session): its answer says why, the pipe does not.
                response = connection.getresponse()
                answer = response.read(500)
                if response.status in _DONE:
                    raise
            else:
                response = connection.getresponse()
                answer = response.read(500)
        except (OSError, http.client.HTTPException) as e:
            raise ConnectError(f"{what}: {e}") from e
    if response.status not in _DONE:
        detail = answer.decode("utf-8", "replace").strip()
        raise http_error(response.status, response.reason, detail, what)


def get_file(
    connector: HttpConnector,
    url: str,
    cookie: str,
    sink: IO[bytes],
    *,
    received: Callable[[int], None],
    what: str,
) -> int:
    """Copy a datastore file's URL into ``sink``, CHUNK bytes at a time; the bytes copied.
    ConnectError if the answer ends before the length it announced."""
    connection, target = connector.connect_url(url)
    total = 0
    with closing(connection):
        try:
            connection.request("GET", target, headers={"Cookie": cookie})
            response = connection.getresponse()
            if response.status != 200:
                detail = response.read(500).decode("utf-8", "replace").strip()
                raise http_error(response.status, response.reason, detail, what)
        except (OSError, http.client.HTTPException) as e:
            raise ConnectError(f"{what}: {e}") from e
        length = response.getheader("Content-Length")
        while True:
            try:
                chunk = response.read(CHUNK)
            except (OSError, http.client.HTTPException) as e:
                raise ConnectError(f"{what}: {e}") from e
            if not chunk:
                break
            sink.write(chunk)  # a full local disk is the caller's OSError, not the network's
            total += len(chunk)
            received(len(chunk))
    if length is not None and length.isdigit() and total != int(length):
        raise ConnectError(f"{what}: the answer ended after {total} of {length} bytes")
    return total
