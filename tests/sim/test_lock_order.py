"""Changes to objects that a waiting collector's filter traverses do not deadlock the
simulator: govmomi v0.56.0 takes a filter's lock and an object's lock in opposite orders
when a VM is made while a collector re-reads a filter over a container view (see
sim/filter_lock.go). Every call here has a socket timeout, so a hang fails the test."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.helpers import find_vm, plain_pyvmomi, wait_task
from vmware_wrapper.testing import Simulator

# Seconds any one call may take before the test calls the simulator hung.
CALL_TIMEOUT = 30


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(vms_per_pool=2, tools_delay=0) as simulator:
        yield simulator


def _follow(
    si: Any, view: Any, kind: Any, path: str, stop: threading.Event, answers: list[int]
) -> None:
    """Follow one property of every object of a view until stopped, as an inventory cache
    follows a container view and a bulk run a list view of tasks."""
    pc = vmodl.query.PropertyCollector
    collector = si.content.propertyCollector.CreatePropertyCollector()
    collector.CreateFilter(
        pc.FilterSpec(
            objectSet=[
                pc.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[pc.TraversalSpec(path="view", type=type(view))],
                )
            ],
            propSet=[pc.PropertySpec(type=kind, pathSet=[path])],
        ),
        True,
    )
    version = ""
    while not stop.is_set():
        update = collector.WaitForUpdatesEx(version, pc.WaitOptions(maxWaitSeconds=1))
        if update is not None:
            version = update.version
            answers.append(len(update.filterSet))
    collector.DestroyPropertyCollector()


def test_vms_made_and_destroyed_while_a_collector_follows_their_view(sim):
    with (
        plain_pyvmomi(sim, timeout=CALL_TIMEOUT) as si,
        plain_pyvmomi(sim, timeout=CALL_TIMEOUT) as watcher,
        concurrent.futures.ThreadPoolExecutor(3) as pool,
    ):
        stop = threading.Event()
        answers: list[int] = []
        content = watcher.content
        view = content.viewManager.CreateContainerView(
            content.rootFolder, [vim.VirtualMachine], True
        )
        watch = pool.submit(_follow, watcher, view, vim.VirtualMachine, "name", stop, answers)
        source = find_vm(si, "DC0_H0_VM0")

        def clone_and_destroy(worker: int) -> None:
            for i in range(15):
                spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
                vm = wait_task(source.Clone(source.parent, f"lock-{worker}-{i}", spec))
                wait_task(vm.Destroy())

        try:
            for done in [pool.submit(clone_and_destroy, w) for w in range(2)]:
                done.result()
        finally:
            stop.set()
        watch.result()
        view.DestroyView()
        assert answers, "the watch heard of no change"


def test_tasks_added_to_and_taken_from_a_list_view_a_collector_follows(sim):
    with (
        plain_pyvmomi(sim, timeout=CALL_TIMEOUT) as si,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        view = si.content.viewManager.CreateListView([])
        stop = threading.Event()
        answers: list[int] = []
        watch = pool.submit(_follow, si, view, vim.Task, "info.state", stop, answers)
        vm = find_vm(si, "DC0_H0_VM1")
        try:
            for _ in range(30):
                for start in (vm.PowerOff, vm.PowerOn):  # it starts powered on
                    task = start()
                    view.ModifyListView(add=[task])
                    wait_task(task)
                    view.ModifyListView(remove=[task])
        finally:
            stop.set()
        watch.result()
        view.DestroyView()
        assert answers, "the watch heard of no task"
