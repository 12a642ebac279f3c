"""What every operation module receives: the session, the index, the task engine, the logger,
and the few helpers they all use.

    def power_off(ops: Ops, *, vm: Any, wait: bool, timeout: float | None) -> Any:
        entry, obj = ops.vm(vm, confirm=True)
        return ops.run(obj.PowerOffVM_Task, f"power off {ops.name(entry)}", wait, timeout)
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from .._base.vmomi import vmodl
from .._inventory.index import InventoryIndex
from .._inventory.resolver import Resolver
from .._inventory.tree import KINDS, Entry, Kind
from .._tasks.engine import TaskEngine
from .._tasks.handles import CompletedHandle
from .._transport.faults import describing
from .._transport.rest import RestClient
from .._transport.retrieve import ObjectSource, Ref, retrieve
from .._transport.retry import is_transient_guest_fault, retry_transient
from .._transport.session import Session
from ..errors import NotFoundError, VSphereError
from .checks import check_timeout

# What operations on VMs read first (state checks): a bulk run reads these for many VMs in
# one call, and each operation's first read takes its VM's values instead of a round trip.
# Simple values only, decoded alike by both readers.
PREFETCH_PATHS = ("runtime.powerState", "config.template", "guest.toolsRunningStatus")
_SIMPLE_PATHS = frozenset(PREFETCH_PATHS)  # read() asks for these without pyVmomi
# Older values are read again: a state check should be about as fresh as a read of its own.
PREFETCH_FRESH = 2.0

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class VMOperation:
    """What a bulk run learns from an operation on one VM (its ``vm`` parameter): the names
    of many targets are confirmed at once, and, when ``reads_state``, the state it reads
    first (PREFETCH_PATHS) is read for many VMs in one call."""

    reads_state: bool


def vm_operation(*, reads_state: bool = False) -> Callable[[F], F]:
    """Declare an operation function as acting on one VM (see VMOperation)."""

    def mark(function: F) -> F:
        function.vm_operation = VMOperation(reads_state)  # type: ignore[attr-defined]
        return function

    return mark


def vm_operation_of(function: Any) -> VMOperation | None:
    return getattr(function, "vm_operation", None)


class Ops:
    def __init__(
        self,
        session: Session,
        index: InventoryIndex,
        tasks: TaskEngine,
        resolver: Resolver,
        logger: logging.Logger,
    ) -> None:
        self.session = session
        self.index = index
        self.tasks = tasks
        self.resolver = resolver
        self.logger = logger
        self._prefetched: dict[str, tuple[float, dict[str, Any]]] = {}
        self._prefetch_lock = threading.Lock()
        self._reader_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._once: dict[str, Any] = {}
        self._once_lock = threading.Lock()
        self._vapi: RestClient | None = None

    @property
    def content(self) -> Any:
        return self.session.content

    @property
    def vapi(self) -> RestClient:
        """The vAPI REST client under /rest/com/vmware (content libraries, OVF deploys from
        them), made on first use; its session ends with close()."""
        with self._once_lock:
            if self._vapi is None:
                self._vapi = RestClient(self.session, base="/rest/com/vmware")
            return self._vapi

    def once(self, key: str, make: Callable[[], T]) -> T:
        """What ``make()`` returns, made once per connection (tables that do not change)."""
        with self._once_lock:
            if key not in self._once:
                self._once[key] = make()
            return cast(T, self._once[key])

    # -- naming ----------------------------------------------------------------------------

    def resolve(self, kind: Kind, ref: Any, *, confirm: bool = False) -> tuple[Entry, Any]:
        """The entry and pyVmomi object that ``ref`` names. ``confirm``: before changing the
        object, look text up in an index brought up to the server's state (see
        Resolver.confirmed)."""
        if not confirm:
            entry = self.resolver.entry(kind, ref)
        elif kind.types == {"VirtualMachine"}:
            entry = self._confirmed_vm(kind, ref)
        else:
            entry = self.resolver.confirmed(kind, ref)
        return entry, self.resolver.obj(entry)

    def _confirmed_vm(self, kind: Kind, ref: Any) -> Entry:
        """Resolver.confirmed() for a VM, with the state its operation reads first
        (PREFETCH_PATHS) read meanwhile, on another connection: the two round trips overlap,
        and the operation's first read takes the values."""
        if not self.resolver.is_text(ref):
            return self.resolver.entry(kind, ref)
        try:
            entry = self.resolver.entry(kind, ref)
        except VSphereError:  # perhaps no longer true: confirmed() says
            return self.resolver.confirmed(kind, ref)
        obj = self.resolver.obj(entry)
        state = self._readers().submit(self._read_simple, obj, PREFETCH_PATHS, "")
        try:
            return self.resolver.confirmed(kind, ref)
        finally:
            # Kept under the moid read, whatever the check found: an operation on another
            # object (the name changed hands meanwhile) reads its own.
            try:
                self._keep(entry.moid, state.result())
            except Exception as e:  # the operation's own read says what is wrong
                self.logger.debug("reading %s ahead: %s", entry.moid, e)

    def _readers(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._prefetch_lock:
            if self._reader_pool is None:
                self._reader_pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=2, thread_name_prefix="vmware_wrapper-read"
                )
            return self._reader_pool

    def close(self) -> None:
        with self._prefetch_lock:
            pool, self._reader_pool = self._reader_pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        with self._once_lock:
            vapi, self._vapi = self._vapi, None
        if vapi is not None:
            vapi.close()

    def vm(self, ref: Any, *, confirm: bool = False) -> tuple[Entry, Any]:
        return self.resolve(KINDS["vm"], ref, confirm=confirm)

    def name(self, entry: Entry) -> str:
        """How an object appears in messages and logs: 'web-07'."""
        return repr(entry.display_name)

    # -- reading ---------------------------------------------------------------------------

    def prefetch(self, vms: Sequence[Any]) -> None:
        """Read the first-read properties (PREFETCH_PATHS) of these VMs in one call, for
        their operations' next read() to take (once, while fresh)."""
        refs = [Ref("VirtualMachine", vm._moId) for vm in vms]
        if not refs:
            return
        with describing("read the state of VMs"):
            found = list(
                retrieve(
                    self.session.stub,
                    self.content.propertyCollector._moId,
                    {"VirtualMachine": PREFETCH_PATHS},
                    ObjectSource.objects(refs),
                )
            )
        for obj in found:
            self._keep(obj.moid, obj.props)

    def _keep(self, moid: str, values: dict[str, Any]) -> None:
        """Keep a VM's PREFETCH_PATHS values, just read, for its next read() to take."""
        # Unset properties are left out of an answer: they read as None.
        kept = {**dict.fromkeys(PREFETCH_PATHS), **values}
        with self._prefetch_lock:
            self._prefetched[moid] = (time.monotonic(), kept)

    def _take_prefetched(self, obj: Any, paths: Sequence[str]) -> dict[str, Any] | None:
        if not self._prefetched:
            return None
        with self._prefetch_lock:
            # Taken by any read: later reads of the object go to the server.
            got = self._prefetched.pop(getattr(obj, "_moId", ""), None)
        if got is None or time.monotonic() - got[0] > PREFETCH_FRESH:
            return None
        values = got[1]
        if not set(paths) <= values.keys():
            return None
        return {p: values[p] for p in paths}

    def read(self, obj: Any, paths: Sequence[str], context: str) -> dict[str, Any]:
        """Current values of some properties of one object (one round trip, unless a bulk
        run has just read them: see prefetch())."""
        prefetched = self._take_prefetched(obj, paths)
        if prefetched is not None:
            return prefetched
        if set(paths) <= _SIMPLE_PATHS:
            return self._read_simple(obj, paths, context)
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=obj)],
            propSet=[pc.PropertySpec(type=type(obj), pathSet=list(paths))],
        )
        values: dict[str, Any] = dict.fromkeys(paths)
        with describing(context):
            result = self.content.propertyCollector.RetrievePropertiesEx(
                [spec], pc.RetrieveOptions()
            )
        for content in result.objects if result else []:
            for prop in content.propSet:
                values[prop.name] = prop.val
        return values

    def _read_simple(self, obj: Any, paths: Sequence[str], context: str) -> dict[str, Any]:
        """read() of simple values, written and parsed without pyVmomi: the state checks
        before every power operation, where pyVmomi's (de)serialization was a third of the
        round trip."""
        with describing(context):
            found = list(
                retrieve(
                    self.session.stub,
                    self.content.propertyCollector._moId,
                    {type(obj)._wsdlName: paths},
                    ObjectSource.objects([Ref(type(obj)._wsdlName, obj._moId)]),
                )
            )
            if not found:  # as the server reports an object that is gone to pyVmomi's read
                message = f"{type(obj)._wsdlName} {obj._moId} no longer exists"
                raise NotFoundError(
                    f"{context}: {message}",
                    fault=vmodl.fault.ManagedObjectNotFound(obj=obj, msg=message),
                )
        return {**dict.fromkeys(paths), **found[0].props}

    # -- acting ----------------------------------------------------------------------------

    def run(
        self,
        start: Callable[[], Any],
        description: str,
        wait: bool,
        timeout: float | None,
        on_done: Callable[[Any, float | None], Any] | None = None,
    ) -> Any:
        """Start a task; wait for it (its result) or hand back its handle."""
        check_timeout(timeout)
        started = time.monotonic()
        with describing(description):
            task = start()
        handle = self.tasks.handle(task, description, on_done)
        if not wait:
            self.logger.info("%s: started (%s)", description, handle.id)
            return handle
        result = handle.wait(timeout)
        self.logger.info("%s: done in %.1f s", description, time.monotonic() - started)
        return result

    def done(self, description: str, wait: bool, result: Any = None) -> Any:
        """An operation that had nothing to do (or did it without a task)."""
        self.logger.info("%s", description)
        return result if wait else CompletedHandle(description, result)

    def retry_transient(
        self, call: Callable[[], Any], description: str, deadline: float | None
    ) -> Any:
        """A guest request (shutdown, reboot), retried while the guest's tools start (the
        transport's retry policy, ``retry.is_transient_guest_fault``) until the deadline."""
        with describing(description):
            return retry_transient(
                call, description, deadline, is_transient_guest_fault, self.logger
            )
