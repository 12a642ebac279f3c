"""Content libraries, through vCenter's vAPI REST endpoint (/rest/com/vmware, the 6.5 API):
make a local library on a datastore, import an OVF package into it as an item, deploy an item
as a new VM, delete either.

    create_library(ops, name="golden", datastore="LocalDS_0", description="")
    import_into_library(ops, library="golden", item_name="app", source="app.ova", on_progress=None)
    deploy_from_library(ops, item="golden/app", name="web-07", cluster="C1", networks={...}, ...)

A library is named by its name, or by its id when several share a name; an item as
"library/item". A name that fits several is refused (AmbiguousNameError), never guessed.

An import is vCenter's update session (Content Library API, UpdateSession): the item is made,
a session is opened on it, each file of the package (the descriptor first, then the files it
references, as govc's library.import sends them) is added to the session and PUT, streamed, to
the upload URL the server hands out; "complete" ends it. Whatever fails (the server, the
network, the caller's Ctrl-C) cancels the session and deletes the item the import made.

A deploy is the OVF deploy of a library item (vcenter/ovf/library-item, "filter" to read the
package's networks, then "deploy"), placed and with its networks mapped as deploy_ovf's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._base.models import LibraryInfo, LibraryItemInfo
from .._base.ovf_descriptor import check_networks, parse_descriptor
from .._base.vmomi import vim
from .._inventory.tree import KINDS
from .._transport.faults import describing, translate_rest
from .._transport.ovf_files import TransferProgress, open_source
from ..errors import AmbiguousNameError, InvalidInputError, NotFoundError, VSphereError
from .checks import (
    check_mapping,
    check_name,
    check_one_pool_given,
    check_text,
    map_networks,
    place_new_vm,
)
from .context import Ops

Progress = Callable[[int], None] | None

_LIBRARY = "/content/library"
_LOCAL_LIBRARY = "/content/local-library"
_SUBSCRIBED_LIBRARY = "/content/subscribed-library"
_ITEM = "/content/library/item"
_UPDATE_SESSION = "/content/library/item/update-session"
_SESSION_FILE = "/content/library/item/updatesession/file"
_OVF_ITEM = "/vcenter/ovf/library-item"


# -- reading ---------------------------------------------------------------------------------


def _libraries(ops: Ops) -> list[dict[str, Any]]:
    """Every library's info (one read each; one deleted since the listing is left out)."""
    ids = ops.vapi.call("GET", _LIBRARY, context="list content libraries") or []
    return _read_each(ops, _LIBRARY, "content library", ids)


def _items(ops: Ops, library: dict[str, Any]) -> list[dict[str, Any]]:
    label = _library_label(library["name"])
    ids = ops.vapi.call(
        "GET", f"{_ITEM}?library_id={library['id']}",
        context=f"list the items of {label}", subject=label,
    ) or []  # fmt: skip
    return _read_each(ops, _ITEM, "library item", ids)


def _read_each(ops: Ops, path: str, noun: str, ids: list[str]) -> list[dict[str, Any]]:
    found = []
    for i in ids:
        try:
            found.append(
                ops.vapi.call(
                    "GET", f"{path}/id:{i}", context=f"read {noun} {i}", subject=f"{noun} {i}"
                )
            )
        except NotFoundError:
            continue
    return found


def _library(ops: Ops, library: Any, context: str) -> dict[str, Any]:
    """The one library that ``library`` names: by name, else by id."""
    if not isinstance(library, str) or not library.strip():
        raise InvalidInputError(f"{context}: library {library!r}: a library's name or id")
    check_text(library, "library")
    libraries = _libraries(ops)
    found = [lib for lib in libraries if lib.get("name") == library]
    if not found:
        found = [lib for lib in libraries if lib.get("id") == library]
    if not found:
        raise NotFoundError(f"{context}: no content library {library!r}")
    if len(found) > 1:
        ids = sorted(str(lib["id"]) for lib in found)
        raise AmbiguousNameError(
            f"{context}: {len(found)} content libraries are named {library!r} "
            f"(ids {', '.join(ids)}); give the id",
            candidates=ids,
        )
    return found[0]


def _split_item(item: Any, context: str) -> tuple[str, str]:
    if not isinstance(item, str) or "/" not in item.strip("/"):
        raise InvalidInputError(f"{context}: item {item!r}: 'library/item'")
    check_text(item, "item")
    library, _, name = item.strip("/").rpartition("/")
    return library, name


def _item(ops: Ops, item: Any, context: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(library, item) for "library/item" (the item by name, else by id)."""
    library_name, name = _split_item(item, context)
    library = _library(ops, library_name, context)
    items = _items(ops, library)
    found = [i for i in items if i.get("name") == name] or [i for i in items if i["id"] == name]
    if not found:
        raise NotFoundError(f"{context}: {_library_label(library['name'])} has no item {name!r}")
    if len(found) > 1:
        ids = sorted(str(i["id"]) for i in found)
        raise AmbiguousNameError(
            f"{context}: {len(found)} items of {_library_label(library['name'])} are named "
            f"{name!r} (ids {', '.join(ids)}); give 'library/id'",
            candidates=[f"{library['name']}/{i}" for i in ids],
        )
    return library, found[0]


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
        (_library_info(ops, lib) for lib in _libraries(ops)), key=lambda i: (i.name, i.id)
    )


def library_items(ops: Ops, *, library: Any) -> list[LibraryItemInfo]:
    found = _library(ops, library, f"list the items of library {library!r}")
    return sorted(
        (_item_info(found, item) for item in _items(ops, found)), key=lambda i: (i.name, i.id)
    )


# -- changing ----------------------------------------------------------------------------------


def create_library(ops: Ops, *, name: str, datastore: Any, description: str) -> LibraryInfo:
    check_name(name, "library name")
    check_text(description, "description")
    label = _library_label(name)
    context = f"create {label}"
    ds_entry, _ = ops.resolve(KINDS["datastore"], datastore)
    # Refused here when the name is seen taken (vCenter would take a second library of the
    # name, and every later use of the name would then be ambiguous).
    if any(lib.get("name") == name for lib in _libraries(ops)):
        raise InvalidInputError(f"{context}: {label} already exists")
    spec = {
        "create_spec": {
            "name": name,
            "description": description,
            "type": "LOCAL",
            "storage_backings": [{"type": "DATASTORE", "datastore_id": ds_entry.moid}],
        }
    }
    library_id = ops.vapi.call("POST", _LOCAL_LIBRARY, spec, context=context, subject=label)
    ops.logger.info("create %s on datastore %r", label, ds_entry.display_name)
    created = ops.vapi.call(
        "GET", f"{_LIBRARY}/id:{library_id}", context=f"read {label}", subject=label
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
    descriptor = parse_descriptor(text)
    hrefs = [f.href for f in descriptor.files]
    missing = package.missing(hrefs)
    if missing:
        raise InvalidInputError(f"{context}: the package lacks {', '.join(missing)}")
    found = _library(ops, library, context)
    label = f"item {found['name'] + '/' + item_name!r}"
    # Refused here when the name is seen taken; vCenter refuses what is made meanwhile
    # (already_exists, translated alike).
    if any(i.get("name") == item_name for i in _items(ops, found)):
        raise InvalidInputError(f"{context}: {label} already exists")

    spec = {
        "create_spec": {
            "library_id": found["id"],
            "name": item_name,
            "description": "",
            "type": "ovf",
        }
    }
    item_id = ops.vapi.call("POST", _ITEM, spec, context=context, subject=label)
    session = None
    try:
        session = ops.vapi.call(
            "POST", _UPDATE_SESSION, {"create_spec": {"library_item_id": item_id}},
            context=context, subject=label,
        )  # fmt: skip
        data = text.encode("utf-8")
        sizes = {f.href: f.size for f in descriptor.files}
        total = len(data) + sum(size or 0 for size in sizes.values())
        with TransferProgress(total, on_progress) as progress:
            _send(ops, session, descriptor_name, len(data), _Bytes(data), progress, context)
            for href, size, stream in package.open(hrefs):
                _send(ops, session, href, size, stream, progress, context)
        ops.vapi.call(
            "POST", f"{_UPDATE_SESSION}/id:{session}?~action=complete",
            context=context, subject=label,
        )  # fmt: skip
    except BaseException:
        _abandon(ops, session, item_id, context)
        raise
    ops.logger.info("%s: done", context)
    item = ops.vapi.call("GET", f"{_ITEM}/id:{item_id}", context=context, subject=label)
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
        "POST", f"{_SESSION_FILE}/id:{session}?~action=add",
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
                "POST", f"{_UPDATE_SESSION}/id:{session}?~action=cancel",
                context=f"{context}: cancel",
            )  # fmt: skip
        except Exception as e:
            ops.logger.warning("%s: cancelling the update session: %s", context, e)
    try:
        ops.vapi.call("DELETE", f"{_ITEM}/id:{item_id}", context=f"{context}: clean up")
    except NotFoundError:
        pass
    except Exception as e:
        ops.logger.warning("%s: deleting the half-made item: %s", context, e)


def deploy_from_library(
    ops: Ops,
    *,
    item: Any,
    name: str,
    folder: Any,
    host: Any,
    cluster: Any,
    resource_pool: Any,
    datastore: Any,
    networks: dict[str, Any] | None,
    power_on: bool,
) -> Any:
    check_name(name, "VM name")
    context = f"deploy library item {item!r} as {name!r}"
    networks = check_mapping("networks", networks)
    check_one_pool_given(cluster, resource_pool)
    library, found = _item(ops, item, context)
    label = f"item {library['name'] + '/' + found['name']!r}"
    if found.get("type") != "ovf":
        raise InvalidInputError(
            f"{context}: {label} is of type {found.get('type')!r}; only OVF items deploy here"
        )
    with describing(context):
        place = place_new_vm(
            ops,
            name=name,
            folder=folder,
            host=host,
            cluster=cluster,
            resource_pool=resource_pool,
            datastore=datastore,
            description=context,
        )
    target: dict[str, str] = {
        "resource_pool_id": place.pool._moId,
        "folder_id": place.folder._moId,
    }
    if place.host is not None:
        target["host_id"] = place.host._moId
    # The package's networks, as the server reads them (vcenter.ovf.LibraryItem.filter).
    summary = ops.vapi.call(
        "POST", f"{_OVF_ITEM}/id:{found['id']}?~action=filter", {"target": target},
        context=context, subject=label,
    ) or {}  # fmt: skip
    ovf_networks = tuple(summary.get("networks") or ())
    check_networks(ovf_networks, networks, context)
    mapping = map_networks(ops, ovf_networks, networks, place.pool, context)
    spec = {
        "target": target,
        "deployment_spec": {
            "name": name,
            "accept_all_EULA": True,
            "default_datastore_id": place.target_datastore._moId,
            "network_mappings": [{"key": k, "value": v._moId} for k, v in mapping],
        },
    }
    result = ops.vapi.call(
        "POST", f"{_OVF_ITEM}/id:{found['id']}?~action=deploy", spec,
        context=context, subject=label,
    ) or {}  # fmt: skip
    resource = result.get("resource_id") or {}
    if not result.get("succeeded") or not resource.get("id"):
        raise _deploy_error(result, context, label)
    moid = str(resource["id"])
    try:  # the caller reads its own write at once; should this fail, the watch catches up
        ops.index.refresh(moid, "VirtualMachine")
    except VSphereError as e:
        ops.logger.debug("%s: reading the new VM into the index: %s", context, e)
    vm = vim.VirtualMachine(moid, ops.session.stub)
    ops.logger.info("%s: done", context)
    if power_on:
        ops.run(vm.PowerOnVM_Task, f"power on {name!r}", True, None)
    return vm


def _deploy_error(result: dict[str, Any], context: str, label: str) -> VSphereError:
    """The error of a deploy the server reports as failed (its result's "error"), translated
    as any vAPI error is, by its class."""
    errors = ((result.get("error") or {}).get("errors")) or []
    for entry in errors:
        error = entry.get("error") or {}
        payload = {"type": error.get("@class", ""), "value": {"messages": error.get("messages")}}
        message = entry.get("message")
        if message and not error.get("messages"):
            payload["value"] = {"messages": [message]}
        return translate_rest(500, payload, context, subject=label)
    return VSphereError(f"{context}: the server reports the deploy failed")


def delete_from_library(ops: Ops, *, library_or_item: Any) -> None:
    context = f"delete {library_or_item!r}"
    if not isinstance(library_or_item, str) or not library_or_item.strip("/ "):
        raise InvalidInputError(f"{context}: a library's name, or 'library/item'")
    if "/" in library_or_item.strip("/"):
        library, found = _item(ops, library_or_item, context)
        label = f"item {library['name'] + '/' + found['name']!r}"
        ops.vapi.call(
            "DELETE", f"{_ITEM}/id:{found['id']}", context=f"delete {label}", subject=label
        )
        ops.logger.info("delete %s", label)
        return
    library = _library(ops, library_or_item, context)
    label = _library_label(library["name"])
    kind = _SUBSCRIBED_LIBRARY if library.get("type") == "SUBSCRIBED" else _LOCAL_LIBRARY
    ops.vapi.call("DELETE", f"{kind}/id:{library['id']}", context=f"delete {label}", subject=label)
    ops.logger.info("delete %s", label)


def _library_label(name: str) -> str:
    """How a library appears in messages: "library 'golden'"."""
    return f"library {name!r}"
