"""Files on datastores: list a folder, upload, download, delete, make folders.

    datastore_files(ops, datastore="LocalDS_0", path="iso")
    upload_file(ops, local_path="a.iso", datastore_path="[LocalDS_0] iso/a.iso",
                overwrite=False, on_progress=None)
    download_file(ops, datastore_path="[LocalDS_0] iso/a.iso", local_path="a.iso",
                  overwrite=False, on_progress=None)
    delete_file(ops, datastore_path="[LocalDS_0] iso")
    make_directory(ops, datastore_path="[LocalDS_0] iso/old")

What a folder holds is read through the datastore's browser (HostDatastoreBrowser
.SearchDatastore_Task); files move through the server's ``/folder`` HTTP endpoint (see
_transport/datastore_http.py), in the datastore's own datacenter; FileManager deletes and makes
folders. Neither transfer leaves half a file behind: a download is written beside its target
and renamed once complete; an upload is sent under a temporary name beside its target and
moved onto it once complete (FileManager.MoveDatastoreFile_Task), so that no one reads half a
file under the real name, an upload that is refused, fails or is interrupted is removed, and
a file being replaced stays whole until the new one is all there.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._base.models import DatastoreFile
from .._base.names import escape_name
from .._base.times import iso_utc
from .._base.vmomi import vim
from .._inventory.tree import KINDS, Entry
from .._transport.datastore_http import folder_url, get_file, put_file
from .._transport.faults import describing, is_fault
from .._transport.ovf_files import TransferProgress
from ..errors import InvalidInputError, NotFoundError, VSphereError
from .checks import check_room, check_text, datacenter_of
from .context import Ops

Progress = Callable[[int], None] | None

# "[datastore] dir/name": vSphere's datastore path (the space after "]" is optional).
_DATASTORE_PATH = re.compile(r"\[(?P<datastore>[^\[\]]*)\] ?(?P<path>.*)", re.DOTALL)
_GLOB = re.compile(r"[*?\[\]]")
# Cleaning up after a failed upload must not hang on a server that is the reason it failed.
_CLEANUP_SECONDS = 60.0


@dataclass(frozen=True)
class _DsPath:
    """A checked datastore path: the datastore's name and the path inside it ("" for its
    top), with its folder and its last name."""

    datastore: str
    path: str

    def __str__(self) -> str:
        return f"[{self.datastore}] {self.path}".rstrip()

    @property
    def folder(self) -> _DsPath:
        return _DsPath(self.datastore, self.path.rpartition("/")[0])

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    def child(self, name: str) -> _DsPath:
        return _DsPath(self.datastore, f"{self.path}/{name}" if self.path else name)


def _check_inner_path(path: Any, what: str, shown: Any = None) -> str:
    """A path inside a datastore, "dir/name" ("" for the top; a trailing "/" is dropped).
    Messages name ``shown`` (what the caller gave) if given, else ``path``."""
    shown = path if shown is None else shown
    given: str = check_text(path, what)
    if any(ord(c) < 32 or c == "\\" for c in given):
        raise InvalidInputError(f"{what} {shown!r}: no control characters or backslashes")
    if given.startswith("/"):
        raise InvalidInputError(
            f"{what} {shown!r}: relative to the datastore's top, like dir/name (no leading '/')"
        )
    text = given.rstrip("/")  # a folder may be written with a "/" after it
    if text and any(part in ("", ".", "..") or part != part.strip() for part in text.split("/")):
        raise InvalidInputError(
            f"{what} {shown!r}: each part of the path a name (not empty, '.' or '..', "
            "no leading or trailing spaces)"
        )
    return text


def parse_datastore_path(value: Any, *, what: str = "datastore path") -> _DsPath:
    """ "[datastore] dir/name", checked; InvalidInputError naming it otherwise."""
    if isinstance(value, os.PathLike) or not isinstance(value, str):
        raise InvalidInputError(f"{what} {value!r}: text like '[datastore] dir/name'")
    check_text(value, what)
    match = _DATASTORE_PATH.fullmatch(value.strip())
    if match is None:
        raise InvalidInputError(f"{what} {value!r}: not in the form '[datastore] dir/name'")
    datastore = match["datastore"]
    if not datastore.strip() or datastore != datastore.strip():
        raise InvalidInputError(
            f"{what} {value!r}: the datastore's name (in brackets) is empty or has "
            "leading or trailing spaces"
        )
    inner = match["path"]
    return _DsPath(datastore, _check_inner_path(inner, what, value))


def _file_path(value: Any, what: str) -> _DsPath:
    """A datastore path that names a file or folder (not the datastore's top)."""
    parsed = parse_datastore_path(value, what=what)
    if not parsed.path:
        raise InvalidInputError(
            f"{what} {value!r}: names the datastore itself; add the path of a file in it"
        )
    return parsed


@dataclass(frozen=True)
class _Store:
    """A datastore, as the operations here use it."""

    entry: Entry
    obj: Any
    name: str
    datacenter: Any  # vim.Datacenter
    datacenter_path: str  # its inventory path, for /folder's dcPath


def _store(ops: Ops, ref: Any, context: str) -> _Store:
    entry, obj = ops.resolve(KINDS["datastore"], ref)
    dc = datacenter_of(ops, entry)
    if dc is None:
        raise NotFoundError(f"{context}: datastore {entry.display_name!r} is in no datacenter")
    return _Store(
        entry, obj, entry.display_name, ops.resolver.obj(dc), ops.resolver.path(dc).rstrip("/")
    )


def _store_of(ops: Ops, path: _DsPath, context: str) -> _Store:
    # The name in brackets is the datastore's own (a "/" in it is a character of the name).
    return _store(ops, escape_name(path.datastore), context)


# -- reading folders ---------------------------------------------------------------------------


def _search(ops: Ops, store: _Store, folder: _DsPath, name: str | None, context: str) -> list[Any]:
    """The FileInfo of what ``folder`` holds (``name``: only that entry); NotFoundError if
    the folder does not exist, InvalidInputError if it is a file."""
    browser = ops.read(store.obj, ["browser"], context)["browser"]
    details = vim.host.DatastoreBrowser.FileInfo.Details(
        fileType=True, fileSize=True, modification=True, fileOwner=False
    )
    # A pattern is a glob: a name with glob characters in it is looked for among them all.
    # An empty matchPattern would do for "all" on vCenter; govmomi's simulator matches
    # nothing without one.
    pattern = name if name is not None and not _GLOB.search(name) else "*"
    spec = vim.host.DatastoreBrowser.SearchSpec(matchPattern=[pattern], details=details)
    where = f"[{store.name}] {folder.path}".rstrip()
    try:
        result = ops.run(lambda: browser.SearchDatastore_Task(where, spec), context, True, None)
    except VSphereError as e:
        if _is(e, "FileNotFound"):
            raise NotFoundError(f"{context}: no folder {where}") from e
        # A file searched as a folder: govmomi's simulator answers InvalidArgument.
        if folder.path and _is(e, "InvalidArgument"):
            above = _search(ops, store, folder.folder, folder.name, context)
            if above and not _is_folder(above[0]):
                raise InvalidInputError(f"{context}: {where} is a file, not a folder") from e
        raise
    files = list(getattr(result, "file", None) or [])
    if name is not None:
        files = [f for f in files if f.path == name]
    return files


def _is(error: VSphereError, *names: str) -> bool:
    """Whether an error came from a fault of one of these types (raised, or a task's)."""
    fault = error.fault
    inner = getattr(fault, "fault", None)  # a task's LocalizedMethodFault
    return any(is_fault(f, n) for f in (fault, inner) if f is not None for n in names)


def _is_folder(info: Any) -> bool:
    return isinstance(info, vim.host.DatastoreBrowser.FolderInfo)


def _record(info: Any, folder: _DsPath) -> DatastoreFile:
    is_dir = _is_folder(info)
    modified = info.modification
    return DatastoreFile(
        name=info.path,
        path=str(folder.child(info.path)),
        size=0 if is_dir else int(info.fileSize or 0),
        modified=iso_utc(modified) if modified is not None else None,
        is_dir=is_dir,
    )


def _entry_of(ops: Ops, store: _Store, path: _DsPath, context: str) -> DatastoreFile | None:
    """What is at ``path`` (None if nothing is); NotFoundError if its folder is missing."""
    found = _search(ops, store, path.folder, path.name, context)
    return _record(found[0], path.folder) if found else None


def datastore_files(ops: Ops, *, datastore: Any, path: Any) -> list[DatastoreFile]:
    """What a folder of a datastore holds, folders first, each sorted by name."""
    inner = _check_inner_path(path, "path")
    context = f"list {str(path)!r} of datastore {str(datastore)!r}"
    store = _store(ops, datastore, context)
    folder = _DsPath(store.name, inner)
    context = f"list {folder}"
    files = [_record(info, folder) for info in _search(ops, store, folder, None, context)]
    return sorted(files, key=lambda f: (not f.is_dir, f.name))


# -- transfers ---------------------------------------------------------------------------------


def _cookie(ops: Ops) -> str:
    return str(ops.session.stub.soap_stub.cookie or "")


def _local_path(value: Any, what: str) -> Path:
    if not isinstance(value, (str, os.PathLike)) or not str(value):
        raise InvalidInputError(f"{what} {value!r}: a path of this machine")
    return Path(value)


def upload_file(
    ops: Ops, *, local_path: Any, datastore_path: Any, overwrite: bool, on_progress: Progress
) -> None:
    """Send a local file to a datastore; refuses to replace one unless ``overwrite``."""
    source = _local_path(local_path, "local file")
    target = _file_path(datastore_path, "datastore path")
    _check_flag("overwrite", overwrite)
    context = f"upload {str(source)!r} to {target}"
    if not source.exists():
        raise InvalidInputError(f"{context}: local file {str(source)!r}: no such file")
    if not source.is_file():
        raise InvalidInputError(f"{context}: local file {str(source)!r} is not a file")
    if not os.access(source, os.R_OK):
        raise InvalidInputError(f"{context}: local file {str(source)!r} cannot be read")
    store = _store_of(ops, target, context)
    existing = _entry_of(ops, store, target, context)
    if existing is not None and existing.is_dir:
        raise InvalidInputError(f"{context}: {target} is a folder")
    if existing is not None and not overwrite:
        raise InvalidInputError(f"{context}: {target} already exists (overwrite=True replaces it)")
    with source.open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        check_room(ops, store.obj, size, context)
        # Beside the target, hidden, and unlike any other name: see the module's docstring.
        temporary = target.folder.child(f".{target.name}.{secrets.token_hex(4)}.upload")
        url = folder_url(ops.session.http, store.datacenter_path, store.name, temporary.path)
        try:
            with TransferProgress(size, on_progress) as progress:
                put_file(
                    ops.session.http,
                    url,
                    _cookie(ops),
                    stream,
                    size,
                    sent=progress.add,
                    what=context,
                )
                _move(ops, store, temporary, target, overwrite, context)
        except BaseException:
            _remove_quietly(ops, store, temporary, context)
            raise
    ops.logger.info("%s: %d bytes", context, size)


def _move(
    ops: Ops, store: _Store, source: _DsPath, target: _DsPath, overwrite: bool, context: str
) -> None:
    manager = ops.content.fileManager

    def start() -> Any:
        return manager.MoveDatastoreFile_Task(
            sourceName=str(source),
            sourceDatacenter=store.datacenter,
            destinationName=str(target),
            destinationDatacenter=store.datacenter,
            force=overwrite,
        )

    try:
        ops.run(start, context, True, None)
    except VSphereError as e:
        if _is(e, "FileAlreadyExists"):
            # Made meanwhile by someone else: theirs stays.
            raise InvalidInputError(
                f"{context}: {target} already exists (overwrite=True replaces it)"
            ) from e
        raise


def _remove_quietly(ops: Ops, store: _Store, path: _DsPath, context: str) -> None:
    """Remove what a failed upload left (best effort: the error that got us here is the one
    to raise)."""

    def start() -> Any:
        return ops.content.fileManager.DeleteDatastoreFile_Task(
            name=str(path), datacenter=store.datacenter
        )

    try:
        ops.run(start, f"{context}: remove {path}", True, _CLEANUP_SECONDS)
    except VSphereError as e:
        if not _is(e, "FileNotFound"):  # nothing had arrived
            ops.logger.warning("%s: removing the partial upload %s: %s", context, path, e)


def download_file(
    ops: Ops, *, datastore_path: Any, local_path: Any, overwrite: bool, on_progress: Progress
) -> None:
    """Copy a datastore file to this machine; refuses to replace a local file unless
    ``overwrite``."""
    source = _file_path(datastore_path, "datastore path")
    target = _local_path(local_path, "local file")
    _check_flag("overwrite", overwrite)
    context = f"download {source} to {str(target)!r}"
    if target.is_dir():
        raise InvalidInputError(f"{context}: local file {str(target)!r} is a directory")
    if target.exists() and not overwrite:
        raise InvalidInputError(
            f"{context}: local file {str(target)!r} already exists (overwrite=True replaces it)"
        )
    directory = target.parent
    if not directory.is_dir():
        raise InvalidInputError(f"{context}: no local directory {str(directory)!r}")
    store = _store_of(ops, source, context)
    found = _entry_of(ops, store, source, context)
    if found is None:
        raise NotFoundError(f"{context}: no file {source}")
    if found.is_dir:
        raise InvalidInputError(f"{context}: {source} is a folder")
    url = folder_url(ops.session.http, store.datacenter_path, store.name, source.path)
    partial = directory / f".{target.name}.{secrets.token_hex(4)}.download"
    try:
        with TransferProgress(found.size, on_progress) as progress, partial.open("xb") as sink:
            get_file(ops.session.http, url, _cookie(ops), sink, received=progress.add, what=context)
            sink.flush()
            os.fsync(sink.fileno())
            _into_place(partial, target, overwrite, context)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    ops.logger.info("%s: done", context)


def _into_place(partial: Path, target: Path, overwrite: bool, context: str) -> None:
    """Rename the complete download to its name; without ``overwrite``, never over a file
    that appeared meanwhile (a hard link fails if the name is taken)."""
    if overwrite:
        os.replace(partial, target)
        return
    try:
        os.link(partial, target)
    except FileExistsError:
        raise InvalidInputError(
            f"{context}: local file {str(target)!r} already exists (overwrite=True replaces it)"
        ) from None
    except OSError:  # no hard links on this file system
        if target.exists():
            raise InvalidInputError(
                f"{context}: local file {str(target)!r} already exists (overwrite=True replaces it)"
            ) from None
        os.replace(partial, target)
        return
    partial.unlink()


def _check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name}={value!r}: True or False")


# -- folders and deletes -----------------------------------------------------------------------


def delete_file(ops: Ops, *, datastore_path: Any) -> None:
    """Delete a file, or a folder with everything in it."""
    path = _file_path(datastore_path, "datastore path")
    context = f"delete {path}"
    store = _store_of(ops, path, context)

    def start() -> Any:
        return ops.content.fileManager.DeleteDatastoreFile_Task(
            name=str(path), datacenter=store.datacenter
        )

    try:
        ops.run(start, context, True, None)
    except VSphereError as e:
        if _is(e, "FileNotFound"):
            raise NotFoundError(f"{context}: no file or folder {path}") from e
        raise


def make_directory(ops: Ops, *, datastore_path: Any) -> None:
    """Make a folder and any missing folders above it; one that exists is no error."""
    path = _file_path(datastore_path, "datastore path")
    context = f"make folder {path}"
    store = _store_of(ops, path, context)
    try:
        with describing(context):
            ops.content.fileManager.MakeDirectory(
                name=str(path), datacenter=store.datacenter, createParentDirectories=True
            )
    except VSphereError as e:
        # vCenter answers FileAlreadyExists for a folder that is there (govmomi's simulator
        # answers nothing, as mkdir -p does).
        if not _is(e, "FileAlreadyExists"):
            raise
        existing = _entry_of(ops, store, path, context)
        if existing is None or not existing.is_dir:
            raise InvalidInputError(f"{context}: {path} is a file") from e
        ops.logger.info("%s: already there", context)
        return
    ops.logger.info("%s: done", context)
