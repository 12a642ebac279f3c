"""`vmw` as a subprocess against a TLS simulator of its own, as an administrator runs it:
connection from the environment, certificate pinned by thumbprint."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.helpers import find_vm, plain_pyvmomi, wait_task
from vmware_wrapper import VSphere
from vmware_wrapper.testing import Simulator

VMW = str(Path(sys.executable).with_name("vmw"))


@dataclasses.dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(scope="session")
def cli_sim() -> Iterator[Simulator]:
    with Simulator(
        tls=True, vms_per_pool=3, username="operator", password="Op-pass-1",
        tools_delay=0.2, guest_delay=0.05,
    ) as sim:  # fmt: skip
        yield sim


@pytest.fixture(scope="session")
def vmw(cli_sim: Simulator) -> Callable[..., Run]:
    """Run vmw with the simulator's environment (and nothing of this machine's)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "GOVC_"))}

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Run:
        proc = subprocess.run(
            [VMW, *args],
            env={**clean, **cli_sim.env, **(env or {})},
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture(scope="session")
def cli_si(cli_sim: Simulator) -> Iterator[Any]:
    """Plain pyVmomi, to check what vmw did."""
    with plain_pyvmomi(cli_sim) as si:
        yield si


@pytest.fixture
def cli_vs(cli_sim: Simulator) -> Iterator[VSphere]:
    """The library, for the records --json must match."""
    with cli_sim.connect() as vs:
        yield vs


def records(items: list[Any]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(item) for item in items]


_seq = itertools.count()


@pytest.fixture
def make_vm(cli_si: Any) -> Iterator[Callable[..., Any]]:
    """New VMs (clones, made with plain pyVmomi), destroyed after the test."""
    made: list[Any] = []

    def make(prefix: str = "cli", power_on: bool = True) -> Any:
        source = find_vm(cli_si, "DC0_H0_VM0")
        name = f"{prefix}-{next(_seq)}"
        spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=power_on)
        vm = wait_task(source.Clone(source.parent, name, spec))
        made.append(vm)
        return vm

    yield make
    for vm in made:
        try:
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())
        except vmodl.fault.ManagedObjectNotFound:
            pass  # the test destroyed it
