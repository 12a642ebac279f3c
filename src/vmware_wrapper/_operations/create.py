"""Making a VM from nothing: CPUs, memory, thin disks, NICs, an ISO image on a CD-ROM.

    create_vm(ops, name="web-08", cluster="C1", guest_id="ubuntu64Guest", networks=["web"], ...)

Everything that can be checked before anything is sent is: the name (1 to 80 characters,
free in the target folder), the guest OS id, the sizes, the networks and the ISO image's
datastore (in the VM's datacenter), and the target host (connected, not in maintenance mode).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from .._base.names import escape_name
from .._base.vmomi import vim
from .._inventory.tree import KINDS, Entry
from ..errors import InvalidInputError, VSphereError
from .checks import (
    check_memory,
    check_name,
    check_room,
    check_same_datacenter,
    check_timeout,
    datacenter_label,
    datacenter_of,
    network_backing,
    place_new_vm,
    positive_int,
    positive_number,
    remaining,
    same_datacenter,
)
from .context import Ops

FIRMWARES = ("bios", "efi")
MAX_DISKS = 15  # one SCSI controller: units 0 to 15, less its own (7)
MAX_NICS = 10  # vSphere's limit for one VM
_KB_PER_GB = 1024 * 1024
_SCSI_RESERVED_UNIT = 7
_DEFAULT_IDE_CONTROLLER = 200
_ISO_PATH = re.compile(r"\[([^\]]+)\] *(\S.*)")


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
    description = f"create VM {name!r}"

    place = place_new_vm(
        ops,
        name=name,
        folder=folder,
        host=host,
        cluster=cluster,
        resource_pool=resource_pool,
        datastore=datastore,
        description=description,
    )
    nics = []
    for network in networks:
        entry, backing = network_backing(ops, network, description)
        check_same_datacenter(ops, place.datacenter, [entry], description)
        nics.append(backing)
    # Thin disks take room as they are written: only that the datastore is usable is known.
    check_room(ops, place.target_datastore, 0, description)
    vm_datastore = ops.resolver.entry(KINDS["datastore"], place.target_datastore)
    iso_ds = _iso_datastore(ops, iso_path, place.datacenter, description) if iso_path else None

    config = vim.vm.ConfigSpec(
        name=escape_name(name),
        guestId=guest_id,
        numCPUs=cpus,
        memoryMB=memory_mb,
        firmware=firmware,
        files=vim.vm.FileInfo(vmPathName=f"[{vm_datastore.name}]"),
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
        lambda: place.folder.CreateVM_Task(config, place.pool, place.host),
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
