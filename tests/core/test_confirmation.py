"""Operations by name or path see what other clients did a moment before, at the cost of
one check of the index's stream, whatever the size of the inventory."""

from __future__ import annotations

import concurrent.futures

import pytest
from pyVmomi import vim

from tests.helpers import find_vm, plain_pyvmomi, wait_task, wait_until
from vmware_wrapper import AmbiguousNameError, NotFoundError
from vmware_wrapper.testing import Simulator


@pytest.fixture
def dup_folder(si):
    datacenter = si.content.rootFolder.childEntity[0]
    folder = datacenter.vmFolder.CreateFolder("confirm-dups")
    yield folder
    wait_task(folder.Destroy())


def clone(si, source, folder, name):
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
    return wait_task(source.Clone(folder, name, spec))


def power_state(si, name):
    return find_vm(si, name).runtime.powerState


def test_a_duplicate_made_by_another_client_just_before_is_refused_20_times_in_20(
    vsphere, si, fresh_vm, dup_folder
):
    name = fresh_vm.name
    vsphere.get_vm(name)  # the index is loaded and following the server
    for _ in range(20):
        twin = clone(si, fresh_vm, dup_folder, name)  # done when the call returns; no sleep
        with pytest.raises(AmbiguousNameError):
            vsphere.power_off(name)
        assert fresh_vm.runtime.powerState == "poweredOn"  # read back by plain pyVmomi
        assert twin.runtime.powerState == "poweredOff"
        wait_task(twin.Destroy())
        vsphere.power_off(name)  # unique again, at once
        assert fresh_vm.runtime.powerState == "poweredOff"
        vsphere.power_on(name)


def test_without_a_stream_a_twin_destroyed_meanwhile_no_longer_makes_a_name_ambiguous(
    vsphere_simulator, si, fresh_vm, dup_folder
):
    """An index that is not following the server (its stream not made yet, or no watch)
    still knows a twin that another client has destroyed: the server's names decide."""
    name = fresh_vm.name
    with vsphere_simulator.connect(watch_inventory=False) as vs:
        vs.get_vm(name)
        twin = clone(si, fresh_vm, dup_folder, name)
        with pytest.raises(AmbiguousNameError):
            vs.power_off(name)  # the server's names show the twin: the index learns it
        wait_task(twin.Destroy())
        vs.power_off(name)
        assert fresh_vm.runtime.powerState == "poweredOff"  # read back by plain pyVmomi


def test_a_vm_renamed_by_another_client_just_before_is_found_under_its_new_name(
    vsphere, si, fresh_vm
):
    old = fresh_vm.name
    vsphere.get_vm(old)
    new = old + "-renamed"
    wait_task(fresh_vm.Rename(new))
    vsphere.power_off(new)
    assert fresh_vm.runtime.powerState == "poweredOff"
    with pytest.raises(NotFoundError):
        vsphere.power_on(old)
    assert fresh_vm.runtime.powerState == "poweredOff"


@pytest.mark.parametrize("watched", [True, False], ids=["stream", "no-watch"])
def test_a_vm_moved_by_another_client_just_before_is_found_at_its_new_path(
    vsphere_simulator, si, fresh_vm, dup_folder, watched
):
    name = fresh_vm.name
    home = fresh_vm.parent
    with vsphere_simulator.connect(watch_inventory=watched) as vs:
        old_path = vs.path_of(vs.get_vm(name))
        if watched:
            wait_until(vs._index.sync, what="the index's stream running")
        wait_task(dup_folder.MoveIntoFolder_Task([fresh_vm]))  # done when the call returns
        try:
            with pytest.raises(NotFoundError):
                vs.power_off(old_path)
            assert fresh_vm.runtime.powerState == "poweredOn"  # read back by plain pyVmomi
            vs.power_off(f"/DC0/vm/{dup_folder.name}/{name}")
            assert fresh_vm.runtime.powerState == "poweredOff"
        finally:
            wait_task(home.MoveIntoFolder_Task([fresh_vm]))


def test_a_vm_destroyed_by_another_client_just_before_is_reported_missing(vsphere, si, fresh_vm):
    name = fresh_vm.name
    vsphere.get_vm(name)
    wait_task(fresh_vm.PowerOff())
    wait_task(fresh_vm.Destroy())
    with pytest.raises(NotFoundError):
        vsphere.power_on(name)


def test_confirming_a_bare_name_is_one_check_and_reads_no_names(
    vsphere, vsphere_simulator, fresh_vm
):
    name = fresh_vm.name
    vsphere.get_vm(name)
    wait_until(vsphere._index.sync, what="the index's stream running")
    vsphere.power_off(name)
    checks = vsphere._index.checks
    vsphere_simulator.reset_call_counts()
    vsphere.power_on(name)
    calls = vsphere_simulator.call_counts()
    assert vsphere._index.checks == checks + 1
    # The state read, the task and its info, and the check: no read of every VM's name.
    assert calls.get("RetrievePropertiesEx", 0) <= 3
    assert calls.get("PowerOnVM_Task") == 1


def test_a_lookup_of_a_vm_made_by_another_client_a_moment_ago_reads_no_names(
    vsphere, vsphere_simulator, si, fresh_vm
):
    vsphere.get_vm(fresh_vm.name)
    wait_until(vsphere._index.sync, what="the index's stream running")
    twin = clone(si, fresh_vm, fresh_vm.parent, fresh_vm.name + "-twin")
    try:
        vsphere_simulator.reset_call_counts()
        assert vsphere.get_vm(twin.name)._moId == twin._moId
        assert vsphere_simulator.call_counts().get("RetrievePropertiesEx", 0) == 0
        with pytest.raises(NotFoundError):
            vsphere.get_vm(fresh_vm.name + "-nowhere")
        assert vsphere_simulator.call_counts().get("RetrievePropertiesEx", 0) == 0
    finally:
        wait_task(twin.Destroy())


def test_power_off_then_on_waiting_for_tools_50_times_in_50():
    with (
        Simulator(vms_per_pool=1, tools_delay=0.02) as sim,
        sim.connect() as vs,
        plain_pyvmomi(sim) as si,
    ):
        vm = find_vm(si, "DC0_H0_VM0")
        for _ in range(50):
            vs.power_off("DC0_H0_VM0")
            vs.power_on("DC0_H0_VM0", wait_for_tools=True)
            assert vm.guest.toolsRunningStatus == "guestToolsRunning"


def test_collectors_of_waiting_threads_are_bounded(vsphere, fresh_vm):
    def wait(_: int) -> None:
        vsphere.wait_for_tools(fresh_vm, timeout=30)  # a filter, followed until tools run

    pool = vsphere._tasks._collectors
    for _round in range(3):  # new threads each round, as executors come and go
        with concurrent.futures.ThreadPoolExecutor(8) as executor:
            list(executor.map(wait, range(40)))
    # As many as waited at once, not one per thread that ever waited; few kept when idle.
    assert pool.peak <= 8
    assert pool.lent == 0
    assert pool.idle <= pool.MAX_IDLE
