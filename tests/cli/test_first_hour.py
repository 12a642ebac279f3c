"""vmw as someone new to it meets it in their first hour: global options after the command,
errors in the command line's words, vmw sim, connection troubles that say what to do, and
nothing done silently. What crossed the wire is read back with plain pyVmomi."""

from __future__ import annotations

import contextlib
import itertools
import os
import pty
import re
import select
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from tests.cli.conftest import VMW, Run
from tests.helpers import all_objects, find_vm, wait_task, wait_until

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "GOVC_"))}
EXPORT = re.compile(r"^export (\w+)='([^']*)'$")
THUMBPRINT = re.compile(r"SHA-256 thumbprint ((?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})")

_seq = itertools.count()


def unique(label: str) -> str:
    return f"fh-{label}-{next(_seq)}"


def run(*args: str, env: dict[str, str], timeout: float = 120) -> Run:
    """vmw with exactly ``env`` (and nothing of this machine's VMWARE_* or GOVC_*), no
    terminal."""
    proc = subprocess.run(
        [VMW, *args],
        env={**CLEAN, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def without(env: dict[str, str], *keys: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in keys}


def timed(*args: str, env: dict[str, str]) -> tuple[Run, float]:
    start = time.monotonic()
    result = run(*args, env=env)
    return result, time.monotonic() - start


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vm_names(si: Any) -> set[str]:
    return {vm.name for vm in all_objects(si, vim.VirtualMachine)}


def table_names(out: str) -> list[str]:
    """The NAME column of a table printed into a pipe."""
    lines = out.splitlines()
    assert lines, "no table"
    assert lines[0].split()[:2] == ["NAME", "POWER"]
    return [line.split()[0] for line in lines[1:]]


def table_row(out: str, name: str) -> list[str]:
    (row,) = [line.split() for line in out.splitlines()[1:] if line.split()[0] == name]
    return row


def error_lines(err: str) -> list[str]:
    """The non-empty lines of what vmw wrote to stderr."""
    return [line for line in err.splitlines() if line.strip()]


def one_line_without_traceback(err: str) -> str:
    lines = error_lines(err)
    assert len(lines) == 1, err
    for text in ("Traceback", "panic", "goroutine"):
        assert text not in err
    return lines[0]


def on_a_terminal(
    args: list[str], env: dict[str, str], expect: bytes | None = None, answer: bytes = b""
) -> tuple[int, str]:
    """Run vmw with a terminal for stdin, stdout and stderr (in a session of its own, so that
    it can never reach the terminal pytest runs in); once it writes ``expect``, type
    ``answer``. Its exit status and all it wrote."""
    controller, terminal = pty.openpty()
    seen = b""
    deadline = time.monotonic() + 60

    def read() -> bytes:
        while time.monotonic() < deadline:
            if select.select([controller], [], [], 0.1)[0]:
                try:
                    return os.read(controller, 1024)
                except OSError:  # the terminal closed with the process
                    return b""
        raise AssertionError(f"vmw {' '.join(args)}: nothing more within 60 s: {seen!r}")

    try:
        with subprocess.Popen(
            [VMW, *args],
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env={**CLEAN, "COLUMNS": "200", **env},
            start_new_session=True,
        ) as proc:
            os.close(terminal)
            try:
                if expect is not None:
                    while expect not in seen:
                        chunk = read()
                        assert chunk, f"vmw ended without asking {expect!r}: {seen!r}"
                        seen += chunk
                    os.write(controller, answer)
                while chunk := read():
                    seen += chunk
                code = proc.wait(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
    finally:
        os.close(controller)
    return code, seen.decode(errors="replace")


@pytest.fixture
def made_by_vmw(cli_si: Any) -> Iterator[list[str]]:
    """Names of the VMs and templates a test makes with vmw (or might), destroyed after it."""
    names: list[str] = []
    yield names
    for vm in all_objects(cli_si, vim.VirtualMachine):
        if vm.name not in names:
            continue
        try:
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())
        except vmodl.fault.ManagedObjectNotFound:
            pass


@pytest.fixture
def made_folders(cli_si: Any) -> Iterator[list[str]]:
    """Names of the folders a test makes with vmw, destroyed (with what is in them) after it."""
    names: list[str] = []
    yield names
    for folder in all_objects(cli_si, vim.Folder):
        if folder.name in names:
            with contextlib.suppress(vmodl.fault.ManagedObjectNotFound):
                wait_task(folder.Destroy())


# -- 1. global options after the subcommand ---------------------------------------------


def test_output_options_after_the_command(vmw, cli_si):
    result = vmw("vm", "ls", "--json")
    assert result.code == 0, result.err
    listed = result.json()
    assert isinstance(listed, list)
    assert {v["name"] for v in listed} == vm_names(cli_si)

    result = vmw("vm", "info", "DC0_H0_VM1", "--json")
    assert result.code == 0, result.err
    (info,) = result.json()
    assert info["name"] == "DC0_H0_VM1"
    assert info["bios_uuid"] == find_vm(cli_si, "DC0_H0_VM1").config.uuid

    result = vmw("vm", "info", "fh-no-such-vm", "--debug")
    assert result.code == 3
    assert "Traceback" in result.err
    assert "fh-no-such-vm" in result.err


def test_connection_options_after_the_command(cli_sim):
    port = closed_port()
    # The environment names the simulator: only the options after the command send vmw to
    # the closed port, and make it give up after 1 s.
    result = run("vm", "ls", "--port", str(port), "--retry-timeout", "1", env=cli_sim.env)
    assert result.code == 6, result.err
    assert f":{port}" in result.err
    assert "after 1 s" in result.err


def test_clone_host_after_the_command_places_the_clone(vmw, cli_si, made_by_vmw):
    name = unique("placed")
    made_by_vmw.append(name)
    result = vmw("vm", "clone", "DC0_H0_VM0", name, "--host", "DC0_C0_H1")
    assert result.code == 0, result.err
    assert result.out.strip() == f"/DC0/vm/{name}"
    assert find_vm(cli_si, name).runtime.host.name == "DC0_C0_H1"


# -- 2. errors in the command line's words ----------------------------------------------


def test_bad_values_are_worded_as_options_and_nothing_is_done(vmw, cli_si, make_vm, made_by_vmw):
    vm = make_vm("fh-off", power_on=False)
    memory = vm.config.hardware.memoryMB

    result = vmw("vm", "reconfig", vm.name, "--memory-mb", "-4")
    assert result.code == 2
    assert "--memory-mb -4" in result.err
    assert "memory_mb=" not in result.err
    assert vm.config.hardware.memoryMB == memory

    result = vmw("vm", "on", vm.name, "--timeout", "-1")
    assert result.code == 2
    assert "--timeout" in result.err
    assert vm.runtime.powerState == "poweredOff"

    name = unique("custom")
    made_by_vmw.append(name)  # should it be made after all
    result = vmw("vm", "clone", "DC0_H0_VM0", name, "--ip", "10.0.0.5")
    assert result.code == 2
    assert "--hostname" in result.err
    assert name not in vm_names(cli_si)


def test_templates_are_refused_with_the_way_forward(vmw, cli_si, made_by_vmw):
    name = unique("tmpl")
    made_by_vmw.append(name)
    result = vmw("vm", "clone", "DC0_H0_VM0", name, "--template")
    assert result.code == 0, result.err
    template = find_vm(cli_si, name)
    assert template.config.template is True

    listed = vmw("vm", "ls", name)
    assert listed.code == 0, listed.err
    assert table_row(listed.out, name)[1] == "template"

    result = vmw("vm", "destroy", name, "--yes")
    assert result.code == 2
    assert "--allow-template" in result.err
    assert "allow_template" not in result.err
    assert "nothing done" in result.err
    assert find_vm(cli_si, name).config.template is True

    result = vmw("vm", "on", name)
    assert result.code == 7
    assert "vmw vm mark-vm" in result.err
    assert "mark_as_vm" not in result.err
    assert template.runtime.powerState == "poweredOff"


# -- 3. vmw sim -------------------------------------------------------------------------


def start_sim(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """vmw sim in the background, and the environment its export lines give."""
    proc = subprocess.Popen(  # stopped by stop_sim
        [VMW, "sim", *args],
        env=CLEAN,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    env: dict[str, str] = {}
    try:
        while "GOVC_TLS_CA_CERTS" not in env:
            line = proc.stdout.readline()
            assert line, f"vmw sim ended: {proc.communicate(timeout=30)[1]}"
            match = EXPORT.match(line.strip())
            assert match, line
            env[match[1]] = match[2]
    except BaseException:
        stop_sim(proc)
        raise
    return proc, env


def stop_sim(proc: subprocess.Popen[str]) -> int:
    """SIGTERM, and it must exit; killed if it does not."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("vmw sim did not exit on SIGTERM") from None
    return proc.returncode


@contextlib.contextmanager
def sim_pyvmomi(env: dict[str, str]) -> Iterator[Any]:
    """Plain pyVmomi on a simulator that vmw sim started, trusting the certificate it
    exported."""
    context = ssl.create_default_context(cafile=env["GOVC_TLS_CA_CERTS"])
    si = SmartConnect(
        host=env["VMWARE_HOST"],
        user=env["VMWARE_USER"],
        pwd=env["VMWARE_PASSWORD"],
        port=int(env["VMWARE_PORT"]),
        sslContext=context,
    )
    try:
        yield si
    finally:
        Disconnect(si)


def test_vmw_sim_with_a_username_and_password():
    proc, env = start_sim("--username", "a", "--password", "b", "--vms-per-pool", "1")
    try:
        assert (env["VMWARE_USER"], env["VMWARE_PASSWORD"]) == ("a", "b")
        result = run("vm", "ls", env=env)
        assert result.code == 0, result.err
        with sim_pyvmomi(env) as si:
            assert set(table_names(result.out)) == vm_names(si)
        assert "DC0_H0_VM0" in table_names(result.out)
        result = run("vm", "ls", env={**env, "VMWARE_PASSWORD": "wrong"})
        assert result.code == 5, result.err
    finally:
        assert stop_sim(proc) == 0


def test_vmw_sim_with_a_password_file(tmp_path):
    secret = tmp_path / "sim-password"
    secret.write_text("from-the-file\nnot this line\n")
    proc, env = start_sim("--password-file", str(secret), "--username", "a")
    try:
        assert env["VMWARE_PASSWORD"] == "from-the-file"
        result = run("vm", "ls", env=env)
        assert result.code == 0, result.err
        assert "DC0_H0_VM0" in table_names(result.out)
        assert run("vm", "ls", env={**env, "VMWARE_PASSWORD": "not this line"}).code == 5
    finally:
        assert stop_sim(proc) == 0


def test_vmw_sim_realistic_gives_a_real_guests_delays():
    # A real guest takes seconds to shut down; the tools delay given explicitly wins (the
    # realistic 30 s is Simulator's, tested in tests/sim/test_real_clients.py).
    proc, env = start_sim("--realistic", "--tools-delay", "0.2", "--vms-per-pool", "1")
    try:
        with sim_pyvmomi(env) as si:
            vm = find_vm(si, "DC0_H0_VM0")
            wait_task(vm.PowerOff())
            wait_task(vm.PowerOn())
            wait_until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", 5, "tools")
            vm.ShutdownGuest()
            time.sleep(1)
            assert vm.runtime.powerState == "poweredOn"
    finally:
        assert stop_sim(proc) == 0


def test_vmw_sim_refuses_bad_options_in_one_line(tmp_path):
    result = run("sim", "--vms-per-pool", "-1", env={}, timeout=30)
    assert result.code == 2
    assert "--vms-per-pool" in one_line_without_traceback(result.err)

    (tmp_path / "notes.txt").write_text("not a govc save\n")
    result = run("sim", "--load", str(tmp_path), env={}, timeout=30)
    assert result.code == 2
    assert "--load" in one_line_without_traceback(result.err)

    result = run("sim", "--username", "a", env={}, timeout=30)
    assert result.code == 2
    assert "--password" in one_line_without_traceback(result.err)


def test_vmw_sim_help_says_who_can_log_in_and_what_is_inside():
    result = run("sim", "--help", env={}, timeout=30)
    assert result.code == 0, result.err
    text = " ".join(result.out.split())
    assert "Without --username and --password" in text
    assert "any username and password log in" in text
    for name in ("/DC0 ", "DC0_C0", "DC0_H0_VM0"):
        assert name in text


# -- 4. connections ---------------------------------------------------------------------


def test_a_closed_port_fails_quickly_and_says_how_to_wait(cli_sim):
    env = {**cli_sim.env, "VMWARE_PORT": str(closed_port())}
    result, elapsed = timed("vm", "ls", env=env)
    assert result.code == 6, result.err
    assert elapsed < 5
    assert "--retry-timeout" in result.err

    result, shorter = timed("vm", "ls", "--retry-timeout", "1", env=env)
    assert result.code == 6, result.err
    assert "gave up after 1 s" in result.err
    assert shorter >= 1
    assert shorter < elapsed - 0.5  # the 2 s it waits at first, less the 1 s given


def test_an_untrusted_certificate_shows_its_thumbprint_and_the_ways_forward(cli_sim):
    env = without(cli_sim.env, "VMWARE_THUMBPRINT", "GOVC_TLS_CA_CERTS")
    result = run("vm", "ls", env=env)
    assert result.code == 6, result.err
    assert result.err.count("\n") == 1
    shown = THUMBPRINT.search(result.err)
    assert shown, result.err
    assert shown[1].replace(":", "").lower() == cli_sim.thumbprint.replace(":", "").lower()
    assert "--thumbprint" in result.err
    assert "--insecure" in result.err
    assert "thumbprint=" not in result.err

    result = run("vm", "ls", "--thumbprint", shown[1], env=env)
    assert result.code == 0, result.err
    assert "DC0_H0_VM0" in table_names(result.out)


def test_a_missing_password_is_asked_for_on_a_terminal(cli_sim):
    env = without(cli_sim.env, "VMWARE_PASSWORD", "GOVC_PASSWORD")
    code, shown = on_a_terminal(
        ["vm", "ls"], env, b"Password for", cli_sim.password.encode() + b"\n"
    )
    assert code == 0, shown
    assert "NAME" in shown
    assert "DC0_H0_VM0" in shown
    assert cli_sim.password not in shown  # not echoed

    result = run("vm", "ls", env=env)
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "VMWARE_PASSWORD" in result.err
    assert "--password-file" in result.err
    assert "Traceback" not in result.err


def test_password_files(cli_sim, tmp_path):
    secret = tmp_path / "password"
    secret.write_text(cli_sim.password + "\nsecond line\n")
    env = without(cli_sim.env, "VMWARE_PASSWORD", "GOVC_PASSWORD")

    result = run("vm", "ls", "--password-file", str(secret), env=env)
    assert result.code == 0, result.err
    assert "DC0_H0_VM0" in table_names(result.out)

    result = run("vm", "ls", env={**env, "VMWARE_PASSWORD_FILE": str(secret)})
    assert result.code == 0, result.err
    assert "DC0_H0_VM0" in table_names(result.out)

    # The option names the file to read: it wins over a password in the environment.
    result = run(
        "vm", "ls", "--password-file", str(secret), env={**env, "VMWARE_PASSWORD": "wrong"}
    )
    assert result.code == 0, result.err


def test_help_warns_of_a_password_on_the_command_line(vmw):
    result = vmw("--help")
    assert result.code == 0
    text = " ".join(result.out.split())
    assert "visible to every local user" in text
    assert "--password-file" in text


# -- 5. nothing silent ------------------------------------------------------------------


def test_vm_ls_of_a_folder_path(vmw, cli_si, made_folders, make_vm):
    result = vmw("vm", "ls", "/DC0/vm")
    assert result.code == 0, result.err
    names = table_names(result.out)
    assert "DC0_H0_VM0" in names
    assert set(names) == vm_names(cli_si)  # every VM of the only datacenter

    folder = unique("folder")
    made_folders.append(folder)
    vm = make_vm("fh-moved", power_on=False)
    assert vmw("folder", "create", f"/DC0/vm/{folder}").code == 0
    result = vmw("vm", "move", vm.name, f"/DC0/vm/{folder}")
    assert result.code == 0, result.err
    assert vm.parent.name == folder

    result = vmw("vm", "ls", f"/DC0/vm/{folder}")
    assert result.code == 0, result.err
    assert table_names(result.out) == [vm.name]
    assert table_row(result.out, vm.name)[-1] == f"/DC0/vm/{folder}/{vm.name}"


def test_reconfig_without_a_change_says_so(vmw, make_vm):
    vm = make_vm("fh-same", power_on=False)
    before = (vm.config.hardware.numCPU, vm.config.hardware.memoryMB)
    result = vmw("vm", "reconfig", vm.name)
    assert result.code == 2
    assert "nothing to change" in result.err
    assert (vm.config.hardware.numCPU, vm.config.hardware.memoryMB) == before


def test_destroy_not_confirmed_does_nothing(cli_sim, cli_si, vmw, make_vm):
    vm = make_vm("fh-kept")
    code, shown = on_a_terminal(["vm", "destroy", vm.name], cli_sim.env, b"[y/N]", b"n\n")
    assert code == 1, shown
    assert "nothing done" in shown
    assert vm.name in vm_names(cli_si)

    result = vmw("vm", "destroy", vm.name)
    assert result.code == 2
    assert "pass --yes" in result.err
    assert vm.name in vm_names(cli_si)
    assert vm.runtime.powerState == "poweredOn"


def test_several_targets_end_with_a_summary(cli_sim, vmw, make_vm):
    vms = [make_vm("fh-bulk") for _ in range(4)]
    cli_sim.inject_fault("PowerOffVM_Task", "TaskInProgress", count=1, in_task=True)
    try:
        result = vmw("vm", "off", *(vm.name for vm in vms))
    finally:
        cli_sim.clear_faults()
    assert result.code == 1
    assert result.err.splitlines()[-1] == "power off: 3 done, 1 failed"
    off = [vm for vm in vms if vm.runtime.powerState == "poweredOff"]
    assert len(off) == 3

    result = vmw("vm", "on", *(vm.name for vm in off))
    assert result.code == 0, result.err
    assert result.err.splitlines()[-1] == "power on: 3 done"
    assert {vm.runtime.powerState for vm in vms} == {"poweredOn"}


# -- 6. templates and customization -----------------------------------------------------


def test_mark_template_and_back(vmw, make_vm):
    vm = make_vm("fh-mark", power_on=False)
    result = vmw("vm", "mark-template", vm.name)
    assert result.code == 0, result.err
    assert "now a template" in result.err
    assert vm.config.template is True

    result = vmw("vm", "mark-vm", vm.name)
    assert result.code == 0, result.err
    assert "now a VM" in result.err
    assert vm.config.template is False


def test_clone_with_guest_customization(vmw, cli_si, made_by_vmw):
    name = unique("web")
    made_by_vmw.append(name)
    result = vmw(
        "vm", "clone", "DC0_H0_VM0", name, "--hostname", "h1", "--domain", "example.com",
        "--ip", "10.0.0.9", "--netmask", "255.255.255.0", "--gateway", "10.0.0.1",
        "--dns", "10.0.0.2", "--power-on",
    )  # fmt: skip
    assert result.code == 0, result.err
    clone = find_vm(cli_si, name)
    assert clone.runtime.powerState == "poweredOn"
    wait_until(lambda: clone.guest.hostName == "h1", what="the customized host name")
    assert clone.guest.ipAddress == "10.0.0.9"


def test_folder_rm_removes_an_empty_folder_and_refuses_a_full_one(
    vmw, cli_si, made_folders, make_vm
):
    empty, full = unique("empty"), unique("full")
    made_folders.extend([empty, full])
    for name in (empty, full):
        assert vmw("folder", "create", f"/DC0/vm/{name}").code == 0
    vm = make_vm("fh-in-folder", power_on=False)
    vm_name = vm.name
    assert vmw("vm", "move", vm_name, f"/DC0/vm/{full}").code == 0

    result = vmw("folder", "rm", f"/DC0/vm/{empty}")
    assert result.code == 0, result.err
    assert f"removed /DC0/vm/{empty}" in result.err
    names = {f.name for f in all_objects(cli_si, vim.Folder)}
    assert empty not in names

    result = vmw("folder", "rm", f"/DC0/vm/{full}")
    assert result.code == 2
    assert "--recursive" in one_line_without_traceback(result.err)
    assert "recursive=" not in result.err
    assert vm.parent.name == full  # nothing done

    result = vmw("folder", "rm", f"/DC0/vm/{full}", "--recursive")  # no terminal, no --yes
    assert result.code == 2
    assert f"destroy /DC0/vm/{full}/{vm.name}" in result.err  # what it would remove
    assert "pass --yes" in result.err
    assert vm.parent.name == full

    result = vmw("folder", "rm", f"/DC0/vm/{full}", "--recursive", "--yes")
    assert result.code == 0, result.err
    names = {f.name for f in all_objects(cli_si, vim.Folder)}
    assert full not in names
    assert vm_name not in {v.name for v in all_objects(cli_si, vim.VirtualMachine)}


def test_a_second_tag_of_the_same_name_is_refused_in_a_sentence(vmw):
    category = unique("cat")
    assert vmw("tag", "create", f"{category}/prod").code == 0
    result = vmw("tag", "create", f"{category}/prod")
    assert result.code == 2
    line = one_line_without_traceback(result.err)
    assert f"tag '{category}/prod' already exists" in line
    assert "com.vmware" not in line


def test_a_glob_that_matches_no_vm_is_not_success(vmw):
    result = vmw("vm", "on", "no-such-vm-*")
    assert result.code == 3
    assert "no VM matches 'no-such-vm-*'; nothing done" in one_line_without_traceback(result.err)


def test_small_changes_say_what_they_did(vmw, make_vm):
    vm = make_vm("fh-said", power_on=False)
    result = vmw("field", "set", vm.name, "owner", "team-web")
    assert result.code == 0, result.err
    assert f"set owner of {vm.name}" in result.err
    assert vm.customValue[0].value == "team-web"
    result = vmw("notes", "set", vm.name, "hello")
    assert result.code == 0, result.err
    assert f"set the notes of {vm.name}" in result.err
    assert vm.config.annotation == "hello"
