"""Fault injection and latency, driven from Python through the simulator's control endpoint."""

from __future__ import annotations

import threading
import time

import pytest
from pyVmomi import vim

from tests.helpers import plain_pyvmomi, wait_task, wait_until
from vmware_wrapper.testing import SimulatorError


@pytest.fixture(autouse=True)
def _clean_controls(vsphere_simulator):
    yield
    vsphere_simulator.clear_faults()
    vsphere_simulator.clear_latency()


@pytest.mark.parametrize(
    ("fault", "exception"),
    [
        ("SystemError", None),
        ("InvalidState", vim.fault.InvalidState),
        ("ToolsUnavailable", vim.fault.ToolsUnavailable),
        ("GuestOperationsUnavailable", vim.fault.GuestOperationsUnavailable),
        ("NotAuthenticated", vim.fault.NotAuthenticated),
        ("TaskInProgress", vim.fault.TaskInProgress),
    ],
)
def test_a_fault_is_raised_exactly_n_times_then_the_call_succeeds(
    vsphere_simulator, fresh_vm, fault, exception
):
    from pyVmomi import vmodl

    exception = exception or vmodl.fault.SystemError
    vsphere_simulator.inject_fault("RebootGuest", fault, count=3, message=f"injected {fault}")
    for _ in range(3):
        with pytest.raises(exception) as raised:
            fresh_vm.RebootGuest()
        assert raised.value.msg == f"injected {fault}"
    fresh_vm.RebootGuest()  # the fourth call gets through
    assert vsphere_simulator.pending_faults() == []


def test_a_fault_in_a_task(vsphere_simulator, fresh_vm):
    vsphere_simulator.inject_fault("PowerOffVM_Task", "InvalidState", in_task=True, message="busy")
    task = fresh_vm.PowerOff()
    with pytest.raises(vim.fault.InvalidState):
        wait_task(task)
    assert task.info.error.msg == "busy"  # pyVmomi puts localizedMessage in msg
    assert fresh_vm.runtime.powerState == "poweredOn"  # nothing happened
    wait_task(fresh_vm.PowerOff())
    assert fresh_vm.runtime.powerState == "poweredOff"


def test_faults_only_hit_the_named_method(vsphere_simulator, si):
    vsphere_simulator.inject_fault("PowerOffVM_Task", "SystemError")
    si.CurrentTime()
    assert si.content.about.apiVersion  # property reads are unaffected
    assert [f["method"] for f in vsphere_simulator.pending_faults()] == ["PowerOffVM_Task"]


def test_unknown_faults_are_refused(vsphere_simulator):
    with pytest.raises(SimulatorError, match="NoSuchFault"):
        vsphere_simulator.inject_fault("PowerOnVM_Task", "NoSuchFault")
    with pytest.raises(SimulatorError, match="in_task"):
        vsphere_simulator.inject_fault("RebootGuest", "SystemError", in_task=True)


def held_call(sim, call):
    """Run call() in a thread until the simulator has counted it (it reached the server); the
    list of what it returned, filled in when it returns, and the thread."""
    returned = []
    sim.reset_call_counts()
    thread = threading.Thread(target=lambda: returned.append(("held", call())))
    thread.start()
    wait_until(lambda: sim.call_counts().get("CurrentTime"), what="the call to arrive")
    return returned, thread


def test_answer_delay_delivers_an_answer_made_earlier(vsphere_simulator, si):
    """An answer held back is made when the call arrives: a call made after it, not held back,
    is answered first, with a later time."""
    with plain_pyvmomi(vsphere_simulator) as other:
        vsphere_simulator.set_answer_delay("CurrentTime", 1.0)
        try:
            returned, thread = held_call(vsphere_simulator, other.CurrentTime)
            vsphere_simulator.clear_answer_delays()  # not for the call already made
            returned.append(("fresh", si.CurrentTime()))
            thread.join(30)
        finally:
            vsphere_simulator.clear_answer_delays()
    assert [label for label, _ in returned] == ["fresh", "held"]  # delivered later
    times = dict(returned)
    assert times["held"] < times["fresh"]  # but made earlier


def test_latency_delays_the_named_method(vsphere_simulator, si):
    """Latency holds a call back before the server handles it: calls of other methods, and of
    the same method once the latency is removed, made after it are answered first; the held
    call's answer is made last."""
    with plain_pyvmomi(vsphere_simulator) as other:
        vsphere_simulator.set_latency("CurrentTime", 1.0)
        try:
            returned, thread = held_call(vsphere_simulator, other.CurrentTime)
            returned.append(("other method", si.RetrieveContent().about.apiVersion))
            vsphere_simulator.set_latency("CurrentTime", 0)
            returned.append(("fresh", si.CurrentTime()))
            thread.join(30)
        finally:
            vsphere_simulator.clear_latency()
    assert [label for label, _ in returned] == ["other method", "fresh", "held"]
    times = dict(returned)
    assert times["fresh"] < times["held"]  # the held call was handled after the delay


def test_calls_are_counted_per_method(vsphere_simulator, si):
    vsphere_simulator.reset_call_counts()
    for _ in range(3):
        si.CurrentTime()
    assert vsphere_simulator.call_counts() == {"CurrentTime": 3}


def test_runtime_delays_can_be_changed(vsphere_simulator, fresh_vm):
    vsphere_simulator.configure(tools_delay=1.0)
    try:
        wait_task(fresh_vm.Reset())
        time.sleep(0.5)
        assert fresh_vm.guest.toolsRunningStatus == "guestToolsNotRunning"
    finally:
        vsphere_simulator.configure(tools_delay=0.3)
