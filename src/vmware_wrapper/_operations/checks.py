"""Checks and values that several operations share: inputs checked before anything is sent
(names, sizes, timeouts, placement in one datacenter, room on a datastore) and power states.

    cpus = positive_int("cpus", cpus)
    check_same_datacenter(ops, folder=folder_entry, host=host_entry, context=description)
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from .._base.names import MAX_NAME_LENGTH, not_xml
from .._base.times import check_timeout as check_timeout  # the operations' check, shared
from .._inventory.tree import Entry
from ..errors import InvalidInputError, InvalidStateError, OperationTimeout

if TYPE_CHECKING:
    from .context import Ops

ON, OFF, SUSPENDED = "poweredOn", "poweredOff", "suspended"


def deadline_of(timeout: float | None) -> float | None:
    check_timeout(timeout)
    return None if timeout is None else time.monotonic() + timeout


def remaining(deadline: float | None) -> float | None:
    """Seconds left until a deadline; OperationTimeout if none are."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise OperationTimeout("the timeout ran out")
    return max(left, 0.001)


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInputError(f"{name}={value!r}: a whole number, more than 0")
    return int(value)


def positive_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InvalidInputError(f"{name}={value!r}: a number, more than 0")
    if math.isinf(value):
        raise InvalidInputError(f"{name}={value!r}: a finite number")
    return float(value)


def check_name(name: Any, what: str = "name") -> str:
    """A valid name for a new inventory object (as people type it)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"{what} {name!r}: a non-empty string")
    if name != name.strip():
        raise InvalidInputError(f"{what} {name!r}: no leading or trailing spaces")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInputError(
            f"{what} {name!r}: {len(name)} characters, at most {MAX_NAME_LENGTH}"
        )
    if any(ord(c) < 32 for c in name):
        raise InvalidInputError(f"{what} {name!r}: no control characters")
    return check_text(name, what)


def check_text(text: Any, what: str) -> str:
    """Text to send as it is (notes, a custom field's name or value, a description): a
    string that SOAP can carry. Checked before anything is sent, so that an operation of
    several requests is refused whole, not after its first ones."""
    if not isinstance(text, str):
        raise InvalidInputError(f"{what} {text!r}: a string")
    bad = not_xml(text)
    if bad is not None:
        kind = "a lone surrogate" if "\ud800" <= bad <= "\udfff" else "a character"
        raise InvalidInputError(
            f"{what} {text!r}: {kind} (U+{ord(bad):04X}) which cannot be sent to vSphere "
            "(XML 1.0 has no way to carry it)"
        )
    return text


def check_memory(memory_mb: Any) -> int:
    megabytes = positive_int("memory_mb", memory_mb)
    if megabytes % 4:
        raise InvalidInputError(f"memory_mb={megabytes}: vSphere needs a multiple of 4 MB")
    return megabytes


def datacenter_of(ops: Ops, entry: Entry) -> Entry | None:
    """The datacenter that holds ``entry`` (itself, for a datacenter); None above them all."""
    inventory = ops.index.inventory
    current: Entry | None = entry
    while current is not None and current.type != "Datacenter":
        parent = current.tree_parent
        current = inventory.get(parent) if parent else None
    return current


def vsphere_folder(ops: Ops, entry: Entry) -> str | None:
    """Why ``entry`` is one of the folders vSphere makes and needs where they are (the
    inventory's root folder; a datacenter's vm, host, datastore and network folders), or
    None. vSphere neither removes nor moves them; a move of the root folder is not even
    refused by every server (govmomi's simulator fails on it), so it is never sent."""
    inventory = ops.index.inventory
    if entry.moid == inventory.root:
        return "it is the root folder of the inventory"
    parent = inventory.get(entry.parent or "")
    if entry.type == "Folder" and parent is not None and parent.type == "Datacenter":
        return f"it is one of the folders of datacenter {parent.display_name!r} itself"
    return None


def check_same_datacenter(
    ops: Ops, datacenter: Entry | None, entries: list[Entry], context: str
) -> None:
    """Each entry in ``datacenter``. Folders, pools, hosts and datastores belong to one
    datacenter; vSphere refuses to mix them (with a fault that does not say which one)."""
    for entry in entries:
        actual = datacenter_of(ops, entry)
        if not same_datacenter(actual, datacenter):
            raise InvalidInputError(
                f"{context}: {ops.resolver.path(entry)} is in {datacenter_label(actual)}, "
                f"not in {datacenter_label(datacenter)}"
            )


def same_datacenter(a: Entry | None, b: Entry | None) -> bool:
    return (a.moid if a else None) == (b.moid if b else None)


def datacenter_label(datacenter: Entry | None) -> str:
    return f"datacenter {datacenter.display_name!r}" if datacenter else "no datacenter"


def check_host(ops: Ops, host: Any, context: str) -> None:
    """A host that VMs can be placed on: connected, not in maintenance mode."""
    values = ops.read(
        host, ["name", "runtime.connectionState", "runtime.inMaintenanceMode"], context
    )
    if values["runtime.inMaintenanceMode"]:
        raise InvalidStateError(f"{context}: host {values['name']!r} is in maintenance mode")
    if values["runtime.connectionState"] not in (None, "connected"):
        raise InvalidStateError(
            f"{context}: host {values['name']!r} is {values['runtime.connectionState']}"
        )


def check_room(ops: Ops, datastore: Any, needed: int, context: str) -> None:
    """Enough free space on the datastore for ``needed`` bytes."""
    values = ops.read(datastore, ["name", "summary.freeSpace", "summary.accessible"], context)
    if values["summary.accessible"] is False:
        raise InvalidStateError(f"{context}: datastore {values['name']!r} is not accessible")
    free = values["summary.freeSpace"]
    if free is not None and needed > free:
        raise InvalidStateError(
            f"{context}: datastore {values['name']!r} has {_gb(free)} free, {_gb(needed)} is needed"
        )


def _gb(size: int) -> str:
    return f"{size / 2**30:.1f} GB"
