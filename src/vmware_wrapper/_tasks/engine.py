"""Waiting for vSphere tasks without polling: one property collector filter, WaitForUpdatesEx.

    engine = TaskEngine(session, logger)
    handle = engine.handle(vm.PowerOnVM_Task(), "power on 'web-07'")
    handle.wait(timeout=60)            # the result, or TaskError / OperationTimeout

A task that has already finished (common: many finish before their first read) costs one
read. Otherwise the engine puts all the tasks it waits for in one filter on a property
collector lent to this wait (a session's default collector cannot serve two concurrent
waits; see _follow.CollectorPool) and follows it until they finish. A session that expires
meanwhile is logged in again by the transport; the collector, which died with the old
session, is made again and the wait goes on.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .._base.vmomi import vim, vmodl
from .._transport.faults import is_fault
from .._transport.session import Session
from ..errors import NotFoundError, OperationTimeout, VSphereError
from .follow import Batch, CollectorPool, apply_changes, follow, pyvmomi_waiter
from .handles import TaskHandle


@dataclass(frozen=True)
class TaskProgress:
    """What a progress callback receives."""

    task: str  # the task's id, e.g. "task-123"
    description: str  # what it does, e.g. "power on 'web-07'"
    state: str  # "queued", "running", "success" or "error"
    percent: int | None


ProgressCallback = Callable[[TaskProgress], None]


@dataclass
class _Tracked:
    task: Any
    description: str
    info: Any = None
    reported: tuple[str, int | None] | None = None  # the last (state, percent) reported

    @property
    def finished(self) -> bool:
        return self.info is not None and self.info.state in ("success", "error")


class TaskEngine:
    """Waits for tasks of one session, from any number of threads."""

    def __init__(
        self,
        session: Session,
        logger: logging.Logger,
        after: Callable[[list[Any]], None] | None = None,
    ) -> None:
        self.session = session
        self.logger = logger
        self._after = after  # told of every batch of finished tasks (the index absorbs them)
        self._collectors = CollectorPool(session, logger)

    def handle(
        self,
        task: Any,
        description: str,
        on_done: Callable[[Any, float | None], Any] | None = None,
    ) -> TaskHandle:
        return TaskHandle(self, task, description, on_done)

    def watch(
        self,
        obj: Any,
        paths: Sequence[str],
        until: Callable[[dict[str, Any]], bool],
        deadline: float | None,
        description: str,
        start: Callable[[], None] | None = None,
        each: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Follow properties of one object until ``until(values)`` holds; return the values.
        ``start`` runs once the current values are known and changes are being followed (so
        that no change it causes can be missed). ``each`` sees the values after every change
        the server reports after that, in order (to notice a state that came and went within
        one answer, as tools stopping and starting in a quick reboot).

        ``until`` is judged on the values after each whole answer, the newest the server has
        told. Should it refuse them (raise), they are read once more before that is
        believed: an answer may end with an old change (see _follow).

        OperationTimeout when the deadline (time.monotonic()) passes first.
        """
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=obj)],
            propSet=[pc.PropertySpec(type=type(obj), pathSet=list(paths))],
        )
        values: dict[str, Any] = dict.fromkeys(paths)
        started = start is None

        def on_batch(batch: Batch) -> bool:
            nonlocal started
            for change in batch:
                apply_changes(values, change)
                if each is not None and started:
                    each(values)
            if not started and start is not None:
                started = True
                start()
                return False
            return self._judge(until, values, obj, paths)

        self._follow_filter(spec, on_batch, deadline, description)
        return values

    def _judge(
        self,
        until: Callable[[dict[str, Any]], bool],
        values: dict[str, Any],
        obj: Any,
        paths: Sequence[str],
    ) -> bool:
        try:
            return until(values)
        except VSphereError:
            values.update(self._read(obj, paths))
            return until(values)

    def _read(self, obj: Any, paths: Sequence[str]) -> dict[str, Any]:
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=obj)],
            propSet=[pc.PropertySpec(type=type(obj), pathSet=list(paths))],
        )
        result = self.session.content.propertyCollector.RetrievePropertiesEx(
            [spec], pc.RetrieveOptions()
        )
        fresh: dict[str, Any] = dict.fromkeys(paths)
        for content in result.objects if result else []:
            for prop in content.propSet:
                fresh[prop.name] = prop.val
        return fresh

    def _follow_filter(
        self,
        spec: Any,
        on_batch: Callable[[Batch], bool],
        deadline: float | None,
        description: str,
    ) -> None:
        """Make a filter on a collector of the pool and follow it until ``on_batch`` says
        done. A session replaced meanwhile (its collectors died with it) starts over."""
        while True:
            generation = self.session.generation
            collector = self._collectors.acquire()
            healthy = False
            try:
                property_filter = collector.CreateFilter(spec, True)
                try:
                    follow(
                        pyvmomi_waiter(collector),
                        on_batch,
                        deadline=deadline,
                        description=description,
                    )
                finally:
                    if self.session.generation == generation:
                        with contextlib.suppress(Exception):
                            property_filter.DestroyPropertyFilter()
                healthy = True
                return
            except NotFoundError as e:
                if self.session.generation == generation or not is_fault(
                    e, "ManagedObjectNotFound"
                ):
                    raise  # the object itself is gone
                # A new session: follow again from scratch, on a collector of the new one.
            except OperationTimeout:
                healthy = True  # the collector is fine; only the wait is over
                raise
            finally:
                self._collectors.release(collector, healthy)

    def wait(
        self,
        tasks: Sequence[tuple[Any, str]],
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Any]:
        """Wait for every (task, description) pair; return each task's TaskInfo, in order.

        Failed tasks are returned too (their info.state is "error"): the caller decides.
        OperationTimeout if some are still running when ``timeout`` (seconds) runs out.
        """
        tracked = [_Tracked(task, description) for task, description in tasks]
        deadline = None if timeout is None else time.monotonic() + timeout
        self._read_infos(tracked)
        self._report(tracked, on_progress)
        pending = [t for t in tracked if not t.finished]
        while pending:
            self._wait_with_filter(pending, deadline, on_progress)
            pending = [t for t in pending if not t.finished]
        infos = [t.info for t in tracked]
        self.finished(infos)
        return infos

    def finished(self, infos: list[Any]) -> None:
        """Tell whoever follows finished tasks (the inventory index) about these."""
        if self._after is not None:
            self._after(infos)

    def infos(self, tasks: Sequence[Any]) -> dict[str, Any]:
        """The current info of each task (one bulk read): task id -> TaskInfo."""
        tracked = [_Tracked(task, "") for task in tasks]
        if tracked:
            self._read_infos(tracked)
        return {t.task._moId: t.info for t in tracked if t.info is not None}

    def _read_infos(self, tracked: list[_Tracked]) -> None:
        """One bulk read of the tasks' info."""
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=t.task) for t in tracked],
            propSet=[pc.PropertySpec(type=vim.Task, pathSet=["info"])],
        )
        by_moid = {t.task._moId: t for t in tracked}
        result = self.session.content.propertyCollector.RetrievePropertiesEx(
            [spec], pc.RetrieveOptions()
        )
        while result is not None:
            for obj in result.objects:
                for prop in obj.propSet:
                    by_moid[obj.obj._moId].info = prop.val
            token = result.token
            result = (
                self.session.content.propertyCollector.ContinueRetrievePropertiesEx(token)
                if token
                else None
            )

    def _wait_with_filter(
        self, pending: list[_Tracked], deadline: float | None, on_progress: ProgressCallback | None
    ) -> None:
        """Follow the pending tasks through one filter until they finish or time runs out."""
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=t.task) for t in pending],
            propSet=[pc.PropertySpec(type=vim.Task, pathSet=["info"])],
        )
        by_moid = {t.task._moId: t for t in pending}

        def on_batch(batch: Batch) -> bool:
            for change in batch:
                tracked = by_moid.get(change.moid)
                if tracked is None:
                    continue
                for name, _op, value in change.changes:
                    if name == "info" and value is not None:
                        tracked.info = value
            self._report(pending, on_progress)
            return all(t.finished for t in pending)

        try:
            self._follow_filter(spec, on_batch, deadline, "wait for tasks")
        except OperationTimeout:
            raise _timeout([t for t in pending if not t.finished]) from None

    @staticmethod
    def _report(tracked: list[_Tracked], on_progress: ProgressCallback | None) -> None:
        if on_progress is None:
            return
        for t in tracked:
            if t.info is None:
                continue
            percent = 100 if t.info.state == "success" else t.info.progress
            if t.reported == (t.info.state, percent):
                continue
            t.reported = (t.info.state, percent)
            on_progress(TaskProgress(t.task._moId, t.description, t.info.state, percent))

    def close(self) -> None:
        self._collectors.close()


def _timeout(running: list[_Tracked]) -> OperationTimeout:
    first = running[0]
    state = first.info.state if first.info is not None else "queued"
    more = f" (and {len(running) - 1} more tasks)" if len(running) > 1 else ""
    return OperationTimeout(f"{first.description}: still {state} when the timeout ran out{more}")
