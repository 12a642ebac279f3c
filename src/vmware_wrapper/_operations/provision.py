"""Making and unmaking VMs: create (from nothing), clone (from a VM or a template), destroy.

    clone_vm(ops, "tmpl-ubuntu", "web-07", folder="/DC1/vm/web", cluster="C1", cpus=4, ...)
    create_vm(ops, "web-08", cluster="C1", guest_id="ubuntu64Guest", networks=["web"], ...)

Everything that can be checked before anything is sent is: the new name (1 to 80 characters,
free in the target folder), the sizes, the target host (connected, not in maintenance mode),
and room on the target datastore for what the source uses.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from .._base.customization import LinuxCustomization, WindowsCustomization
from .._base.names import escape_name, split_path, unescape_name
from .._base.vmomi import vim
from .._inventory.tree import KINDS, Entry
from ..errors import (
    AmbiguousNameError,
    CustomizationError,
    InvalidInputError,
    InvalidStateError,
    VSphereError,
)
from .checks import (
    OFF,
    ON,
    check_host,
    check_memory,
    check_name,
    check_room,
    check_same_datacenter,
    check_timeout,
    datacenter_label,
    datacenter_of,
    deadline_of,
    positive_int,
    positive_number,
    remaining,
    same_datacenter,
)
from .context import Ops, vm_operation

FIRMWARES = ("bios", "efi")
MAX_DISKS = 15  # one SCSI controller: units 0 to 15, less its own (7)
MAX_NICS = 10  # vSphere's limit for one VM
_KB_PER_GB = 1024 * 1024
_SCSI_RESERVED_UNIT = 7
_DEFAULT_IDE_CONTROLLER = 200
TOOLS_RUNNING = "guestToolsRunning"
# The events that end a guest customization (CustomizationFailed and the kinds of it).
CUSTOMIZATION_OUTCOMES = (
    "CustomizationSucceeded",
    "CustomizationFailed",
    "CustomizationLinuxIdentityFailed",
    "CustomizationNetworkSetupFailed",
    "CustomizationSysprepFailed",
    "CustomizationUnknownFailure",
)
_ISO_PATH = re.compile(r"\[([^\]]+)\] *(\S.*)")


def clone_vm(
    ops: Ops,
    *,
    source: Any,
    name: str,
    folder: Any,
    host: Any,
    cluster: Any,
    resource_pool: Any,
    datastore: Any,
    power_on: bool,
    template: bool,
    cpus: int | None,
    memory_mb: int | None,
    customization: LinuxCustomization | WindowsCustomization | None,
    linked: bool,
    snapshot: str | None,
    wait_for_customization: bool,
    wait: bool,
    timeout: float | None,
) -> Any:
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
    if sum(x is not None for x in (cluster, resource_pool)) > 1:
        raise InvalidInputError("give a cluster or a resource_pool, not both")
    if not isinstance(linked, bool):
        raise InvalidInputError(f"linked={linked!r}: True or False")
    if snapshot is not None and not linked:
        raise InvalidInputError(f"snapshot={snapshot!r}: only for a linked clone (linked=True)")
    if not isinstance(wait_for_customization, bool):
        raise InvalidInputError(f"wait_for_customization={wait_for_customization!r}: True or False")
    # A guest is customized as it first starts: without a customization or a power-on there
    # is no outcome to wait for, and the default (True) then waits for nothing.
    wait_for_customization = wait_for_customization and customization is not None and power_on

    src_entry, src = ops.vm(source)
    description = f"clone {ops.name(src_entry)} to {name!r}"
    src_values = ops.read(
        src,
        [
            "resourcePool",
            "runtime.host",
            "datastore",
            "summary.storage.committed",
            "config.hardware.device",
            "snapshot",
        ],
        description,
    )
    # A linked clone shares the snapshot's disks: known before anything is placed.
    linked_to = (
        _snapshot_to_link(ops, src_values["snapshot"], snapshot, ops.name(src_entry), description)
        if linked
        else None
    )
    source_dc = datacenter_of(ops, src_entry)

    # Where: the given folder, else the source's own, else the datacenter's VM folder.
    if folder is not None:
        folder_entry, folder_obj = ops.resolve(KINDS["folder"], folder)
    else:
        parent = ops.index.inventory.get(src_entry.parent or "")
        if parent is not None and parent.type == "Folder":
            folder_entry, folder_obj = parent, ops.resolver.obj(parent)
        else:
            if source_dc is None:
                raise InvalidStateError(f"{description}: the source is in no datacenter")
            folder_entry, folder_obj = _vm_folder(ops, source_dc, description)
    _check_free(ops, folder_entry, folder_obj, name, description)

    # On what: the given pool, the cluster's or host's root pool, else the source's.
    host_entry, host_obj = ops.resolve(KINDS["host"], host) if host is not None else (None, None)
    placement_entry, pool = _given_pool(ops, host_obj, cluster, resource_pool, description)
    if pool is not None:
        pass
    elif src_values["resourcePool"] is not None:
        pool = src_values["resourcePool"]
    else:  # a template has no pool: its host's compute resource's root pool
        compute = ops.read(src_values["runtime.host"], ["parent"], description)["parent"]
        pool = ops.read(compute, ["resourcePool"], description)["resourcePool"]
    ds_entry, ds_obj = (
        ops.resolve(KINDS["datastore"], datastore) if datastore is not None else (None, None)
    )

    # Everything in the target folder's datacenter. Into another datacenter than the
    # source's, nothing of the source's placement can be kept: all of it must be given.
    target_dc = datacenter_of(ops, folder_entry)
    given = [e for e in (host_entry, placement_entry, ds_entry) if e is not None]
    check_same_datacenter(ops, target_dc, given, description)
    if not same_datacenter(target_dc, source_dc) and (
        ds_entry is None or (host is None and cluster is None and resource_pool is None)
    ):
        raise InvalidInputError(
            f"{description}: {ops.resolver.path(folder_entry)} is in "
            f"{datacenter_label(target_dc)}, the source in {datacenter_label(source_dc)}; "
            "a clone into another datacenter needs a host, cluster or resource_pool and a "
            "datastore there"
        )

    placement_host = host_obj or (
        src_values["runtime.host"] if cluster is None and resource_pool is None else None
    )
    if placement_host is not None:
        check_host(ops, placement_host, description)
    target_ds = ds_obj or (src_values["datastore"] or [None])[0]
    if target_ds is not None:
        # A linked clone's child disks start empty.
        needed = 0 if linked else src_values["summary.storage.committed"] or 0
        check_room(ops, target_ds, needed, description)

    spec = vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=pool, host=host_obj, datastore=ds_obj),
        powerOn=power_on,
        template=template,
    )
    if linked_to is not None:
        spec.snapshot = linked_to
        spec.location.diskMoveType = "createNewChildDiskBacking"
    if cpus is not None or memory_mb is not None:
        spec.config = vim.vm.ConfigSpec(numCPUs=cpus, memoryMB=memory_mb)
    if customization is not None:
        nics = sum(
            isinstance(d, vim.vm.device.VirtualEthernetCard)
            for d in src_values["config.hardware.device"] or []
        )
        spec.customization = customization.to_spec(max(nics, 1))

    def finish(clone: Any, deadline: float | None) -> Any:
        if (
            power_on
            and ops.read(clone, ["runtime.powerState"], description)["runtime.powerState"] != ON
        ):
            ops.run(clone.PowerOnVM_Task, f"power on {name!r}", True, remaining(deadline))
        if wait_for_customization:
            _wait_for_customization(ops, clone, repr(name), deadline)
        return clone

    return ops.run(
        lambda: src.CloneVM_Task(folder_obj, escape_name(name), spec),
        description,
        wait,
        timeout,
        on_done=finish,
    )


def create_vm(
    ops: Ops,
    *,
    name: str,
    folder: Any,
    host: Any,
    cluster: Any,
    resource_pool: Any,
    datastore: Any,
    guest_id: str,
    cpus: int,
    memory_mb: int,
    firmware: str,
    disks_gb: Sequence[float],
    networks: Sequence[Any],
    iso: str | None,
    power_on: bool,
    wait: bool,
    timeout: float | None,
) -> Any:
    check_name(name, "VM name")
    check_timeout(timeout)
    _check_guest_id(guest_id)
    positive_int("cpus", cpus)
    check_memory(memory_mb)
    if firmware not in FIRMWARES:
        raise InvalidInputError(f"firmware={firmware!r}: one of {', '.join(FIRMWARES)}")
    sizes = _sizes(disks_gb)
    if isinstance(networks, str) or not isinstance(networks, (list, tuple)):
        raise InvalidInputError(f"networks={networks!r}: a list of networks, e.g. ('VM Network',)")
    if len(networks) > MAX_NICS:
        raise InvalidInputError(f"networks: {len(networks)} given, a VM has at most {MAX_NICS}")
    iso_path = _iso_path(iso)
    if not isinstance(power_on, bool):
        raise InvalidInputError(f"power_on={power_on!r}: True or False")
    if sum(x is not None for x in (cluster, resource_pool)) > 1:
        raise InvalidInputError("give a cluster or a resource_pool, not both")
    description = f"create VM {name!r}"

    # On what: as for a clone, but with no source to take defaults from.
    host_entry, host_obj = ops.resolve(KINDS["host"], host) if host is not None else (None, None)
    placement_entry, pool = _given_pool(ops, host_obj, cluster, resource_pool, description)
    ds_entry, ds_obj = (
        ops.resolve(KINDS["datastore"], datastore) if datastore is not None else (None, None)
    )
    given = [e for e in (host_entry, placement_entry, ds_entry) if e is not None]

    # Where: the given folder, else the VM folder of the placement's datacenter (or of the
    # only one there is).
    if folder is not None:
        folder_entry, folder_obj = ops.resolve(KINDS["folder"], folder)
        target_dc = datacenter_of(ops, folder_entry)
    else:
        target_dc = datacenter_of(ops, given[0]) if given else _only_datacenter(ops, description)
        if target_dc is None:
            raise InvalidInputError(f"{description}: give a folder")
        folder_entry, folder_obj = _vm_folder(ops, target_dc, description)
    check_same_datacenter(ops, target_dc, given, description)
    _check_free(ops, folder_entry, folder_obj, name, description)
    if pool is None:
        pool = _only_pool(ops, target_dc, description)
    if host_obj is not None:
        check_host(ops, host_obj, description)

    nics = [_nic_backing(ops, network, target_dc, description) for network in networks]
    vm_ds_entry, vm_ds = (
        (ds_entry, ds_obj)
        if ds_entry is not None
        else _roomiest_datastore(ops, host_obj or pool, description)
    )
    # Thin disks take room as they are written: only that the datastore is usable is known.
    check_room(ops, vm_ds, 0, description)
    iso_ds = _iso_datastore(ops, iso_path, target_dc, description) if iso_path else None

    config = vim.vm.ConfigSpec(
        name=escape_name(name),
        guestId=guest_id,
        numCPUs=cpus,
        memoryMB=memory_mb,
        firmware=firmware,
        files=vim.vm.FileInfo(vmPathName=f"[{vm_ds_entry.name}]"),
        deviceChange=_new_devices(sizes, nics, iso, iso_ds),
    )

    def finish(vm: Any, deadline: float | None) -> Any:
        if not power_on:
            return vm
        try:
            ops.run(vm.PowerOnVM_Task, f"power on {name!r}", True, remaining(deadline))
        except VSphereError:
            # Made but not started: nothing of what was asked for is left behind.
            ops.logger.info("%s: powering on failed; destroying it", description)
            try:
                ops.run(vm.Destroy_Task, f"destroy {name!r}", True, None)
            except VSphereError as e:
                ops.logger.warning("%s: could not destroy the new VM: %s", description, e)
            raise
        return vm

    return ops.run(
        lambda: folder_obj.CreateVM_Task(config, pool, host_obj),
        description,
        wait,
        timeout,
        on_done=finish,
    )


def _check_guest_id(guest_id: Any) -> None:
    known = list(vim.vm.GuestOsDescriptor.GuestOsIdentifier.values)
    if guest_id not in known:
        close = difflib.get_close_matches(str(guest_id), known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InvalidInputError(f"guest_id={guest_id!r}: not a vSphere guest OS id{hint}")


def _sizes(disks_gb: Any) -> list[int]:
    """Disk sizes in KB, each checked."""
    if isinstance(disks_gb, (str, int, float)) or not isinstance(disks_gb, (list, tuple)):
        raise InvalidInputError(f"disks_gb={disks_gb!r}: a list of sizes in GB, e.g. (16,)")
    if len(disks_gb) > MAX_DISKS:
        raise InvalidInputError(f"disks_gb: {len(disks_gb)} disks, at most {MAX_DISKS}")
    return [int(positive_number("disks_gb", gb) * _KB_PER_GB) for gb in disks_gb]


def _iso_path(iso: Any) -> tuple[str, str] | None:
    """(datastore, path) of an ISO image's datastore path, "[datastore] dir/image.iso"."""
    if iso is None:
        return None
    found = _ISO_PATH.fullmatch(iso) if isinstance(iso, str) else None
    if found is None:
        raise InvalidInputError(
            f"iso={iso!r}: a datastore path, like '[datastore1] iso/ubuntu.iso'"
        )
    return found[1], found[2]


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
            f"{description}: give a host, cluster or resource_pool"
            + (f" (there are {names})" if names else "")
        )
    compute = ops.resolver.obj(computes[0])
    return ops.read(compute, ["resourcePool"], description)["resourcePool"]


def _roomiest_datastore(ops: Ops, placed_on: Any, description: str) -> tuple[Entry, Any]:
    """Of the datastores the host (or the pool's compute resource) sees, the accessible one
    with the most free space."""
    if isinstance(placed_on, vim.ResourcePool):
        placed_on = ops.read(placed_on, ["owner"], description)["owner"]
    candidates = ops.read(placed_on, ["datastore"], description)["datastore"] or []
    best: tuple[int, Any] | None = None
    for ds in candidates:
        values = ops.read(ds, ["summary.freeSpace", "summary.accessible"], description)
        if values["summary.accessible"] is False:
            continue
        free = values["summary.freeSpace"] or 0
        if best is None or free > best[0]:
            best = (free, ds)
    if best is None:
        raise InvalidStateError(f"{description}: no accessible datastore there; give one")
    return ops.resolver.entry(KINDS["datastore"], best[1]), best[1]


def _iso_datastore(
    ops: Ops, iso: tuple[str, str], datacenter: Entry | None, description: str
) -> Any:
    """The datastore an ISO image's path names, in the VM's datacenter."""
    found = [
        e
        for e in ops.index.find(KINDS["datastore"], iso[0])
        if same_datacenter(datacenter_of(ops, e), datacenter)
    ]
    if not found:
        raise InvalidInputError(
            f"{description}: iso: no datastore {iso[0]!r} in {datacenter_label(datacenter)}"
        )
    return ops.resolver.obj(found[0])


def _nic_backing(ops: Ops, network: Any, datacenter: Entry | None, description: str) -> Any:
    """The backing of a NIC on a standard, distributed or opaque network."""
    entry, obj = ops.resolve(KINDS["network"], network)
    check_same_datacenter(ops, datacenter, [entry], description)
    card = vim.vm.device.VirtualEthernetCard
    if entry.type == "DistributedVirtualPortgroup":
        values = ops.read(obj, ["key", "config.distributedVirtualSwitch"], description)
        switch = values["config.distributedVirtualSwitch"]
        switch_uuid = ops.read(switch, ["uuid"], description)["uuid"]
        port = vim.dvs.PortConnection(switchUuid=switch_uuid, portgroupKey=values["key"])
        return card.DistributedVirtualPortBackingInfo(port=port)
    if entry.type == "OpaqueNetwork":
        values = ops.read(
            obj, ["summary.opaqueNetworkId", "summary.opaqueNetworkType"], description
        )
        return card.OpaqueNetworkBackingInfo(
            opaqueNetworkId=values["summary.opaqueNetworkId"],
            opaqueNetworkType=values["summary.opaqueNetworkType"],
        )
    return card.NetworkBackingInfo(deviceName=entry.name, network=obj)


def _new_devices(
    sizes_kb: list[int], nic_backings: list[Any], iso: str | None, iso_datastore: Any
) -> list[Any]:
    """A SCSI controller with the disks (thin), vmxnet3 NICs, a CD-ROM with the ISO image.
    Negative keys stand for devices that do not exist yet; the CD-ROM goes on vSphere's
    default IDE controller (key 200), which every new VM has."""
    device = vim.vm.device
    add = device.VirtualDeviceSpec.Operation.add
    controller = device.VirtualLsiLogicController(
        key=-100, busNumber=0, sharedBus=device.VirtualSCSIController.Sharing.noSharing
    )
    specs = [device.VirtualDeviceSpec(operation=add, device=controller)]
    units = (u for u in range(16) if u != _SCSI_RESERVED_UNIT)
    for i, (size, unit) in enumerate(zip(sizes_kb, units, strict=False)):
        disk = device.VirtualDisk(
            key=-200 - i,
            controllerKey=controller.key,
            unitNumber=unit,
            capacityInKB=size,
            backing=device.VirtualDisk.FlatVer2BackingInfo(
                diskMode="persistent", thinProvisioned=True, fileName=""
            ),
        )
        specs.append(
            device.VirtualDeviceSpec(
                operation=add,
                fileOperation=device.VirtualDeviceSpec.FileOperation.create,
                device=disk,
            )
        )
    connected = device.VirtualDevice.ConnectInfo(startConnected=True, allowGuestControl=True)
    for i, backing in enumerate(nic_backings):
        nic = device.VirtualVmxnet3(
            key=-300 - i, backing=backing, addressType="generated", connectable=connected
        )
        specs.append(device.VirtualDeviceSpec(operation=add, device=nic))
    if iso is not None:
        cdrom = device.VirtualCdrom(
            key=-400,
            controllerKey=_DEFAULT_IDE_CONTROLLER,
            unitNumber=0,
            backing=device.VirtualCdrom.IsoBackingInfo(fileName=iso, datastore=iso_datastore),
            connectable=connected,
        )
        specs.append(device.VirtualDeviceSpec(operation=add, device=cdrom))
    return specs


def _snapshot_to_link(
    ops: Ops, info: Any, snapshot: str | None, name: str, description: str
) -> Any:
    """The snapshot a linked clone shares the disks of: the one ``snapshot`` names (a name,
    a path "a/b" down the tree, or an id), else the source's current one."""
    if snapshot is not None and (not isinstance(snapshot, str) or not snapshot.strip()):
        raise InvalidInputError(f"snapshot={snapshot!r}: a snapshot's name, path or id")
    trees: list[tuple[str, Any]] = []
    pending = [("", tree) for tree in (info.rootSnapshotList if info else None) or []]
    while pending:
        above, tree = pending.pop(0)
        path = f"{above}/{tree.name}" if above else str(tree.name)
        trees.append((path, tree))
        pending += [(path, child) for child in tree.childSnapshotList or []]
    if not trees:
        raise InvalidInputError(
            f"{description}: {name} has no snapshot; a linked clone shares a snapshot's disks"
        )
    if snapshot is None:
        if info.currentSnapshot is None:
            raise InvalidInputError(f"{description}: {name} has no current snapshot; name one")
        return info.currentSnapshot
    wanted = snapshot.strip()
    escaped = "/".join(escape_name(part) for part in split_path(wanted))
    found = {
        path: tree
        for path, tree in trees
        if path == escaped
        or tree.name == wanted
        or unescape_name(tree.name) == wanted
        or tree.snapshot._moId == wanted
    }
    if len(found) > 1:
        paths = sorted(found)
        raise AmbiguousNameError(
            f"{description}: {len(found)} snapshots of {name} match {snapshot!r}: "
            f"{', '.join(paths)}; use the path to say which",
            candidates=paths,
        )
    if not found:
        raise InvalidInputError(
            f"{description}: {name} has no snapshot {snapshot!r}; it has "
            f"{', '.join(repr(path) for path, _ in trees)}"
        )
    return next(iter(found.values())).snapshot


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


def _wait_for_customization(ops: Ops, vm: Any, name: str, deadline: float | None) -> None:
    """Until vSphere posts the outcome of the VM's guest customization: CustomizationSucceeded,
    or CustomizationFailed (or a kind of it), which raises CustomizationError.

    The outcome is an event, not a task: vCenter's clone task ends before the guest even
    starts. An event collector for the VM and these events alone is followed through its
    latestPage (which lists the events already posted too, so an outcome posted before the
    collector existed is not missed)."""
    description = f"wait for the guest customization of {name}"
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self"),
        eventTypeId=list(CUSTOMIZATION_OUTCOMES),
    )
    collector = ops.content.eventManager.CreateCollectorForEvents(spec)
    outcome: list[Any] = []

    def ended(values: dict[str, Any]) -> bool:
        for event in values["latestPage"] or []:
            if isinstance(event, (vim.event.CustomizationSucceeded, vim.event.CustomizationFailed)):
                outcome.append(event)
                return True
        return False

    try:
        ops.tasks.watch(collector, ["latestPage"], ended, deadline, description)
    finally:
        try:
            collector.DestroyCollector()
        except VSphereError as e:  # the session may be gone, and the collector with it
            ops.logger.debug("%s: destroying the event collector: %s", description, e)
    event = outcome[-1]
    if isinstance(event, vim.event.CustomizationFailed):
        reason = getattr(event, "reason", None) or event.fullFormattedMessage or ""
        kind = type(event).__name__.rsplit(".", 1)[-1]
        raise CustomizationError(
            f"customize the guest of {name}: {kind}" + (f": {reason}" if reason else ""),
            reason=reason,
            event=event,
        )
    ops.logger.info("%s: succeeded", description)


def wait_for_ip(ops: Ops, *, vm: Any, timeout: float | None) -> str:
    entry, obj = ops.vm(vm)
    description = f"wait for an IP address of {ops.name(entry)}"
    found: list[str] = []

    def reported(values: dict[str, Any]) -> bool:
        state = values["runtime.powerState"]
        if state not in (None, ON):
            raise InvalidStateError(f"{description}: the VM is {state}")
        # What tools reported before they stopped may linger: only running tools say what
        # the guest has now.
        if values["guest.toolsRunningStatus"] != TOOLS_RUNNING:
            return False
        address = _first_address(values["guest.ipAddress"], values["guest.net"])
        if address is not None:
            found.append(address)
        return address is not None

    ops.tasks.watch(
        obj,
        ["guest.ipAddress", "guest.net", "guest.toolsRunningStatus", "runtime.powerState"],
        reported,
        deadline_of(timeout),
        description,
    )
    return found[-1]


def _first_address(primary: str | None, nics: Any) -> str | None:
    """The guest's primary address, else the first one of its NICs that is not link-local
    (an IPv6 fe80:: address is no way to reach the guest from elsewhere)."""
    if primary:
        return primary
    for nic in nics or []:
        for address in nic.ipAddress or []:
            if not address.lower().startswith("fe80:"):
                return str(address)
    return None


@vm_operation(reads_state=True)
def destroy_vm(
    ops: Ops, *, vm: Any, allow_template: bool, wait: bool, timeout: float | None
) -> Any:
    """Power off (hard) if needed, then destroy. Templates only with allow_template=True."""
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    description = f"destroy {name}"
    deadline = deadline_of(timeout)
    values = ops.read(obj, ["runtime.powerState", "config.template"], description)
    if values["config.template"] and not allow_template:
        raise InvalidInputError(
            f"{description}: it is a template; pass allow_template=True to destroy it"
        )
    if values["runtime.powerState"] not in (None, OFF):
        ops.run(obj.PowerOffVM_Task, f"power off {name}", True, remaining(deadline))
    return ops.run(obj.Destroy_Task, description, wait, remaining(deadline))
