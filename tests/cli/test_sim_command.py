"""vmw sim: starts the bundled simulator, prints the environment to reach it, stops on TERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess

from pyVmomi import vim

from tests.cli.conftest import VMW
from tests.helpers import all_objects
from vmware_wrapper import VSphere

EXPORT = re.compile(r"^export (\w+)='([^']*)'$")


def start(*args: str) -> tuple[subprocess.Popen[str], dict[str, str], str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "GOVC_"))}
    proc = subprocess.Popen(  # stopped by the test
        [VMW, "sim", *args], env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    env: dict[str, str] = {}
    while "VMWARE_THUMBPRINT" not in env:
        line = proc.stdout.readline()
        assert line, f"vmw sim ended: {proc.stderr.read()}"
        match = EXPORT.match(line.strip())
        assert match, line
        env[match[1]] = match[2]
    note = proc.stderr.readline()
    return proc, env, note


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)  # and closes the pipes
    return proc.returncode


def _connect(env: dict[str, str]) -> VSphere:
    return VSphere(
        env["VMWARE_HOST"],
        env["VMWARE_USER"],
        env["VMWARE_PASSWORD"],
        port=int(env["VMWARE_PORT"]),
        thumbprint=env["VMWARE_THUMBPRINT"],
    )


def test_vmw_sim_prints_a_working_environment(vmw):
    proc, env, note = start("--vms-per-pool", "2")
    try:
        assert "Ctrl-C" in note
        assert "4 VMs" in note
        result = vmw("--json", "vm", "ls", env=env)
        assert result.code == 0, result.err
        names = sorted(v["name"] for v in result.json())
        with _connect(env) as vs:  # its certificate pinned, as vmw does
            plain = sorted(vm.name for vm in all_objects(vs.service_instance, vim.VirtualMachine))
        assert names == plain
        assert len(names) == 4
    finally:
        assert stop(proc) == 0
    with socket.socket() as s:
        assert s.connect_ex((env["VMWARE_HOST"], int(env["VMWARE_PORT"]))) != 0


def test_vmw_sim_loads_a_recording(vmw, recordings_dir):
    proc, env, _ = start("--load", str(recordings_dir / "vcsa-7.0.1-z67"))
    try:
        result = vmw("--json", "find", "--type", "datacenter", env=env)
        assert result.code == 0, result.err
        assert result.json()
    finally:
        assert stop(proc) == 0
