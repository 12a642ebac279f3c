"""The task engine: waits through WaitForUpdatesEx, many tasks in one filter, no polling."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from tests.helpers import find_vm, foreground_calls
from vmware_wrapper import OperationTimeout, TaskError


@pytest.fixture
def engine(vsphere):
    return vsphere._tasks


@pytest.fixture(autouse=True)
def _no_delays(vsphere_simulator):
    yield
    vsphere_simulator.clear_task_delays()
    vsphere_simulator.clear_faults()


def annotate(vsphere, name, text):
    return vsphere.get_vm(name).ReconfigVM_Task(vim.vm.ConfigSpec(annotation=text))


def test_a_finished_task_costs_one_read(vsphere, engine, vsphere_simulator, si):
    task = annotate(vsphere, "DC0_H0_VM0", "fast")
    vsphere_simulator.reset_call_counts()
    engine.handle(task, "annotate").wait()
    assert foreground_calls(vsphere_simulator) == {"RetrievePropertiesEx": 1}
    assert find_vm(si, "DC0_H0_VM0").config.annotation == "fast"


def test_a_running_task_is_waited_for_without_polling(vsphere, engine, vsphere_simulator, si):
    vsphere_simulator.set_task_delay("ReconfigVM_Task", 1.0)
    task = annotate(vsphere, "DC0_H0_VM0", "slow")
    plain_task = vim.Task(task._moId, si._stub)
    assert plain_task.info.state == "running"  # there is something to wait for
    vsphere_simulator.reset_call_counts()
    progress = []
    engine.handle(task, "annotate").wait(timeout=10, on_progress=progress.append)
    calls = foreground_calls(vsphere_simulator)
    # Returned once the task had finished, and not before: the server says so at once.
    assert plain_task.info.state == "success"
    assert find_vm(si, "DC0_H0_VM0").config.annotation == "slow"
    # One read, one filter, a few waits (one per progress step): no polling loop.
    assert calls.get("RetrievePropertiesEx") == 1
    assert calls.get("WaitForUpdatesEx", 0) <= 8, calls
    # Each step heard of as the server made it, in order, the last one being the end.
    percents = [p.percent for p in progress if p.percent is not None]
    assert percents == sorted(percents), percents
    assert any(p in (25, 50, 75) for p in percents), percents
    assert [p.state for p in progress] == ["running"] * (len(progress) - 1) + ["success"]
    assert percents[-1] == 100


def test_many_tasks_share_one_filter(vsphere, engine, vsphere_simulator, si):
    vsphere_simulator.set_task_delay("ReconfigVM_Task", 0.5)
    names = ["DC0_H0_VM0", "DC0_H0_VM1", "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"]
    tasks = [(annotate(vsphere, n, "many"), f"annotate {n}") for n in names]
    vsphere_simulator.reset_call_counts()
    infos = engine.wait(tasks, timeout=10)
    assert [i.state for i in infos] == ["success"] * 4
    assert foreground_calls(vsphere_simulator).get("CreateFilter", 0) <= 1
    assert {find_vm(si, n).config.annotation for n in names} == {"many"}


def test_a_failed_task_raises_task_error_with_the_fault(vsphere, engine, vsphere_simulator):
    vsphere_simulator.inject_fault(
        "ReconfigVM_Task", "InvalidState", in_task=True, message="The VM is busy."
    )
    task = annotate(vsphere, "DC0_H0_VM0", "never")
    handle = engine.handle(task, "annotate 'DC0_H0_VM0'")
    with pytest.raises(TaskError) as raised:
        handle.wait()
    assert str(raised.value) == "annotate 'DC0_H0_VM0': The VM is busy."
    assert isinstance(raised.value.fault, vim.fault.InvalidState)
    assert raised.value.task._moId == task._moId


def test_a_timeout_leaves_the_handle_usable(vsphere, engine, vsphere_simulator, si):
    vsphere_simulator.set_task_delay("ReconfigVM_Task", 2.0)
    task = annotate(vsphere, "DC0_H0_VM0", "later")
    handle = engine.handle(task, "annotate")
    with pytest.raises(OperationTimeout, match="annotate: still running"):
        handle.wait(timeout=0.5)
    # Given up at its own timeout, not at the task's end: the server still runs the task.
    assert vim.Task(task._moId, si._stub).info.state == "running"
    assert not handle.done()
    handle.wait(timeout=10)
    assert handle.done()
    assert "success" in repr(handle)


def test_wait_for_tasks_is_public(vsphere, vsphere_simulator):
    vsphere_simulator.set_task_delay("ReconfigVM_Task", 0.3)
    tasks = [annotate(vsphere, n, "public") for n in ("DC0_H0_VM0", "DC0_H0_VM1")]
    assert vsphere.wait_for_tasks(tasks, timeout=10) == [None, None]
    vsphere_simulator.inject_fault("ReconfigVM_Task", "SystemError", in_task=True, message="boom")
    with pytest.raises(TaskError, match="boom"):
        vsphere.wait_for_tasks(annotate(vsphere, "DC0_H0_VM0", "x"))
    with pytest.raises(ValueError, match="not a vSphere task"):
        vsphere.wait_for_tasks(["task-1"])
