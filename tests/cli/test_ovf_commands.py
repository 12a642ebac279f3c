"""vmw import, vmw export: OVF packages in and out, over the TLS simulator of the CLI tests."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from tests.cli.conftest import VMW
from tests.helpers import all_objects, find_vm, wait_task
from tests.ops.ovf_package import make_ova

NETS = ("--net", "VM Network=VM Network", "--net", "Backend=DC0_DVPG0")


@pytest.fixture
def cleanup(cli_si: Any) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for vm in all_objects(cli_si, vim.VirtualMachine):
        if vm.name in names:
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())


def test_import_then_export_and_import_again(vmw, cli_si, tmp_path: Path, cleanup) -> None:
    cleanup += ["cli-ovf-a", "cli-ovf-b"]
    ova = make_ova(tmp_path / "app.ova")
    result = vmw(
        "import", str(ova), "cli-ovf-a", "--cluster", "DC0_C0", *NETS,
        "--prop", "hostname=a-host", "--thick", "--power-on",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.strip() == "/DC0/vm/cli-ovf-a"
    server = find_vm(cli_si, "cli-ovf-a")
    assert server.runtime.powerState == "poweredOn"
    assert {p.id: p.value for p in server.config.vAppConfig.property}["hostname"] == "a-host"

    result = vmw("export", "cli-ovf-a", str(tmp_path / "out"), "--ova")
    assert result.code == 7, result.out  # powered on: wrong state
    assert "power it off" in result.err
    wait_task(server.PowerOff())
    result = vmw("--json", "export", "cli-ovf-a", str(tmp_path / "out"), "--ova")
    assert result.code == 0, result.err
    path = result.json()["path"]
    assert path == str(tmp_path / "out" / "cli-ovf-a.ova")

    result = vmw(
        "import", path, "cli-ovf-b", "--host", "DC0_H0",
        "--net", "VM Network=VM Network", "--net", "DC0_DVPG0=DC0_DVPG0",
    )  # fmt: skip
    assert result.code == 0, result.err
    copy = find_vm(cli_si, "cli-ovf-b")
    assert copy.config.hardware.numCPU == 2
    assert copy.config.hardware.memoryMB == 256


def test_import_refuses_bad_input_with_its_own_words(vmw, cli_si, tmp_path: Path) -> None:
    ova = make_ova(tmp_path / "app.ova")
    result = vmw("import", str(ova), "cli-ovf-bad", "--cluster", "DC0_C0", "--net", "nope")
    assert result.code == 2
    assert "--net" in result.err
    result = vmw("import", str(ova), "cli-ovf-bad", "--cluster", "DC0_C0", "--net", "Front=x")
    assert result.code == 2
    assert "no OVF network 'Front'" in result.err
    result = vmw("import", str(tmp_path / "none.ova"), "cli-ovf-bad", "--cluster", "DC0_C0")
    assert result.code == 2
    assert "no such file" in result.err
    assert "cli-ovf-bad" not in {vm.name for vm in all_objects(cli_si, vim.VirtualMachine)}


def _on_a_terminal(cli_sim: Any, *args: str) -> str:
    controller, terminal = pty.openpty()
    seen = b""
    env = {**os.environ, **cli_sim.env, "COLUMNS": "100"}
    with subprocess.Popen(
        [VMW, *args], stdin=terminal, stdout=terminal, stderr=terminal, env=env
    ) as proc:
        os.close(terminal)
        with contextlib.suppress(OSError):  # the terminal closes with the process
            while chunk := os.read(controller, 1024):
                seen += chunk
        proc.wait(timeout=60)
    os.close(controller)
    return seen.decode(errors="replace")


def test_import_shows_a_progress_bar_on_a_terminal(cli_sim, tmp_path: Path, cleanup) -> None:
    cleanup.append("cli-ovf-bar")
    ova = make_ova(tmp_path / "app.ova", disk_bytes=8 * 2**20)
    seen = _on_a_terminal(cli_sim, "import", str(ova), "cli-ovf-bar", "--cluster", "DC0_C0", *NETS)
    assert "/DC0/vm/cli-ovf-bar" in seen
    assert "import cli-ovf-bar" in seen
    assert "%" in seen
