"""Content libraries, through vCenter's vAPI REST endpoint (/rest/com/vmware, the 6.5 API):
make a local library on a datastore, import an OVF package into it as an item, list, delete.

    create_library(ops, name="golden", datastore="LocalDS_0", description="")
    import_into_library(ops, library="golden", item_name="app", source="app.ova", on_progress=None)
    delete_from_library(ops, library_or_item="golden/app")

A library is named by its name, or by its id when several share a name; an item as
"library/item" (see ``library_items``). Deploying an item is in ``library_deploy``.

An import is vCenter's update session (Content Library API, UpdateSession): the item is made,
a session is opened on it, each file of the package (the descriptor first, then the files it
references, as govc's library.import sends them) is added to the session and PUT, streamed, to
the upload URL the server hands out; "complete" ends it. Whatever fails (the server, the
network, the caller's Ctrl-C) cancels the session and deletes the item the import made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._base.models import LibraryInfo, LibraryItemInfo
from .._base.ovf_descriptor import parse_descriptor
from .._inventory.tree import KINDS
from .._transport.ovf_files import Manifest, TransferProgress, open_source
from ..errors import InvalidInputError, NotFoundError, VSphereError
from .checks import check_name, check_text
from .context import Ops
from .library_items import (
    ITEM,
    LIBRARY,
    LOCAL_LIBRARY,
    SESSION_FILE,
    SUBSCRIBED_LIBRARY,
    UPDATE_SESSION,
    all_libraries,
    find_item,
    find_library,
    items_of,
    library_label,
)

Progress = Callable[[int], None] | None


# -- reading ---------------------------------------------------------------------------------


def _library_info(ops: Ops, library: dict[str, Any]) -> LibraryInfo:
    backings = library.get("storage_backings") or []
    datastore = None
    for backing in backings:
        if backing.get("datastore_id"):
            entry = ops.index.inventory.get(backing["datastore_id"])
            datastore = entry.display_name if entry is not None else backing["datastore_id"]
            break
    return LibraryInfo(
        name=library["name"],
        id=library["id"],
        type=library.get("type") or "",
        description=library.get("description") or "",
        datastore=datastore,
        created=library.get("creation_time"),
    )


def _item_info(library: dict[str, Any], item: dict[str, Any]) -> LibraryItemInfo:
    return LibraryItemInfo(
        name=item["name"],
        library=library["name"],
        path=f"{library['name']}/{item['name']}",
        id=item["id"],
        type=item.get("type") or "",
        size=int(item.get("size") or 0),
        description=item.get("description") or "",
        created=item.get("creation_time"),
    )


def list_libraries(ops: Ops) -> list[LibraryInfo]:
    ops.index.ready()  # datastore names for the records
    return sorted(
        (_library_info(ops, lib) for lib in all_libraries(ops)), key=lambda i: (i.name, i.id)
    )


def library_items(ops: Ops, *, library: Any) -> list[LibraryItemInfo]:
    found = find_library(ops, library, f"list the items of library {library!r}")
    return sorted(
        (_item_info(found, item) for item in items_of(ops, found)), key=lambda i: (i.name, i.id)
    )


# -- changing ----------------------------------------------------------------------------------


def create_library(ops: Ops, *, name: str, datastore: Any, description: str) -> LibraryInfo:
    check_name(name, "library name")
    check_text(description, "description")
    label = library_label(name)
    context = f"create {label}"
    ds_entry, _ = ops.resolve(KINDS["datastore"], datastore)
    # Refused here when the name is seen taken (vCenter would take a second library of the
    # name, and every later use of the name would then be ambiguous).
    if any(lib.get("name") == name for lib in all_libraries(ops)):
        raise InvalidInputError(f"{context}: {label} already exists")
    spec = {
        "create_spec": {
            "name": name,
            "description": description,
            "type": "LOCAL",
            "storage_backings": [{"type": "DATASTORE", "datastore_id": ds_entry.moid}],
        }
    }
    library_id = ops.vapi.call("POST", LOCAL_LIBRARY, spec, context=context, subject=label)
    ops.logger.info("create %s on datastore %r", label, ds_entry.display_name)
    created = ops.vapi.call(
        "GET", f"{LIBRARY}/id:{library_id}", context=f"read {label}", subject=label
    )
    return _library_info(ops, created)


def import_into_library(
    ops: Ops, *, library: Any, item_name: str, source: Any, on_progress: Progress
) -> LibraryItemInfo:
    check_name(item_name, "item name")
    if "/" in item_name:
        raise InvalidInputError(f"item name {item_name!r}: no '/' (it separates library and item)")
    context = f"import {str(source)!r} into library {library!r} as {item_name!r}"
    package = open_source(source, ops.session.http)
    descriptor_name, text = package.read_descriptor()
    manifest = Manifest.of(package, descriptor_name, text)
    descriptor = parse_descriptor(text)
    hrefs = [f.href for f in descriptor.files]
    missing = package.missing(hrefs)
    if missing:
        raise InvalidInputError(f"{context}: the package lacks {', '.join(missing)}")
    found = find_library(ops, library, context)
    label = f"item {found['name'] + '/' + item_name!r}"
    # Refused here when the name is seen taken; vCenter refuses what is made meanwhile
    # (already_exists, translated alike).
    if any(i.get("name") == item_name for i in items_of(ops, found)):
        raise InvalidInputError(f"{context}: {label} already exists")

    spec = {
        "create_spec": {
            "library_id": found["id"],
            "name": item_name,
            "description": "",
            "type": "ovf",
        }
    }
    item_id = ops.vapi.call("POST", ITEM, spec, context=context, subject=label)
    session = None
    try:
        session = ops.vapi.call(
            "POST", UPDATE_SESSION, {"create_spec": {"library_item_id": item_id}},
            context=context, subject=label,
        )  # fmt: skip
        data = text.encode("utf-8")
        sizes = {f.href: f.size for f in descriptor.files}
        total = len(data) + sum(size or 0 for size in sizes.values())
        with TransferProgress(total, on_progress) as progress:
            _send(ops, session, descriptor_name, len(data), _Bytes(data), progress, context)
            for href, size, stream in package.open(hrefs):
                checked = manifest.wrap(href, stream)
                _send(ops, session, href, size, checked, progress, context)
                manifest.check(href, checked)
        ops.vapi.call(
            "POST", f"{UPDATE_SESSION}/id:{session}?~action=complete",
            context=context, subject=label,
        )  # fmt: skip
    except BaseException:
        _abandon(ops, session, item_id, context)
        raise
    ops.logger.info("%s: done", context)
    item = ops.vapi.call("GET", f"{ITEM}/id:{item_id}", context=context, subject=label)
    return _item_info(found, item)


class _Bytes:
    """The descriptor, as a stream (it was read and checked already)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.offset + n
        chunk = self.data[self.offset : end]
        self.offset += len(chunk)
        return chunk


def _send(
    ops: Ops,
    session: str,
    name: str,
    size: int,
    stream: Any,
    progress: TransferProgress,
    context: str,
) -> None:
    """Add one file to the update session and PUT its bytes to the URL it is given."""
    added = ops.vapi.call(
        "POST", f"{SESSION_FILE}/id:{session}?~action=add",
        {"file_spec": {"name": name, "source_type": "PUSH", "size": size}},
        context=f"{context}: {name}",
    )  # fmt: skip
    url = ((added or {}).get("upload_endpoint") or {}).get("uri")
    if not url:
        raise VSphereError(f"{context}: the server gave no upload URL for {name}")
    ops.vapi.upload(url, stream, size, sent=progress.add, what=f"{context}: {name}")


def _abandon(ops: Ops, session: str | None, item_id: str, context: str) -> None:
    """Cancel the update session and delete the item the import made. Best effort: the
    error that got us here is the one to raise."""
    if session is not None:
        try:
            ops.vapi.call(
                "POST", f"{UPDATE_SESSION}/id:{session}?~action=cancel",
                context=f"{context}: cancel",
            )  # fmt: skip
        except Exception as e:
            ops.logger.warning("%s: cancelling the update session: %s", context, e)
    try:
        ops.vapi.call("DELETE", f"{ITEM}/id:{item_id}", context=f"{context}: clean up")
    except NotFoundError:
        pass
    except Exception as e:
        ops.logger.warning("%s: deleting the half-made item: %s", context, e)


def delete_from_library(ops: Ops, *, library_or_item: Any) -> None:
    context = f"delete {library_or_item!r}"
    if not isinstance(library_or_item, str) or not library_or_item.strip("/ "):
        raise InvalidInputError(f"{context}: a library's name, or 'library/item'")
    if "/" in library_or_item.strip("/"):
        library, found = find_item(ops, library_or_item, context)
        label = f"item {library['name'] + '/' + found['name']!r}"
        ops.vapi.call(
            "DELETE", f"{ITEM}/id:{found['id']}", context=f"delete {label}", subject=label
        )
        ops.logger.info("delete %s", label)
        return
    library = find_library(ops, library_or_item, context)
    label = library_label(library["name"])
    kind = SUBSCRIBED_LIBRARY if library.get("type") == "SUBSCRIBED" else LOCAL_LIBRARY
    ops.vapi.call("DELETE", f"{kind}/id:{library['id']}", context=f"delete {label}", subject=label)
    ops.logger.info("delete %s", label)
