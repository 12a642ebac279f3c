"""Device labels as vCenter gives them ("Hard disk 1", "Network adapter 1"), read through plain
pyVmomi: on the generated inventory's VMs, clones, devices added by a reconfigure, imported
VMs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyVmomi import vim

from tests.helpers import find_vm, wait_task
from tests.ops.ovf_package import make_ova


def labels(vm: Any) -> dict[str, str]:
    """label -> the device's type name, for disks, NICs, CD-ROMs and disk controllers."""
    kinds = (
        vim.vm.device.VirtualDisk,
        vim.vm.device.VirtualEthernetCard,
        vim.vm.device.VirtualCdrom,
        vim.vm.device.VirtualSCSIController,
        vim.vm.device.VirtualIDEController,
    )
    return {
        d.deviceInfo.label: type(d).__name__
        for d in vm.config.hardware.device
        if isinstance(d, kinds)
    }


def test_the_generated_vms_and_their_clones_have_vcenters_labels(si: Any) -> None:
    vm = find_vm(si, "DC0_H0_VM0")
    expected = {
        "Hard disk 1": "vim.vm.device.VirtualDisk",
        "CD/DVD drive 1": "vim.vm.device.VirtualCdrom",
        "SCSI controller 0": "vim.vm.device.ParaVirtualSCSIController",
        "IDE 0": "vim.vm.device.VirtualIDEController",
        "IDE 1": "vim.vm.device.VirtualIDEController",
    }
    found = labels(vm)
    assert expected.items() <= found.items()
    assert [k for k in found if k.startswith("Network adapter")] == ["Network adapter 1"]
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
    clone = wait_task(vm.Clone(vm.parent, "labels-clone", spec))
    try:
        assert labels(clone) == found
    finally:
        wait_task(clone.Destroy())


def test_devices_added_later_are_numbered_on(si: Any, fresh_vm: Any) -> None:
    controller = next(
        d for d in fresh_vm.config.hardware.device
        if isinstance(d, vim.vm.device.VirtualSCSIController)
    )  # fmt: skip
    disk = vim.vm.device.VirtualDisk(
        capacityInKB=1024,
        controllerKey=controller.key,
        unitNumber=3,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent"),
    )
    change = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk)
    wait_task(fresh_vm.Reconfigure(vim.vm.ConfigSpec(deviceChange=[change])))
    assert "Hard disk 2" in labels(fresh_vm)


def test_an_imported_vm_has_vcenters_labels(vsphere: Any, si: Any, tmp_path: Path) -> None:
    ova = make_ova(tmp_path / "labels.ova", networks=("VM Network",))
    vsphere.deploy_ovf(ova, "labels-imported", cluster="DC0_C0")
    vm = find_vm(si, "labels-imported")
    try:
        found = labels(vm)
        assert "Hard disk 1" in found
        assert "Network adapter 1" in found
        assert not [label for label in found if "-" in label]  # no govmomi names left
    finally:
        wait_task(vm.Destroy())
