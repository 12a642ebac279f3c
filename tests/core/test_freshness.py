"""The inventory index follows what other clients do, without reloading."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from tests.helpers import find_vm, foreground_calls, pool_allocation, wait_task, wait_until
from vmware_wrapper import NotFoundError
from vmware_wrapper._inventory.tree import KINDS
from vmware_wrapper._transport.retrieve import Ref


def seen(check, what, sim=None, timeout=10.0):
    """Wait until check() passes: a read of the library's index, never of the server, so
    only the index's own watch can bring the change in (``timeout`` only ends a test whose
    watch never does). With ``sim``: the library made no call meanwhile but its watch's."""
    if sim is not None:
        sim.reset_call_counts()

    def passes():
        try:
            return check()
        except NotFoundError:
            return False

    wait_until(passes, timeout, what)
    if sim is not None:
        assert foreground_calls(sim) == {}, f"{what}: seen through other calls"


@pytest.fixture
def index(vsphere):
    vsphere.get_vm("DC0_H0_VM0")  # loaded and watching
    return vsphere._index


def known(index, name):
    return index.inventory.matches(KINDS["entity"], name)


def test_creates_renames_moves_and_destroys_by_others_are_seen_through_the_watch(
    vsphere, index, si, vsphere_simulator
):
    """Each change another client makes comes into the index by itself, in order, while the
    test only reads the index: through the watch (no call of the library's but the watch's),
    without a reload."""
    source = find_vm(si, "DC0_H0_VM0")
    folder = source.parent.CreateFolder("fresh-folder")
    loads = []
    index.load = lambda: loads.append(1)  # a full reload would show here
    assert not known(index, "fresh-vm")

    clone = wait_task(
        source.Clone(source.parent, "fresh-vm", vim.vm.CloneSpec(location=vim.vm.RelocateSpec()))
    )
    seen(lambda: known(index, "fresh-vm"), "the clone", vsphere_simulator)

    wait_task(clone.Rename("fresh-renamed"))
    seen(
        lambda: known(index, "fresh-renamed") and not known(index, "fresh-vm"),
        "the rename",
        vsphere_simulator,
    )

    wait_task(folder.MoveInto([clone]))
    seen(
        lambda: index.inventory.path(clone._moId) == "/DC0/vm/fresh-folder/fresh-renamed",
        "the move",
        vsphere_simulator,
    )

    wait_task(clone.Destroy())
    seen(lambda: not known(index, "fresh-renamed"), "the destroy", vsphere_simulator)
    wait_task(folder.Destroy())

    # All of it through the watch: no reload of the inventory.
    assert loads == []


def test_pools_and_vapps_made_by_others_are_seen_through_the_watch(
    vsphere, index, si, vsphere_simulator
):
    source = find_vm(si, "DC0_H0_VM0")
    assert not known(index, "fresh-pool")
    assert not known(index, "fresh-vapp")
    pool = source.resourcePool.CreateResourcePool("fresh-pool", pool_allocation())
    vapp = source.resourcePool.CreateVApp(
        "fresh-vapp", pool_allocation(), vim.VAppConfigSpec(), source.parent
    )
    try:
        seen(
            lambda: known(index, "fresh-pool") and known(index, "fresh-vapp"),
            "the pool and the vApp",
            vsphere_simulator,
        )
        assert vsphere.get_resource_pool("fresh-pool")._moId == pool._moId
        assert vsphere.get("vapp", "fresh-vapp")._moId == vapp._moId
    finally:
        wait_task(vapp.Destroy())
        wait_task(pool.Destroy())
    seen(
        lambda: not known(index, "fresh-pool") and not known(index, "fresh-vapp"),
        "the pool and the vApp destroyed",
        vsphere_simulator,
    )


def test_an_object_found_and_destroyed_between_two_updates_is_forgotten(vsphere, index, si):
    """Found by name before the watch reported it, destroyed by another client before the
    watch's next answer: the watch reports neither; a second look forgets it."""
    source = find_vm(si, "DC0_H0_VM0")
    pool = source.resourcePool.CreateResourcePool("brief-pool", pool_allocation())
    assert vsphere.get_resource_pool("brief-pool")._moId == pool._moId  # read in directly
    wait_task(pool.Destroy())
    seen(lambda: not known(index, "brief-pool"), "the pool forgotten")


@pytest.fixture
def unwatched(vsphere_simulator):
    """A VSphere whose index hears of nothing after its first load, as if its watch lagged."""
    with vsphere_simulator.connect(watch_inventory=False) as vs:
        vs.get_vm("DC0_H0_VM0")
        yield vs


def test_an_object_created_a_moment_ago_is_found_before_its_update_arrives(unwatched, si):
    source = find_vm(si, "DC0_H0_VM0")
    clone = wait_task(
        source.Clone(source.parent, "just-made", vim.vm.CloneSpec(location=vim.vm.RelocateSpec()))
    )
    try:
        assert not known(unwatched._index, "just-made")
        assert unwatched.get_vm("just-made")._moId == clone._moId
    finally:
        wait_task(clone.Destroy())


def test_a_stale_reference_is_dropped_and_found_again(unwatched, si):
    source = find_vm(si, "DC0_H0_VM0")
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
    first = wait_task(source.Clone(source.parent, "replaced", spec))
    assert unwatched.get_vm("replaced")._moId == first._moId
    wait_task(first.Destroy())
    second = wait_task(source.Clone(source.parent, "replaced", spec))
    try:
        assert unwatched._index.inventory.matches(KINDS["vm"], "replaced")[0].moid == first._moId
        assert unwatched.vm_info("replaced").moid == second._moId  # not an error
        assert unwatched._index.inventory.get(first._moId) is None
    finally:
        wait_task(second.Destroy())


def test_a_stale_vm_is_found_again_by_its_uuid(unwatched, si):
    source = find_vm(si, "DC0_H0_VM0")
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
    vm = wait_task(source.Clone(source.parent, "re-registered", spec))
    try:
        unwatched.get_vm("re-registered")
        # The index's entry points at an id that no longer exists, as after the VM was
        # re-registered elsewhere under a new id; its uuid still finds it.
        index = unwatched._index
        index.inventory.remove(vm._moId)
        props = {
            "name": "re-registered",
            "config.uuid": vm.config.uuid,
            "parent": Ref("Folder", source.parent._moId),
        }
        index.inventory.update("vm-gone", "VirtualMachine", props)
        assert unwatched.vm_info("re-registered").moid == vm._moId
        assert index.inventory.get("vm-gone") is None
    finally:
        wait_task(vm.Destroy())


def test_tasks_waited_for_through_the_library_update_the_index_at_once(unwatched, si):
    source = unwatched.get_vm("DC0_H0_VM0")
    folder = unwatched.get_folder("/DC0/vm").CreateFolder("own-writes")
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
    (clone,) = unwatched.wait_for_tasks(source.CloneVM_Task(folder, "own-clone", spec))
    index = unwatched._index
    assert index.inventory.path(clone._moId) == "/DC0/vm/own-writes/own-clone"  # folder too
    unwatched.wait_for_tasks(clone.Rename_Task("own-renamed"))
    assert known(index, "own-renamed")
    assert not known(index, "own-clone")
    unwatched.wait_for_tasks(clone.Destroy_Task())
    assert not known(index, "own-renamed")
    unwatched.wait_for_tasks(folder.Destroy_Task())
    assert not known(index, "own-writes")


def test_reading_the_state_of_a_vm_destroyed_meanwhile_says_it_is_gone(unwatched, si):
    source = find_vm(si, "DC0_H0_VM0")
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
    clone = wait_task(source.Clone(source.parent, "short-lived", spec))
    assert unwatched.power_state("short-lived") == "poweredOff"
    wait_task(clone.Destroy())
    with pytest.raises(NotFoundError, match=f"VirtualMachine {clone._moId} no longer exists"):
        unwatched.power_state(clone._moId)  # the index has not heard of it
