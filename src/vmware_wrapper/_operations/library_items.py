"""Finding content libraries and their items by name, through vCenter's vAPI REST endpoint
(/rest/com/vmware): shared by the operations that manage libraries and those that deploy
from them.

    library = find_library(ops, "golden", context)            # by name, else by id
    library, item = find_item(ops, "golden/ubuntu", context)  # "library/item"

A name that fits several libraries or items is refused (AmbiguousNameError), never guessed:
vCenter lets several libraries share a name, and several items of one library too.
"""

from __future__ import annotations

from typing import Any

from ..errors import AmbiguousNameError, InvalidInputError, NotFoundError
from .checks import check_text
from .context import Ops

LIBRARY = "/content/library"
LOCAL_LIBRARY = "/content/local-library"
SUBSCRIBED_LIBRARY = "/content/subscribed-library"
ITEM = "/content/library/item"
UPDATE_SESSION = "/content/library/item/update-session"
SESSION_FILE = "/content/library/item/updatesession/file"
OVF_ITEM = "/vcenter/ovf/library-item"


def all_libraries(ops: Ops) -> list[dict[str, Any]]:
    """Every library's info (one read each; one deleted since the listing is left out)."""
    ids = ops.vapi.call("GET", LIBRARY, context="list content libraries") or []
    return _read_each(ops, LIBRARY, "content library", ids)


def items_of(ops: Ops, library: dict[str, Any]) -> list[dict[str, Any]]:
    label = library_label(library["name"])
    ids = ops.vapi.call(
        "GET", f"{ITEM}?library_id={library['id']}",
        context=f"list the items of {label}", subject=label,
    ) or []  # fmt: skip
    return _read_each(ops, ITEM, "library item", ids)


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


def find_library(ops: Ops, library: Any, context: str) -> dict[str, Any]:
    """The one library that ``library`` names: by name, else by id."""
    if not isinstance(library, str) or not library.strip():
        raise InvalidInputError(f"{context}: library {library!r}: a library's name or id")
    check_text(library, "library")
    libraries = all_libraries(ops)
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


def split_item(item: Any, context: str) -> tuple[str, str]:
    if not isinstance(item, str) or "/" not in item.strip("/"):
        raise InvalidInputError(f"{context}: item {item!r}: 'library/item'")
    check_text(item, "item")
    library, _, name = item.strip("/").rpartition("/")
    return library, name


def find_item(ops: Ops, item: Any, context: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(library, item) for "library/item" (the item by name, else by id)."""
    library_name, name = split_item(item, context)
    library = find_library(ops, library_name, context)
    items = items_of(ops, library)
    found = [i for i in items if i.get("name") == name] or [i for i in items if i["id"] == name]
    if not found:
        raise NotFoundError(f"{context}: {library_label(library['name'])} has no item {name!r}")
    if len(found) > 1:
        ids = sorted(str(i["id"]) for i in found)
        raise AmbiguousNameError(
            f"{context}: {len(found)} items of {library_label(library['name'])} are named "
            f"{name!r} (ids {', '.join(ids)}); give 'library/id'",
            candidates=[f"{library['name']}/{i}" for i in ids],
        )
    return library, found[0]


def library_label(name: str) -> str:
    """How a library appears in messages: "library 'golden'"."""
    return f"library {name!r}"
