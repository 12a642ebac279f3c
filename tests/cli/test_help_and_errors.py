"""vmw's help, completion, connection settings, and errors as one line and an exit status."""

from __future__ import annotations

import pytest

from tests.helpers import find_vm, wait_task

COMMANDS = [
    ["ls"], ["find"], ["vm", "ls"], ["vm", "info"], ["vm", "on"], ["vm", "off"],
    ["vm", "shutdown"], ["vm", "reboot"], ["vm", "reset"], ["vm", "suspend"], ["vm", "clone"],
    ["vm", "reconfig"], ["vm", "destroy"], ["vm", "rename"], ["vm", "move"],
    ["snapshot", "ls"], ["snapshot", "create"], ["snapshot", "revert"], ["snapshot", "rm"],
    ["folder", "create"], ["field", "ls"], ["field", "set"], ["notes", "set"], ["notes", "get"],
    ["guest", "run"], ["guest", "upload"], ["guest", "download"], ["tag", "ls"],
    ["tag", "create"], ["tag", "attach"], ["tag", "detach"], ["events"], ["sim"],
    ["library", "ls"], ["library", "create"], ["library", "import"], ["library", "deploy"],
    ["library", "rm"],
]  # fmt: skip


def test_top_level_help_shows_examples_environment_and_exit_codes(vmw):
    result = vmw("--help")
    assert result.code == 0
    for text in ("Examples:", "vmw vm ls 'web-*'", "VMWARE_HOST", "GOVC_URL", "Exit status"):
        assert text in result.out
    assert "_VMW_COMPLETE" in result.out


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(vmw, command):
    result = vmw(*command, "--help")
    assert result.code == 0, result.err
    assert result.out.startswith("Usage: vmw " + " ".join(command))


def test_shell_completion_script(vmw):
    result = vmw(env={"_VMW_COMPLETE": "bash_source"})
    assert result.code == 0
    assert "complete -o nosort -F _vmw_completion vmw" in result.out


def test_not_found_is_one_line_and_exit_3(vmw):
    result = vmw("vm", "info", "no-such-vm")
    assert result.code == 3
    assert result.err.startswith("vmw: ")
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err
    assert result.out == ""


def test_debug_shows_the_traceback(vmw):
    result = vmw("--debug", "vm", "info", "no-such-vm")
    assert result.code == 3
    assert "Traceback" in result.err


def test_ambiguous_name_lists_the_paths_and_exit_4(vmw, cli_si):
    vm = find_vm(cli_si, "DC0_C0_RP0_VM1")
    folder = vm.parent.CreateFolder("ambiguous")
    try:
        # The same name in two folders.
        source = find_vm(cli_si, "DC0_H0_VM0")
        spec = __import__("pyVmomi").vim.vm.CloneSpec(
            location=__import__("pyVmomi").vim.vm.RelocateSpec()
        )
        one = wait_task(source.Clone(source.parent, "twin", spec))
        two = wait_task(source.Clone(folder, "twin", spec))
        result = vmw("vm", "off", "twin")
        assert result.code == 4
        assert "/DC0/vm/twin" in result.err
        assert "/DC0/vm/ambiguous/twin" in result.err
        assert {one.runtime.powerState, two.runtime.powerState} == {"poweredOff"}
        for clone in (one, two):
            wait_task(clone.Destroy())
    finally:
        wait_task(folder.Destroy())


def test_bad_input_exit_2_and_nothing_sent(vmw, cli_si):
    vm = find_vm(cli_si, "DC0_H0_VM1")
    before = vm.config.hardware.numCPU
    result = vmw("vm", "reconfig", "DC0_H0_VM1", "--cpus", "0")
    assert result.code == 2
    assert "cpus" in result.err
    assert vm.config.hardware.numCPU == before


def test_usage_errors_exit_2(vmw):
    assert vmw("vm", "frobnicate").code == 2
    assert vmw("vm", "move", "DC0_H0_VM0").code == 2


def test_wrong_password_exit_5_and_the_password_is_not_shown(vmw):
    result = vmw("vm", "ls", env={"VMWARE_PASSWORD": "wrong-s3cret"})
    assert result.code == 5
    assert "wrong-s3cret" not in result.err + result.out


def test_wrong_certificate_pin_exit_6(vmw):
    result = vmw("vm", "ls", env={"VMWARE_THUMBPRINT": "AA:" * 31 + "AA"})
    assert result.code == 6
    assert "thumbprint" in result.err.lower()


def test_no_certificate_check_without_a_pin_fails_closed(vmw):
    # The simulator's certificate is self-signed: without a pin or CA it must be refused.
    result = vmw("vm", "ls", env={"VMWARE_THUMBPRINT": ""})
    assert result.code == 6


def test_options_override_the_environment(vmw, cli_sim):
    result = vmw(
        "--host", cli_sim.host, "--port", str(cli_sim.port), "--user", cli_sim.username,
        "--password", cli_sim.password, "--thumbprint", cli_sim.thumbprint_sha1, "vm", "ls",
        env={"VMWARE_HOST": "unreachable.invalid", "VMWARE_PASSWORD": "wrong"},
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "DC0_H0_VM0" in result.out


def test_govc_environment(vmw, cli_sim):
    url = f"https://{cli_sim.username}:{cli_sim.password}@{cli_sim.host}:{cli_sim.port}/sdk"
    env = {
        "VMWARE_HOST": "",
        "VMWARE_PORT": "",
        "VMWARE_USER": "",
        "VMWARE_PASSWORD": "",
        "VMWARE_THUMBPRINT": "",
        "GOVC_URL": url,
        "GOVC_INSECURE": "1",
    }
    result = vmw("--json", "vm", "ls", "DC0_H0_VM0", env=env)
    assert result.code == 0, result.err
    assert [v["name"] for v in result.json()] == ["DC0_H0_VM0"]
