"""Resource pools: made with their parents, changed, destroyed; read back through plain
pyVmomi. Bad settings are refused, naming them, before anything is sent; an ambiguous name
changes nothing."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.helpers import all_objects, find_vm, pool_allocation, wait_task
from vmware_wrapper import AmbiguousNameError, InvalidInputError

CLUSTER = "/DC0/host/DC0_C0"
_seq = itertools.count()


def unique(prefix: str = "rp") -> str:
    return f"{prefix}-{next(_seq)}"


def root_pool(si: Any) -> Any:
    cluster = next(c for c in all_objects(si, vim.ClusterComputeResource) if c.name == "DC0_C0")
    return cluster.resourcePool


def child(pool: Any, name: str) -> Any:
    found = [p for p in pool.resourcePool if p.name == name]
    assert len(found) == 1, f"{len(found)} pools named {name} in {pool.name}"
    return found[0]


def exists(obj: Any) -> bool:
    try:
        obj.name  # noqa: B018 (a read of the server)
    except vmodl.fault.ManagedObjectNotFound:
        return False
    return True


def destroy_tree(pool: Any) -> None:
    """Destroy a pool and those below it, children first (a parent takes in its children's
    pools and VMs when destroyed)."""
    if not exists(pool):
        return
    for below in list(pool.resourcePool):
        destroy_tree(below)
    wait_task(pool.Destroy())


@pytest.fixture
def cleanup(si: Any) -> Iterator[list[Any]]:
    """Pools (plain pyVmomi objects) destroyed with everything below them after the test."""
    made: list[Any] = []
    yield made
    for pool in reversed(made):
        destroy_tree(pool)


def allocation(pool: Any, resource: str) -> tuple[str, int, int, int, bool]:
    info = getattr(pool.config, f"{resource}Allocation")
    shares = info.shares.level if info.shares.level != "custom" else info.shares.shares
    return shares, info.reservation, info.limit, info.expandableReservation


def no_changes_sent(vsphere_simulator: Any) -> bool:
    calls = vsphere_simulator.call_counts()
    return not {"CreateResourcePool", "UpdateConfig", "Destroy_Task"} & calls.keys()


def test_a_pool_is_made_with_its_parents_and_its_settings(vsphere, si, cleanup):
    name = unique()
    pool = vsphere.create_resource_pool(
        f"{CLUSTER}/Resources/{name}/prod",
        cpu_shares="high",
        cpu_reservation_mhz=500,
        cpu_limit_mhz=1000,
        memory_shares=2000,
        memory_reservation_mb=256,
        memory_limit_mb=1024,
        expandable=False,
    )
    parent = child(root_pool(si), name)
    cleanup.append(parent)
    made = child(parent, "prod")
    assert pool._moId == made._moId
    assert allocation(made, "cpu") == ("high", 500, 1000, False)
    assert allocation(made, "memory") == (2000, 256, 1024, False)
    # The parent made on the way has the defaults.
    assert allocation(parent, "cpu") == ("normal", 0, -1, True)
    assert allocation(parent, "memory") == ("normal", 0, -1, True)


def test_the_path_may_leave_out_the_root_pool_as_govc_does(vsphere, si, cleanup):
    name = unique()
    returned = vsphere.create_resource_pool(f"{CLUSTER}/{name}/web", memory_limit_mb=2048)
    parent = child(root_pool(si), name)
    cleanup.append(parent)
    pool = child(parent, "web")
    assert returned._moId == pool._moId
    assert allocation(pool, "memory") == ("normal", 0, 2048, True)


def test_a_pool_already_there_is_returned_as_it_is(vsphere, si, vsphere_simulator, cleanup):
    name = unique()
    vsphere.create_resource_pool(f"{CLUSTER}/Resources/{name}", cpu_limit_mhz=700)
    first = child(root_pool(si), name)
    cleanup.append(first)
    vsphere_simulator.reset_call_counts()
    again = vsphere.create_resource_pool(f"{CLUSTER}/{name}", cpu_limit_mhz=900)
    assert again._moId == first._moId
    assert "CreateResourcePool" not in vsphere_simulator.call_counts()
    assert allocation(first, "cpu") == ("normal", 0, 700, True)


BAD_SETTINGS = [
    ("cpu_reservation_mhz", -1),
    ("memory_reservation_mb", -5),
    ("cpu_limit_mhz", -2),
    ("memory_limit_mb", 1.5),
    ("cpu_shares", "medium"),
    ("memory_shares", 0),
    ("cpu_shares", True),
    ("memory_reservation_mb", "100"),
    ("expandable", "no"),
]


@pytest.mark.parametrize(("keyword", "value"), BAD_SETTINGS)
def test_bad_settings_are_named_and_nothing_is_sent(vsphere, si, vsphere_simulator, keyword, value):
    name = unique()
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError) as raised:
        vsphere.create_resource_pool(f"{CLUSTER}/Resources/{name}/sub", **{keyword: value})
    assert keyword in str(raised.value)
    assert repr(value) in str(raised.value)
    assert no_changes_sent(vsphere_simulator)
    assert name not in [p.name for p in root_pool(si).resourcePool]


def test_a_limit_below_the_reservation_is_refused_before_sending(vsphere, si, vsphere_simulator):
    name = unique()
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError) as raised:
        vsphere.create_resource_pool(
            f"{CLUSTER}/Resources/{name}", cpu_reservation_mhz=800, cpu_limit_mhz=400
        )
    assert "cpu_limit_mhz=400" in str(raised.value)
    assert "800" in str(raised.value)
    assert no_changes_sent(vsphere_simulator)
    assert name not in [p.name for p in root_pool(si).resourcePool]


def test_an_update_changes_only_what_is_given(vsphere, si, vsphere_simulator, cleanup):
    name = unique()
    path = f"{CLUSTER}/Resources/{name}"
    vsphere.create_resource_pool(
        path, cpu_shares="low", cpu_reservation_mhz=100, memory_reservation_mb=64
    )
    pool = child(root_pool(si), name)
    cleanup.append(pool)
    vsphere.update_resource_pool(path, cpu_limit_mhz=3000, memory_shares="high")
    assert allocation(pool, "cpu") == ("low", 100, 3000, True)
    assert allocation(pool, "memory") == ("high", 64, -1, True)
    vsphere.update_resource_pool(name, memory_shares=1234, memory_reservation_mb=0)
    assert allocation(pool, "memory") == (1234, 0, -1, True)
    assert allocation(pool, "cpu") == ("low", 100, 3000, True)
    vsphere.update_resource_pool(pool._moId, expandable=False)
    assert allocation(pool, "memory") == (1234, 0, -1, False)
    assert allocation(pool, "cpu") == ("low", 100, 3000, False)


def test_an_update_with_nothing_to_change_or_a_bad_value_sends_nothing(
    vsphere, si, vsphere_simulator, cleanup
):
    name = unique()
    path = f"{CLUSTER}/Resources/{name}"
    vsphere.create_resource_pool(path, memory_reservation_mb=512)
    pool = child(root_pool(si), name)
    cleanup.append(pool)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match="nothing to change"):
        vsphere.update_resource_pool(path)
    with pytest.raises(InvalidInputError, match="cpu_reservation_mhz=-1"):
        vsphere.update_resource_pool(path, cpu_reservation_mhz=-1)
    # Below the reservation the pool has: found before sending.
    with pytest.raises(InvalidInputError, match=r"memory_limit_mb=100.*512"):
        vsphere.update_resource_pool(path, memory_limit_mb=100)
    assert no_changes_sent(vsphere_simulator)
    assert allocation(pool, "memory") == ("normal", 512, -1, True)


def test_destroying_a_pool_moves_its_vms_to_the_parent(vsphere, si, cleanup, caplog):
    name = unique()
    vsphere.create_resource_pool(f"{CLUSTER}/Resources/{name}")
    parent = child(root_pool(si), name)
    cleanup.append(parent)
    vsphere.create_resource_pool(f"{CLUSTER}/Resources/{name}/doomed/inner")
    doomed = child(parent, "doomed")  # read through plain pyVmomi from here on
    grandchild = child(doomed, "inner")
    source = find_vm(si, "DC0_C0_RP0_VM0")
    vm_name = unique("rp-vm")
    vm = wait_task(
        source.Clone(
            source.parent, vm_name, vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=doomed))
        )
    )
    try:
        assert vm.resourcePool._moId == doomed._moId
        with caplog.at_level(logging.INFO, logger="vmware_wrapper"):
            assert vsphere.destroy_resource_pool(f"{CLUSTER}/Resources/{name}/doomed") is None
        assert not exists(doomed)
        assert vm.resourcePool._moId == parent._moId
        assert grandchild.parent._moId == parent._moId
        assert any(vm_name in r.getMessage() and "moved" in r.getMessage() for r in caplog.records)
    finally:
        wait_task(vm.Destroy())


def test_a_root_pool_is_not_destroyed(vsphere, si, vsphere_simulator):
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match="root pool"):
        vsphere.destroy_resource_pool(f"{CLUSTER}/Resources")
    assert no_changes_sent(vsphere_simulator)
    assert exists(root_pool(si))


def test_an_ambiguous_pool_name_on_destroy_changes_nothing(vsphere, si, vsphere_simulator, cleanup):
    twin = unique("twin")
    first, second = unique(), unique()
    made = []
    for name in (first, second):
        outer = root_pool(si).CreateResourcePool(name, pool_allocation())
        cleanup.append(outer)
        made.append(outer.CreateResourcePool(twin, pool_allocation()))
    vsphere_simulator.reset_call_counts()
    with pytest.raises(AmbiguousNameError) as raised:
        vsphere.destroy_resource_pool(twin)
    assert len(raised.value.candidates) == 2
    assert no_changes_sent(vsphere_simulator)
    assert all(exists(pool) for pool in made)
