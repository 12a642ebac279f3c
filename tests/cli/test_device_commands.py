"""vmw device, cdrom, disk and nic, read back through plain pyVmomi."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from pyVmomi import vim

from tests.cli.conftest import records
from tests.helpers import govc, wait_task

ISO = "[LocalDS_0] cli-devices/boot.iso"
_seq = itertools.count()


@pytest.fixture(scope="module")
def iso(cli_sim):
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "boot.iso"
        local.write_bytes(b"CD001" * 100)
        govc(cli_sim, "datastore.upload", "-ds", "LocalDS_0", str(local), ISO.split()[1])
    yield ISO
    govc(cli_sim, "datastore.rm", "-ds", "LocalDS_0", "cli-devices")


def of_type(vm, cls):
    return sorted((d for d in vm.config.hardware.device if isinstance(d, cls)), key=lambda d: d.key)


def add_disk(vm):
    first = of_type(vm, vim.vm.device.VirtualDisk)[0]
    used = {
        d.unitNumber for d in vm.config.hardware.device if d.controllerKey == first.controllerKey
    }
    unit = next(u for u in range(16) if u not in used and u != 7)
    disk = vim.vm.device.VirtualDisk(
        key=-1,
        controllerKey=first.controllerKey,
        unitNumber=unit,
        capacityInKB=1024 * 1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            diskMode="persistent", thinProvisioned=True, fileName=""
        ),
    )
    change = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk)
    wait_task(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[change])))
    return next(d for d in of_type(vm, vim.vm.device.VirtualDisk) if d.unitNumber == unit)


def test_device_ls(vmw, cli_vs, make_vm):
    vm = make_vm()
    listing = vmw("--json", "device", "ls", vm.name)
    assert listing.code == 0, listing.err
    assert listing.json() == records(cli_vs.devices(vm.name))
    assert sorted(d["key"] for d in listing.json()) == sorted(
        d.key for d in vm.config.hardware.device
    )
    lines = vmw("device", "ls", vm.name).out.splitlines()
    assert lines[0].split() == ["KIND", "LABEL", "UNIT", "BACKING", "SIZE", "NETWORK", "CONNECTED"]
    disk = of_type(vm, vim.vm.device.VirtualDisk)[0]
    [row] = [line for line in lines if disk.deviceInfo.label in line]
    assert row.split()[0] == "disk"
    assert disk.backing.fileName in row
    assert "10 GB" in row


def test_cdrom_insert_and_eject(vmw, make_vm, iso):
    vm = make_vm()
    inserted = vmw("cdrom", "insert", vm.name, iso)
    assert inserted.code == 0, inserted.err
    [cdrom] = of_type(vm, vim.vm.device.VirtualCdrom)
    assert cdrom.backing.fileName == iso
    assert cdrom.connectable.connected
    assert f"inserted {iso} into {cdrom.deviceInfo.label} of {vm.name}" in inserted.err

    ejected = vmw("cdrom", "eject", vm.name)
    assert ejected.code == 0, ejected.err
    assert "ejected" in ejected.err
    [cdrom] = of_type(vm, vim.vm.device.VirtualCdrom)
    assert not isinstance(cdrom.backing, vim.vm.device.VirtualCdrom.IsoBackingInfo)
    again = vmw("cdrom", "eject", vm.name)
    assert again.code == 0
    assert "nothing done" in again.err

    missing = vmw("cdrom", "insert", vm.name, "[LocalDS_0] cli-devices/missing.iso")
    assert missing.code == 2
    assert "missing.iso" in missing.err
    assert vmw("cdrom", "insert", vm.name, "boot.iso").code == 2
    [cdrom] = of_type(vm, vim.vm.device.VirtualCdrom)
    assert not isinstance(cdrom.backing, vim.vm.device.VirtualCdrom.IsoBackingInfo)


def test_disk_rm(vmw, cli_si, make_vm):
    vm = make_vm()
    second = add_disk(vm)
    label, unit = second.deviceInfo.label, second.unitNumber

    refused = vmw("disk", "rm", vm.name, label)  # no terminal, no --yes
    assert refused.code == 2
    assert "--yes" in refused.err
    assert second.key in {d.key for d in of_type(vm, vim.vm.device.VirtualDisk)}

    unknown = vmw("disk", "rm", vm.name, "Hard disk 9", "--yes")
    assert unknown.code == 2
    assert "'Hard disk 9'" in unknown.err
    assert label in unknown.err

    removed = vmw("disk", "rm", vm.name, str(unit), "--yes")  # by unit number
    assert removed.code == 0, removed.err
    assert f"removed {label} from {vm.name}; kept {second.backing.fileName}" in removed.err
    assert second.key not in {d.key for d in of_type(vm, vim.vm.device.VirtualDisk)}

    third = add_disk(vm)
    deleted = vmw("disk", "rm", vm.name, third.deviceInfo.label.upper(), "--delete-files", "--yes")
    assert deleted.code == 0, deleted.err
    assert f"deleted {third.backing.fileName}" in deleted.err
    assert len(of_type(vm, vim.vm.device.VirtualDisk)) == 1
    folder = third.backing.fileName.split("] ")[1].rpartition("/")[0]
    names = [
        f.path
        for f in wait_task(
            vm.datastore[0].browser.SearchDatastore_Task(
                f"[LocalDS_0] {folder}", vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*"])
            )
        ).file
    ]
    assert second.backing.fileName.rpartition("/")[2] in names  # kept
    assert third.backing.fileName.rpartition("/")[2] not in names  # deleted


def test_nic_rm(vmw, make_vm):
    vm = make_vm()
    [card] = of_type(vm, vim.vm.device.VirtualEthernetCard)
    assert vmw("nic", "rm", vm.name, "00:00:00:00:00:01", "--yes").code == 2
    assert vmw("nic", "rm", vm.name, card.macAddress).code == 2  # no --yes
    assert of_type(vm, vim.vm.device.VirtualEthernetCard) != []
    removed = vmw("nic", "rm", vm.name, card.macAddress, "--yes")
    assert removed.code == 0, removed.err
    assert f"removed {card.deviceInfo.label}" in removed.err
    assert of_type(vm, vim.vm.device.VirtualEthernetCard) == []


def test_ambiguous_vm_names_change_nothing(vmw, make_vm, iso):
    vm = make_vm(power_on=False)
    folder = vm.parent.CreateFolder(f"cli-devices-elsewhere-{next(_seq)}")
    twin = wait_task(vm.Clone(folder, vm.name, vim.vm.CloneSpec(location=vim.vm.RelocateSpec())))
    try:
        before = [sorted(d.key for d in v.config.hardware.device) for v in (vm, twin)]
        disk = of_type(vm, vim.vm.device.VirtualDisk)[0].deviceInfo.label
        for args in (
            ("disk", "rm", vm.name, disk, "--yes"),
            ("nic", "rm", vm.name, "0", "--yes"),
            ("cdrom", "insert", vm.name, iso),
            ("device", "ls", vm.name),
        ):
            result = vmw(*args)
            assert result.code == 4, (args, result.err)
        assert [sorted(d.key for d in v.config.hardware.device) for v in (vm, twin)] == before
        assert all(
            not isinstance(c.backing, vim.vm.device.VirtualCdrom.IsoBackingInfo)
            for v in (vm, twin)
            for c in of_type(v, vim.vm.device.VirtualCdrom)
        )
    finally:
        wait_task(twin.Destroy())
        wait_task(folder.Destroy())
