"""Placement across datacenters: folders, pools, hosts and datastores belong to one datacenter.
A request that mixes them is refused before anything is sent, naming the object that is out
of place, and the server is unchanged (checked through plain pyVmomi)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, find_vm, foreground_calls, plain_pyvmomi, wait_task
from vmware_wrapper import InvalidInputError, VSphere
from vmware_wrapper.testing import Simulator

# Two datacenters at the root, each with a cluster of one host, a standalone host, a VM
# in each, and a datastore named LocalDS_0 in each.
MUTATING = {"CloneVM_Task", "RelocateVM_Task", "MoveIntoFolder_Task", "MarkAsVirtualMachine"}


@pytest.fixture(scope="module")
def two_dcs() -> Iterator[Simulator]:
    with Simulator(datacenters=2, vms_per_pool=1, hosts_per_cluster=1, tools_delay=0) as sim:
        yield sim


@pytest.fixture(scope="module")
def si2(two_dcs: Simulator) -> Iterator[Any]:
    with plain_pyvmomi(two_dcs) as si:
        yield si


@pytest.fixture
def vs(two_dcs: Simulator) -> Iterator[VSphere]:
    with two_dcs.connect() as vsphere:
        vsphere.get_vm("DC0_H0_VM0")  # the index is ready before call counts are reset
        two_dcs.reset_call_counts()
        yield vsphere
    assert not MUTATING & set(foreground_calls(two_dcs))


def _where(si: Any, name: str) -> tuple[str, str, str]:
    vm = find_vm(si, name)
    return vm.parent._moId, vm.resourcePool._moId, vm.runtime.host._moId


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, r"/DC1/vm is in datacenter 'DC1', the source in datacenter 'DC0'"),
        ({"cluster": "DC1_C0"}, "needs a host, cluster or resource_pool and a datastore"),
        ({"datastore": "/DC1/datastore/LocalDS_0"}, "needs a host, cluster or resource_pool"),
        ({"cluster": "DC0_C0", "datastore": "/DC1/datastore/LocalDS_0"}, "DC0_C0 is in .*'DC0'"),
    ],
)
def test_a_clone_into_another_datacenter_needs_placement_there(vs, si2, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        vs.clone_vm("DC0_H0_VM0", "x-dc", folder="/DC1/vm", **kwargs)
    assert not [vm for vm in all_objects(si2, vim.VirtualMachine) if vm.name == "x-dc"]


@pytest.mark.parametrize(
    ("kwargs", "out_of_place"),
    [
        ({"cluster": "DC1_C0"}, "/DC1/host/DC1_C0"),
        ({"host": "DC1_H0"}, "DC1_H0"),
        ({"datastore": "/DC1/datastore/LocalDS_0"}, "/DC1/datastore/LocalDS_0"),
    ],
)
def test_a_clone_within_a_datacenter_refuses_placement_in_another(vs, si2, kwargs, out_of_place):
    with pytest.raises(InvalidInputError, match=f"{out_of_place} is in datacenter 'DC1'"):
        vs.clone_vm("DC0_H0_VM0", "x-dc", **kwargs)
    assert not [vm for vm in all_objects(si2, vim.VirtualMachine) if vm.name == "x-dc"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"host": "DC1_H0"},
        {"resource_pool": "/DC1/host/DC1_C0/Resources"},
        {"datastore": "/DC1/datastore/LocalDS_0"},
    ],
)
def test_relocation_stays_in_the_vms_datacenter(vs, si2, kwargs):
    before = _where(si2, "DC0_H0_VM0")
    with pytest.raises(InvalidInputError, match="is in datacenter 'DC1', not in datacenter 'DC0'"):
        vs.relocate_vm("DC0_H0_VM0", **kwargs)
    assert _where(si2, "DC0_H0_VM0") == before


def test_a_vm_is_not_moved_into_another_datacenters_folder(vs, si2):
    before = _where(si2, "DC0_H0_VM0")
    with pytest.raises(InvalidInputError, match="DC0_C0_RP0_VM0 is in datacenter 'DC0'"):
        vs.move(["DC0_C0_RP0_VM0", "DC0_H0_VM0"], "/DC1/vm")
    assert _where(si2, "DC0_H0_VM0") == before


def test_a_template_is_not_made_a_vm_in_another_datacenter(two_dcs, si2):
    vm = find_vm(si2, "DC1_H0_VM0")
    wait_task(vm.PowerOff())
    vm.MarkAsTemplate()
    try:
        with (
            two_dcs.connect() as vsphere,
            pytest.raises(InvalidInputError, match=r"DC0_C0/Resources is in datacenter 'DC0'"),
        ):
            vsphere.mark_as_vm("DC1_H0_VM0", resource_pool="/DC0/host/DC0_C0/Resources")
        assert find_vm(si2, "DC1_H0_VM0").config.template is True
    finally:
        host = find_vm(si2, "DC1_H0_VM0").runtime.host
        vm.MarkAsVirtualMachine(host.parent.resourcePool, host)
