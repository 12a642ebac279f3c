"""VMware Tools follow the guest: down while off, suspended or rebooting, up after a delay."""

from __future__ import annotations

import time

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, vm_events, wait_task, wait_until


def tools(vm):
    return vm.guest.toolsRunningStatus


def test_running_vms_start_with_tools_running(si):
    vms = [vm for vm in all_objects(si, vim.VirtualMachine) if not vm.name.startswith("test-")]
    assert vms
    for vm in vms:
        on = vm.runtime.powerState == "poweredOn"
        assert tools(vm) == ("guestToolsRunning" if on else "guestToolsNotRunning")
        assert vm.guest.guestOperationsReady is on
        assert vm.guest.guestState == ("running" if on else "notRunning")


def test_power_off_stops_tools_and_power_on_starts_them_after_the_delay(fresh_vm):
    wait_task(fresh_vm.PowerOff())
    assert tools(fresh_vm) == "guestToolsNotRunning"
    assert fresh_vm.guest.toolsStatus == "toolsNotRunning"
    assert fresh_vm.guest.guestOperationsReady is False

    wait_task(fresh_vm.PowerOn())
    # Not with the power-on: the guest is booting (for the tools delay, 0.3 s).
    assert fresh_vm.runtime.powerState == "poweredOn"
    assert tools(fresh_vm) == "guestToolsNotRunning"
    assert fresh_vm.guest.guestOperationsReady is False
    wait_until(lambda: tools(fresh_vm) == "guestToolsRunning", what="tools running")
    assert fresh_vm.guest.toolsStatus == "toolsOk"
    assert fresh_vm.guest.guestOperationsReady is True
    assert fresh_vm.summary.guest.toolsRunningStatus == "guestToolsRunning"


def test_reboot_guest_returns_at_once_then_tools_go_down_and_up(si, fresh_vm, vsphere_simulator):
    # The guest acts 1 s after the request: RebootGuest returns before it does, so tools are
    # still running when it returns, and go down and come back up only afterwards.
    vsphere_simulator.configure(guest_delay=1.0)
    try:
        fresh_vm.RebootGuest()
        assert tools(fresh_vm) == "guestToolsRunning"  # the guest has not acted yet
        wait_until(lambda: tools(fresh_vm) == "guestToolsNotRunning", what="tools down")
    finally:
        vsphere_simulator.configure(guest_delay=0.1)
    assert fresh_vm.runtime.powerState == "poweredOn"  # a reboot keeps the VM on
    wait_until(lambda: tools(fresh_vm) == "guestToolsRunning", what="tools up again")
    assert "VmGuestRebootEvent" in vm_events(si, fresh_vm)


def test_shutdown_guest_returns_at_once_and_powers_off_after_the_delay(si, fresh_vm):
    fresh_vm.ShutdownGuest()
    assert fresh_vm.runtime.powerState == "poweredOn"
    assert fresh_vm.guest.guestState == "shuttingDown"
    wait_until(lambda: fresh_vm.runtime.powerState == "poweredOff", what="powered off")
    assert tools(fresh_vm) == "guestToolsNotRunning"
    assert "VmGuestShutdownEvent" in vm_events(si, fresh_vm)


def test_reset_takes_tools_down_and_up(fresh_vm):
    wait_task(fresh_vm.Reset())
    assert tools(fresh_vm) == "guestToolsNotRunning"
    wait_until(lambda: tools(fresh_vm) == "guestToolsRunning", what="tools up after reset")


def test_suspend_stops_tools(fresh_vm):
    wait_task(fresh_vm.Suspend())
    assert fresh_vm.runtime.powerState == "suspended"
    assert tools(fresh_vm) == "guestToolsNotRunning"
    time.sleep(0.4)  # longer than the tools delay: they must stay down
    assert tools(fresh_vm) == "guestToolsNotRunning"


def test_power_off_during_boot_cancels_the_pending_tools_start(fresh_vm):
    wait_task(fresh_vm.Reset())
    wait_task(fresh_vm.PowerOff())
    time.sleep(0.4)
    assert tools(fresh_vm) == "guestToolsNotRunning"


@pytest.mark.parametrize("method", ["RebootGuest", "ShutdownGuest"])
def test_guest_requests_on_a_powered_off_vm_fail_with_invalid_power_state(fresh_vm, method):
    wait_task(fresh_vm.PowerOff())
    with pytest.raises(vim.fault.InvalidPowerState) as raised:
        getattr(fresh_vm, method)()
    assert "Powered off" in raised.value.msg


@pytest.mark.parametrize("method", ["RebootGuest", "ShutdownGuest"])
def test_guest_requests_without_running_tools_fail_with_tools_unavailable(fresh_vm, method):
    wait_task(fresh_vm.Reset())  # tools are down for the tools delay
    with pytest.raises(vim.fault.ToolsUnavailable):
        getattr(fresh_vm, method)()
    assert fresh_vm.runtime.powerState == "poweredOn"


def test_guest_requests_need_a_session(vsphere_simulator, fresh_vm):
    from pyVmomi import SoapStubAdapter

    port = vsphere_simulator.port
    stub = SoapStubAdapter(host=vsphere_simulator.host, port=-port, version=fresh_vm._stub.version)
    anonymous = vim.VirtualMachine(fresh_vm._moId, stub)
    with pytest.raises(vim.fault.NotAuthenticated):
        anonymous.RebootGuest()
    stub.DropConnections()
    time.sleep(0.3)
    assert tools(fresh_vm) == "guestToolsRunning"
