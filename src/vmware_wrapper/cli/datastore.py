"""vmw datastore: files on datastores."""

from __future__ import annotations

import os
import re

import click

from ..errors import NotFoundError
from ._command import VmwGroup
from ._core import Context, confirm, examples, obj, percent_bar
from .completion import complete_datastore

# "[datastore] dir/name", as vSphere writes datastore paths.
_DATASTORE_PATH = re.compile(r"\[(?P<datastore>[^\[\]]+)\] ?(?P<path>.*)", re.DOTALL)


def register(group: click.Group) -> None:
    """Adds this module's commands to vmw."""
    group.add_command(datastore)


@click.group(cls=VmwGroup)
def datastore() -> None:
    """Files on datastores: list, upload, download, delete, make folders.

    Files and folders are named as vSphere names them: '[datastore] dir/name' (quote it for
    the shell).
    """


@datastore.command(
    "ls",
    epilog=examples(
        "vmw datastore ls LocalDS_0",
        "vmw datastore ls LocalDS_0 iso/2026",
        "vmw datastore ls '[LocalDS_0] iso'",
        "vmw --json datastore ls LocalDS_0 iso",
    ),
)
@click.argument("datastore_name", metavar="DATASTORE", shell_complete=complete_datastore)
@click.argument("path", required=False, default="")
@click.pass_context
def datastore_ls(ctx: click.Context, datastore_name: str, path: str) -> None:
    """What a folder of a datastore holds (default: its top); folders end in '/'."""
    cx: Context = obj(ctx)
    match = _DATASTORE_PATH.fullmatch(datastore_name)
    if match is not None and not path:  # '[ds] dir' for DATASTORE PATH
        datastore_name, path = match["datastore"], match["path"]
    files = cx.vs.datastore_files(datastore_name, path)
    cx.table(
        files,
        (
            ("NAME", lambda f: f.name + "/" if f.is_dir else f.name),
            ("SIZE", lambda f: "" if f.is_dir else _size(f.size)),
            ("MODIFIED", "modified"),
        ),
    )


@datastore.command(
    "upload",
    epilog=examples(
        "vmw datastore upload tools.iso '[LocalDS_0] iso/tools.iso'",
        "vmw datastore upload tools.iso '[LocalDS_0] iso/'          # into the folder",
        "vmw datastore upload tools.iso '[LocalDS_0] iso/tools.iso' --overwrite",
    ),
)
@click.argument("local", metavar="LOCAL")
@click.argument("target", metavar="'[DATASTORE] PATH'")
@click.option("--overwrite", is_flag=True, help="replace a file of that name")
@click.pass_context
def datastore_upload(ctx: click.Context, local: str, target: str, overwrite: bool) -> None:
    """Upload a local file to a datastore (a PATH ending in '/': into that folder)."""
    cx: Context = obj(ctx)
    if target.endswith("/"):
        target += os.path.basename(local.rstrip(os.sep))
    with percent_bar(cx, f"upload {os.path.basename(local)}") as progress:
        cx.vs.upload_file(local, target, overwrite=overwrite, on_progress=progress)
    size = os.path.getsize(local)
    if cx.as_json:
        cx.emit({"local": local, "path": target, "size": size})
    cx.err.print(f"uploaded {local} to {target} ({_size(size)})", markup=False)


@datastore.command(
    "download",
    epilog=examples(
        "vmw datastore download '[LocalDS_0] DC0_H0_VM0/vmware.log' vmware.log",
        "vmw datastore download '[LocalDS_0] iso/tools.iso' .      # into the directory",
        "vmw datastore download '[LocalDS_0] iso/tools.iso' tools.iso --overwrite",
    ),
)
@click.argument("source", metavar="'[DATASTORE] PATH'")
@click.argument("local", metavar="LOCAL")
@click.option("--overwrite", is_flag=True, help="replace a local file of that name")
@click.pass_context
def datastore_download(ctx: click.Context, source: str, local: str, overwrite: bool) -> None:
    """Download a datastore file (LOCAL a directory: into it, under the file's name)."""
    cx: Context = obj(ctx)
    match = _DATASTORE_PATH.fullmatch(source)
    if os.path.isdir(local) and match is not None:
        local = os.path.join(local, match["path"].rstrip("/").rpartition("/")[2])
    name = os.path.basename(local)
    with percent_bar(cx, f"download {name}") as progress:
        cx.vs.download_file(source, local, overwrite=overwrite, on_progress=progress)
    size = os.path.getsize(local)
    if cx.as_json:
        cx.emit({"local": local, "path": source, "size": size})
    cx.err.print(f"downloaded {source} to {local} ({_size(size)})", markup=False)


@datastore.command(
    "rm",
    epilog=examples(
        "vmw datastore rm '[LocalDS_0] iso/old.iso'",
        "vmw datastore rm '[LocalDS_0] old-vm' --yes     # a folder, with what it holds",
    ),
)
@click.argument("path", metavar="'[DATASTORE] PATH'")
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def datastore_rm(ctx: click.Context, path: str, yes: bool) -> None:
    """Delete a datastore file, or a folder with everything in it (asks first)."""
    cx: Context = obj(ctx)
    what = _what_is_at(cx, path)
    if confirm(cx, [f"delete {what}"], f"delete {path}", yes):
        with cx.working(f"delete {path}"):
            cx.vs.delete_file(path)
        cx.err.print(f"deleted {what}", markup=False)


def _what_is_at(cx: Context, path: str) -> str:
    """What deleting ``path`` removes, in words ("folder [ds] x and everything in it (3
    entries)"); looked up before anyone is asked, so that nobody confirms what cannot be done.
    A path the library will refuse is left for it to name."""
    match = _DATASTORE_PATH.fullmatch(path.strip())
    inner = match["path"].strip("/") if match else ""
    if match is None or not inner or any(p in ("", ".", "..") for p in inner.split("/")):
        return path
    folder, _, name = inner.rpartition("/")
    found = [f for f in cx.vs.datastore_files(match["datastore"], folder) if f.name == name]
    if not found:
        raise NotFoundError(f"delete {path}: no file or folder {path}")
    if not found[0].is_dir:
        return f"file {found[0].path} ({_size(found[0].size)})"
    held = len(cx.vs.datastore_files(match["datastore"], inner))
    if not held:
        return f"folder {found[0].path} (empty)"
    entries = "1 entry" if held == 1 else f"{held} entries"
    return f"folder {found[0].path} and everything in it ({entries})"


@datastore.command(
    "mkdir", epilog=examples("vmw datastore mkdir '[LocalDS_0] iso/2026/12'   # with its parents")
)
@click.argument("path", metavar="'[DATASTORE] PATH'")
@click.pass_context
def datastore_mkdir(ctx: click.Context, path: str) -> None:
    """Make a folder on a datastore, with any missing folders above it."""
    cx: Context = obj(ctx)
    cx.vs.make_directory(path)
    cx.err.print(f"made folder {path}", markup=False)


def _size(size: int) -> str:
    """Bytes as people read them: "512 B", "4.0 MB"."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"
