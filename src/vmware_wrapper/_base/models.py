"""The records this library returns: small, frozen, JSON-safe (``dataclasses.asdict`` works).

info = vs.vm_info("web-07")
info.power_state, info.path, dataclasses.asdict(info)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VMInfo:
    """A snapshot of one VM (or template), read in bulk."""

    name: str  # as people read it ("web/01", not "web%2f01")
    path: str  # inventory path, e.g. "/DC0/vm/web/web-07"
    moid: str  # managed object id, e.g. "vm-123"
    bios_uuid: str | None
    instance_uuid: str | None
    power_state: str  # "poweredOn" | "poweredOff" | "suspended"
    is_template: bool
    cpus: int | None
    memory_mb: int | None
    guest_id: str | None
    ip_address: str | None
    host: str | None  # the host's name
    tools_running_status: str | None  # e.g. "guestToolsRunning"
    annotation: str  # the VM's notes


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot of a VM."""

    name: str  # as people read it
    path: str  # "parent/child", from the VM's first snapshot down
    description: str
    created: str  # ISO 8601, UTC
    is_current: bool
    moid: str  # managed object id, e.g. "snapshot-123"
    power_state: str  # the VM's power state when it was taken
    quiesced: bool


@dataclass(frozen=True)
class InventoryItem:
    """An object of the inventory, by name and path."""

    name: str  # as people read it
    type: str  # its vSphere type, e.g. "VirtualMachine"
    path: str
    moid: str


@dataclass(frozen=True)
class LibraryInfo:
    """A content library."""

    name: str
    id: str  # the library's id (a uuid), which names it when several share a name
    type: str  # "LOCAL" | "SUBSCRIBED"
    description: str
    datastore: str | None  # the datastore that holds its files
    created: str | None  # ISO 8601, UTC, as the server gives it


@dataclass(frozen=True)
class LibraryItemInfo:
    """An item of a content library (an OVF package, an ISO, a VM template...)."""

    name: str
    library: str  # the library's name
    path: str  # "library/item", as deploy and delete take it
    id: str
    type: str  # "ovf", "iso", "vm-template", ...
    size: int  # bytes, as the server counts them
    description: str
    created: str | None  # ISO 8601, UTC, as the server gives it
