"""vmw device, cdrom, disk, nic: a VM's devices."""

from __future__ import annotations

import re

import click

from .. import AmbiguousNameError, DeviceInfo, InvalidInputError
from ._command import VmwGroup
from ._core import Context, confirm, examples, obj
from .completion import complete_vm

_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$", re.IGNORECASE)


def register(group: click.Group) -> None:
    """Adds this module's commands to vmw."""
    for command in (device, cdrom, disk, nic):
        group.add_command(command)


# -- vmw device -------------------------------------------------------------------------------


@click.group(cls=VmwGroup)
def device() -> None:
    """A VM's virtual devices."""


@device.command("ls", epilog=examples("vmw device ls web-07", "vmw --json device ls web-07"))
@click.argument("vm", shell_complete=complete_vm)
@click.pass_context
def device_ls(ctx: click.Context, vm: str) -> None:
    """A VM's devices: disks, NICs, CD-ROMs, controllers..."""
    cx: Context = obj(ctx)
    cx.table(
        cx.vs.devices(vm),
        (
            ("KIND", "kind"),
            ("LABEL", "label"),
            ("UNIT", "unit"),
            ("BACKING", "backing"),
            ("SIZE", lambda d: f"{d.size_gb:g} GB" if d.size_gb is not None else None),
            ("NETWORK", "network"),
            (
                "CONNECTED",
                lambda d: None if d.connected is None else ("yes" if d.connected else "no"),
            ),
        ),
    )


# -- vmw cdrom --------------------------------------------------------------------------------


@click.group(cls=VmwGroup)
def cdrom() -> None:
    """A VM's CD-ROM: ISO files from datastores."""


@cdrom.command(
    "insert", epilog=examples("vmw cdrom insert web-07 '[LocalDS_0] iso/ubuntu-24.04.iso'")
)
@click.argument("vm", shell_complete=complete_vm)
@click.argument("iso")
@click.pass_context
def cdrom_insert(ctx: click.Context, vm: str, iso: str) -> None:
    """Put an ISO ("[datastore] dir/file.iso") in a VM's CD-ROM (adding one if it has none)."""
    cx: Context = obj(ctx)
    with cx.working(f"insert {iso} into {vm}"):
        label = cx.vs.insert_iso(vm, iso)
    if cx.as_json:
        cx.emit({"vm": vm, "cdrom": label, "iso": iso})
    cx.err.print(f"inserted {iso} into {label} of {vm}", markup=False)


@cdrom.command("eject", epilog=examples("vmw cdrom eject web-07"))
@click.argument("vm", shell_complete=complete_vm)
@click.pass_context
def cdrom_eject(ctx: click.Context, vm: str) -> None:
    """Take the ISO out of a VM's CD-ROMs (left on a client device, disconnected)."""
    cx: Context = obj(ctx)
    with cx.working(f"eject the ISO of {vm}"):
        ejected = cx.vs.eject_iso(vm)
    if cx.as_json:
        cx.emit({"vm": vm, "ejected": ejected})
    if ejected:
        cx.err.print(f"ejected the ISO from {', '.join(ejected)} of {vm}", markup=False)
    else:
        cx.err.print(f"no CD-ROM of {vm} holds an ISO: nothing done", markup=False)


# -- vmw disk, vmw nic ------------------------------------------------------------------------


def _reference(text: str) -> str | int:
    """A device as typed: digits are a unit number, anything else a label (or MAC)."""
    return int(text) if text.strip().isdigit() else text


def _find(cx: Context, vm: str, ref: str | int, kind: str, what: str) -> DeviceInfo:
    """The device that ``ref`` names, found before anything is asked or sent (the library
    checks again as it removes it)."""
    candidates = [d for d in cx.vs.devices(vm) if d.kind == kind]
    if isinstance(ref, int):
        found = [d for d in candidates if d.unit == ref]
    else:
        found = [d for d in candidates if d.label.casefold() == ref.strip().casefold()]
        if not found and kind == "nic" and _MAC.match(ref.strip()):
            mac = ref.strip().replace("-", ":").lower()
            found = [d for d in candidates if (d.mac_address or "").lower() == mac]
    if len(found) > 1:
        raise AmbiguousNameError(
            f"{len(found)} {what}s of {vm} match {ref!r}: "
            f"{', '.join(d.label for d in found)}; give the label",
            candidates=[d.label for d in found],
        )
    if not found:
        has = ", ".join(f"{d.label!r} (unit {d.unit})" for d in candidates) or "none"
        raise InvalidInputError(f"{vm} has no {what} {ref!r}; its {what}s: {has}")
    return found[0]


@click.group(cls=VmwGroup)
def disk() -> None:
    """A VM's virtual disks."""


@disk.command(
    "rm",
    epilog=examples(
        "vmw disk rm web-07 'Hard disk 2'",
        "vmw disk rm web-07 1 --delete-files --yes   # unit 1, and its file",
    ),
)
@click.argument("vm", shell_complete=complete_vm)
@click.argument("disk_ref", metavar="DISK")
@click.option("--delete-files", is_flag=True, help="delete its file from the datastore too")
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def disk_rm(ctx: click.Context, vm: str, disk_ref: str, delete_files: bool, yes: bool) -> None:
    """Remove a disk from a VM, by label or unit number. Its file is kept unless
    --delete-files. Asks first, unless --yes."""
    cx: Context = obj(ctx)
    target = _find(cx, vm, _reference(disk_ref), "disk", "disk")
    file = target.backing or "its file"
    outcome = f"{file} is deleted" if delete_files else f"{file} is kept"
    size = f"{target.size_gb:g} GB, " if target.size_gb is not None else ""
    plan = [f"remove {target.label} ({size}unit {target.unit}) from {vm}; {outcome}"]
    if confirm(cx, plan, f"remove {target.label} from {vm}", yes):
        with cx.working(f"remove {target.label} from {vm}"):
            cx.vs.remove_disk(vm, target.label, delete_files=delete_files)
        kept = f"deleted {file}" if delete_files else f"kept {file}"
        cx.err.print(f"removed {target.label} from {vm}; {kept}", markup=False)


@click.group(cls=VmwGroup)
def nic() -> None:
    """A VM's network adapters."""


@nic.command(
    "rm",
    epilog=examples(
        "vmw nic rm web-07 'Network adapter 2'", "vmw nic rm web-07 00:50:56:aa:bb:cc --yes"
    ),
)
@click.argument("vm", shell_complete=complete_vm)
@click.argument("nic_ref", metavar="NIC")
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def nic_rm(ctx: click.Context, vm: str, nic_ref: str, yes: bool) -> None:
    """Remove a network adapter from a VM, by label, unit number or MAC address. Asks
    first, unless --yes."""
    cx: Context = obj(ctx)
    target = _find(cx, vm, _reference(nic_ref), "nic", "NIC")
    what = f"{target.label} ({target.mac_address or 'no MAC'}, on {target.network or 'no network'})"
    if confirm(cx, [f"remove {what} from {vm}"], f"remove {target.label} from {vm}", yes):
        with cx.working(f"remove {target.label} from {vm}"):
            cx.vs.remove_nic(vm, target.mac_address or target.label)
        cx.err.print(f"removed {what} from {vm}", markup=False)
