"""Many at once: one operation over many targets, and waiting for pyVmomi tasks.

results = vs.bulk("power_on", "/DC0/vm/web", concurrency=20)
failed = [r.target for r in results if not r.ok]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pyVmomi import vim

from .._base.types import Selection
from .._inventory.tree import KINDS
from .._operations import bulk as _bulk
from .._operations.bulk import BulkProgress, BulkResult
from .._operations.checks import check_timeout, positive_int
from .._operations.context import vm_operation_of
from .._tasks.engine import ProgressCallback
from .._transport.faults import describing, task_error
from ..errors import InvalidInputError, VSphereError
from .base import Facade, implementation_of


class Bulk(Facade):
    def bulk(
        self,
        operation: str | Callable[..., Any],
        selection: Selection,
        *,
        concurrency: int = 10,
        timeout: float | None = None,
        on_progress: BulkProgress | None = None,
        **kwargs: Any,
    ) -> list[BulkResult]:
        """Run an operation on many targets, at most ``concurrency`` at a time.

            results = vs.bulk("shutdown", "web-*", concurrency=20, force_after=120)

        ``operation``: the name of a VSphere method that takes ``wait=`` ("power_on",
        "shutdown", "create_snapshot", ...), or a callable taking a target and ``wait=False``.
        ``selection``: a list of names, paths, ids or objects; a glob over VM names or paths;
        or a folder path (every VM below it). ``kwargs`` go to each call.

        Returns a BulkResult per target, in order. Failures are recorded, never raised, and
        the other targets go on; a failure of the run's own bookkeeping (its task watch, its
        reads ahead) costs speed, not results. ``timeout`` applies to each target;
        ``on_progress(done, total, result)`` follows along.
        """
        method, name = self._bulk_method(operation)
        # Bad input is refused before anything is read or sent.
        check_timeout(timeout)
        positive_int("concurrency", concurrency)
        targets = _bulk.select(self._ops, selection)
        declared = vm_operation_of(implementation_of(method))
        if declared is not None:
            targets = self._confirm_all(targets)

        def start(ref: Any) -> Any:
            if isinstance(ref, VSphereError):
                raise ref  # this target's name did not resolve; recorded as its result
            return method(ref, wait=False, **kwargs)

        results = _bulk.run(
            self._ops,
            start,
            targets,
            concurrency=concurrency,
            timeout=timeout,
            on_progress=on_progress,
            prefetch=self._prefetch_vms if declared is not None and declared.reads_state else None,
        )
        self.logger.info("%s on %d targets: %s", name, len(targets), _bulk.summary(results))
        return results

    def _bulk_method(self, operation: str | Callable[..., Any]) -> tuple[Callable[..., Any], str]:
        if callable(operation):
            return operation, getattr(operation, "__name__", "operation")
        if not isinstance(operation, str):
            raise InvalidInputError(
                f"an operation is a method name or a callable, not {operation!r}"
            )
        method = getattr(self, operation, None) if operation != "bulk" else None
        _bulk.check_operation(operation, method)
        assert method is not None
        return method, operation

    def _confirm_all(self, targets: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """The targets' names confirmed against the server once for all, not once each.
        If that fails, each operation confirms its own name as it would alone."""
        try:
            found = self._resolver.confirmed_many(KINDS["vm"], [ref for _, ref in targets])
        except VSphereError as e:
            self.logger.debug("bulk: confirming names at once failed (%s); one by one", e)
            return targets
        return [
            (label, e if isinstance(e, VSphereError) else self._resolver.obj(e))
            for (label, _), e in zip(targets, found, strict=True)
        ]

    def _prefetch_vms(self, refs: list[Any]) -> None:
        vms = []
        for ref in refs:
            try:
                vms.append(self._resolver.obj(self._resolver.entry(KINDS["vm"], ref)))
            except VSphereError:
                continue  # its operation reports it
        self._ops.prefetch(vms)

    def select_vms(self, selection: Selection) -> list[str]:
        """What a bulk selection names: the targets as given, or the VMs' paths.

            vs.select_vms("/DC0/vm/web")      # ["/DC0/vm/web/web-07", ...]

        Nothing is changed: this shows what ``bulk`` would act on.
        """
        return [label for label, _ in _bulk.select(self._ops, selection)]

    def wait_for_tasks(
        self,
        tasks: vim.Task | Sequence[vim.Task],
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Any]:
        """Wait for pyVmomi tasks (one or a list) through one property collector filter.

            vs.wait_for_tasks([vm.PowerOnVM_Task() for vm in vms], timeout=300)

        Returns their results in order once all have finished (``Any``: a task's result is
        whatever its method returns); raises TaskError for the first that failed,
        OperationTimeout if ``timeout`` (seconds) runs out first.
        """
        items: list[Any] = list(tasks) if isinstance(tasks, (list, tuple)) else [tasks]
        for task in items:
            if not isinstance(task, vim.Task):
                raise InvalidInputError(f"{task!r} is not a vSphere task")
        with describing("wait for tasks"):
            infos = self._tasks.wait(
                [(t, f"task {t._moId}") for t in items], timeout=timeout, on_progress=on_progress
            )
        for task, info in zip(items, infos, strict=True):
            if info.state == "error":
                raise task_error(info.error, f"task {task._moId} ({info.descriptionId})", task)
        return [info.result for info in infos]
