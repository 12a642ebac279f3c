"""Virtual hardware: CPUs, memory, disks, NICs.

    reconfigure_vm(ops, "web-07", cpus=4, memory_mb=8192, disk_gb=80, network="VM Network")

Changes vSphere allows on a running VM (adding CPUs or memory with hot-add on, growing a
disk, moving a NIC) are made hot; others raise InvalidStateError before anything is sent.
Disk sizes are read from capacityInKB / capacityInBytes, never from summary text, and a
disk is never shrunk.
"""

from __future__ import annotations

from typing import Any

from .._base.vmomi import vim
from .._inventory.tree import KINDS
from ..errors import InvalidInputError, InvalidStateError, NotFoundError
from .checks import OFF, check_memory, network_backing, positive_int, positive_number
from .context import Ops, vm_operation

ADAPTERS = {
    "vmxnet3": "VirtualVmxnet3",
    "vmxnet2": "VirtualVmxnet2",
    "e1000": "VirtualE1000",
    "e1000e": "VirtualE1000e",
    "pcnet32": "VirtualPCNet32",
}
_KB_PER_GB = 1024 * 1024
_SCSI_RESERVED_UNIT = 7  # the controller's own unit number


def _disk_bytes(disk: Any) -> int:
    return int(disk.capacityInBytes or disk.capacityInKB * 1024)


def _label(device: Any) -> str:
    return str(device.deviceInfo.label) if device.deviceInfo else f"device {device.key}"


@vm_operation()
def reconfigure_vm(
    ops: Ops,
    *,
    vm: Any,
    cpus: int | None,
    memory_mb: int | None,
    cores_per_socket: int | None,
    disk_gb: float | dict[str, float] | None,
    network: Any,
    cpu_hot_add: bool | None,
    memory_hot_add: bool | None,
    wait: bool,
    timeout: float | None,
) -> Any:
    if cpus is not None:
        positive_int("cpus", cpus)
    if memory_mb is not None:
        check_memory(memory_mb)
    if cores_per_socket is not None:
        positive_int("cores_per_socket", cores_per_socket)
    for flag, value in (("cpu_hot_add", cpu_hot_add), ("memory_hot_add", memory_hot_add)):
        if value is not None and not isinstance(value, bool):
            raise InvalidInputError(f"{flag}={value!r}: True or False")
    sizes = _disk_sizes(disk_gb)

    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    values = ops.read(
        obj,
        [
            "runtime.powerState",
            "config.hardware.numCPU",
            "config.hardware.memoryMB",
            "config.hardware.numCoresPerSocket",
            "config.cpuHotAddEnabled",
            "config.memoryHotAddEnabled",
            "config.hardware.device",
        ],
        f"reconfigure {name}",
    )
    running = values["runtime.powerState"] != OFF
    spec = vim.vm.ConfigSpec()
    changes: list[str] = []

    def needs_off(what: str) -> None:
        if running:
            raise InvalidStateError(f"reconfigure {name}: {what} needs the VM powered off")

    current_cpus = values["config.hardware.numCPU"]
    if cpus is not None and cpus != current_cpus:
        if cpus < current_cpus:
            needs_off(f"going from {current_cpus} to {cpus} CPUs")
        elif not values["config.cpuHotAddEnabled"]:
            needs_off(f"adding CPUs without CPU hot-add ({current_cpus} to {cpus})")
        spec.numCPUs = cpus
        changes.append(f"{cpus} CPUs")
    target_cpus = cpus or current_cpus
    if (
        cores_per_socket is not None
        and cores_per_socket != values["config.hardware.numCoresPerSocket"]
    ):
        if target_cpus % cores_per_socket:
            raise InvalidInputError(
                f"cores_per_socket={cores_per_socket} does not divide {target_cpus} CPUs"
            )
        needs_off("changing cores per socket")
        spec.numCoresPerSocket = cores_per_socket
        changes.append(f"{cores_per_socket} cores per socket")
    current_memory = values["config.hardware.memoryMB"]
    if memory_mb is not None and memory_mb != current_memory:
        if memory_mb < current_memory:
            needs_off(f"going from {current_memory} to {memory_mb} MB of memory")
        elif not values["config.memoryHotAddEnabled"]:
            needs_off(f"adding memory without memory hot-add ({current_memory} to {memory_mb} MB)")
        spec.memoryMB = memory_mb
        changes.append(f"{memory_mb} MB")
    for flag, value, current in (
        ("cpuHotAddEnabled", cpu_hot_add, values["config.cpuHotAddEnabled"]),
        ("memoryHotAddEnabled", memory_hot_add, values["config.memoryHotAddEnabled"]),
    ):
        if value is not None and value != bool(current):
            needs_off(f"turning {flag} {'on' if value else 'off'}")
            setattr(spec, flag, value)
            changes.append(f"{flag}={value}")

    devices = values["config.hardware.device"] or []
    device_changes = _grow_disks(name, devices, sizes, changes)
    if network is not None:
        device_changes.append(_move_nic(ops, name, devices, network, changes))
    if device_changes:
        spec.deviceChange = device_changes

    if not changes:
        return ops.done(f"reconfigure {name}: nothing to change", wait)
    return ops.run(
        lambda: obj.ReconfigVM_Task(spec),
        f"reconfigure {name}: {', '.join(changes)}",
        wait,
        timeout,
    )


def _disk_sizes(disk_gb: Any) -> dict[str | None, float]:
    """{disk label or None (the first disk): new size in GB}."""
    if disk_gb is None:
        return {}
    if isinstance(disk_gb, dict):
        return {
            str(label): positive_number(f"disk_gb[{label!r}]", gb) for label, gb in disk_gb.items()
        }
    return {None: positive_number("disk_gb", disk_gb)}


def _grow_disks(
    name: str, devices: list[Any], sizes: dict[str | None, float], changes: list[str]
) -> list[Any]:
    disks = sorted(
        (d for d in devices if isinstance(d, vim.vm.device.VirtualDisk)), key=lambda d: d.key
    )
    out = []
    for label, gb in sizes.items():
        if label is None:
            if not disks:
                raise InvalidStateError(f"reconfigure {name}: it has no disk to grow")
            disk = disks[0]
        else:
            matching = [d for d in disks if _label(d) == label]
            if not matching:
                raise NotFoundError(
                    f"reconfigure {name}: no disk {label!r}; it has {[_label(d) for d in disks]}"
                )
            disk = matching[0]
        new_kb = int(gb * _KB_PER_GB)
        current = _disk_bytes(disk)
        if new_kb * 1024 < current:
            raise InvalidInputError(
                f"reconfigure {name}: {_label(disk)} is {current / 2**30:g} GB; "
                f"disks only grow, not to {gb:g} GB"
            )
        if new_kb * 1024 == current:
            continue
        disk.capacityInKB = new_kb
        disk.capacityInBytes = new_kb * 1024
        out.append(
            vim.vm.device.VirtualDeviceSpec(
                operation=vim.vm.device.VirtualDeviceSpec.Operation.edit, device=disk
            )
        )
        changes.append(f"{_label(disk)} to {gb:g} GB")
    return out


def _move_nic(ops: Ops, name: str, devices: list[Any], network: Any, changes: list[str]) -> Any:
    nics = sorted(
        (d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)),
        key=lambda d: d.key,
    )
    if not nics:
        raise InvalidStateError(f"reconfigure {name}: it has no NIC to connect (add_nic)")
    nic = nics[0]
    network_entry, nic.backing = network_backing(ops, network, f"reconfigure {name}")
    changes.append(f"{_label(nic)} on {network_entry.display_name!r}")
    return vim.vm.device.VirtualDeviceSpec(
        operation=vim.vm.device.VirtualDeviceSpec.Operation.edit, device=nic
    )


@vm_operation()
def add_disk(
    ops: Ops,
    *,
    vm: Any,
    size_gb: float,
    thin: bool,
    datastore: Any,
    wait: bool,
    timeout: float | None,
) -> Any:
    gb = positive_number("size_gb", size_gb)
    if not isinstance(thin, bool):
        raise InvalidInputError(f"thin={thin!r}: True or False")
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    description = f"add a {gb:g} GB disk to {name}"
    file_name = ""
    if datastore is not None:
        ds_entry, _ = ops.resolve(KINDS["datastore"], datastore)
        file_name = f"[{ds_entry.name}]"
    devices = ops.read(obj, ["config.hardware.device"], description)["config.hardware.device"] or []
    controller, unit = _free_scsi_slot(name, devices)
    disk = vim.vm.device.VirtualDisk(
        key=-1,
        controllerKey=controller.key,
        unitNumber=unit,
        capacityInKB=int(gb * _KB_PER_GB),
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            diskMode="persistent", thinProvisioned=thin, fileName=file_name
        ),
    )
    spec = vim.vm.ConfigSpec(
        deviceChange=[
            vim.vm.device.VirtualDeviceSpec(
                operation=vim.vm.device.VirtualDeviceSpec.Operation.add,
                fileOperation=vim.vm.device.VirtualDeviceSpec.FileOperation.create,
                device=disk,
            )
        ]
    )
    return ops.run(lambda: obj.ReconfigVM_Task(spec), description, wait, timeout)


def _free_scsi_slot(name: str, devices: list[Any]) -> tuple[Any, int]:
    controllers = sorted(
        (d for d in devices if isinstance(d, vim.vm.device.VirtualSCSIController)),
        key=lambda d: d.busNumber,
    )
    for controller in controllers:
        used = {d.unitNumber for d in devices if d.controllerKey == controller.key}
        used.add(_SCSI_RESERVED_UNIT)
        for unit in range(16):
            if unit not in used:
                return controller, unit
    raise InvalidStateError(f"add a disk to {name}: no free slot on its SCSI controllers")


@vm_operation()
def add_nic(
    ops: Ops, *, vm: Any, network: Any, adapter: str, wait: bool, timeout: float | None
) -> Any:
    if adapter not in ADAPTERS:
        raise InvalidInputError(f"adapter={adapter!r}: one of {', '.join(ADAPTERS)}")
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    network_entry, backing = network_backing(ops, network, f"add a NIC to {name}")
    nic = getattr(vim.vm.device, ADAPTERS[adapter])(
        key=-1,
        backing=backing,
        addressType="generated",
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(
            startConnected=True, allowGuestControl=True, connected=True
        ),
    )
    spec = vim.vm.ConfigSpec(
        deviceChange=[
            vim.vm.device.VirtualDeviceSpec(
                operation=vim.vm.device.VirtualDeviceSpec.Operation.add, device=nic
            )
        ]
    )
    return ops.run(
        lambda: obj.ReconfigVM_Task(spec),
        f"add a {adapter} NIC on {network_entry.display_name!r} to {name}",
        wait,
        timeout,
    )
