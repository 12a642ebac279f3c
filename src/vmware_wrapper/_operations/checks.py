"""Checks and values that several operations share: inputs checked before anything is sent
(names, sizes, timeouts, placement in one datacenter, room on a datastore), power states, and
where a new VM goes and which networks a VM made from a package joins (OVF deploys, from a
file or from a content library).

    cpus = positive_int("cpus", cpus)
    check_same_datacenter(ops, folder=folder_entry, host=host_entry, context=description)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._base.customization import LinuxCustomization, WindowsCustomization
from .._base.names import MAX_NAME_LENGTH, escape_name, not_xml, split_path, unescape_name
from .._base.sizes import size_text
from .._base.times import check_timeout as check_timeout  # the operations' check, shared
from .._base.vmomi import vim
from .._inventory.tree import KINDS, Entry
from ..errors import (
    AmbiguousNameError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    OperationTimeout,
    VSphereError,
)

if TYPE_CHECKING:
    from .context import Ops

ON, OFF, SUSPENDED = "poweredOn", "poweredOff", "suspended"
TOOLS_RUNNING = "guestToolsRunning"


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
            f"{context}: datastore {values['name']!r} has {size_text(free)} free, "
            f"{size_text(needed)} is needed"
        )


def check_mapping(what: str, value: Any) -> dict[str, Any]:
    """A dict with text keys (OVF networks, properties), or {} for None."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidInputError(f"{what}={value!r}: a dict with text keys")
    return dict(value)


# -- the networks of a VM made from a package -------------------------------------------------


def map_networks(
    ops: Ops,
    ovf_networks: tuple[str, ...],
    given: dict[str, Any],
    pool: Any,
    description: str,
    how_to_map: str = "with networks={...}",
) -> list[tuple[str, Any]]:
    """(OVF network, vSphere network) for each of the package's networks: as given, else the
    network of the same name where the VM is placed (in ``pool``), as ovftool maps them, else
    the only network there is. The keys given are the package's
    (``ovf_descriptor.check_networks``); ``how_to_map`` tells the caller how to give them."""
    mapping = [(k, ops.resolve(KINDS["network"], v)[1]) for k, v in given.items()]
    unmapped = [n for n in ovf_networks if n not in given]
    if not unmapped:
        return mapping
    compute = ops.read(pool, ["owner"], description)["owner"]
    choices = _usable_networks(ops, compute, description)
    mapping += [(n, choices[n]) for n in unmapped if n in choices]
    unmapped = [n for n in unmapped if n not in choices]
    if not unmapped:
        return mapping
    if len(choices) != 1:
        names = ", ".join(repr(n) for n in sorted(choices)) or "none"
        raise InvalidInputError(
            f"{description}: map OVF network {', '.join(map(repr, unmapped))} "
            f"{how_to_map}; the networks there: {names}"
        )
    only = next(iter(choices.values()))
    return mapping + [(n, only) for n in unmapped]


def _usable_networks(ops: Ops, compute: Any, description: str) -> dict[str, Any]:
    """The networks a VM on this compute resource can join (not a switch's uplinks)."""
    found = {}
    for network in ops.read(compute, ["network"], description)["network"] or []:
        try:
            if (
                isinstance(network, vim.dvs.DistributedVirtualPortgroup)
                and ops.read(network, ["config.uplink"], description)["config.uplink"]
            ):
                continue
            found[ops.resolver.entry(KINDS["network"], network).display_name] = network
        except NotFoundError:
            continue  # destroyed since the list was read: no choice any more
    return found


# -- where a new VM goes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """What a clone takes the defaults of its placement from: its source's folder (None when
    that is not a folder), datacenter, host and first datastore, and its resource pool (read
    only when no placement is given)."""

    folder: Entry | None
    datacenter: Entry | None
    host: Any
    datastore: Any
    pool: Callable[[], Any]


@dataclass(frozen=True)
class Placement:
    """Where a new VM goes, resolved and checked. ``host`` and ``datastore`` are as given
    (None: vSphere picks the host; a clone keeps its source's datastore); ``target_datastore``
    is where its files go, given or not (None only for a source on no datastore)."""

    folder_entry: Entry
    folder: Any
    folder_path: str
    datacenter: Entry | None
    pool: Any
    host: Any
    datastore: Any
    target_datastore: Any


def check_one_pool_given(cluster: Any, resource_pool: Any) -> None:
    """A new VM runs in one pool: a cluster's root pool or the pool given, not both. Callers
    check it before anything is read (a package fetched, a source looked up)."""
    if cluster is not None and resource_pool is not None:
        raise InvalidInputError("give cluster= or resource_pool=, not both")


def place_new_vm(
    ops: Ops,
    *,
    name: str,
    folder: Any,
    host: Any,
    cluster: Any,
    resource_pool: Any,
    datastore: Any,
    description: str,
    source: Source | None = None,
) -> Placement:
    """Where a new VM named ``name`` goes (clone_vm, create_vm, deploy_ovf).

    What is not given comes from the clone's ``source``, or, without one, from the inventory:
    the folder is the source's, else the VM folder of its datacenter (without a source: of
    the datacenter of what is given, or of the only one there is); the resource pool is the
    given pool, the cluster's or host's root pool, else the source's, else the root pool of
    the datacenter's only compute resource; the datastore is the source's, else the
    accessible one with the most free space that the host (or pool) sees.

    Checked: everything given is in the folder's datacenter (into another datacenter than
    its source's, a clone needs a host, cluster or pool and a datastore there), the folder
    holds VMs and has no ``name`` yet, and the host the VM will run on is usable.
    """
    check_one_pool_given(cluster, resource_pool)
    host_entry, host_obj = ops.resolve(KINDS["host"], host) if host is not None else (None, None)
    pool_entry, pool = _given_pool(ops, host_obj, cluster, resource_pool, description)
    ds_entry, ds_obj = (
        ops.resolve(KINDS["datastore"], datastore) if datastore is not None else (None, None)
    )
    given = [e for e in (host_entry, pool_entry, ds_entry) if e is not None]

    if folder is not None:
        folder_entry, folder_obj = ops.resolve(KINDS["folder"], folder)
    elif source is not None and source.folder is not None:
        folder_entry, folder_obj = source.folder, ops.resolver.obj(source.folder)
    elif source is not None:
        if source.datacenter is None:
            raise InvalidStateError(f"{description}: the source is in no datacenter")
        folder_entry, folder_obj = _vm_folder(ops, source.datacenter, description)
    else:
        datacenter = datacenter_of(ops, given[0]) if given else _only_datacenter(ops, description)
        if datacenter is None:
            raise InvalidInputError(f"{description}: give a folder")
        folder_entry, folder_obj = _vm_folder(ops, datacenter, description)
    datacenter = datacenter_of(ops, folder_entry)
    check_same_datacenter(ops, datacenter, given, description)
    # Nothing of a source's placement can be kept in another datacenter: all of it is given.
    if (
        source is not None
        and not same_datacenter(datacenter, source.datacenter)
        and (ds_entry is None or (host_entry is None and pool_entry is None))
    ):
        raise InvalidInputError(
            f"{description}: {ops.resolver.path(folder_entry)} is in "
            f"{datacenter_label(datacenter)}, the source in {datacenter_label(source.datacenter)}; "
            "a clone into another datacenter needs a host, cluster or resource_pool and a "
            "datastore there"
        )
    _check_free(ops, folder_entry, folder_obj, name, description)

    keeps_source_host = source is not None and cluster is None and resource_pool is None
    if pool is None:
        pool = source.pool() if source is not None else _only_pool(ops, datacenter, description)
    runs_on = host_obj or (source.host if keeps_source_host and source is not None else None)
    if runs_on is not None:
        check_host(ops, runs_on, description)
    target = ds_obj
    if target is None:
        target = (
            source.datastore
            if source is not None
            else _roomiest_datastore(ops, host_obj or pool, description)
        )
    return Placement(
        folder_entry=folder_entry,
        folder=folder_obj,
        folder_path=ops.resolver.path(folder_entry),
        datacenter=datacenter,
        pool=pool,
        host=host_obj,
        datastore=ds_obj,
        target_datastore=target,
    )


def _given_pool(
    ops: Ops, host_obj: Any, cluster: Any, resource_pool: Any, description: str
) -> tuple[Entry | None, Any]:
    """The (entry, pool) that the placement given names: the pool itself, the cluster's or
    the host's root pool; (None, None) when none was given. The entry is the pool's or the
    cluster's (the host's is the caller's)."""
    if resource_pool is not None:
        return ops.resolve(KINDS["resource_pool"], resource_pool)
    if cluster is not None:
        cluster_entry, cluster_obj = ops.resolve(KINDS["cluster"], cluster)
        return cluster_entry, ops.read(cluster_obj, ["resourcePool"], description)["resourcePool"]
    if host_obj is not None:
        compute = ops.read(host_obj, ["parent"], description)["parent"]
        return None, ops.read(compute, ["resourcePool"], description)["resourcePool"]
    return None, None


def _vm_folder(ops: Ops, datacenter: Entry, description: str) -> tuple[Entry, Any]:
    """A datacenter's own VM folder."""
    folder_obj = ops.read(ops.resolver.obj(datacenter), ["vmFolder"], description)["vmFolder"]
    return ops.resolver.entry(KINDS["folder"], folder_obj), folder_obj


def _check_free(
    ops: Ops, folder_entry: Entry, folder_obj: Any, name: str, description: str
) -> None:
    """The folder holds VMs and has none named ``name`` yet."""
    if "VirtualMachine" not in (
        ops.read(folder_obj, ["childType"], description)["childType"] or []
    ):
        raise InvalidInputError(f"{description}: {ops.resolver.path(folder_entry)} holds no VMs")
    if ops.content.searchIndex.FindChild(folder_obj, escape_name(name)) is not None:
        raise InvalidInputError(
            f"{description}: {ops.resolver.path(folder_entry)} already has a {name!r}"
        )


def _only_datacenter(ops: Ops, description: str) -> Entry:
    datacenters = ops.index.find(KINDS["datacenter"], "*")
    if len(datacenters) != 1:
        raise InvalidInputError(
            f"{description}: there are {len(datacenters)} datacenters; give a folder, host, "
            "cluster, resource_pool or datastore in one"
        )
    return datacenters[0]


def _only_pool(ops: Ops, datacenter: Entry | None, description: str) -> Any:
    """The root pool of the datacenter's only compute resource (a lone host, say)."""
    computes = [
        e
        for e in ops.index.find(KINDS["compute_resource"], "*")
        if same_datacenter(datacenter_of(ops, e), datacenter)
    ]
    if len(computes) != 1:
        names = ", ".join(sorted(ops.resolver.path(e) for e in computes))
        raise InvalidInputError(
            f"{description}: give host=, cluster= or resource_pool="
            + (f" (there are {names})" if names else "")
        )
    compute = ops.resolver.obj(computes[0])
    return ops.read(compute, ["resourcePool"], description)["resourcePool"]


def _roomiest_datastore(ops: Ops, placed_on: Any, description: str) -> Any:
    """Of the datastores the host (or the pool's compute resource) sees, the accessible one
    with the most free space."""
    if isinstance(placed_on, vim.ResourcePool):
        placed_on = ops.read(placed_on, ["owner"], description)["owner"]
    best: tuple[int, Any] | None = None
    for ds in ops.read(placed_on, ["datastore"], description)["datastore"] or []:
        values = ops.read(ds, ["summary.freeSpace", "summary.accessible"], description)
        if values["summary.accessible"] is False:
            continue
        free = values["summary.freeSpace"] or 0
        if best is None or free > best[0]:
            best = (free, ds)
    if best is None:
        raise InvalidStateError(f"{description}: no accessible datastore there; give one")
    return best[1]


# -- NICs and snapshots ------------------------------------------------------------------------


def network_backing(ops: Ops, network: Any, context: str) -> tuple[Entry, Any]:
    """The network ``network`` names, and the backing of a NIC that connects to it: on a
    standard, distributed or opaque network."""
    entry, obj = ops.resolve(KINDS["network"], network)
    card = vim.vm.device.VirtualEthernetCard
    if entry.type == "DistributedVirtualPortgroup":
        values = ops.read(obj, ["key", "config.distributedVirtualSwitch"], context)
        switch_uuid = ops.read(values["config.distributedVirtualSwitch"], ["uuid"], context)["uuid"]
        port = vim.dvs.PortConnection(switchUuid=switch_uuid, portgroupKey=values["key"])
        return entry, card.DistributedVirtualPortBackingInfo(port=port)
    if entry.type == "OpaqueNetwork":
        values = ops.read(obj, ["summary.opaqueNetworkId", "summary.opaqueNetworkType"], context)
        return entry, card.OpaqueNetworkBackingInfo(
            opaqueNetworkId=values["summary.opaqueNetworkId"],
            opaqueNetworkType=values["summary.opaqueNetworkType"],
        )
    return entry, card.NetworkBackingInfo(deviceName=entry.name, network=obj)


def snapshot_paths(info: Any) -> list[tuple[str, Any]]:
    """[(path, VirtualMachineSnapshotTree)] of a VM's ``snapshot`` property, parents before
    their children; a path is the names from the root down, "base/before-upgrade"."""
    out: list[tuple[str, Any]] = []

    def walk(trees: list[Any], prefix: str) -> None:
        for tree in trees:
            own = escape_name(unescape_name(tree.name))
            path = f"{prefix}/{own}" if prefix else own
            out.append((path, tree))
            walk(tree.childSnapshotList or [], path)

    walk((info.rootSnapshotList if info is not None else None) or [], "")
    return out


def find_snapshot(
    trees: list[tuple[str, Any]],
    snapshot: Any,
    owner: str,
    context: str,
    missing: type[VSphereError] = NotFoundError,
) -> tuple[str, Any]:
    """The (path, tree) of the one snapshot of ``owner`` that ``snapshot`` names: by its
    name when no other has it, its path, or its id. ``missing`` is raised when none does."""
    if not isinstance(snapshot, str) or not snapshot.strip():
        raise InvalidInputError(f"{context}: snapshot {snapshot!r}: a snapshot's name, path or id")
    wanted = snapshot.strip()
    escaped = "/".join(escape_name(part) for part in split_path(wanted))
    found = {
        path: (path, tree)
        for path, tree in trees
        if path == escaped
        or tree.name == wanted
        or unescape_name(tree.name) == wanted
        or tree.snapshot._moId == wanted
    }
    if len(found) > 1:
        paths = sorted(found)
        raise AmbiguousNameError(
            f"{context}: {len(found)} snapshots of {owner} match {snapshot!r}: "
            f"{', '.join(paths)}; use the path to say which",
            candidates=paths,
        )
    if not found:
        has = ", ".join(repr(path) for path, _ in trees) or "none"
        raise missing(f"{context}: {owner} has no snapshot {snapshot!r}; it has {has}")
    return next(iter(found.values()))


# -- a clone's options -------------------------------------------------------------------------


def check_clone_options(
    *,
    name: str,
    cluster: Any,
    resource_pool: Any,
    power_on: bool,
    template: bool,
    cpus: int | None,
    memory_mb: int | None,
    customization: Any,
    linked: bool,
    snapshot: str | None,
    wait_for_customization: bool,
    timeout: float | None,
) -> bool:
    """What a clone asks for, checked before anything is read or sent (whether its source is
    a VM or a library item); whether there is a customization outcome to wait for."""
    check_name(name, "clone name")
    check_timeout(timeout)
    if cpus is not None:
        positive_int("cpus", cpus)
    if memory_mb is not None:
        check_memory(memory_mb)
    if template and power_on:
        raise InvalidInputError("a template cannot be powered on: template=True or power_on=True")
    if customization is not None and not isinstance(
        customization, (LinuxCustomization, WindowsCustomization)
    ):
        raise InvalidInputError(
            f"customization={customization!r}: a LinuxCustomization or WindowsCustomization"
        )
    check_one_pool_given(cluster, resource_pool)
    if not isinstance(linked, bool):
        raise InvalidInputError(f"linked={linked!r}: True or False")
    if snapshot is not None and not linked:
        raise InvalidInputError(f"snapshot={snapshot!r}: only for a linked clone (linked=True)")
    if snapshot is not None and (not isinstance(snapshot, str) or not snapshot.strip()):
        raise InvalidInputError(f"snapshot={snapshot!r}: a snapshot's name, path or id")
    if not isinstance(wait_for_customization, bool):
        raise InvalidInputError(f"wait_for_customization={wait_for_customization!r}: True or False")
    # A guest is customized as it first starts: without a customization or a power-on there
    # is no outcome to wait for, and the default (True) then waits for nothing.
    return wait_for_customization and customization is not None and power_on
