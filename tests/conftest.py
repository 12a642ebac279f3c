"""Shared fixtures: the session's simulator comes from the package's own pytest plugin
(vsphere_simulator); results are read back through plain pyVmomi (si), never through the
library under test."""

from __future__ import annotations

import itertools
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from pyVmomi import vim, vmodl

from tests.helpers import find_vm, plain_pyvmomi, wait_task, wait_until
from vmware_wrapper.testing import Simulator

# Property-based tests (Hypothesis): in CI a fixed set of examples, few, and no example
# database; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) many more, on a new random seed each run
# (a failure prints the seed and the example that reproduce it).
settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    max_examples=1000,
    derandomize=False,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def vsphere_simulator_options() -> dict[str, Any]:
    return {"vms_per_pool": 2, "tools_delay": 0.3, "guest_delay": 0.1}


@pytest.fixture(scope="session")
def si(vsphere_simulator: Simulator) -> Iterator[Any]:
    """A plain pyVmomi ServiceInstance on the session's simulator."""
    with plain_pyvmomi(vsphere_simulator) as service_instance:
        yield service_instance


_clone_seq = itertools.count()


@pytest.fixture
def fresh_vm(si: Any) -> Iterator[Any]:
    """A new, powered-on VM with tools running (a clone), destroyed after the test."""
    source = find_vm(si, "DC0_H0_VM0")
    name = f"test-vm-{next(_clone_seq)}"
    vm = wait_task(
        source.Clone(source.parent, name, vim.vm.CloneSpec(location=vim.vm.RelocateSpec()))
    )
    wait_task(vm.PowerOn())
    wait_until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", what="tools running")
    yield vm
    try:
        if vm.runtime.powerState != "poweredOff":
            wait_task(vm.PowerOff())
        wait_task(vm.Destroy())
    except vmodl.fault.ManagedObjectNotFound:
        pass  # the test destroyed it


RECORDINGS = ("vcsa-7.0.1-primp", "vcsa-7.0.1-z67")


@pytest.fixture(scope="session")
def recordings_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real vCenter 7.0.1 inventories saved with `govc object.save`, unpacked."""
    target = tmp_path_factory.mktemp("recordings")
    with tarfile.open(Path(__file__).parent / "data" / "recordings.tar.xz") as archive:
        archive.extractall(target, filter="data")
    return target
