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
    vcenter: str | None = None  # the vCenter it is on, as a fleet names it (host[:port])


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


@dataclass(frozen=True)
class DeviceInfo:
    """One virtual device of a VM: a disk, NIC, CD-ROM, controller..."""

    kind: str  # "disk" | "nic" | "cdrom" | "floppy" | "controller" | "video" | "other" ...
    label: str  # as vSphere labels it, e.g. "Hard disk 2", "Network adapter 1"
    key: int  # the device's key within the VM
    unit: int | None  # its unit number on its controller
    backing: str | None  # a disk's or ISO's file ("[ds] dir/file"), a NIC's network, ...
    size_gb: float | None  # disks: capacity
    network: str | None  # NICs: the network's name
    connected: bool | None  # NICs and CD-ROMs: connected now
    mac_address: str | None  # NICs


@dataclass(frozen=True)
class HostInfo:
    """One ESXi host, read in bulk."""

    name: str
    path: str  # inventory path, e.g. "/DC0/host/DC0_C0/DC0_C0_H0"
    moid: str
    cluster: str | None  # the cluster's name, None for a standalone host
    connection_state: str  # "connected" | "disconnected" | "notResponding"
    in_maintenance: bool
    power_state: str  # "poweredOn" | "poweredOff" | "standBy" | "unknown"
    cpu_mhz: int  # capacity: cores x MHz
    cpu_usage_mhz: int
    memory_mb: int  # capacity
    memory_usage_mb: int
    vm_count: int
    version: str  # e.g. "VMware ESXi 8.0.3 build-..."
    vcenter: str | None = None  # the vCenter it is on, in a fleet's listings


@dataclass(frozen=True)
class DatastoreFile:
    """A file or folder on a datastore."""

    name: str
    path: str  # "[datastore] dir/name"
    size: int  # bytes; 0 for a folder
    modified: str | None  # ISO 8601, UTC
    is_dir: bool


@dataclass(frozen=True)
class NetworkInfo:
    """A network VMs can join: a standard port group, a distributed port group, ..."""

    name: str
    path: str
    moid: str
    kind: str  # "standard" | "distributed" | "opaque"
    switch: str | None  # a distributed port group's switch
    vlan: int | None  # a distributed port group's VLAN id (None: trunk, or not known)
    uplink: bool  # a distributed switch's uplink port group (VMs cannot join it)
    vcenter: str | None = None  # the vCenter it is on, in a fleet's listings


@dataclass(frozen=True)
class DrsRuleInfo:
    """A VM-VM affinity or anti-affinity rule of a cluster."""

    name: str
    cluster: str
    key: int
    affinity: bool  # True: keep together; False: keep apart
    vms: tuple[str, ...]  # the VMs' names
    enabled: bool
