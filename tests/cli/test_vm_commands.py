"""vmw vm: power several VMs, clone, reconfigure, rename, move, destroy (asking first)."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess

from pyVmomi import vim

from tests.cli.conftest import VMW, records
from tests.helpers import all_objects, wait_until


def test_power_commands_on_several_vms(vmw, make_vm):
    a, b = make_vm(), make_vm()
    result = vmw("--json", "vm", "off", a.name, b.name)
    assert result.code == 0, result.err
    assert [(r["target"], r["ok"]) for r in result.json()] == [(a.name, True), (b.name, True)]
    assert all(r["task"].startswith("task-") for r in result.json())
    assert {a.runtime.powerState, b.runtime.powerState} == {"poweredOff"}

    result = vmw("vm", "on", a.name, b.name, "--wait-for-tools")
    assert result.code == 0, result.err
    assert result.err.strip() == "power on: 2 done"
    assert {a.guest.toolsRunningStatus, b.guest.toolsRunningStatus} == {"guestToolsRunning"}

    assert vmw("vm", "suspend", a.name).code == 0
    assert a.runtime.powerState == "suspended"
    assert vmw("vm", "on", a.name).code == 0
    assert a.runtime.powerState == "poweredOn"

    boot = b.runtime.bootTime
    assert vmw("vm", "reset", b.name).code == 0
    assert b.runtime.powerState == "poweredOn"
    assert b.runtime.bootTime is None or b.runtime.bootTime != boot


def test_guest_shutdown_and_reboot(vmw, make_vm):
    vm = make_vm()
    wait_until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", what="tools")
    result = vmw("vm", "reboot", vm.name)
    assert result.code == 0, result.err
    assert vm.runtime.powerState == "poweredOn"
    assert vm.guest.toolsRunningStatus == "guestToolsRunning"
    result = vmw("vm", "shutdown", vm.name)
    assert result.code == 0, result.err
    assert vm.runtime.powerState == "poweredOff"


def test_some_targets_failing_exit_1_and_the_others_done(vmw, cli_sim, make_vm):
    vms = [make_vm() for _ in range(4)]
    cli_sim.inject_fault("PowerOffVM_Task", "TaskInProgress", count=1, in_task=True)
    try:
        result = vmw("--json", "vm", "off", *(vm.name for vm in vms), "--concurrency", "2")
    finally:
        cli_sim.clear_faults()
    assert result.code == 1
    outcomes = result.json()
    failed = [r for r in outcomes if not r["ok"]]
    assert len(failed) == 1
    assert failed[0]["error_type"] == "TaskError"
    assert result.err.startswith(f"vmw: {failed[0]['target']}: ")
    for vm, outcome in zip(vms, outcomes, strict=True):
        assert vm.runtime.powerState == ("poweredOff" if outcome["ok"] else "poweredOn")


def test_a_glob_selects_several(vmw, make_vm):
    vms = [make_vm("glob") for _ in range(3)]
    result = vmw("--json", "vm", "off", "glob-*")
    assert result.code == 0, result.err
    assert len(result.json()) == 3
    assert {vm.runtime.powerState for vm in vms} == {"poweredOff"}


def test_clone_with_placement_and_size(vmw, cli_si, cli_vs):
    assert vmw("folder", "create", "/DC0/vm/cli-clones").code == 0
    result = vmw(
        "--json", "vm", "clone", "DC0_C0_RP0_VM0", "web-07", "--folder", "/DC0/vm/cli-clones",
        "--cluster", "DC0_C0", "--cpus", "2", "--memory-mb", "256", "--power-on",
    )  # fmt: skip
    assert result.code == 0, result.err
    (clone,) = [vm for vm in all_objects(cli_si, vim.VirtualMachine) if vm.name == "web-07"]
    try:
        assert clone.parent.name == "cli-clones"
        assert clone.runtime.host.parent.name == "DC0_C0"
        assert (clone.config.hardware.numCPU, clone.config.hardware.memoryMB) == (2, 256)
        assert clone.runtime.powerState == "poweredOn"
        # What the guest reports changes as its tools start (tools_delay after power-on).
        guest = ("tools_running_status", "ip_address")
        printed = {k: v for k, v in result.json().items() if k not in guest}
        read = {k: v for k, v in records([cli_vs.vm_info("web-07")])[0].items() if k not in guest}
        assert printed == read

        # Reconfigure (powered off: no hot-add), rename, move: each read back.
        assert vmw("vm", "off", "web-07").code == 0
        result = vmw("--json", "vm", "reconfig", "web-07", "--cpus", "4", "--memory-mb", "512")
        assert result.code == 0, result.err
        assert (clone.config.hardware.numCPU, clone.config.hardware.memoryMB) == (4, 512)
        assert result.json()["cpus"] == 4
        assert vmw("vm", "rename", "web-07", "web-08").code == 0
        assert clone.name == "web-08"
        assert vmw("vm", "move", "web-08", "/DC0/vm").code == 0
        assert clone.parent.name == "vm"
        assert vmw("vm", "info", "/DC0/vm/cli-clones/web-08").code == 3
    finally:
        assert vmw("vm", "destroy", clone._moId, "--yes").code == 0
    assert clone._moId not in [vm._moId for vm in all_objects(cli_si, vim.VirtualMachine)]


def test_destroy_asks_and_refuses_without_a_terminal(vmw, cli_si, make_vm):
    vm = make_vm()
    name = vm.name
    result = vmw("vm", "destroy", name)
    assert result.code == 2
    assert f"destroy /DC0/vm/{name} (poweredOn)" in result.err
    assert "--yes" in result.err
    assert name in [v.name for v in all_objects(cli_si, vim.VirtualMachine)]

    result = vmw("vm", "destroy", name, "--dry-run")
    assert result.code == 0
    assert "dry run" in result.err
    assert name in [v.name for v in all_objects(cli_si, vim.VirtualMachine)]

    result = vmw("vm", "destroy", name, "--yes")
    assert result.code == 0, result.err
    assert name not in [v.name for v in all_objects(cli_si, vim.VirtualMachine)]


def on_a_terminal(cli_sim, args: list[str], answer: str | None = None) -> str:
    """Run vmw on a terminal (stdin, stdout, stderr), answer its question if it asks one;
    all it wrote."""
    controller, terminal = pty.openpty()
    env = {**os.environ, **cli_sim.env}
    seen = b""
    with subprocess.Popen(
        [VMW, *args], stdin=terminal, stdout=terminal, stderr=terminal, env=env
    ) as proc:
        os.close(terminal)
        if answer is not None:
            while b"[y/N]" not in seen:
                seen += os.read(controller, 1024)
            os.write(controller, answer.encode() + b"\n")
        with contextlib.suppress(OSError):  # the terminal closes with the process
            while chunk := os.read(controller, 1024):
                seen += chunk
        proc.wait(timeout=60)
    os.close(controller)
    return seen.decode(errors="replace")


def test_progress_bar_on_a_terminal_only(cli_sim, vmw, make_vm):
    vms = [make_vm() for _ in range(3)]
    cli_sim.set_task_delay("PowerOffVM_Task", 0.5)
    try:
        shown = on_a_terminal(cli_sim, ["vm", "off", *(vm.name for vm in vms)])
        assert "3/3" in shown  # the bar, counting targets
        assert {vm.runtime.powerState for vm in vms} == {"poweredOff"}
        piped = vmw("vm", "on", *(vm.name for vm in vms))
        assert piped.err == "power on: 3 done\n"  # no bar into a pipe
    finally:
        cli_sim.clear_task_delays()


def test_destroy_on_a_terminal_asks(cli_sim, cli_si, make_vm):
    vm = make_vm()
    name = vm.name
    shown = on_a_terminal(cli_sim, ["vm", "destroy", name], "n")
    assert f"destroy /DC0/vm/{name}" in shown
    assert name in [v.name for v in all_objects(cli_si, vim.VirtualMachine)]
    on_a_terminal(cli_sim, ["vm", "destroy", name], "y")
    assert name not in [v.name for v in all_objects(cli_si, vim.VirtualMachine)]


def test_destroy_several_with_a_glob(vmw, cli_si, make_vm):
    names = [make_vm("gone").name for _ in range(3)]
    result = vmw("--json", "vm", "destroy", "gone-*", "--yes")
    assert result.code == 0, result.err
    assert sorted(r["target"] for r in result.json()) == sorted(f"/DC0/vm/{n}" for n in names)
    assert {v.name for v in all_objects(cli_si, vim.VirtualMachine)}.isdisjoint(names)
