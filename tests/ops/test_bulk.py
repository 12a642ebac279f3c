"""Bulk operations: 200 VMs, a concurrency limit, one task filter, a result per target.

Checked against the server through plain pyVmomi: power states, and the tasks' own times
to see how many ran at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import plain_pyvmomi, property_of_all
from vmware_wrapper import BulkResult, InvalidInputError, VSphere
from vmware_wrapper.testing import Simulator

TASK_SECONDS = 0.2


@pytest.fixture(scope="module")
def big_simulator() -> Iterator[Simulator]:
    # One cluster and one standalone host, 100 VMs in each one's pool: 200 VMs.
    with Simulator(vms_per_pool=100) as sim:
        yield sim


@pytest.fixture(scope="module")
def big_si(big_simulator: Simulator) -> Iterator[Any]:
    with plain_pyvmomi(big_simulator) as si:
        yield si


@pytest.fixture
def vs(big_simulator: Simulator) -> Iterator[VSphere]:
    with big_simulator.connect() as vs:
        yield vs
    big_simulator.clear_faults()
    big_simulator.clear_task_delays()


def power_states(si: Any) -> dict[str, str]:
    from pyVmomi import vim

    return property_of_all(si, vim.VirtualMachine, "runtime.powerState")


def most_at_once(si: Any, task_ids: list[str]) -> int:
    """The largest number of these tasks that ran at the same time, from the start and
    completion times the server recorded."""
    from pyVmomi import vim

    infos = [vim.Task(moid, si._stub).info for moid in task_ids]
    assert {i.state for i in infos} == {"success"}
    edges = sorted([(i.startTime, 1) for i in infos] + [(i.completeTime, -1) for i in infos])
    running = peak = 0
    for _, step in edges:  # at equal times, ends (-1) sort before starts
        running += step
        peak = max(peak, running)
    return peak


def test_200_vms_powered_on_20_at_a_time_with_a_result_each(vs, big_simulator, big_si):
    all_vms = sorted(power_states(big_si))
    assert len(all_vms) == 200
    off = vs.bulk("power_off", "*", concurrency=50)
    assert [r.ok for r in off] == [True] * 200
    assert set(power_states(big_si).values()) == {"poweredOff"}

    big_simulator.set_task_delay("PowerOnVM_Task", TASK_SECONDS)
    big_simulator.reset_call_counts()
    progress: list[tuple[int, int, BulkResult]] = []
    callers: set[str] = set()

    def on_progress(done: int, total: int, result: BulkResult) -> None:
        progress.append((done, total, result))
        callers.add(threading.current_thread().name)

    results = vs.bulk("power_on", "*", concurrency=20, on_progress=on_progress)

    assert len(results) == 200
    assert [r for r in results if not r.ok] == []
    assert sorted(r.target.rsplit("/", 1)[-1] for r in results) == all_vms
    assert set(power_states(big_si).values()) == {"poweredOn"}
    # Progress: once per target, counting up, from the caller's thread only.
    assert [p[0] for p in progress] == list(range(1, 201))
    assert {p[1] for p in progress} == {200}
    assert callers == {threading.current_thread().name}
    # At most 20 at once, and the limit is used: serially this would take 200 task lengths.
    task_ids = [r.task for r in results]
    assert all(task_ids)
    assert len(set(task_ids)) == 200
    peak = most_at_once(big_si, task_ids)  # type: ignore[arg-type]
    assert 10 <= peak <= 20, peak
    # All waits through one filter on one collector, over one list view of tasks.
    calls = big_simulator.call_counts()
    assert calls.get("CreateListView") == 1
    assert calls.get("PowerOnVM_Task") == 200
    # The state checks before acting: read ahead for many VMs at once, not one call per VM.
    assert calls.get("RetrievePropertiesEx", 0) <= 40
    assert calls.get("CreateFilter", 0) <= 2  # the watch's, and maybe the index watcher's


def test_failures_are_reported_per_target_and_the_others_complete(vs, big_simulator, big_si):
    targets = sorted(power_states(big_si))[:40]
    vs.bulk("power_off", targets, concurrency=20)
    big_simulator.inject_fault(
        "PowerOnVM_Task", "InsufficientResourcesFault", count=5, in_task=True
    )

    results = vs.bulk("power_on", [*targets, "no-such-vm"], concurrency=8)

    assert [r.target for r in results] == [*targets, "no-such-vm"]
    failed = [r for r in results if not r.ok]
    assert len(failed) == 6
    assert failed[-1].target == "no-such-vm"
    assert failed[-1].error_type == "NotFoundError"
    task_failures = failed[:-1]
    assert {r.error_type for r in task_failures} == {"TaskError"}
    assert all(r.error and "InsufficientResources" in r.error for r in task_failures)
    states = power_states(big_si)
    for r in results[:-1]:
        assert states[r.target] == ("poweredOn" if r.ok else "poweredOff"), r


def test_timeout_applies_to_each_target(vs, big_simulator, big_si):
    targets = sorted(power_states(big_si))[:6]
    vs.bulk("power_off", targets)
    big_simulator.set_task_delay("PowerOnVM_Task", 5)
    results = vs.bulk("power_on", targets, concurrency=6, timeout=0.5)
    assert {r.error_type for r in results} == {"OperationTimeout"}
    assert all("still running" in (r.error or "") for r in results)


def test_selection_by_folder_and_by_list_and_bad_operations(vs, big_simulator):
    folder_vms = vs.select_vms("/DC0/vm")
    assert len(folder_vms) == 200
    assert folder_vms == sorted(folder_vms)
    assert vs.select_vms(["DC0_H0_VM0", "vm-1"]) == ["DC0_H0_VM0", "vm-1"]
    big_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match="no operation"):
        vs.bulk("format_disks", "*")
    with pytest.raises(InvalidInputError, match="cannot run in bulk"):
        vs.bulk("list_vms", "*")
    with pytest.raises(InvalidInputError, match="concurrency"):
        vs.bulk("power_on", "*", concurrency=0)
    assert "PowerOnVM_Task" not in big_simulator.call_counts()


def test_a_callable_and_snapshots_of_a_folder(vs, big_si):
    targets = vs.select_vms("DC0_C0_RP0_VM1*")  # VM1, VM10..VM19
    assert len(targets) == 11
    results = vs.bulk(lambda vm, wait: vs.create_snapshot(vm, "nightly", wait=wait), targets)
    assert all(r.ok for r in results)
    from pyVmomi import vim

    roots = property_of_all(big_si, vim.VirtualMachine, "snapshot.rootSnapshotList")
    for path in targets:
        name = path.rsplit("/", 1)[-1]
        assert [s.name for s in roots[name]] == ["nightly"]


def test_names_are_confirmed_once_for_all_and_a_new_twin_is_ambiguous(vs, big_simulator, big_si):
    from pyVmomi import vim

    from tests.helpers import find_vm, wait_task

    names = sorted(power_states(big_si))[100:110]
    vs.list_vms()  # the index is loaded before the twin appears
    source = find_vm(big_si, names[3])
    folder = big_si.content.rootFolder.childEntity[0].vmFolder.CreateFolder("twins")
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
    # Another client makes a second VM of that name, a moment before the bulk run.
    twin = wait_task(source.Clone(folder, names[3], spec))
    try:
        big_simulator.reset_call_counts()
        results = vs.bulk("suspend", names, concurrency=5)
        calls = big_simulator.call_counts()
        assert [r.ok for r in results] == [i != 3 for i in range(10)]
        assert results[3].error_type == "AmbiguousNameError"
        assert "/DC0/vm/twins/" in (results[3].error or "")
        assert source.runtime.powerState == "poweredOn"
        assert twin.runtime.powerState == "poweredOff"
        # One read of the names, one read ahead of the states, the tasks' watch: not per VM.
        assert calls.get("RetrievePropertiesEx", 0) <= 5, calls
        assert calls.get("SuspendVM_Task") == 9
    finally:
        wait_task(twin.Destroy())
        wait_task(folder.Destroy())
