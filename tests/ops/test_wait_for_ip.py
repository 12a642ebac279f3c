"""Waiting for a guest's IP address, checked against plain pyVmomi reads of the server."""

from __future__ import annotations

import time

import pytest

from tests.helpers import wait_task, wait_until
from vmware_wrapper import InvalidStateError, OperationTimeout


def test_waits_until_tools_report_an_address(vsphere, vsphere_simulator, fresh_vm):
    wait_task(fresh_vm.PowerOff())
    wait_task(fresh_vm.PowerOn())
    assert fresh_vm.guest.toolsRunningStatus != "guestToolsRunning"  # tools take a while
    address = vsphere.wait_for_ip(fresh_vm.name, timeout=10)
    assert fresh_vm.guest.toolsRunningStatus == "guestToolsRunning"
    assert address == fresh_vm.guest.ipAddress
    assert address == fresh_vm.guest.net[0].ipAddress[0]


def test_an_address_already_reported_is_returned_at_once(vsphere, fresh_vm):
    wait_until(lambda: fresh_vm.guest.ipAddress, what="an address")
    started = time.monotonic()
    assert vsphere.wait_for_ip(fresh_vm) == fresh_vm.guest.ipAddress
    assert time.monotonic() - started < 1


def test_a_vm_that_is_off_is_refused(vsphere, fresh_vm):
    wait_task(fresh_vm.PowerOff())
    with pytest.raises(InvalidStateError, match="poweredOff"):
        vsphere.wait_for_ip(fresh_vm.name, timeout=5)


def test_a_vm_without_a_nic_is_refused_at_once(vsphere, si, vsphere_simulator):
    # No address will ever come: without a timeout the wait would never end.
    vm = vsphere.create_vm("no-nic", host="DC0_H0", power_on=True)
    try:
        started = time.monotonic()
        with pytest.raises(InvalidStateError, match="no network adapter"):
            vsphere.wait_for_ip(vm)
        assert time.monotonic() - started < 2
    finally:
        vsphere.destroy_vm(vm)


def test_a_guest_whose_tools_do_not_start_in_time_times_out(vsphere, vsphere_simulator, fresh_vm):
    vsphere_simulator.configure(tools_delay=30)
    try:
        wait_task(fresh_vm.PowerOff())
        wait_task(fresh_vm.PowerOn())
        started = time.monotonic()
        with pytest.raises(OperationTimeout) as caught:
            vsphere.wait_for_ip(fresh_vm.name, timeout=1.5)
        assert isinstance(caught.value, TimeoutError)
        assert repr(fresh_vm.name) in str(caught.value)
        assert time.monotonic() - started < 4
    finally:
        vsphere_simulator.configure(tools_delay=0.3)
