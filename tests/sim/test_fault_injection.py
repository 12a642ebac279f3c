"""Fault injection and latency, driven from Python through the simulator's control endpoint."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from pyVmomi import vim

from tests.helpers import wait_task
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


def test_answer_delay_delivers_an_answer_made_earlier(vsphere_simulator, si):
    vsphere_simulator.set_answer_delay("CurrentTime", 0.5)
    try:
        server_time = si.CurrentTime()
        received = datetime.now(timezone.utc)
    finally:
        vsphere_simulator.clear_answer_delays()
    # The server's clock is this machine's: the answer says what the time was 0.5 s ago.
    assert 0.45 <= (received - server_time).total_seconds() < 2
    started = time.monotonic()
    si.CurrentTime()
    assert time.monotonic() - started < 0.2


def test_latency_delays_the_named_method(vsphere_simulator, si):
    vsphere_simulator.set_latency("CurrentTime", 0.3)
    started = time.monotonic()
    si.CurrentTime()
    assert time.monotonic() - started >= 0.3
    vsphere_simulator.set_latency("CurrentTime", 0)
    started = time.monotonic()
    si.CurrentTime()
    assert time.monotonic() - started < 0.2


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
