"""Handles: what an operation returns with ``wait=False``.

    handle = vs.power_on("web-07", wait=False)
    handle.done()          # one look, no waiting
    handle.wait(60)        # the outcome (or the error), within 60 s

Each kind of work has its own: a vSphere task (TaskHandle, followed by the task engine),
work with nothing left to wait for (CompletedHandle), a condition that vSphere reports
without a task (ConditionHandle: a guest shutdown), and work that must be watched from before
it starts (BackgroundHandle: a guest reboot, in a thread of its own).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._base.times import check_timeout
from .._transport.faults import task_error
from ..errors import OperationTimeout, VSphereError

if TYPE_CHECKING:
    from .engine import ProgressCallback, TaskEngine

T = TypeVar("T")


class Handle(Generic[T]):
    """Something started that may still be going on: ``wait()`` for its outcome.

        handle = vs.clone_vm("tmpl", "web-07", wait=False)
        vm = handle.wait(timeout=600)     # the operation's result, or its error

    What an operation returns with ``wait=False``; ``wait()`` returns what the operation
    returns with ``wait=True``.
    """

    description = ""

    def wait(self, timeout: float | None = None) -> T:
        """The outcome, once the work is done (or its error); OperationTimeout after
        ``timeout`` seconds."""
        raise NotImplementedError

    def done(self) -> bool:
        """Whether the work is over (at most one read, no waiting)."""
        raise NotImplementedError


class TaskHandle(Handle[Any]):
    """A started vSphere task. ``wait()`` returns its result or raises TaskError.

    ``on_done(result, deadline)`` finishes the operation once the task has succeeded (for
    example, waiting for VMware Tools after a power-on) within the same deadline.
    """

    def __init__(
        self,
        engine: TaskEngine,
        task: Any,
        description: str,
        on_done: Callable[[Any, float | None], Any] | None = None,
    ) -> None:
        self.engine = engine
        self.task = task
        self.description = description
        self._on_done = on_done
        self._info: Any = None
        self._outcome: tuple[Any] | None = None

    @property
    def id(self) -> str:
        return str(self.task._moId)

    def known(self, info: Any) -> None:
        """The task's final info, learnt elsewhere (a bulk run's shared filter)."""
        if self._info is None:
            self._info = info
            self.engine.finished([info])

    def wait(
        self, timeout: float | None = None, on_progress: ProgressCallback | None = None
    ) -> Any:
        """Wait until the task (and what follows it) finishes; its result (e.g. a new VM)."""
        check_timeout(timeout)
        if self._outcome is not None:
            return self._outcome[0]
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._info is None:
            try:
                (info,) = self.engine.wait(
                    [(self.task, self.description)], timeout=timeout, on_progress=on_progress
                )
            except OperationTimeout:
                raise
            except VSphereError as e:
                # Following the task failed (a fault in the collector's own calls), which
                # says nothing of the task: one read of it tells, if it has finished.
                info = self._info_after(e)
            self._info = info
        if self._info.state == "error":
            raise task_error(self._info.error, self.description, self.task)
        result = self._info.result
        if self._on_done is not None:
            result = self._on_done(result, deadline)
        self._outcome = (result,)
        return result

    def _info_after(self, error: VSphereError) -> Any:
        try:
            info = self.task.info
        except VSphereError:
            raise error from None
        if info.state not in ("success", "error"):
            raise error
        return info

    def done(self) -> bool:
        """Whether the task has finished (one read, no waiting)."""
        if self._info is None:
            info = self.task.info
            if info.state in ("success", "error"):
                self._info = info
        return self._info is not None

    def __repr__(self) -> str:
        state = self._info.state if self._info is not None else "pending"
        return f"<TaskHandle {self.id} {self.description} {state}>"


class CompletedHandle(Handle[Any]):
    """An operation that had nothing left to wait for (already done, or not a task)."""

    def __init__(self, description: str, result: Any = None) -> None:
        self.description = description
        self.result = result

    def wait(self, timeout: float | None = None) -> Any:
        check_timeout(timeout)  # refused as by every handle, though there is nothing to wait for
        return self.result

    def done(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<CompletedHandle {self.description}>"


class ConditionHandle(Handle[Any]):
    """An operation that vSphere runs without a task (a guest shutdown, a reboot): ``wait``
    watches for the condition that says it is over."""

    def __init__(
        self, description: str, wait: Callable[[float | None], Any], check: Callable[[], bool]
    ) -> None:
        self.description = description
        self._wait = wait
        self._check = check
        self._outcome: tuple[Any] | None = None

    def wait(self, timeout: float | None = None) -> Any:
        check_timeout(timeout)
        if self._outcome is None:
            deadline = None if timeout is None else time.monotonic() + timeout
            self._outcome = (self._wait(deadline),)
        return self._outcome[0]

    def done(self) -> bool:
        return self._outcome is not None or self._check()

    def __repr__(self) -> str:
        return f"<ConditionHandle {self.description}>"


class BackgroundHandle(Handle[Any]):
    """An operation that must watch from before it starts until it ends (a guest reboot):
    it runs in a thread of its own, and the caller gets control back once it has started.

    ``run(started)`` calls ``started()`` once the request has been sent; an error before that
    is raised to the caller at once, an error after it by ``wait()``.
    """

    def __init__(self, description: str, run: Callable[[Callable[[], None]], Any]) -> None:
        self.description = description
        self._started = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._main, args=(run,), name=f"vmware_wrapper: {description}", daemon=True
        )
        self._thread.start()
        self._started.wait()
        if self._error is not None and not self._thread.is_alive():
            self._thread.join()
            raise self._error

    def _main(self, run: Callable[[Callable[[], None]], Any]) -> None:
        try:
            self._result = run(self._started.set)
        except BaseException as e:  # handed to the caller
            self._error = e
        finally:
            self._started.set()

    def wait(self, timeout: float | None = None) -> Any:
        check_timeout(timeout)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise OperationTimeout(f"{self.description}: not done when the timeout ran out")
        if self._error is not None:
            raise self._error
        return self._result

    def done(self) -> bool:
        return not self._thread.is_alive()

    def __repr__(self) -> str:
        return f"<BackgroundHandle {self.description} {'done' if self.done() else 'running'}>"
