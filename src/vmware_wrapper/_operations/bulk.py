"""Many targets, one operation: a concurrency limit, one task filter, a result per target.

    results = vs.bulk("power_on", "/DC1/vm/web", concurrency=20)
    failed = [r for r in results if not r.ok]

Operations start on a small pool of threads (the start of an operation resolves names and
reads state: round trips worth overlapping). The tasks they start are followed together
through one property collector filter over a ListView of tasks, to which each new task is
added; operations without a task (a guest shutdown) are waited for on the pool. A failure
is recorded for its target and the others go on; nothing is dropped silently.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import inspect
import itertools
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._base.names import is_glob
from .._base.vmomi import ManagedObject, vim, vmodl
from .._inventory.tree import KINDS
from .._tasks.follow import Batch, follow, pyvmomi_waiter
from .._tasks.handles import Handle, TaskHandle
from .._transport.faults import is_fault
from .._transport.soap import DedicatedConnection
from ..errors import InvalidInputError, OperationTimeout
from .checks import positive_int
from .context import PREFETCH_FRESH, Ops


@dataclass(frozen=True)
class BulkResult:
    """What one target's operation came to."""

    target: str  # the target as given, or its path
    ok: bool
    error: str | None = None  # the error's message
    error_type: str | None = None  # the error's class, e.g. "InvalidStateError"
    task: str | None = None  # the id of the vSphere task that did the work, if any
    result: Any = field(default=None, compare=False)
    exception: BaseException | None = field(default=None, repr=False, compare=False)


BulkProgress = Callable[[int, int, BulkResult], None]

# Seconds a watch waits on the server per call; close() cuts a wait short, so this only bounds
# how long a lost connection goes unnoticed.
WATCH_WAIT = 30


def select(ops: Ops, selection: Any) -> list[tuple[str, Any]]:
    """(label, reference) per target: a list of names, paths, ids or objects; a glob over VM
    names or paths; or a folder (every VM below it)."""
    if isinstance(selection, (list, tuple)):
        return [(item if isinstance(item, str) else _label(item), item) for item in selection]
    if isinstance(selection, ManagedObject):
        return [(_label(selection), selection)]
    if not isinstance(selection, str) or not selection.strip():
        raise InvalidInputError(f"a selection is names, a glob or a folder, not {selection!r}")
    inventory = ops.index.ready()
    if is_glob(selection):
        entries = ops.index.find(KINDS["vm"], selection)
        return [(inventory.path(e.moid), ops.resolver.obj(e)) for e in entries]
    folders = inventory.matches(KINDS["folder"], selection) if "/" in selection else []
    if len(folders) == 1:
        below = []
        stack = [folders[0].moid]
        while stack:
            for child in inventory.children(stack.pop()):
                if child.type == "VirtualMachine":
                    below.append(child)
                else:
                    stack.append(child.moid)
        below.sort(key=lambda e: inventory.path(e.moid))
        return [(inventory.path(e.moid), ops.resolver.obj(e)) for e in below]
    return [(selection, selection)]


def _label(obj: Any) -> str:
    return str(getattr(obj, "_moId", obj))


class TaskWatch:
    """Tasks followed together: one filter, on a collector of its own, over a ListView that
    tasks are added to. A thread waits on it (WaitForUpdatesEx) and hands finished tasks to
    ``on_finished``; adding tasks changes the view, which wakes that wait at once."""

    def __init__(
        self,
        ops: Ops,
        on_finished: Callable[[dict[str, Any]], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self._ops = ops
        self._on_finished = on_finished
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: DedicatedConnection | None = None
        self._collector: Any = None
        self._view: Any = None
        self._generation = -1
        self._watched: set[str] = set()

    def add(self, tasks: list[Any]) -> None:
        """Follow these tasks too (one call for all)."""
        with self._lock:
            self._watched.update(t._moId for t in tasks)
            if self._view is not None and self._generation == self._ops.session.generation:
                self._view.ModifyListView(add=tasks)
            # Otherwise the thread is about to make the view, with these tasks in it.
        if self._thread is None or not self._thread.is_alive():
            # Also after a failure of the thread, reported for the tasks it had.
            self._start_thread()

    def _start_thread(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            if self._thread is None:  # the first: from now on, follow new logins too
                self._ops.session.transport.after_login.append(self._renewed)
            old = self._connection
            # Each thread waits on a connection of its own, which ends its wait at once
            # when it is closed (close(), or a new thread taking over).
            connection = DedicatedConnection(self._ops.session.stub)
            thread = threading.Thread(
                target=self._loop, args=(connection,), name="vmware_wrapper-bulk-watch", daemon=True
            )
            self._thread, self._connection = thread, connection
            thread.start()
        if old is not None:
            old.abort()

    def _renewed(self) -> None:
        """A new login: the thread may be waiting on a collector of the old session, which
        the server may leave unanswered until the wait's time is up. A new thread takes over
        at once, with a new collector and view of all the tasks; the old one's wait is cut
        short, and it ends reporting nothing."""
        self._start_thread()

    def forget(self, moid: str) -> None:
        """Stop reporting a task (it stays in the view until it finishes)."""
        with self._lock:
            self._watched.discard(moid)

    def _ensure(self) -> None:
        """The collector, view and filter of this session (made again after a re-login)."""
        session = self._ops.session
        with self._lock:
            if self._view is not None and self._generation == session.generation:
                return
            # Kept only once the filter is made too: after a failure half-way the next turn
            # makes all again (a view without a filter would report nothing, ever).
            self._view = None
            collector = session.content.propertyCollector.CreatePropertyCollector()
            first = set(self._watched)
            try:
                view = session.content.viewManager.CreateListView(
                    [vim.Task(m, session.stub) for m in first]
                )
            except Exception:
                with contextlib.suppress(Exception):
                    collector.DestroyPropertyCollector()
                raise
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(
            objectSet=[
                pc.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[pc.TraversalSpec(name="view", path="view", type=vim.view.ListView)],
                )
            ],
            propSet=[pc.PropertySpec(type=vim.Task, pathSet=["info"])],
        )
        try:
            collector.CreateFilter(spec, True)
            with self._lock:
                # Tasks added meanwhile found no view to join: they join now.
                if later := self._watched - first:
                    view.ModifyListView(add=[vim.Task(m, session.stub) for m in later])
                self._collector, self._view = collector, view
                self._generation = session.generation
        except Exception:
            with contextlib.suppress(Exception):
                collector.DestroyPropertyCollector()
            with contextlib.suppress(Exception):
                view.DestroyView()
            raise

    def _loop(self, connection: DedicatedConnection) -> None:
        try:
            self._follow(connection)
        finally:
            connection.abort()

    def _follow(self, connection: DedicatedConnection) -> None:
        me = threading.current_thread()

        def superseded() -> bool:
            return self._stop.is_set() or self._thread is not me

        version = ""
        generation = -1
        while not superseded():
            try:
                self._ensure()
                if generation != self._generation:
                    version, generation = "", self._generation
                version = follow(
                    pyvmomi_waiter(self._collector, connection),
                    self._on_batch,
                    version=version,
                    max_wait=WATCH_WAIT,
                    stopped=superseded,
                )
            except Exception as e:
                if is_fault(e, "RequestCanceled") or superseded():
                    return  # close() cancelled the wait, or a new thread took over
                if is_fault(e, "ManagedObjectNotFound"):
                    with self._lock:
                        self._view = None  # a new session: the next turn makes all again
                    continue
                self._on_failure(e)  # reported, so that no task is left waiting silently
                return

    def _on_batch(self, batch: Batch) -> bool:
        """Hand on the tasks this answer reports finished; follow on."""
        done: dict[str, Any] = {}
        with self._lock:
            for change in batch:
                for name, _op, info in change.changes:
                    if (
                        name == "info"
                        and info is not None
                        and info.state in ("success", "error")
                        and change.moid in self._watched
                    ):
                        done[change.moid] = info
            self._watched.difference_update(done)
        if done:
            self._on_finished(done)
            self._drop_from_view(done)
        return False

    def _drop_from_view(self, moids: dict[str, Any]) -> None:
        """Take finished tasks out of the view: the filter then covers only the tasks still
        running, and the server has that much less to read whenever one of them changes (a
        collector that re-reads its filter on each change, as govmomi's simulator does, would
        otherwise read every task of the run for each change of any)."""
        session = self._ops.session
        with self._lock:
            if self._view is None or self._generation != session.generation:
                return
            view = self._view
        try:
            view.ModifyListView(remove=[vim.Task(m, session.stub) for m in moids])
        except Exception as e:  # the view goes with a lost session; the next turn makes it
            self._ops.logger.debug("taking finished tasks out of a watch: %s", e)

    def close(self) -> None:
        """Stop the thread and remove the collector (its filter goes with it) and the view."""
        self._stop.set()
        with contextlib.suppress(ValueError):
            self._ops.session.transport.after_login.remove(self._renewed)
        with self._lock:
            collector, view = self._collector, self._view
            thread, connection = self._thread, self._connection
        if connection is not None:
            connection.abort()  # ends a wait in progress at once
        if thread is not None:
            thread.join(timeout=5)
        if collector is None:
            return
        try:
            collector.DestroyPropertyCollector()
            view.DestroyView()
        except Exception as e:  # the session may be gone, and these with it
            self._ops.logger.debug("closing a task watch: %s", e)


@dataclass
class _Target:
    index: int
    label: str
    reference: Any
    deadline: float | None = None
    handle: TaskHandle | None = None
    prefetched: float | None = None  # when its state was read ahead


def _unread(t: _Target, stale: float) -> bool:
    """Whether a target's state has not been read ahead since ``stale`` (a monotonic time)."""
    return t.prefetched is None or t.prefetched < stale


def run(
    ops: Ops,
    start: Callable[[Any], Any],
    targets: list[tuple[str, Any]],
    *,
    concurrency: int = 10,
    timeout: float | None = None,
    on_progress: BulkProgress | None = None,
    prefetch: Callable[[list[Any]], None] | None = None,
) -> list[BulkResult]:
    """Run ``start(reference)`` (which returns a handle, as operations do with wait=False)
    for every target, at most ``concurrency`` at a time; a result per target, in order.
    ``timeout`` (seconds) applies to each target. ``prefetch(references)`` is called for
    the targets about to start, a slot's worth at a time (one read for many).

    Everything that happens (an operation started, a wait ended, tasks finished) arrives as
    an event on one queue, so nothing is polled: the loop sleeps until something is due.
    """
    positive_int("concurrency", concurrency)
    results: dict[int, BulkResult] = {}
    total = len(targets)
    events: queue.SimpleQueue[tuple[str, Any, Any]] = queue.SimpleQueue()
    pending = deque(_Target(i, label, ref) for i, (label, ref) in enumerate(targets))
    active: dict[int, _Target] = {}
    running: dict[str, _Target] = {}  # task id -> target, tasks the watch follows

    def record(t: _Target, outcome: BulkResult) -> None:
        active.pop(t.index, None)
        results[t.index] = outcome
        if on_progress is not None:
            on_progress(len(results), total, outcome)

    def task_id(t: _Target) -> str | None:
        return t.handle.id if t.handle is not None else None

    def failure(t: _Target, error: BaseException) -> None:
        ops.logger.info("%s: failed: %s", t.label, error)
        record(
            t,
            BulkResult(
                t.label, False, str(error), type(error).__name__, task_id(t), exception=error
            ),
        )

    watch = TaskWatch(
        ops,
        on_finished=lambda done: events.put(("finished", None, done)),
        on_failure=lambda error: events.put(("watch failed", None, error)),
    )
    with concurrent.futures.ThreadPoolExecutor(
        concurrency, thread_name_prefix="vmware_wrapper-bulk"
    ) as pool:

        def submit(kind: str, t: _Target, fn: Callable[..., Any], *args: Any) -> None:
            future = pool.submit(fn, *args)
            future.add_done_callback(lambda f: events.put((kind, t, f)))

        def wait_on_pool(t: _Target, handle: Handle[Any]) -> None:
            # What follows a task (tools waits, refreshes) or an operation without a task
            # (a guest shutdown) is waited for on the pool.
            left = None if t.deadline is None else max(t.deadline - time.monotonic(), 0.001)
            submit("waited", t, handle.wait, left)

        def follow_alone(t: _Target) -> None:
            if t.handle is not None:
                watch.forget(t.handle.id)
                wait_on_pool(t, t.handle)

        def on_started(t: _Target, future: concurrent.futures.Future[Any]) -> TaskHandle | None:
            try:
                handle = future.result()
            except Exception as e:  # recorded for the target, the rest go on
                failure(t, e)
                return None
            if isinstance(handle, TaskHandle):
                t.handle = handle
                running[handle.id] = t
                return handle
            if isinstance(handle, Handle):
                wait_on_pool(t, handle)
            else:
                record(t, BulkResult(t.label, True, result=handle))
            return None

        try:
            while pending or active:
                slots = concurrency - len(active)
                if prefetch is not None and pending and slots > 0:
                    # Every target about to start must have been read ahead; the read takes
                    # a slot's worth of those not (freshly) read yet, so a run of N targets
                    # costs about N / concurrency reads, however the slots free up.
                    stale = time.monotonic() - PREFETCH_FRESH / 2
                    if any(_unread(t, stale) for t in itertools.islice(pending, slots)):
                        chunk = [
                            t for t in itertools.islice(pending, concurrency) if _unread(t, stale)
                        ]
                        try:
                            prefetch([t.reference for t in chunk])
                        except Exception as e:  # only a shortcut: each reads for itself
                            ops.logger.debug("bulk: reading ahead failed: %s", e)
                        for t in chunk:
                            t.prefetched = time.monotonic()
                while pending and len(active) < concurrency:
                    t = pending.popleft()
                    t.deadline = None if timeout is None else time.monotonic() + timeout
                    active[t.index] = t
                    submit("started", t, start, t.reference)
                due = min((t.deadline for t in running.values() if t.deadline), default=None)
                batch = []
                try:
                    first = events.get(
                        timeout=None if due is None else max(due - time.monotonic(), 0)
                    )
                    batch = [first]
                    while True:  # all that has arrived, so that new tasks join in one call
                        batch.append(events.get_nowait())
                except queue.Empty:
                    pass
                new_tasks: list[_Target] = []
                for kind, t, payload in batch:
                    if kind == "started":
                        if on_started(t, payload) is not None:
                            new_tasks.append(t)
                    elif kind == "waited":
                        try:
                            value = payload.result()
                            record(t, BulkResult(t.label, True, task=task_id(t), result=value))
                        except Exception as e:  # recorded for the target, the rest go on
                            failure(t, e)
                    elif kind == "finished":
                        for moid, info in payload.items():
                            done = running.pop(moid, None)
                            if done is not None and done.handle is not None:
                                done.handle.known(info)
                                wait_on_pool(done, done.handle)
                    elif kind == "watch failed":
                        # The tasks are fine, only the shared watch is not: each is followed
                        # on its own (the task engine), and its result is its task's.
                        ops.logger.debug("bulk: the task watch failed: %s", payload)
                        for moid in list(running):
                            follow_alone(running.pop(moid))
                if new_tasks:
                    try:
                        watch.add([t.handle.task for t in new_tasks if t.handle is not None])
                    except Exception as e:  # as when the watch fails: followed one by one
                        ops.logger.debug("bulk: adding tasks to the watch failed: %s", e)
                        for t in new_tasks:
                            if t.handle is not None and t.handle.id in running:
                                del running[t.handle.id]
                                follow_alone(t)
                now = time.monotonic()
                for moid, t in list(running.items()):
                    if t.deadline is not None and now >= t.deadline:
                        del running[moid]
                        watch.forget(moid)
                        description = t.handle.description if t.handle else t.label
                        failure(t, OperationTimeout(f"{description}: still running at the timeout"))
        finally:
            watch.close()
    return [results[i] for i in range(total)]


def summary(results: list[BulkResult]) -> str:
    failed = [r for r in results if not r.ok]
    return f"{len(results) - len(failed)} of {len(results)} done" + (
        f", {len(failed)} failed" if failed else ""
    )


def check_operation(name: str, method: Any) -> None:
    """An operation that can run in bulk: a VSphere method that takes wait=."""
    if method is None or name.startswith("_"):
        raise InvalidInputError(f"no operation {name!r}")
    if "wait" not in inspect.signature(method).parameters:
        raise InvalidInputError(f"{name!r} cannot run in bulk (it takes no wait=)")
