"""Power operations, checked through plain pyVmomi reads of the server."""

from __future__ import annotations

import logging

import pytest
from pyVmomi import vim

from tests.helpers import foreground_calls, soap_traffic, vm_events, wait_task
from vmware_wrapper import InvalidStateError, OperationTimeout, VSphereError


@pytest.fixture(autouse=True)
def _clean(vsphere_simulator):
    yield
    vsphere_simulator.clear_faults()
    vsphere_simulator.clear_task_delays()
    vsphere_simulator.configure(tools_delay=0.3, guest_delay=0.1)


def test_power_off_on_suspend_reset(vsphere, fresh_vm):
    name = fresh_vm.name
    vsphere.power_off(name)
    assert fresh_vm.runtime.powerState == "poweredOff"
    assert vsphere.power_state(name) == "poweredOff"
    vsphere.power_on(name)
    assert fresh_vm.runtime.powerState == "poweredOn"
    vsphere.suspend(name)
    assert fresh_vm.runtime.powerState == "suspended"
    vsphere.power_on(name, wait_for_tools=True)
    vsphere.reset(name)
    assert fresh_vm.runtime.powerState == "poweredOn"
    assert fresh_vm.guest.toolsRunningStatus == "guestToolsNotRunning"  # the guest restarts


def test_asking_for_the_current_state_is_a_no_op(vsphere, vsphere_simulator, fresh_vm):
    vsphere.vm_info(fresh_vm.name)
    vsphere_simulator.reset_call_counts()
    vsphere.power_on(fresh_vm.name)
    calls = foreground_calls(vsphere_simulator)
    assert "PowerOnVM_Task" not in calls
    vsphere.power_off(fresh_vm.name)
    vsphere_simulator.reset_call_counts()
    vsphere.power_off(fresh_vm.name)
    vsphere.shutdown(fresh_vm.name)
    assert not {"PowerOffVM_Task", "ShutdownGuest"} & set(foreground_calls(vsphere_simulator))


def test_the_name_check_and_the_state_check_overlap(vsphere_simulator, fresh_vm):
    """Without an inventory stream, a bare name is checked against the server's names and the
    VM's state read in parallel: with every read held back 0.5 s, powering off is two rounds
    of reads (name and state together, then the task's info), not three. Parallel means the
    second read goes out before the first is answered."""
    name = fresh_vm.name
    with vsphere_simulator.connect(watch_inventory=False) as vs:
        vs.get_vm(name)
        vsphere_simulator.set_latency("RetrievePropertiesEx", 0.5)
        try:
            with soap_traffic() as traffic:
                vs.power_off(name)
        finally:
            vsphere_simulator.clear_latency()
    assert fresh_vm.runtime.powerState == "poweredOff"
    read, power_off = "RetrievePropertiesEx", "PowerOffVM_Task"
    assert [e for e in traffic if e[1] in (read, power_off)] == [
        *[("call", read), ("call", read)],  # the name check and the state read, together
        *[("answer", read), ("answer", read)],
        *[("call", power_off), ("answer", power_off)],
        *[("call", read), ("answer", read)],  # the task's info
    ]


def test_power_on_waits_for_tools_when_asked(vsphere, fresh_vm):
    vsphere.power_off(fresh_vm.name)
    vsphere.power_on(fresh_vm.name, wait_for_tools=True, timeout=10)
    assert fresh_vm.guest.toolsRunningStatus == "guestToolsRunning"


def test_wait_for_tools_reads_the_server(vsphere, fresh_vm):
    wait_task(fresh_vm.Reset())  # behind the library's back
    assert fresh_vm.guest.toolsRunningStatus == "guestToolsNotRunning"
    vsphere.wait_for_tools(fresh_vm.name, timeout=10)
    assert fresh_vm.guest.toolsRunningStatus == "guestToolsRunning"


def test_wait_for_tools_on_a_powered_off_vm_is_refused(vsphere, fresh_vm):
    vsphere.power_off(fresh_vm.name)
    with pytest.raises(InvalidStateError, match="poweredOff"):
        vsphere.wait_for_tools(fresh_vm.name, timeout=5)


def test_shutdown_waits_until_off(vsphere, fresh_vm, vsphere_simulator, si):
    """The guest acts on the request 0.5 s after it: shutdown returns once the VM is off (read
    back at once), and got there by asking the guest, not by powering the VM off."""
    vsphere_simulator.configure(guest_delay=0.5)
    vsphere.vm_info(fresh_vm.name)
    vsphere_simulator.reset_call_counts()
    vsphere.shutdown(fresh_vm.name, timeout=10)
    assert fresh_vm.runtime.powerState == "poweredOff"
    calls = foreground_calls(vsphere_simulator)
    assert calls.get("ShutdownGuest") == 1
    assert "PowerOffVM_Task" not in calls
    assert "VmGuestShutdownEvent" in vm_events(si, fresh_vm)


def test_shutdown_falls_back_to_power_off(vsphere, fresh_vm, vsphere_simulator):
    name = fresh_vm.name
    vsphere.vm_info(name)
    # A guest that shuts down well within force_after is not powered off.
    vsphere_simulator.configure(guest_delay=0.2)
    vsphere_simulator.reset_call_counts()
    vsphere.shutdown(name, force_after=10, timeout=20)
    assert fresh_vm.runtime.powerState == "poweredOff"
    assert "PowerOffVM_Task" not in foreground_calls(vsphere_simulator)

    # A guest that does not shut down: asked first, then powered off after force_after (the
    # timeout, 10 s, would fail the test long before the guest's 30 s).
    vsphere.power_on(name, wait_for_tools=True, timeout=10)
    vsphere_simulator.configure(guest_delay=30)
    with soap_traffic() as traffic:
        vsphere.shutdown(name, force_after=0.5, timeout=10)
    assert fresh_vm.runtime.powerState == "poweredOff"
    requests = [m for e, m in traffic if e == "call" and m in ("ShutdownGuest", "PowerOffVM_Task")]
    assert requests == ["ShutdownGuest", "PowerOffVM_Task"]


def test_shutdown_times_out_without_force(vsphere, fresh_vm, vsphere_simulator):
    vsphere_simulator.configure(guest_delay=30)
    with pytest.raises(OperationTimeout, match="shut down"):
        vsphere.shutdown(fresh_vm.name, timeout=1)
    assert fresh_vm.runtime.powerState == "poweredOn"


def guest_auth(sim):
    """The guest credentials the simulator requires (made at start)."""
    return vim.vm.guest.NamePasswordAuthentication(
        username=sim.guest_username, password=sim.guest_password
    )


def guest_processes(si, sim, vm, pid):
    """The guest's processes with this pid, read through plain pyVmomi: gone once the guest
    that ran it stops (a reboot ends its programs)."""
    manager = si.content.guestOperationsManager.processManager
    return manager.ListProcessesInGuest(vm, guest_auth(sim), [pid])


def test_reboot_waits_for_tools_to_stop_and_come_back(vsphere, fresh_vm, vsphere_simulator, si):
    """Returned before the guest went down, reboot would leave the guest's programs running;
    returned before it came back, tools would not be running."""
    vsphere_simulator.configure(guest_delay=0.3, tools_delay=0.3)
    manager = si.content.guestOperationsManager.processManager
    spec = vim.vm.guest.ProcessManager.ProgramSpec(programPath="/bin/sleep", arguments="60")
    pid = manager.StartProgramInGuest(fresh_vm, guest_auth(vsphere_simulator), spec)
    assert [p.endTime for p in guest_processes(si, vsphere_simulator, fresh_vm, pid)] == [None]
    vsphere.reboot(fresh_vm.name, timeout=10)
    assert guest_processes(si, vsphere_simulator, fresh_vm, pid) == []  # the guest went down
    assert fresh_vm.guest.toolsRunningStatus == "guestToolsRunning"  # and came back
    assert fresh_vm.runtime.powerState == "poweredOn"
    assert "VmGuestRebootEvent" in vm_events(si, fresh_vm)


@pytest.mark.parametrize("fault", ["ToolsUnavailable", "InvalidState", "SystemError"])
@pytest.mark.parametrize("method", ["ShutdownGuest", "RebootGuest"])
def test_transient_guest_faults_are_retried(vsphere, fresh_vm, vsphere_simulator, fault, method):
    vsphere_simulator.inject_fault(method, fault, count=2)
    action = vsphere.shutdown if method == "ShutdownGuest" else vsphere.reboot
    action(fresh_vm.name, timeout=15)
    assert vsphere_simulator.pending_faults() == []
    expected = "poweredOff" if method == "ShutdownGuest" else "poweredOn"
    assert fresh_vm.runtime.powerState == expected


@pytest.mark.timeout(30)  # the shutdown's own timeout is 1.5 s: retrying for good hangs
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("ToolsUnavailable", InvalidStateError),
        ("InvalidState", InvalidStateError),
        ("SystemError", VSphereError),
    ],
)
def test_a_persistent_guest_fault_is_raised_after_the_timeout(
    vsphere, fresh_vm, vsphere_simulator, fault, error
):
    vsphere_simulator.inject_fault("ShutdownGuest", fault, count=1000, message="guest says no")
    vsphere_simulator.reset_call_counts()
    with pytest.raises(error, match=r"shut down .*: guest says no"):
        vsphere.shutdown(fresh_vm.name, timeout=1.5)
    assert vsphere_simulator.call_counts().get("ShutdownGuest", 0) >= 2  # retried, then raised
    assert fresh_vm.runtime.powerState == "poweredOn"


def test_tools_that_are_still_starting_are_waited_for(vsphere, fresh_vm, vsphere_simulator):
    # Right after a power-on, the guest refuses requests until its tools run.
    vsphere_simulator.configure(tools_delay=1.0)
    wait_task(fresh_vm.Reset())
    vsphere.shutdown(fresh_vm.name, timeout=10)
    assert fresh_vm.runtime.powerState == "poweredOff"


def test_guest_requests_on_a_vm_that_is_off_are_refused(vsphere, fresh_vm):
    vsphere.power_off(fresh_vm.name)
    with pytest.raises(InvalidStateError, match="poweredOff"):
        vsphere.reboot(fresh_vm.name)
    with pytest.raises(InvalidStateError, match="not powered on"):
        vsphere.reset(fresh_vm.name)
    with pytest.raises(InvalidStateError):
        vsphere.suspend(fresh_vm.name)


def test_templates_cannot_be_powered_on(vsphere, fresh_vm):
    vsphere.power_off(fresh_vm.name)
    vsphere.mark_as_template(fresh_vm.name)
    with pytest.raises(InvalidStateError, match="template"):
        vsphere.power_on(fresh_vm.name)
    vsphere.mark_as_vm(fresh_vm.name)


def test_wait_false_returns_handles(vsphere, fresh_vm, vsphere_simulator):
    vsphere_simulator.set_task_delay("PowerOffVM_Task", 0.5)
    handle = vsphere.power_off(fresh_vm.name, wait=False)
    assert not handle.done()
    assert fresh_vm.runtime.powerState == "poweredOn"
    handle.wait(timeout=5)
    assert handle.done()
    assert fresh_vm.runtime.powerState == "poweredOff"
    vsphere.power_on(fresh_vm.name, wait=False).wait(5)
    reboot = vsphere.reboot(fresh_vm.name, wait=False)
    reboot.wait(10)
    assert fresh_vm.guest.toolsRunningStatus == "guestToolsRunning"
    shutdown = vsphere.shutdown(fresh_vm.name, wait=False)
    shutdown.wait(10)
    assert fresh_vm.runtime.powerState == "poweredOff"
    assert vsphere.power_off(fresh_vm.name, wait=False).done()  # nothing to do


def test_each_action_logs_one_info_line(vsphere, fresh_vm, caplog):
    with caplog.at_level(logging.INFO, logger="vmware_wrapper"):
        vsphere.power_off(fresh_vm.name)
    lines = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(lines) == 1
    assert fresh_vm.name in lines[0].getMessage()


def test_a_power_cycle_costs_few_round_trips(vsphere, vsphere_simulator, fresh_vm, si):
    """Plain pyVmomi's fastest loop: the task call, then read task.info until done (two
    calls per step on the simulator, whose tasks finish at once). The library may check the
    name and the state first, but stays within three times that."""
    name = fresh_vm.name
    vsphere.vm_info(name)
    vsphere_simulator.reset_call_counts()
    for _ in range(3):
        wait_task(fresh_vm.PowerOff())
        wait_task(fresh_vm.PowerOn())
    plain = sum(foreground_calls(vsphere_simulator).values())
    vsphere_simulator.reset_call_counts()
    for _ in range(3):
        vsphere.power_off(name)
        vsphere.power_on(name)
    ours = sum(foreground_calls(vsphere_simulator).values())
    assert ours <= 3 * plain, (ours, plain)
