"""Nothing is ever done to an ambiguous name, even one made ambiguous a moment ago."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, wait_task
from vmware_wrapper import AmbiguousNameError

OPERATIONS = {
    "destroy_vm": lambda vs, n: vs.destroy_vm(n),
    "power_off": lambda vs, n: vs.power_off(n),
    "reset": lambda vs, n: vs.reset(n),
    "suspend": lambda vs, n: vs.suspend(n),
    "shutdown": lambda vs, n: vs.shutdown(n),
    "reboot": lambda vs, n: vs.reboot(n),
    "rename": lambda vs, n: vs.rename(n, "renamed"),
    "move": lambda vs, n: vs.move(n, "/DC0/vm"),
    "reconfigure_vm": lambda vs, n: vs.reconfigure_vm(n, memory_mb=64),
    "set_notes": lambda vs, n: vs.set_notes(n, "x"),
    "create_snapshot": lambda vs, n: vs.create_snapshot(n, "x"),
    "relocate_vm": lambda vs, n: vs.relocate_vm(n, host="DC0_C0_H2"),
}


def state(si, name):
    return sorted(
        (
            vm._moId,
            vm.name,
            vm.runtime.powerState,
            vm.config.hardware.memoryMB,
            vm.config.annotation,
            bool(vm.snapshot),
            vm.runtime.host._moId,
        )
        for vm in all_objects(si, vim.VirtualMachine)
        if vm.name in (name, "renamed")
    )


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_an_operation_on_a_freshly_duplicated_name_changes_nothing(
    vsphere, si, fresh_vm, operation
):
    name = fresh_vm.name
    vsphere.vm_info(name)  # the index knows one VM of that name
    # Another client makes a second one, in another folder, just now.
    folder = fresh_vm.parent.CreateFolder(f"elsewhere-{operation}")
    twin = wait_task(
        fresh_vm.Clone(folder, name, vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=True))
    )
    try:
        before = state(si, name)
        with pytest.raises(AmbiguousNameError) as raised:
            OPERATIONS[operation](vsphere, name)
        assert len(raised.value.candidates) == 2
        assert state(si, name) == before
    finally:
        wait_task(twin.PowerOff())
        wait_task(twin.Destroy())
        wait_task(folder.Destroy())
