"""Power: on, off, reset, suspend, and the guest's own shutdown and reboot.

    power_on(ops, "web-07", wait_for_tools=True, wait=True, timeout=300)

Asking for the state a VM is already in does nothing. Guest shutdown and reboot are not
vSphere tasks (the calls return at once): these wait for the power state or the tools state
through the property collector, and retry the faults a guest throws while its tools start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .._inventory.tree import Entry
from .._tasks.handles import BackgroundHandle, ConditionHandle
from ..errors import InvalidInputError, InvalidStateError, OperationTimeout
from .checks import OFF, ON, SUSPENDED, TOOLS_RUNNING, deadline_of, remaining
from .context import Ops, vm_operation


def power_state(ops: Ops, *, vm: Any) -> str:
    entry, obj = ops.vm(vm)
    return str(_state(ops, entry, obj))


def _state(ops: Ops, entry: Entry, obj: Any) -> str:
    values = ops.read(obj, ["runtime.powerState"], f"read the power state of {ops.name(entry)}")
    return str(values["runtime.powerState"])


def _read(ops: Ops, entry: Entry, obj: Any) -> dict[str, Any]:
    return ops.read(
        obj,
        ["runtime.powerState", "config.template", "guest.toolsRunningStatus"],
        f"read the state of {ops.name(entry)}",
    )


@vm_operation(reads_state=True)
def power_on(ops: Ops, *, vm: Any, wait_for_tools: bool, wait: bool, timeout: float | None) -> Any:
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    state = _read(ops, entry, obj)
    if state["config.template"]:
        raise InvalidStateError(f"power on {name}: it is a template (mark_as_vm first)")

    def tools(result: Any, deadline: float | None) -> Any:
        if wait_for_tools:
            _wait_for_tools(ops, entry, obj, deadline)
        return result

    if state["runtime.powerState"] == ON:
        if not wait_for_tools or state["guest.toolsRunningStatus"] == TOOLS_RUNNING:
            return ops.done(f"power on {name}: already on", wait)
        handle = ConditionHandle(
            f"power on {name}: wait for tools",
            lambda deadline: tools(None, deadline),
            lambda: False,
        )
        return handle.wait(timeout) if wait else handle
    return ops.run(obj.PowerOnVM_Task, f"power on {name}", wait, timeout, on_done=tools)


@vm_operation(reads_state=True)
def power_off(ops: Ops, *, vm: Any, wait: bool, timeout: float | None) -> Any:
    """Hard power off (suspended VMs too)."""
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    if _state(ops, entry, obj) == OFF:
        return ops.done(f"power off {name}: already off", wait)
    return ops.run(obj.PowerOffVM_Task, f"power off {name}", wait, timeout)


@vm_operation(reads_state=True)
def reset(ops: Ops, *, vm: Any, wait: bool, timeout: float | None) -> Any:
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    state = _state(ops, entry, obj)
    if state != ON:
        raise InvalidStateError(f"reset {name}: it is {state}, not powered on")
    return ops.run(obj.ResetVM_Task, f"reset {name}", wait, timeout)


@vm_operation(reads_state=True)
def suspend(ops: Ops, *, vm: Any, wait: bool, timeout: float | None) -> Any:
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    state = _state(ops, entry, obj)
    if state == SUSPENDED:
        return ops.done(f"suspend {name}: already suspended", wait)
    if state != ON:
        raise InvalidStateError(f"suspend {name}: it is {state}, not powered on")
    return ops.run(obj.SuspendVM_Task, f"suspend {name}", wait, timeout)


@vm_operation(reads_state=True)
def shutdown(
    ops: Ops, *, vm: Any, force_after: float | None, wait: bool, timeout: float | None
) -> Any:
    """Ask the guest to shut down; wait until the VM is off. After ``force_after`` seconds
    without that, power it off hard."""
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    description = f"shut down {name}"
    if force_after is not None and (
        isinstance(force_after, bool)
        or not isinstance(force_after, (int, float))
        or force_after < 0
    ):
        raise InvalidInputError(f"force_after={force_after!r}: seconds, 0 or more")
    start_deadline = deadline_of(timeout)
    state = _state(ops, entry, obj)
    if state == OFF:
        return ops.done(f"{description}: already off", wait)
    if state != ON:
        raise InvalidStateError(f"{description}: it is {state}, not powered on")
    ops.retry_transient(obj.ShutdownGuest, description, start_deadline)
    ops.logger.info("%s: requested", description)

    def finish(deadline: float | None) -> None:
        force_at = None
        if force_after is not None:
            force_at = time.monotonic() + force_after
            if deadline is not None:
                force_at = min(force_at, deadline)
        try:
            ops.tasks.watch(
                obj,
                ["runtime.powerState"],
                lambda v: v["runtime.powerState"] == OFF,
                force_at if force_at is not None else deadline,
                description,
            )
        except OperationTimeout:
            if force_at is None or (deadline is not None and time.monotonic() >= deadline):
                raise
            ops.logger.info("%s: still on after %g s; powering off", description, force_after)
            ops.run(obj.PowerOffVM_Task, f"power off {name}", True, remaining(deadline))
            return
        ops.logger.info("%s: off", description)

    handle = ConditionHandle(description, finish, lambda: _state(ops, entry, obj) == OFF)
    return handle.wait(remaining(start_deadline)) if wait else handle


@vm_operation(reads_state=True)
def reboot(ops: Ops, *, vm: Any, wait: bool, timeout: float | None) -> Any:
    """Ask the guest to reboot; wait until its tools have stopped and run again."""
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    description = f"reboot {name}"
    deadline = deadline_of(timeout)
    state = _state(ops, entry, obj)
    if state != ON:
        raise InvalidStateError(f"{description}: it is {state}, not powered on")

    # Tools stop as the guest restarts, then run again: both must be seen, or the wait would
    # end before the reboot has even begun. The stop is noted from every change reported (it
    # can come and go within one answer); the end is judged on the newest state.
    seen_down = False

    def note(values: dict[str, Any]) -> None:
        nonlocal seen_down
        if not _tools_running(values) or values["guest.guestState"] not in (None, "running"):
            seen_down = True

    def back_up(values: dict[str, Any]) -> bool:
        running = _tools_running(values) and values["guest.guestState"] in (None, "running")
        return seen_down and running

    def run(requested: Callable[[], None]) -> None:
        def request() -> None:
            ops.retry_transient(obj.RebootGuest, description, deadline)
            ops.logger.info("%s: requested", description)
            requested()

        # The watch starts before the request, so that tools stopping cannot go unseen.
        ops.tasks.watch(
            obj,
            ["guest.toolsRunningStatus", "guest.guestState"],
            back_up,
            deadline,
            description,
            start=request,
            each=note,
        )
        ops.logger.info("%s: back up", description)

    if wait:
        run(lambda: None)
        return None
    return BackgroundHandle(description, run)


def _tools_running(values: dict[str, Any]) -> bool:
    return bool(values.get("guest.toolsRunningStatus") == TOOLS_RUNNING)


def wait_for_tools(ops: Ops, *, vm: Any, timeout: float | None) -> None:
    entry, obj = ops.vm(vm)
    _wait_for_tools(ops, entry, obj, deadline_of(timeout))


def _wait_for_tools(ops: Ops, entry: Entry, obj: Any, deadline: float | None) -> None:
    name = ops.name(entry)

    def running(values: dict[str, Any]) -> bool:
        if values["runtime.powerState"] not in (None, ON):
            raise InvalidStateError(
                f"wait for VMware Tools in {name}: the VM is {values['runtime.powerState']}"
            )
        return _tools_running(values)

    ops.tasks.watch(
        obj,
        ["guest.toolsRunningStatus", "runtime.powerState"],
        running,
        deadline,
        f"wait for VMware Tools in {name}",
    )
