"""Creating VMs from nothing, checked through plain pyVmomi reads of the server."""

from __future__ import annotations

import itertools

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, find_vm, foreground_calls, wait_task
from vmware_wrapper import InvalidInputError, NotFoundError, TaskError

_names = itertools.count()


@pytest.fixture
def vm_name(si):
    name = f"created-{next(_names)}"
    yield name
    for vm in all_objects(si, vim.VirtualMachine):
        if vm.name == name:
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())


def _devices(vm, kind):
    return [d for d in vm.config.hardware.device if isinstance(d, kind)]


def test_create_with_disks_nics_on_both_kinds_of_network_and_an_iso(vsphere, si, vm_name):
    created = vsphere.create_vm(
        vm_name,
        cluster="DC0_C0",
        datastore="LocalDS_0",
        guest_id="ubuntu64Guest",
        cpus=2,
        memory_mb=2048,
        firmware="efi",
        disks_gb=(1, 2.5),
        networks=("VM Network", "DC0_DVPG0"),
        iso="[LocalDS_0] iso/installer.iso",
        power_on=True,
    )
    server = find_vm(si, vm_name)
    assert server._moId == created._moId
    config = server.config
    assert (config.guestId, config.firmware) == ("ubuntu64Guest", "efi")
    assert (config.hardware.numCPU, config.hardware.memoryMB) == (2, 2048)
    assert server.runtime.powerState == "poweredOn"
    assert server.runtime.host.parent.name == "DC0_C0"
    assert server.parent.name == "vm"  # the datacenter's VM folder
    assert config.files.vmPathName.startswith("[LocalDS_0] ")

    disks = _devices(server, vim.vm.device.VirtualDisk)
    assert [d.capacityInKB for d in disks] == [1024**2, int(2.5 * 1024**2)]
    assert all(d.backing.thinProvisioned for d in disks)
    nics = _devices(server, vim.vm.device.VirtualVmxnet3)
    assert len(nics) == 2
    assert nics[0].backing.network.name == "VM Network"
    dvpg = next(
        p for p in all_objects(si, vim.dvs.DistributedVirtualPortgroup) if p.name == "DC0_DVPG0"
    )
    assert nics[1].backing.port.portgroupKey == dvpg.key
    (cdrom,) = _devices(server, vim.vm.device.VirtualCdrom)
    assert cdrom.backing.fileName == "[LocalDS_0] iso/installer.iso"
    assert vsphere.get_vm(vm_name)._moId == created._moId  # in the index at once


def test_create_with_defaults_on_a_host_picks_a_datastore_it_sees(vsphere, si, vm_name):
    vsphere.create_vm(vm_name, host="DC0_H0")
    server = find_vm(si, vm_name)
    assert server.runtime.host.name == "DC0_H0"
    assert server.config.guestId == "otherGuest64"
    assert server.config.firmware == "bios"
    assert (server.config.hardware.numCPU, server.config.hardware.memoryMB) == (1, 1024)
    (disk,) = _devices(server, vim.vm.device.VirtualDisk)
    assert disk.capacityInKB == 16 * 1024**2
    assert not _devices(server, vim.vm.device.VirtualEthernetCard)
    host_datastores = {ds.name for ds in server.runtime.host.datastore}
    assert server.datastore[0].name in host_datastores
    assert server.runtime.powerState == "poweredOff"


def test_create_into_a_folder(vsphere, si, vm_name):
    folder = vsphere.create_folder("/DC0/vm/created")
    vsphere.create_vm(vm_name, folder="/DC0/vm/created", resource_pool="/DC0/host/DC0_C0/Resources")
    server = find_vm(si, vm_name)
    assert server.parent._moId == folder._moId
    assert server.resourcePool.owner.name == "DC0_C0"


def test_a_failed_power_on_leaves_no_vm_behind(vsphere, si, vsphere_simulator, vm_name):
    vsphere_simulator.inject_fault("PowerOnVM_Task", "InsufficientResourcesFault", in_task=True)
    with pytest.raises(TaskError):
        vsphere.create_vm(vm_name, host="DC0_H0", power_on=True)
    assert vm_name not in {vm.name for vm in all_objects(si, vim.VirtualMachine)}


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "match"),
    [
        ("", {"host": "DC0_H0"}, InvalidInputError, "non-empty"),
        ("DC0_H0_VM1", {"host": "DC0_H0"}, InvalidInputError, "already has a 'DC0_H0_VM1'"),
        ("ok", {"host": "DC0_H0", "cpus": 0}, InvalidInputError, "cpus"),
        ("ok", {"host": "DC0_H0", "memory_mb": 1022}, InvalidInputError, "multiple of 4"),
        ("ok", {"host": "DC0_H0", "guest_id": "ubuntu64"}, InvalidInputError, "ubuntu64Guest"),
        ("ok", {"host": "DC0_H0", "firmware": "uefi"}, InvalidInputError, "firmware"),
        ("ok", {"host": "DC0_H0", "disks_gb": (0,)}, InvalidInputError, "disks_gb"),
        ("ok", {"host": "DC0_H0", "disks_gb": 16}, InvalidInputError, "disks_gb"),
        ("ok", {"host": "DC0_H0", "disks_gb": (1,) * 16}, InvalidInputError, "at most 15"),
        ("ok", {"host": "DC0_H0", "networks": "VM Network"}, InvalidInputError, "networks"),
        ("ok", {"host": "DC0_H0", "networks": ("NoSuchNet",)}, NotFoundError, "NoSuchNet"),
        ("ok", {"host": "DC0_H0", "iso": "installer.iso"}, InvalidInputError, "iso"),
        ("ok", {"host": "DC0_H0", "iso": "[NoDS] x.iso"}, InvalidInputError, "NoDS"),
        ("ok", {}, InvalidInputError, "give host=, cluster= or resource_pool="),
        ("ok", {"cluster": "DC0_C0", "resource_pool": "Resources"}, InvalidInputError, "both"),
        ("ok", {"folder": "/DC0/host"}, InvalidInputError, "holds no VMs"),
    ],
)
def test_bad_create_requests_are_refused_before_anything_is_sent(
    vsphere, vsphere_simulator, name, kwargs, error, match
):
    vsphere.get_vm("DC0_H0_VM0")
    vsphere_simulator.reset_call_counts()
    with pytest.raises(error, match=match):
        vsphere.create_vm(name, **kwargs)
    assert "CreateVM_Task" not in foreground_calls(vsphere_simulator)
