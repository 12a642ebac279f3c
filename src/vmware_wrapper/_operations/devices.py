"""A VM's devices: list them, put an ISO in its CD-ROM and take it out, remove disks and NICs.

    [d.label for d in devices(ops, vm="web-07") if d.kind == "disk"]   # ["Hard disk 1", ...]
    insert_iso(ops, vm="web-07", iso_path="[LocalDS_0] iso/ubuntu.iso", wait=True, timeout=None)
    remove_disk(ops, vm="web-07", disk="Hard disk 2", delete_files=False, wait=True, timeout=None)

A disk or NIC is named by its label as vSphere shows it ("Hard disk 2", in any case), by its
unit number on its controller (an int), or, for a NIC, by its MAC address. What is to be
removed, and an ISO to be inserted (its path's form, its datastore, the file itself), are
checked before anything is sent.
"""

from __future__ import annotations

import re
from typing import Any

from .._base.models import DeviceInfo
from .._base.vmomi import vim
from .._inventory.tree import KINDS
from ..errors import (
    AmbiguousNameError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    VSphereError,
)
from .checks import OFF
from .context import Ops, vm_operation

_device = vim.vm.device
_BYTES_PER_GB = 2**30
_CLIENT_DEVICE = "client device"
# "[datastore] folder/file.iso"; vSphere writes one space after the bracket, people may not.
_DATASTORE_PATH = re.compile(r"^\[(?P<datastore>[^\[\]]+)\]\s*(?P<path>.*)$")
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$", re.IGNORECASE)
_IDE_UNITS = 2  # master and slave
_SATA_UNITS = 30

# Most specific first: a CD-ROM is no controller, but a SATA controller is one.
_KINDS: tuple[tuple[type, str], ...] = (
    (_device.VirtualDisk, "disk"),
    (_device.VirtualEthernetCard, "nic"),
    (_device.VirtualCdrom, "cdrom"),
    (_device.VirtualFloppy, "floppy"),
    (_device.VirtualController, "controller"),
    (_device.VirtualVideoCard, "video"),
    (_device.VirtualSerialPort, "serial"),
    (_device.VirtualParallelPort, "parallel"),
    (_device.VirtualUSB, "usb"),
    (_device.VirtualSoundCard, "sound"),
)
# CD-ROM and floppy backings that are a device of the machine running the client
# (the vSphere Client's "Client Device"), not of the host.
_REMOTE_BACKINGS = (
    _device.VirtualCdrom.RemotePassthroughBackingInfo,
    _device.VirtualCdrom.RemoteAtapiBackingInfo,
    _device.VirtualFloppy.RemoteDeviceBackingInfo,
)


def _kind(device: Any) -> str:
    for cls, kind in _KINDS:
        if isinstance(device, cls):
            return kind
    return "other"


def _label(device: Any) -> str:
    return str(device.deviceInfo.label) if device.deviceInfo else f"device {device.key}"


def _of_kind(devices: list[Any], cls: type) -> list[Any]:
    return sorted((d for d in devices if isinstance(d, cls)), key=lambda d: d.key)


def _is_iso(device: Any) -> bool:
    return isinstance(device.backing, _device.VirtualCdrom.IsoBackingInfo)


# -- listing ----------------------------------------------------------------------------------


def devices(ops: Ops, *, vm: Any) -> list[DeviceInfo]:
    entry, obj = ops.vm(vm)
    context = f"list the devices of {ops.name(entry)}"
    found = ops.read(obj, ["config.hardware.device"], context)["config.hardware.device"] or []
    networks = _network_names(ops, obj, found, context)
    return [_info(d, networks) for d in sorted(found, key=lambda d: d.key)]


def _network_names(ops: Ops, obj: Any, found: list[Any], context: str) -> dict[str, str]:
    """{distributed port group key: its name}, for the VM's NICs on distributed switches
    (their backing names the port group by key only)."""
    if not any(
        isinstance(d.backing, _device.VirtualEthernetCard.DistributedVirtualPortBackingInfo)
        for d in found
    ):
        return {}
    names = {}
    for network in ops.read(obj, ["network"], context)["network"] or []:
        if isinstance(network, vim.dvs.DistributedVirtualPortgroup):
            values = ops.read(network, ["key", "name"], context)
            names[str(values["key"])] = _display_name(ops, network, values["name"])
    return names


def _display_name(ops: Ops, obj: Any, fallback: Any) -> str:
    try:
        return ops.resolver.entry(KINDS["network"], obj).display_name
    except VSphereError:  # not (yet) in the index: the name as read
        return str(fallback)


def _nic_network(device: Any, networks: dict[str, str]) -> str | None:
    backing = device.backing
    card = _device.VirtualEthernetCard
    if isinstance(backing, card.DistributedVirtualPortBackingInfo):
        key = str(backing.port.portgroupKey) if backing.port else ""
        return networks.get(key, key or None)
    if isinstance(backing, card.NetworkBackingInfo):
        return str(backing.deviceName) if backing.deviceName else None
    if isinstance(backing, card.OpaqueNetworkBackingInfo):
        return str(backing.opaqueNetworkId)
    return None


def _backing(device: Any, network: str | None) -> str | None:
    backing = device.backing
    if backing is None:
        return None
    if isinstance(device, _device.VirtualEthernetCard):
        return network
    if isinstance(backing, _REMOTE_BACKINGS):
        return _CLIENT_DEVICE
    if isinstance(backing, _device.VirtualDevice.FileBackingInfo) and backing.fileName:
        return str(backing.fileName)
    if isinstance(backing, _device.VirtualDevice.DeviceBackingInfo) and backing.deviceName:
        return str(backing.deviceName)
    return None


def _info(device: Any, networks: dict[str, str]) -> DeviceInfo:
    kind = _kind(device)
    network = _nic_network(device, networks) if kind == "nic" else None
    size_gb = None
    if kind == "disk":
        size = device.capacityInBytes or (device.capacityInKB or 0) * 1024
        size_gb = round(size / _BYTES_PER_GB, 3)
    connectable = device.connectable
    return DeviceInfo(
        kind=kind,
        label=_label(device),
        key=int(device.key),
        unit=int(device.unitNumber) if device.unitNumber is not None else None,
        backing=_backing(device, network),
        size_gb=size_gb,
        network=network,
        connected=bool(connectable.connected) if connectable is not None else None,
        mac_address=str(device.macAddress) if kind == "nic" and device.macAddress else None,
    )


def _devices_to_change(ops: Ops, obj: Any, context: str) -> tuple[list[Any], bool]:
    """The VM's devices and whether it is running, read before a change; a template's
    devices cannot be changed (vSphere refuses to reconfigure templates)."""
    values = ops.read(
        obj, ["config.template", "runtime.powerState", "config.hardware.device"], context
    )
    if values["config.template"]:
        raise InvalidStateError(f"{context}: it is a template (mark_as_vm first)")
    running = values["runtime.powerState"] not in (None, OFF)
    return values["config.hardware.device"] or [], running


# -- ISOs -------------------------------------------------------------------------------------


def _check_iso_path(iso_path: Any) -> tuple[str, str]:
    """(datastore, path in it) of "[datastore] folder/file.iso"."""
    form = '"[datastore] folder/file.iso"'
    if not isinstance(iso_path, str):
        raise InvalidInputError(f"iso_path={iso_path!r}: a datastore path, {form}")
    match = _DATASTORE_PATH.match(iso_path.strip())
    if match is None:
        raise InvalidInputError(f"iso_path={iso_path!r}: a datastore path, {form}")
    datastore, path = match["datastore"].strip(), match["path"].strip()
    if not datastore or not path or path.endswith("/"):
        raise InvalidInputError(f"iso_path={iso_path!r}: a file on a datastore, {form}")
    return datastore, path


def _host_datastore(ops: Ops, obj: Any, datastore: str, iso_path: str, context: str) -> Any:
    """The datastore named ``datastore`` among those the VM's host sees."""
    host = ops.read(obj, ["runtime.host"], context)["runtime.host"]
    seen: dict[str, Any] = {}
    if host is not None:
        for ds in ops.read(host, ["datastore"], context)["datastore"] or []:
            try:
                entry = ops.resolver.entry(KINDS["datastore"], ds)
            except VSphereError:  # not (yet) in the index: its name as read
                seen[str(ops.read(ds, ["name"], context)["name"])] = ds
                continue
            seen[entry.display_name] = ds
            seen.setdefault(entry.name, ds)
    if datastore in seen:
        return seen[datastore]
    try:
        ops.resolve(KINDS["datastore"], datastore)
    except NotFoundError:
        raise InvalidInputError(
            f"{context}: iso_path={iso_path!r}: there is no datastore {datastore!r}"
        ) from None
    except AmbiguousNameError:
        pass  # there are several; none that the host sees (below)
    names = ", ".join(repr(n) for n in sorted(seen)) or "none"
    raise InvalidInputError(
        f"{context}: iso_path={iso_path!r}: the VM's host does not see datastore "
        f"{datastore!r} (it sees {names})"
    )


def _check_file(ops: Ops, ds: Any, datastore: str, path: str, iso_path: str, context: str) -> None:
    """The ISO file is there: a search of its folder through the datastore's browser."""
    folder, _, file_name = path.rpartition("/")
    browser = ops.read(ds, ["browser"], context)["browser"]
    spec = vim.host.DatastoreBrowser.SearchSpec(matchPattern=[file_name])
    where = f"[{datastore}] {folder}" if folder else f"[{datastore}]"
    try:
        result = ops.run(
            lambda: browser.SearchDatastore_Task(where, spec),
            f"{context}: look for {iso_path}",
            True,
            None,
        )
    except VSphereError as e:  # the search fails with FileNotFound when the folder is missing
        if not isinstance(e, NotFoundError) and not isinstance(e.fault, vim.fault.FileNotFound):
            raise
        result = None
    names = {f.path for f in (result.file if result is not None else None) or []}
    if file_name not in names:
        raise InvalidInputError(f"{context}: iso_path={iso_path!r}: there is no such file")


def _iso_backing(iso_path: str, ds: Any) -> Any:
    return _device.VirtualCdrom.IsoBackingInfo(fileName=iso_path, datastore=ds)


def _free_cdrom_slot(name: str, found: list[Any], running: bool) -> tuple[Any, int]:
    """(controller, unit) for a new CD-ROM: a free IDE slot, else a free SATA one. IDE
    devices cannot be added to a running VM (vSphere refuses: no IDE hot-add)."""
    used = {(d.controllerKey, d.unitNumber) for d in found if d.unitNumber is not None}
    choices: list[tuple[type, int]] = [(_device.VirtualSATAController, _SATA_UNITS)]
    if not running:
        choices.insert(0, (_device.VirtualIDEController, _IDE_UNITS))
    for cls, units in choices:
        for controller in sorted(_of_kind(found, cls), key=lambda c: c.busNumber):
            for unit in range(units):
                if (controller.key, unit) not in used:
                    return controller, unit
    if running:
        raise InvalidStateError(
            f"add a CD-ROM to {name}: a running VM takes a new CD-ROM on a SATA controller "
            "only (IDE is not hot-pluggable), and it has no free SATA slot; power it off"
        )
    raise InvalidStateError(f"add a CD-ROM to {name}: no free IDE or SATA controller slot")


@vm_operation()
def insert_iso(ops: Ops, *, vm: Any, iso_path: Any, wait: bool, timeout: float | None) -> Any:
    datastore, path = _check_iso_path(iso_path)
    iso = f"[{datastore}] {path}"
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    context = f"insert {iso} into {name}"
    found, running = _devices_to_change(ops, obj, context)
    ds = _host_datastore(ops, obj, datastore, iso, context)
    _check_file(ops, ds, datastore, path, iso, context)

    connect = vim.vm.device.VirtualDevice.ConnectInfo(
        startConnected=True, connected=running, allowGuestControl=True
    )
    cdroms = _of_kind(found, _device.VirtualCdrom)
    if cdroms:
        cdrom = cdroms[0]
        label = _label(cdrom)
        if (
            _is_iso(cdrom)
            and cdrom.backing.fileName == iso
            and cdrom.connectable is not None
            and cdrom.connectable.startConnected
            and bool(cdrom.connectable.connected) == running
        ):
            return ops.done(f"{context}: {label} already holds it", wait, label)
        cdrom.backing = _iso_backing(iso, ds)
        cdrom.connectable = connect
        change = _device.VirtualDeviceSpec(
            operation=_device.VirtualDeviceSpec.Operation.edit, device=cdrom
        )
        description = f"{context} ({label})"
    else:
        controller, unit = _free_cdrom_slot(name, found, running)
        cdrom = _device.VirtualCdrom(
            key=-1,
            controllerKey=controller.key,
            unitNumber=unit,
            backing=_iso_backing(iso, ds),
            connectable=connect,
        )
        change = _device.VirtualDeviceSpec(
            operation=_device.VirtualDeviceSpec.Operation.add, device=cdrom
        )
        label = None
        description = f"{context} (a new CD-ROM on {_label(controller)})"

    def inserted_into(_: Any, deadline: float | None) -> str:
        if label is not None:
            return label
        now = ops.read(obj, ["config.hardware.device"], context)["config.hardware.device"] or []
        holding = [d for d in _of_kind(now, _device.VirtualCdrom) if _holds(d, iso)]
        return _label(holding[-1]) if holding else "CD-ROM"

    spec = vim.vm.ConfigSpec(deviceChange=[change])
    return ops.run(lambda: obj.ReconfigVM_Task(spec), description, wait, timeout, inserted_into)


def _holds(cdrom: Any, iso: str) -> bool:
    return _is_iso(cdrom) and cdrom.backing.fileName == iso


@vm_operation()
def eject_iso(ops: Ops, *, vm: Any, wait: bool, timeout: float | None) -> Any:
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    context = f"eject the ISO of {name}"
    found, _ = _devices_to_change(ops, obj, context)
    holding = [d for d in _of_kind(found, _device.VirtualCdrom) if _is_iso(d)]
    if not holding:
        return ops.done(f"{context}: no CD-ROM of it holds an ISO; nothing to do", wait, [])
    changes = []
    labels = []
    for cdrom in holding:
        labels.append(f"{_label(cdrom)} ({cdrom.backing.fileName})")
        # What the vSphere Client sets for "Client Device": a passthrough of the client's
        # drive, with no drive named, disconnected.
        cdrom.backing = _device.VirtualCdrom.RemotePassthroughBackingInfo(
            deviceName="", exclusive=False, useAutoDetect=False
        )
        cdrom.connectable = vim.vm.device.VirtualDevice.ConnectInfo(
            startConnected=False, connected=False, allowGuestControl=True
        )
        changes.append(
            _device.VirtualDeviceSpec(
                operation=_device.VirtualDeviceSpec.Operation.edit, device=cdrom
            )
        )
    spec = vim.vm.ConfigSpec(deviceChange=changes)
    ejected = [_label(d) for d in holding]
    return ops.run(
        lambda: obj.ReconfigVM_Task(spec),
        f"{context}: {', '.join(labels)}",
        wait,
        timeout,
        lambda _, deadline: ejected,
    )


# -- removing disks and NICs ------------------------------------------------------------------


def _describe(device: Any) -> str:
    unit = f"unit {device.unitNumber}" if device.unitNumber is not None else "no unit"
    if isinstance(device, _device.VirtualEthernetCard) and device.macAddress:
        return f"{_label(device)!r} ({unit}, {device.macAddress})"
    return f"{_label(device)!r} ({unit})"


def _pick(
    candidates: list[Any], ref: Any, what: str, owner: str, context: str, by_mac: bool
) -> Any:
    """The one device of ``candidates`` that ``ref`` names: a label (any case), a unit
    number, or (``by_mac``) a MAC address."""
    accepted = "a label, a unit number" + (" or a MAC address" if by_mac else "")
    if isinstance(ref, bool) or not isinstance(ref, (str, int)):
        raise InvalidInputError(f"{context}: {what} {ref!r}: {accepted}")
    if isinstance(ref, int):
        matches = [d for d in candidates if d.unitNumber == ref]
    else:
        wanted = ref.strip()
        if not wanted:
            raise InvalidInputError(f"{context}: {what} {ref!r}: {accepted}")
        matches = [d for d in candidates if _label(d).casefold() == wanted.casefold()]
        if not matches and by_mac and _MAC.match(wanted):
            mac = wanted.replace("-", ":").lower()
            matches = [d for d in candidates if (d.macAddress or "").lower() == mac]
    if len(matches) > 1:
        labels = [_label(d) for d in matches]
        raise AmbiguousNameError(
            f"{context}: {len(matches)} {what}s of {owner} match {ref!r}: "
            f"{', '.join(_describe(d) for d in matches)}; give the label",
            candidates=labels,
        )
    if not matches:
        has = ", ".join(_describe(d) for d in candidates) or "none"
        raise InvalidInputError(f"{context}: {owner} has no {what} {ref!r}; its {what}s: {has}")
    return matches[0]


def _device_ref_text(ref: Any) -> str:
    return repr(ref) if isinstance(ref, str) else str(ref)


@vm_operation()
def remove_disk(
    ops: Ops,
    *,
    vm: Any,
    disk: Any,
    delete_files: bool,
    wait: bool,
    timeout: float | None,
) -> Any:
    if not isinstance(delete_files, bool):
        raise InvalidInputError(f"delete_files={delete_files!r}: True or False")
    if isinstance(disk, bool) or not isinstance(disk, (str, int)):
        raise InvalidInputError(f"disk={disk!r}: a disk's label or unit number")
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    context = f"remove disk {_device_ref_text(disk)} from {name}"
    found, running = _devices_to_change(ops, obj, context)
    target = _pick(_of_kind(found, _device.VirtualDisk), disk, "disk", name, context, False)
    controller = next((d for d in found if d.key == target.controllerKey), None)
    if running and isinstance(controller, _device.VirtualIDEController):
        # vSphere hot-removes SCSI, SATA and NVMe disks, never IDE ones.
        raise InvalidStateError(
            f"{context}: {_label(target)} is on {_label(controller)}, and IDE disks are "
            "removed only from a powered-off VM"
        )
    file_name = getattr(target.backing, "fileName", None) or "its file"
    change = _device.VirtualDeviceSpec(
        operation=_device.VirtualDeviceSpec.Operation.remove, device=target
    )
    if delete_files:
        change.fileOperation = _device.VirtualDeviceSpec.FileOperation.destroy
        description = f"remove {_label(target)} from {name} and delete {file_name}"
    else:
        description = f"remove {_label(target)} from {name} (keeping {file_name})"
    spec = vim.vm.ConfigSpec(deviceChange=[change])
    return ops.run(lambda: obj.ReconfigVM_Task(spec), description, wait, timeout)


@vm_operation()
def remove_nic(ops: Ops, *, vm: Any, nic: Any, wait: bool, timeout: float | None) -> Any:
    if isinstance(nic, bool) or not isinstance(nic, (str, int)):
        raise InvalidInputError(f"nic={nic!r}: a NIC's label, unit number or MAC address")
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    context = f"remove NIC {_device_ref_text(nic)} from {name}"
    found, _ = _devices_to_change(ops, obj, context)
    target = _pick(_of_kind(found, _device.VirtualEthernetCard), nic, "NIC", name, context, True)
    change = _device.VirtualDeviceSpec(
        operation=_device.VirtualDeviceSpec.Operation.remove, device=target
    )
    spec = vim.vm.ConfigSpec(deviceChange=[change])
    return ops.run(
        lambda: obj.ReconfigVM_Task(spec),
        f"remove {_describe(target)} from {name}",
        wait,
        timeout,
    )
