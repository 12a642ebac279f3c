"""Helpers for tests: read the server through plain pyVmomi and wait for what it reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyVmomi import vim


def all_objects(si: Any, vimtype: Any) -> list[Any]:
    content = si.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [vimtype], True)
    try:
        return list(view.view)
    finally:
        view.Destroy()


def find_vm(si: Any, name: str) -> Any:
    matches = [vm for vm in all_objects(si, vim.VirtualMachine) if vm.name == name]
    assert len(matches) == 1, f"{len(matches)} VMs named {name}"
    return matches[0]


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll a condition read from the server (test helper; the library itself never polls)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def wait_task(task: Any, timeout: float = 30.0) -> Any:
    wait_until(lambda: task.info.state in ("success", "error"), timeout, f"task {task}")
    if task.info.state == "error":
        raise task.info.error
    return task.info.result


def vm_events(si: Any, vm: Any) -> list[str]:
    """The type names of the events recorded about a VM, e.g. "VmPoweredOnEvent"."""
    by_vm = vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self")
    # A full page: the simulator answers a default page of 10 with the oldest events.
    spec = vim.event.EventFilterSpec(entity=by_vm, maxCount=1000)
    events = si.content.eventManager.QueryEvents(spec)
    return [type(e).__name__.rsplit(".", 1)[-1] for e in events]


# What the inventory watch does in the background, whatever the test does.
WATCH_METHODS = {
    "WaitForUpdatesEx",
    "CreatePropertyCollector",
    "CreateFilter",
    "CreateContainerView",
}


def foreground_calls(sim: Any) -> dict[str, int]:
    """The simulator's SOAP call counts, without the inventory watch's own calls."""
    return {m: n for m, n in sim.call_counts().items() if m not in WATCH_METHODS}
