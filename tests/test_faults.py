"""Translating vSphere faults into the library's errors (pure logic)."""

from __future__ import annotations

from pyVmomi import vim, vmodl

from vmware_wrapper import InvalidStateError, NotFoundError
from vmware_wrapper._transport.faults import translate


def test_a_fault_without_a_message_is_described_by_its_fields():
    vm = vim.VirtualMachine("vm-42")
    error = translate(vmodl.fault.ManagedObjectNotFound(obj=vm), "power off 'web-07'")
    assert isinstance(error, NotFoundError)
    assert str(error) == "power off 'web-07': ManagedObjectNotFound (obj=vm-42)"


def test_a_fault_with_a_message_keeps_vsphere_sentence():
    fault = vim.fault.InvalidPowerState(
        msg="The attempted operation cannot be performed in the current state (Powered off).",
        existingState="poweredOff",
        requestedState="poweredOn",
    )
    error = translate(fault, "suspend 'web-07'")
    assert isinstance(error, InvalidStateError)
    assert str(error) == (
        "suspend 'web-07': The attempted operation cannot be performed in the current state "
        "(Powered off)."
    )
