"""OVF packages and their files on the wire: read an .ova, an .ovf with its files beside it,
or either from an http(s) URL; send a file to (or get one from) an HttpNfcLease's device URL
while LeaseProgress keeps the lease informed (and alive); write an .ova. Everything streams,
a chunk at a time: a disk of 100 GB never sits in memory.

    source = open_source("appliance.ova", connector)     # sources: local or http(s)
    text = source.descriptor()
    for href, size, stream in source.open(["disk1.vmdk"]):
        upload(connector, device_url, cookie, stream, size, disk=True, sent=count, what=...)
"""

from __future__ import annotations

import hashlib
import http.client
import io
import tarfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol, TypeVar

from .._base.ovf_descriptor import parse_manifest
from ..errors import ConnectError, InvalidInputError, NotFoundError, VSphereError
from .faults import describing
from .http import HttpConnector

CHUNK = 1 << 20  # bytes read and sent at a time
PROGRESS_SECONDS = 5.0  # how often the server hears of a transfer's progress (and the lease lives)
_URL_SCHEMES = ("http://", "https://")


class Readable(Protocol):
    """What is sent is read from: a file, a tar member, an HTTP response, a Hashing."""

    def read(self, size: int = -1, /) -> bytes: ...


class OvfSource:
    """Where an OVF package is: its descriptor, and its files by the names it gives them."""

    label: str

    def descriptor(self) -> str:
        return self.read_descriptor()[1]

    def read_descriptor(self) -> tuple[str, str]:
        """(the descriptor's file name, its text)."""
        raise NotImplementedError

    def read_manifest(self, descriptor_name: str) -> str | None:
        """The text of the package's manifest (the descriptor's name with ".mf"), or None
        when it has none."""
        raise NotImplementedError

    def missing(self, hrefs: list[str]) -> list[str]:
        """Of these files, those the package lacks (as far as can be told without reading
        them all)."""
        return []

    def open(self, hrefs: list[str]) -> Iterator[tuple[str, int, IO[bytes]]]:
        """(href, size, stream) of each wanted file, in the package's own order."""
        raise NotImplementedError


def open_source(source: Any, connector: HttpConnector) -> OvfSource:
    """The package at ``source``: a path of an .ova or .ovf, or an http(s) URL of one."""
    text = str(source)
    if text.lower().startswith(_URL_SCHEMES):
        is_ova = urllib.parse.urlsplit(text).path.lower().endswith(".ova")
        return _UrlOva(text, connector) if is_ova else _UrlOvf(text, connector)
    path = Path(text)
    if not path.is_file():
        raise InvalidInputError(f"source {text!r}: no such file")
    if path.suffix.lower() == ".ova" or tarfile.is_tarfile(path):
        return _LocalOva(path)
    return _LocalOvf(path)


class _LocalOvf(OvfSource):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)

    def read_descriptor(self) -> tuple[str, str]:
        return self.path.name, self.path.read_text(encoding="utf-8")

    def _file(self, href: str) -> Path:
        relative = PurePosixPath(href)
        if relative.is_absolute() or ".." in relative.parts:
            raise InvalidInputError(f"{self.label}: file {href!r} is outside the package")
        return self.path.parent / relative

    def read_manifest(self, descriptor_name: str) -> str | None:
        path = self.path.parent / manifest_name(descriptor_name)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def missing(self, hrefs: list[str]) -> list[str]:
        return [h for h in hrefs if not self._file(h).is_file()]

    def open(self, hrefs: list[str]) -> Iterator[tuple[str, int, IO[bytes]]]:
        for href in hrefs:
            path = self._file(href)
            with path.open("rb") as stream:
                yield href, path.stat().st_size, stream


class _LocalOva(OvfSource):
    """An OVA is a tar whose first member is the descriptor (DSP0243, 5.3)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)

    def _tar(self) -> tarfile.TarFile:
        try:
            return tarfile.open(self.path, "r:")
        except tarfile.TarError as e:
            raise InvalidInputError(f"{self.label}: not an OVA (a tar): {e}") from None

    def read_descriptor(self) -> tuple[str, str]:
        with self._tar() as tar:
            return _descriptor_of(tar, self.label)

    def read_manifest(self, descriptor_name: str) -> str | None:
        with self._tar() as tar:
            return _manifest_of(tar, descriptor_name)

    def missing(self, hrefs: list[str]) -> list[str]:
        with self._tar() as tar:
            names = set(tar.getnames())
        return [h for h in hrefs if h not in names]

    def open(self, hrefs: list[str]) -> Iterator[tuple[str, int, IO[bytes]]]:
        with self._tar() as tar:
            yield from _members(tar, hrefs)


def _descriptor_of(tar: tarfile.TarFile, label: str) -> tuple[str, str]:
    for member in tar:
        if member.isfile() and member.name.lower().endswith(".ovf"):
            stream = tar.extractfile(member)
            assert stream is not None
            return member.name, stream.read().decode("utf-8")
    raise InvalidInputError(f"{label}: no .ovf descriptor in the OVA")


def manifest_name(descriptor_name: str) -> str:
    """The manifest's name: the descriptor's, with ".mf" for ".ovf" (DSP0243 5.1)."""
    return str(PurePosixPath(descriptor_name).with_suffix(".mf"))


def _manifest_of(tar: tarfile.TarFile, descriptor_name: str) -> str | None:
    """The manifest of an OVA. It follows the descriptor, before any certificate and the
    other files (DSP0243 5.3), so a tar read as a stream stops at the first other member
    and never reads the disks."""
    wanted = manifest_name(descriptor_name)
    for member in tar:
        if member.isfile() and member.name == wanted:
            stream = tar.extractfile(member)
            assert stream is not None
            return stream.read().decode("utf-8")
        if not member.name.lower().endswith((".ovf", ".mf", ".cert")):
            return None
    return None


def _members(tar: tarfile.TarFile, hrefs: list[str]) -> Iterator[tuple[str, int, IO[bytes]]]:
    wanted = set(hrefs)
    for member in tar:
        if member.isfile() and member.name in wanted:
            stream = tar.extractfile(member)
            assert stream is not None
            yield member.name, member.size, stream


class _UrlOvf(OvfSource):
    def __init__(self, url: str, connector: HttpConnector) -> None:
        self.url = url
        self.label = url
        self.connector = connector

    def read_descriptor(self) -> tuple[str, str]:
        name = PurePosixPath(urllib.parse.urlsplit(self.url).path).name
        with get(self.connector, self.url, self.label) as (response, _):
            return name, bytes(response.read()).decode("utf-8")

    def read_manifest(self, descriptor_name: str) -> str | None:
        url = urllib.parse.urljoin(self.url, manifest_name(descriptor_name))
        try:
            with get(self.connector, url, self.label) as (response, _):
                return bytes(response.read()).decode("utf-8")
        except NotFoundError:
            return None

    def open(self, hrefs: list[str]) -> Iterator[tuple[str, int, IO[bytes]]]:
        for href in hrefs:
            with get(self.connector, urllib.parse.urljoin(self.url, href), self.label) as (
                response,
                size,
            ):
                yield href, size, response


class _UrlOva(_UrlOvf):
    def read_descriptor(self) -> tuple[str, str]:
        with (
            get(self.connector, self.url, self.label) as (response, _),
            tarfile.open(fileobj=response, mode="r|") as tar,
        ):
            return _descriptor_of(tar, self.label)

    def read_manifest(self, descriptor_name: str) -> str | None:
        with (
            get(self.connector, self.url, self.label) as (response, _),
            tarfile.open(fileobj=response, mode="r|") as tar,
        ):
            return _manifest_of(tar, descriptor_name)

    def open(self, hrefs: list[str]) -> Iterator[tuple[str, int, IO[bytes]]]:
        with (
            get(self.connector, self.url, self.label) as (response, _),
            tarfile.open(fileobj=response, mode="r|") as tar,
        ):
            yield from _members(tar, hrefs)


class get:
    """GET a URL through the connector: (response, Content-Length) while in the block."""

    def __init__(self, connector: HttpConnector, url: str, what: str, cookie: str = "") -> None:
        self.connector, self.url, self.what, self.cookie = connector, url, what, cookie
        self._stack = ExitStack()

    def __enter__(self) -> tuple[Any, int]:
        connection, target = self.connector.connect_url(self.url)
        self._stack.enter_context(closing(connection))
        headers = {"Cookie": self.cookie} if self.cookie else {}
        try:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as e:
            self._stack.close()
            raise ConnectError(f"{self.what}: GET {self.url}: {e}") from e
        if response.status != 200:
            self._stack.close()
            error = NotFoundError if response.status == 404 else VSphereError
            raise error(f"{self.what}: GET {self.url}: HTTP {response.status} {response.reason}")
        return response, int(response.getheader("Content-Length") or 0)

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


class Manifest:
    """What a package's manifest (.mf) says its files hash to, checked as they are sent: a
    package damaged on its way (a truncated download, a changed file) is refused, as
    ovftool refuses it. The descriptor is checked at once, before anything is sent.

        manifest = Manifest.of(package, descriptor_name, text)   # InvalidInputError if off
        stream = manifest.wrap(href, stream); ...send...; manifest.check(href, stream)
    """

    def __init__(self, entries: dict[str, tuple[str, str]], label: str) -> None:
        self.entries, self.label = entries, label

    @classmethod
    def of(cls, package: OvfSource, descriptor_name: str, descriptor_text: str) -> Manifest:
        text = package.read_manifest(descriptor_name)
        manifest = cls(parse_manifest(text, package.label) if text else {}, package.label)
        entry = manifest.entries.get(descriptor_name)
        if entry is not None:
            digest = hashlib.new(entry[0], descriptor_text.encode("utf-8")).hexdigest()
            manifest._compare(descriptor_name, entry, digest)
        return manifest

    def wrap(self, href: str, stream: Readable) -> Readable:
        entry = self.entries.get(href)
        return stream if entry is None else Hashing(stream, entry[0])

    def check(self, href: str, stream: Readable) -> None:
        entry = self.entries.get(href)
        if entry is not None and isinstance(stream, Hashing):
            self._compare(href, entry, stream.hexdigest())

    def _compare(self, href: str, entry: tuple[str, str], digest: str) -> None:
        if digest != entry[1]:
            raise InvalidInputError(
                f"{self.label}: {href} does not match the package's manifest "
                f"({entry[0].upper()} {digest}, the manifest says {entry[1]}): the package is "
                "damaged or was changed"
            )


class Hashing:
    """A stream that hashes what is read from it, for a manifest's check once it is sent."""

    def __init__(self, stream: Readable, algorithm: str) -> None:
        self.stream, self.hash = stream, hashlib.new(algorithm)

    def read(self, size: int = CHUNK, /) -> bytes:
        data = self.stream.read(size)
        self.hash.update(data)
        return data

    def hexdigest(self) -> str:
        return self.hash.hexdigest()


class Counting:
    """A stream that tells how many bytes were read from it, as they are."""

    def __init__(self, stream: Readable, size: int, sent: Callable[[int], None]) -> None:
        self.stream, self.left, self.sent = stream, size, sent

    def read(self, n: int = CHUNK) -> bytes:
        data = self.stream.read(min(max(n, CHUNK), self.left))
        self.left -= len(data)
        if data:
            self.sent(len(data))
        return data


def upload(
    connector: HttpConnector,
    url: str,
    cookie: str,
    stream: Readable,
    size: int,
    *,
    disk: bool,
    sent: Callable[[int], None],
    what: str,
) -> None:
    """Send ``size`` bytes of ``stream`` to a lease's device URL. A disk is POSTed as a
    stream-optimized VMDK, other files PUT (as ovftool and govc do)."""
    connection, target = connector.connect_url(url)
    headers = {"Content-Length": str(size), "Cookie": cookie}
    if disk:
        method = "POST"
        headers["Content-Type"] = "application/x-vnd.vmware-streamVmdk"
    else:
        method = "PUT"
        headers["Overwrite"] = "t"
    with closing(connection):
        try:
            try:
                connection.request(
                    method, target, body=Counting(stream, size, sent), headers=headers
                )
            except (BrokenPipeError, ConnectionResetError):
                # The server may have answered and closed before taking the whole body (ESXi
                # does when the datastore fills: 507): its answer says why, the pipe does not.
                response = connection.getresponse()
                answer = response.read(500)
                if response.status in (200, 201, 204):
                    raise
            else:
                response = connection.getresponse()
                answer = response.read(500)
        except (OSError, http.client.HTTPException) as e:
            raise ConnectError(f"{what}: {method} {url}: {e}") from e
    if response.status not in (200, 201, 204):
        detail = answer.decode("utf-8", "replace").strip()
        raise VSphereError(
            f"{what}: {method} {url}: HTTP {response.status} {response.reason} {detail}".strip()
        )


def download(
    connector: HttpConnector,
    url: str,
    cookie: str,
    sink: IO[bytes],
    *,
    received: Callable[[int], None],
    what: str,
) -> int:
    """Copy a lease's device URL into ``sink``; the bytes copied."""
    total = 0
    with get(connector, url, what, cookie) as (response, _):
        try:
            while chunk := response.read(CHUNK):
                sink.write(chunk)
                total += len(chunk)
                received(len(chunk))
        except (OSError, http.client.HTTPException) as e:
            raise ConnectError(f"{what}: GET {url}: {e}") from e
    return total


P = TypeVar("P", bound="TransferProgress")


class TransferProgress:
    """Counts the bytes moved and tells the caller each new percent: 0 first, 99 at most
    while bytes move, 100 once the block ends without an error."""

    def __init__(self, total: int, on_progress: Callable[[int], None] | None) -> None:
        self.total, self.on_progress = total, on_progress
        self.done = 0
        self.percent = -1

    def __enter__(self: P) -> P:
        self._tell_caller(0)
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.percent = 99  # 100 once the server has it all
            self._tell_caller(100)

    def add(self, n: int) -> None:
        self.done += n
        percent = min(99, self.done * 100 // self.total) if self.total else 0
        self._tell_caller(percent)

    def _tell_caller(self, percent: int) -> None:
        if percent > self.percent:
            self.percent = percent
            if self.on_progress is not None:
                self.on_progress(percent)


class LeaseProgress(TransferProgress):
    """TransferProgress that also tells the server (which keeps the lease alive only while
    it hears of it) every PROGRESS_SECONDS."""

    def __init__(
        self, lease: Any, total: int, on_progress: Callable[[int], None] | None, what: str
    ) -> None:
        super().__init__(total, on_progress)
        self.lease, self.what = lease, what
        self.told = time.monotonic()

    def add(self, n: int) -> None:
        super().add(n)
        if time.monotonic() - self.told >= PROGRESS_SECONDS:
            self.tell_server()

    def tell_server(self) -> None:
        with describing(self.what):
            self.lease.HttpNfcLeaseProgress(max(self.percent, 0))
        self.told = time.monotonic()


def write_ova(
    target: Path, descriptor_name: str, descriptor: bytes, disks: list[tuple[str, Path]]
) -> None:
    """An OVA: a tar with the descriptor first (DSP0243, 5.3), then the disks."""
    with tarfile.open(target, "w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(descriptor_name)
        info.size = len(descriptor)
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(descriptor))
        for member, path in disks:
            tar.add(path, arcname=member)
