"""Naming things: every kind by name, path, id and object; ambiguity; misses; bulk records."""

from __future__ import annotations

import dataclasses
import json

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, find_vm, foreground_calls, wait_task
from vmware_wrapper import AmbiguousNameError, InvalidInputError, NotFoundError


@pytest.mark.parametrize(
    ("getter", "name", "vimtype"),
    [
        ("get_vm", "DC0_H0_VM0", vim.VirtualMachine),
        ("get_host", "DC0_C0_H0", vim.HostSystem),
        ("get_cluster", "DC0_C0", vim.ClusterComputeResource),
        ("get_datacenter", "DC0", vim.Datacenter),
        ("get_datastore", "LocalDS_0", vim.Datastore),
        ("get_network", "DC0_DVPG0", vim.DistributedVirtualPortgroup),
        ("get_folder", "vm", vim.Folder),
        ("get_resource_pool", "/DC0/host/DC0_C0/Resources", vim.ResourcePool),
    ],
)
def test_every_kind_by_name_path_id_and_object(vsphere, si, getter, name, vimtype):
    get = getattr(vsphere, getter)
    obj = get(name)
    assert isinstance(obj, vimtype)
    expected = [o for o in all_objects(si, vimtype) if o._moId == obj._moId]
    assert expected, "the server knows this object"
    path = vsphere.path_of(obj)
    assert path.startswith("/DC0")
    assert get(path)._moId == obj._moId
    assert get(path.lstrip("/"))._moId == obj._moId
    assert get(obj._moId)._moId == obj._moId
    assert get(obj)._moId == obj._moId


def test_paths_match_what_the_server_says(vsphere, si):
    for vm in all_objects(si, vim.VirtualMachine):
        names = []
        node = vm
        while node.parent is not None:
            names.append(node.name)
            node = node.parent
        assert vsphere.path_of(vm._moId) == "/" + "/".join(reversed(names))


def test_generic_get_and_find_take_types_and_kind_names(vsphere):
    assert (
        vsphere.get(vim.Datastore, "LocalDS_0")._moId == vsphere.get("datastore", "LocalDS_0")._moId
    )
    vms = vsphere.find(vim.VirtualMachine, "DC0_H0_*")
    assert sorted(v.name for v in vms) == ["DC0_H0_VM0", "DC0_H0_VM1"]
    assert vsphere.find("vm", "/DC0/vm/DC0_C0_*") == vsphere.find("vm", "DC0_C0_*")
    assert vsphere.find("host", "no-such-*") == []
    assert {type(o) for o in vsphere.find(vim.ManagedEntity, "DC0_C0")} == {
        vim.ClusterComputeResource
    }


def test_the_returned_objects_use_this_connection(vsphere):
    vm = vsphere.get_vm("DC0_H0_VM0")
    assert vm.name == "DC0_H0_VM0"  # a plain pyVmomi object, on the library's session


def test_a_miss_names_the_input_and_suggests(vsphere):
    with pytest.raises(
        NotFoundError, match=r"no VM named 'DC0_H0_VMX'; did you mean .*'DC0_H0_VM0'"
    ):
        vsphere.get_vm("DC0_H0_VMX")
    with pytest.raises(NotFoundError, match="no host named 'nope'"):
        vsphere.get_host("nope")


def test_duplicate_names_are_ambiguous(vsphere, si):
    # A folder and a VM can share a name in different places; two VMs in two folders too.
    source = find_vm(si, "DC0_H0_VM0")
    vm_folder = source.parent
    sub = vm_folder.CreateFolder("dup-folder")
    try:
        clone = wait_task(
            source.Clone(sub, "DC0_H0_VM1", vim.vm.CloneSpec(location=vim.vm.RelocateSpec()))
        )
        with pytest.raises(AmbiguousNameError) as raised:
            vsphere.get_vm("DC0_H0_VM1")
        assert raised.value.candidates == ["/DC0/vm/DC0_H0_VM1", "/DC0/vm/dup-folder/DC0_H0_VM1"]
        assert vsphere.get_vm("/DC0/vm/dup-folder/DC0_H0_VM1")._moId == clone._moId
        wait_task(clone.Destroy())
    finally:
        wait_task(sub.Destroy())


def test_escaped_names_match_what_users_type(vsphere, si):
    vm_folder = find_vm(si, "DC0_H0_VM0").parent
    # The server stores them escaped, as vCenter does: "/" -> %2f, "%" -> %25, "\" -> %5c.
    folder = vm_folder.CreateFolder("team/web % \\x")
    try:
        assert folder.name == "team%2fweb %25 %5cx"
        assert vsphere.get_folder("team/web % \\x")._moId == folder._moId
        assert vsphere.path_of(folder) == "/DC0/vm/team%2fweb %25 %5cx"
        assert vsphere.get_folder("/DC0/vm/team%2fweb %25 %5cx")._moId == folder._moId
    finally:
        wait_task(folder.Destroy())


def test_vm_by_uuid(vsphere, si):
    vm = find_vm(si, "DC0_H0_VM0")
    assert vsphere.get_vm_by_uuid(vm.config.uuid)._moId == vm._moId
    assert vsphere.get_vm_by_uuid(vm.config.instanceUuid.upper())._moId == vm._moId
    assert vsphere.get_vm(vm.config.uuid)._moId == vm._moId
    with pytest.raises(NotFoundError, match="00000000-0000-0000-0000-000000000000"):
        vsphere.get_vm_by_uuid("00000000-0000-0000-0000-000000000000")
    with pytest.raises(InvalidInputError, match="'web-07' is not a uuid"):
        vsphere.get_vm_by_uuid("web-07")


def test_vm_info_reads_the_server(vsphere, si):
    vm = find_vm(si, "DC0_H0_VM0")
    info = vsphere.vm_info("DC0_H0_VM0")
    assert info.moid == vm._moId
    assert info.path == "/DC0/vm/DC0_H0_VM0"
    assert info.power_state == vm.runtime.powerState
    assert info.cpus == vm.config.hardware.numCPU
    assert info.memory_mb == vm.config.hardware.memoryMB
    assert info.bios_uuid == vm.config.uuid
    assert info.instance_uuid == vm.config.instanceUuid
    assert info.host == vm.runtime.host.name
    assert info.guest_id == vm.config.guestId
    assert info.tools_running_status == vm.guest.toolsRunningStatus
    assert info.is_template is False
    assert json.loads(json.dumps(dataclasses.asdict(info)))["moid"] == vm._moId
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "x"  # type: ignore[misc]


def test_list_vms_is_one_bulk_read(vsphere, vsphere_simulator, si):
    vsphere.list_vms()  # the index is loaded
    vsphere_simulator.reset_call_counts()
    infos = vsphere.list_vms()
    calls = foreground_calls(vsphere_simulator)
    assert calls == {"RetrievePropertiesEx": 1}, calls
    server = {vm._moId: vm.name for vm in all_objects(si, vim.VirtualMachine)}
    assert {i.moid: i.name for i in infos} == server
    assert [i.name for i in vsphere.list_vms("DC0_C0_*")] == ["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"]
    assert vsphere.list_vms("no-such-*") == []


def test_vm_infos_of_several_is_one_bulk_read(vsphere, vsphere_simulator):
    names = ["DC0_H0_VM1", "/DC0/vm/DC0_C0_RP0_VM0", "DC0_H0_VM0"]
    vsphere.list_vms()  # the index is loaded
    vsphere_simulator.reset_call_counts()
    infos = vsphere.vm_infos(names)
    assert foreground_calls(vsphere_simulator) == {"RetrievePropertiesEx": 1}
    assert infos == [vsphere.vm_info(name) for name in names]
    with pytest.raises(InvalidInputError):
        vsphere.vm_infos("DC0_H0_VM0")
    with pytest.raises(NotFoundError):
        vsphere.vm_infos(["DC0_H0_VM0", "no-such-vm"])


def test_refresh_rereads_one_object(vsphere, vsphere_simulator):
    vsphere.get_vm("DC0_H0_VM0")
    vsphere_simulator.reset_call_counts()
    vsphere.get_vm("DC0_H0_VM0", refresh=True)
    assert foreground_calls(vsphere_simulator) == {"RetrievePropertiesEx": 1}
