"""Following a property collector: the one WaitForUpdatesEx loop every wait is built on.

    version = follow(pyvmomi_waiter(collector), on_batch, deadline=deadline)

Task waits, condition waits (power state, VMware Tools, guest operations), the bulk task
watch and the inventory index all follow a collector's filters the same way: ask for the
changes since the last version, gather the pages of a truncated answer, hand them over as one
batch, and go on until the caller has what it wanted, time runs out or it is stopped.

Each batch is everything one answer reported, in the server's order. Callers judge what they
wait for on their state after the whole batch (the newest the server has told), never on a
state in the middle of one: an answer can hold old changes after newer ones (a filter made on
a collector that has been used before may be sent its current state, then changes from before
it existed).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from .._base.vmomi import vmodl
from .._transport.retrieve import ObjectChange, UpdateSet, wait_for_update_set, wait_for_updates
from .._transport.session import Session
from .._transport.soap import DedicatedConnection, ResilientStub
from ..errors import OperationTimeout

# Seconds one wait may last on the server when the caller has no deadline. A wait is a
# request like any other: proxies and load balancers drop connections idle for minutes.
MAX_WAIT_SECONDS = 60
_REMOVED = ("remove", "indirectRemove")

# (version, maxWaitSeconds) -> the changes since that version, or None if there were none.
Waiter = Callable[[str, int], "UpdateSet | None"]
Batch = list[ObjectChange]


def follow(
    wait: Waiter,
    on_batch: Callable[[Batch], bool],
    *,
    version: str = "",
    deadline: float | None = None,
    max_wait: int = MAX_WAIT_SECONDS,
    once: bool = False,
    stopped: Callable[[], bool] | None = None,
    description: str = "wait for changes",
) -> str:
    """Follow a collector's filters from ``version`` ("": their whole current state first)
    until ``on_batch`` returns True; return the version reached.

    ``once``: one check (maxWaitSeconds 0), whatever it finds; ``deadline``
    (time.monotonic()): OperationTimeout when it passes first; ``stopped``: asked before each
    wait, ends the loop when true.
    """
    while True:
        if stopped is not None and stopped():
            return version
        if once:
            seconds = 0
        elif deadline is None:
            seconds = max_wait
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OperationTimeout(f"{description}: not done when the timeout ran out")
            seconds = min(max_wait, max(1, math.ceil(left)))
        batch: Batch = []
        while True:
            update = wait(version, seconds)
            if update is None:
                break
            version = update.version
            batch += update.objects
            if not update.truncated:
                break
            # The rest of a truncated answer is there to be taken: do not wait for it.
            seconds = 0
        if batch and on_batch(batch):
            return version
        if once:
            return version


def wire_waiter(
    stub: ResilientStub, collector: str, connection: DedicatedConnection | None = None
) -> Waiter:
    """Waits on a collector whose filters ask only for simple values (names, references,
    flags), read without pyVmomi (see _retrieve)."""

    def wait(version: str, seconds: int) -> UpdateSet | None:
        return wait_for_updates(stub, collector, version, seconds, connection)

    return wait


def pyvmomi_waiter(collector: Any, connection: DedicatedConnection | None = None) -> Waiter:
    """Waits on a pyVmomi collector; values come as pyVmomi objects (a TaskInfo, say).
    ``connection``: the waits go there, where another thread can cut them short."""
    pc = vmodl.query.PropertyCollector

    def wait(version: str, seconds: int) -> UpdateSet | None:
        if connection is None:
            update = collector.WaitForUpdatesEx(version, pc.WaitOptions(maxWaitSeconds=seconds))
        else:
            update = wait_for_update_set(
                collector._stub, collector._moId, version, seconds, connection
            )
        if update is None:
            return None
        objects = [
            ObjectChange(
                str(o.kind),
                str(type(o.obj)._wsdlName),
                str(o.obj._moId),
                [(c.name, str(c.op), c.val) for c in o.changeSet or []],
            )
            for f in update.filterSet or []
            for o in f.objectSet or []
        ]
        return UpdateSet(str(update.version), bool(update.truncated), objects)

    return wait


def apply_changes(values: dict[str, Any], change: ObjectChange) -> None:
    """Bring property values (path -> value) up to date with one object's changes."""
    for name, op, value in change.changes:
        values[name] = None if op in _REMOVED else value


class CollectorPool:
    """Property collectors for waits, lent one per wait and taken back after it.

    A session's default collector cannot serve two waits at once (their versions would mix),
    so every wait has a collector of its own while it lasts. Threads come and go (a bulk run's
    pool, a caller's executor); collectors are therefore lent per wait, not kept per thread,
    and so the session holds no more of them than waits run at once. Idle ones are kept (at
    most MAX_IDLE, for the next wait) and destroyed once unused for IDLE_SECONDS.
    """

    MAX_IDLE = 4
    IDLE_SECONDS = 60.0

    def __init__(self, session: Session, logger: logging.Logger) -> None:
        self.session = session
        self.logger = logger
        self._idle: list[
            tuple[float, int, Any]
        ] = []  # (released at, session generation, collector)
        self._lock = threading.Lock()
        self.lent = 0  # collectors out on a wait now
        self.peak = 0  # the most lent at once

    def acquire(self) -> Any:
        with self._lock:
            generation = self.session.generation
            # Those of an earlier session died with it: forget them.
            self._idle = [i for i in self._idle if i[1] == generation]
            self.lent += 1
            self.peak = max(self.peak, self.lent)
            if self._idle:
                return self._idle.pop()[2]
        try:
            return self.session.content.propertyCollector.CreatePropertyCollector()
        except BaseException:
            with self._lock:
                self.lent -= 1
            raise

    def release(self, collector: Any, healthy: bool) -> None:
        """Take a collector back; ``healthy``: its last wait ended cleanly (any other is
        destroyed rather than lent again, so that no wait inherits another's leftovers)."""
        now = time.monotonic()
        surplus = []
        with self._lock:
            self.lent -= 1
            if healthy:
                self._idle.append((now, self.session.generation, collector))
            else:
                surplus.append(collector)
            while len(self._idle) > self.MAX_IDLE:
                surplus.append(self._idle.pop(0)[2])
            while self._idle and now - self._idle[0][0] > self.IDLE_SECONDS:
                surplus.append(self._idle.pop(0)[2])
        self._destroy(surplus)

    @property
    def idle(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        self._destroy([i[2] for i in idle])

    def _destroy(self, collectors: list[Any]) -> None:
        for collector in collectors:
            try:
                collector.DestroyPropertyCollector()
            except Exception as e:  # the session may be gone, and the collector with it
                self.logger.debug("destroying a property collector: %s", e)
