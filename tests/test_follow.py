"""Judging a wait on the newest state of each answer (pure logic: the answers are made up,
as a collector reused by earlier waits sent them)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from pyVmomi import vim

from vmware_wrapper import InvalidStateError
from vmware_wrapper._tasks.engine import TaskEngine
from vmware_wrapper._tasks.follow import follow
from vmware_wrapper._transport.retrieve import ObjectChange, UpdateSet

VM = vim.VirtualMachine("vm-42")
ON, OFF = "poweredOn", "poweredOff"


def answer(*changes: tuple[str, Any], kind: str = "modify") -> Any:
    """One WaitForUpdatesEx answer about VM, as pyVmomi hands it over."""
    update = SimpleNamespace(
        kind=kind,
        obj=VM,
        changeSet=[SimpleNamespace(name=n, op="assign", val=v) for n, v in changes],
    )
    return SimpleNamespace(
        version="v", truncated=False, filterSet=[SimpleNamespace(objectSet=[update])]
    )


class Collector:
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers

    def CreateFilter(self, spec: Any, partial: bool) -> Any:
        return SimpleNamespace(DestroyPropertyFilter=lambda: None)

    def WaitForUpdatesEx(self, version: str, options: Any) -> Any:
        if not self.answers:
            raise AssertionError("waited past the last answer")
        return self.answers.pop(0)


def engine(answers: list[Any], server_now: dict[str, Any]) -> TaskEngine:
    """A task engine whose collector sends ``answers``; a read says ``server_now``."""
    collector = Collector(answers)

    def retrieve(specs: Any, options: Any) -> Any:
        props = [SimpleNamespace(name=k, val=v) for k, v in server_now.items()]
        return SimpleNamespace(objects=[SimpleNamespace(propSet=props)])

    pc = SimpleNamespace(CreatePropertyCollector=lambda: collector, RetrievePropertiesEx=retrieve)
    session = SimpleNamespace(generation=1, content=SimpleNamespace(propertyCollector=pc))
    return TaskEngine(session, logging.getLogger("test"))  # type: ignore[arg-type]


def tools_running(values: dict[str, Any]) -> bool:
    # As power_on(wait_for_tools=True) judges: a VM that is off will never run tools.
    if values["runtime.powerState"] not in (None, ON):
        raise InvalidStateError(f"the VM is {values['runtime.powerState']}")
    return values["guest.toolsRunningStatus"] == "guestToolsRunning"


PATHS = ["guest.toolsRunningStatus", "runtime.powerState"]


def test_old_changes_after_the_current_state_are_not_judged_one_by_one():
    # A filter made on a reused collector: first the current state, then changes from
    # before the filter existed (off, then on again), then tools start.
    answers = [
        answer((PATHS[0], "guestToolsNotRunning"), (PATHS[1], ON), kind="enter"),
        answer((PATHS[1], OFF), (PATHS[1], ON)),
        answer((PATHS[0], "guestToolsRunning")),
    ]
    values = engine(answers, {}).watch(VM, PATHS, tools_running, None, "wait for tools")
    assert values["guest.toolsRunningStatus"] == "guestToolsRunning"


def test_a_stale_refusal_is_read_again_before_it_is_believed():
    answers = [
        answer((PATHS[0], "guestToolsNotRunning"), (PATHS[1], ON), kind="enter"),
        answer((PATHS[1], OFF)),  # old news: the VM is on
        answer((PATHS[0], "guestToolsRunning")),
    ]
    server = {PATHS[0]: "guestToolsNotRunning", PATHS[1]: ON}
    values = engine(answers, server).watch(VM, PATHS, tools_running, None, "wait for tools")
    assert values["guest.toolsRunningStatus"] == "guestToolsRunning"


def test_a_refusal_the_server_confirms_is_raised():
    answers = [
        answer((PATHS[0], "guestToolsNotRunning"), (PATHS[1], ON), kind="enter"),
        answer((PATHS[1], OFF)),
    ]
    server = {PATHS[0]: "guestToolsNotRunning", PATHS[1]: OFF}
    with pytest.raises(InvalidStateError):
        engine(answers, server).watch(VM, PATHS, tools_running, None, "wait for tools")


def test_follow_gathers_the_pages_of_a_truncated_answer_into_one_batch():
    pages = [
        UpdateSet("1", True, [ObjectChange("enter", "VirtualMachine", "vm-1", [])]),
        UpdateSet("2", False, [ObjectChange("enter", "VirtualMachine", "vm-2", [])]),
    ]
    batches: list[list[str]] = []

    def on_batch(batch: list[ObjectChange]) -> bool:
        batches.append([c.moid for c in batch])
        return True

    assert follow(lambda version, seconds: pages.pop(0), on_batch) == "2"
    assert batches == [["vm-1", "vm-2"]]
