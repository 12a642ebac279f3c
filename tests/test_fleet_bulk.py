"""Bulk runs across a fleet of three simulators: each vCenter's share at once, a vCenter that
goes down failing only its own targets, and shares run as jobs of a process pool. The servers
are read back with plain pyVmomi."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from pyVmomi import vim

from tests.helpers import plain_pyvmomi, properties_of_all, wait_task
from vmware_wrapper import Fleet, InvalidInputError
from vmware_wrapper.testing import Simulator

NAMES = ("vc1", "vc2", "vc3")
# How long each simulator's power-on tasks take, as a real vCenter's take a second or more:
# vCenter, not the client, is what a bulk run waits on (shorter, and the run would measure this
# client's own work for 306 VMs on a shared two-core machine instead). One vCenter is slower,
# as one of a real fleet is: its part is the one the whole run must not take much longer than.
TASK_SECONDS = {"vc1": 1.0, "vc2": 0.3, "vc3": 0.3}
PER_VCENTER = 26  # 4 waves of each vCenter's 102 VMs


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, Simulator]]:
    with contextlib.ExitStack() as stack:
        # 2 pools of 51: 102 VMs each, 306 in all (above 50 per pool, the simulator makes
        # its VMs many at a time: seconds faster to start).
        yield {name: stack.enter_context(Simulator(vms_per_pool=51)) for name in NAMES}


@pytest.fixture(scope="module")
def fleet(sims: dict[str, Simulator]) -> Iterator[Fleet]:
    with Fleet({name: sim.connect() for name, sim in sims.items()}) as made:
        yield made


def power_states(sim: Simulator) -> dict[str, str]:
    with plain_pyvmomi(sim) as si:
        found = properties_of_all(si, vim.VirtualMachine, ["runtime.powerState"])
    return {name: props["runtime.powerState"] for name, (_, props) in found.items()}


def set_all(fleet: Fleet, sims: dict[str, Simulator], state: str) -> None:
    operation = "power_on" if state == "poweredOn" else "power_off"
    results = fleet.bulk(operation, "*", concurrency=60, per_vcenter=20)
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    for sim in sims.values():
        assert set(power_states(sim).values()) == {state}


def test_a_bulk_run_is_each_vcenters_share_at_once(
    fleet: Fleet, sims: dict[str, Simulator]
) -> None:
    for name, sim in sims.items():
        sim.set_task_delay("PowerOnVM_Task", TASK_SECONDS[name])
    try:
        set_all(fleet, sims, "poweredOff")
        # Each vCenter's share alone, as that vCenter's own bulk run would do it.
        alone = {}
        for name in NAMES:
            started = time.perf_counter()
            results = fleet[name].bulk("power_on", "*", concurrency=PER_VCENTER)
            alone[name] = time.perf_counter() - started
            assert len(results) == 102
            assert all(r.ok for r in results)
        set_all(fleet, sims, "poweredOff")

        targets = [f"{name}:{vm}" for name in NAMES for vm in sorted(power_states(sims[name]))]
        started = time.perf_counter()
        results = fleet.bulk(
            "power_on", targets, concurrency=3 * PER_VCENTER, per_vcenter=PER_VCENTER
        )
        together = time.perf_counter() - started
    finally:
        for sim in sims.values():
            sim.clear_task_delays()
    assert len(results) == 306
    assert [r.target for r in results] == targets  # in the order given
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    for sim in sims.values():
        assert set(power_states(sim).values()) == {"poweredOn"}
    slowest = max(alone.values())
    assert together <= 1.5 * slowest, f"{together:.2f} s together, {alone} alone"


def test_bare_names_go_to_their_vcenter_and_an_ambiguous_one_is_refused(
    fleet: Fleet, sims: dict[str, Simulator]
) -> None:
    original = "DC0_H0_VM7"
    with plain_pyvmomi(sims["vc2"]) as si:
        vm = properties_of_all(si, vim.VirtualMachine, ["name"])[original][0]
        wait_task(vm.Rename_Task("only-on-vc2"))
    try:
        results = fleet.bulk("power_off", ["only-on-vc2"])
        assert [(r.target, r.ok) for r in results] == [("vc2:only-on-vc2", True)]
        assert power_states(sims["vc2"])["only-on-vc2"] == "poweredOff"
        with pytest.raises(Exception, match="qualify it with its vCenter") as e:
            fleet.bulk("power_off", ["DC0_H0_VM0"])
        assert type(e.value).__name__ == "AmbiguousNameError"
    finally:
        fleet.bulk("power_on", ["vc2:only-on-vc2"])
        fleet.rename("vc2:only-on-vc2", original)


def test_bad_bulk_input_is_refused_before_anything_is_sent(fleet: Fleet) -> None:
    for kwargs, message in (
        ({"operation": "no_such_method"}, "the name of a VSphere method"),
        ({"operation": "power_on", "per_vcenter": 0}, "per_vcenter=0"),
        ({"operation": "power_on", "concurrency": -1}, "concurrency=-1"),
        ({"operation": "power_on", "executor": "pool"}, "concurrent.futures.Executor"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            fleet.bulk(selection=["vc1:DC0_H0_VM0"], **kwargs)


def test_a_vcenter_that_goes_down_fails_only_its_own_targets() -> None:
    with contextlib.ExitStack() as stack:
        sims = {name: stack.enter_context(Simulator(vms_per_pool=5)) for name in NAMES}
        fleet = stack.enter_context(
            Fleet({name: sim.connect(retry_timeout=0.5) for name, sim in sims.items()})
        )
        for sim in sims.values():
            sim.set_task_delay("PowerOffVM_Task", 0.3)
        started = threading.Event()

        def on_progress(done: int, total: int, result: Any) -> None:
            started.set()

        found: list[Any] = []
        run = threading.Thread(
            target=lambda: found.extend(
                fleet.bulk("power_off", "*", per_vcenter=4, on_progress=on_progress)
            )
        )
        run.start()
        assert started.wait(30)
        sims["vc3"].stop()
        run.join(120)
        assert not run.is_alive()
    by_vcenter: dict[str, list[Any]] = {}
    for result in found:
        by_vcenter.setdefault(result.target.split(":", 1)[0], []).append(result)
    assert all(r.ok for name in ("vc1", "vc2") for r in by_vcenter[name])
    failed = [r for r in by_vcenter["vc3"] if not r.ok]
    assert failed, "vc3 went down half-way: some of its targets fail"
    assert {r.error_type for r in failed} == {"ConnectError"}


def test_shares_run_as_jobs_of_a_process_pool(fleet: Fleet, sims: dict[str, Simulator]) -> None:
    targets = ["vc1:DC0_H0_VM1", "vc2:DC0_H0_VM2", "vc3:DC0_C0_RP0_VM3"]
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        results = fleet.bulk("power_off", targets, executor=pool)
        assert [(r.target, r.ok) for r in results] == [(t, True) for t in targets], results
        for target in targets:
            name, vm = target.split(":")
            assert power_states(sims[name])[vm] == "poweredOff"
        again = fleet.bulk("power_on", targets, executor=pool)
        assert all(r.ok for r in again), again
    for target in targets:
        name, vm = target.split(":")
        assert power_states(sims[name])[vm] == "poweredOn"
