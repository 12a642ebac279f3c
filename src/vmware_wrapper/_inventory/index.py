"""Keeping the inventory in step with the server: one bulk load, then WaitForUpdatesEx.

    index = InventoryIndex(session, logger)
    entry = index.lookup(KINDS["vm"], "web-07")   # loads on first use, then stays fresh

The first lookup reads every inventory object's name, parent and (for VMs) uuids in one
RetrievePropertiesEx over a ContainerView, parsed with lxml. A background thread then keeps
a property collector filter of its own over the same view and applies what WaitForUpdatesEx
reports (objects created, renamed, moved, destroyed by anyone), so lookups stay fresh
without reloading. If the watch fails, the next lookup reloads. A name that is not found is
checked once more against the server's current names before NotFoundError, so an object
created a moment ago by another client is found even before its update arrives; such an
object is read once more a second later unless the watch has reported it by then (it may
have been destroyed before the watch ever saw it).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .._base.names import escape_name, looks_like_uuid, split_path, unescape_name
from .._base.vmomi import vim, vmodl
from .._tasks.follow import Batch, follow, wire_waiter
from .._transport.faults import is_fault
from .._transport.retrieve import ObjectSource, Ref, retrieve
from .._transport.session import Session
from .._transport.soap import DedicatedConnection
from ..errors import NotFoundError
from .tree import (
    DETAIL_PROPERTIES,
    ENTITY_TYPES,
    INDEX_PROPERTIES,
    TREE_PROPERTIES,
    Entry,
    Inventory,
    Kind,
)

_WATCH_RETRY_SECONDS = 1.0
# How long an object read in directly (not reported by the watch) may go unconfirmed by the
# watch before it is read once more to see whether it still exists.
_CONFIRM_AFTER_SECONDS = 1.0


class InventoryIndex:
    """An Inventory that loads itself on first use and follows the server's changes."""

    def __init__(self, session: Session, logger: logging.Logger, *, watch: bool = True) -> None:
        self.session = session
        self.logger = logger
        self.inventory = Inventory()
        self._watch_enabled = watch
        self._stale = True
        self._load_lock = threading.Lock()
        self._view: str | None = None
        self._view_generation = -1
        self._view_lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._watching = False  # a watcher thread runs
        self._streaming = False  # the stream is made and its first answer taken
        self._doorbell: str | None = None  # collector ids, see "following changes"
        self._stream: str | None = None
        self._stream_version = ""
        self._sync_lock = threading.Condition()
        self._checking = False
        self._checks_started = 0
        self._checks_done = 0
        self._check_ok = False
        self.checks = 0  # checks of the stream made (tests and benchmarks read this)
        self._watch_connection = DedicatedConnection(session.stub)
        # After a new login the doorbell's wait (on a collector of the old session) may go
        # unanswered until its time is up: interrupted, it is asked again at once, which the
        # server answers with ManagedObjectNotFound, and the watch starts again.
        session.transport.after_login.append(self._watch_connection.interrupt)
        self.last_update = 0.0  # time.monotonic() of the last change applied by the watcher
        # Our own writes (refreshes, removals) while the watch's first answer is on its way:
        # that answer is the full state, read at some moment after its request, and replaces
        # the index. Writes made after the request may be missing from it: they are made
        # again on top. None: not recording. (An object another client changes within that
        # same moment could come out older; the next change to it corrects it.)
        self._writes: list[tuple[str, str | None, dict[str, Any]]] | None = None
        self._writes_lock = threading.Lock()
        # Objects the index learned of by reading them directly (a name not found yet, what
        # our own task made) that the watch has not reported yet: moid -> type. An object
        # made and destroyed by another client between two of the watch's answers is never
        # reported, neither its creation nor its end; without a second look it would stay
        # in the index for good. See _expect_from_watch.
        self._unconfirmed: dict[str, str] = {}
        self._confirm_timer: threading.Timer | None = None

    # -- loading ---------------------------------------------------------------------------

    def ready(self) -> Inventory:
        """The inventory, loaded if it is not (or no longer) known to be current."""
        if self._stale:
            with self._load_lock:
                if self._stale:
                    self.load()
        self._ensure_watching()
        return self.inventory

    def load(self) -> None:
        """Read the whole inventory tree again (one bulk retrieval). The VMs' uuids and
        template flags come later, when first needed or with the watch's first answer."""
        started = time.perf_counter()
        objects = self._retrieve(
            ObjectSource.container_view(self.container_view()), TREE_PROPERTIES
        )
        root = self.session.content.rootFolder._moId
        entries = [Entry.of(root, "Folder", "Datacenters")]
        entries += (_entry(obj.moid, obj.type, obj.props) for obj in objects)
        self.inventory.replace(entries, root, details=False)
        self._stale = False
        self.logger.debug(
            "inventory loaded: %d objects in %.3f s", len(entries), time.perf_counter() - started
        )

    def ensure_details(self) -> Inventory:
        """The inventory, with every VM's uuids and template flag (one bulk retrieval)."""
        inventory = self.ready()
        if not inventory.details:
            objects = self._retrieve(
                ObjectSource.container_view(self.container_view()), DETAIL_PROPERTIES
            )
            for obj in objects:
                if inventory.get(obj.moid) is not None:
                    inventory.update(obj.moid, obj.type, obj.props)
            inventory.details = True
        return inventory

    def _retrieve(
        self, source: ObjectSource, properties: Mapping[str, Iterable[str]] = INDEX_PROPERTIES
    ) -> list[Any]:
        return list(
            retrieve(
                self.session.stub,
                self.session.content.propertyCollector._moId,
                properties,
                source,
            )
        )

    def container_view(self) -> str:
        """A view of every inventory object, made again after each login (views are per
        session)."""
        with self._view_lock:
            if self._view is None or self._view_generation != self.session.generation:
                content = self.session.content
                types = [getattr(vim, t) for t in ENTITY_TYPES]
                view = content.viewManager.CreateContainerView(content.rootFolder, types, True)
                self._view, self._view_generation = view._moId, self.session.generation
            return self._view

    def refresh(self, moid: str, vim_type: str) -> Entry | None:
        """Read one object again; forget it if it no longer exists."""
        self.refresh_many([Ref(vim_type, moid)])
        return self.inventory.get(moid)

    def refresh_many(self, refs: list[Ref]) -> None:
        """Read these objects again (one retrieval each level); forget those that no longer
        exist; read their parents too when the index does not know them yet (a folder made
        with the object), so that their paths resolve."""
        seen: set[str] = set()
        while refs:
            seen.update(r.value for r in refs)
            objects = {o.moid: o for o in self._retrieve(ObjectSource.objects(refs))}
            parents: dict[str, Ref] = {}
            for ref in refs:
                found = objects.get(ref.value)
                if found is None:
                    self._remove(ref.value)
                    continue
                if self._watching and self.inventory.get(ref.value) is None:
                    self._expect_from_watch(ref)
                self._update(ref.value, ref.type, found.props)
                for name in ("parent", "parentVApp", "parentFolder"):
                    parent = found.props.get(name)
                    if (
                        isinstance(parent, Ref)
                        and parent.value not in seen
                        and self.inventory.get(parent.value) is None
                    ):
                        parents[parent.value] = parent
            refs = list(parents.values())

    def _expect_from_watch(self, ref: Ref) -> None:
        """Note an object read in directly; unless the watch reports it meanwhile, read it
        once more a moment later, which forgets it if it is gone already."""
        with self._writes_lock:
            self._unconfirmed[ref.value] = ref.type
            if self._confirm_timer is None and not self._stop.is_set():
                self._confirm_timer = threading.Timer(_CONFIRM_AFTER_SECONDS, self._confirm)
                self._confirm_timer.daemon = True
                self._confirm_timer.start()

    def _confirm(self) -> None:
        with self._writes_lock:
            pending, self._unconfirmed = self._unconfirmed, {}
            self._confirm_timer = None
        if not pending or self._stop.is_set():
            return
        try:
            self.refresh_many([Ref(vim_type, moid) for moid, vim_type in pending.items()])
        except Exception as e:  # a lookup that meets a vanished object drops it then
            self.logger.debug("checking objects the watch has not reported: %s", e)

    def _confirmed_by_watch(self, moids: Iterable[str]) -> None:
        with self._writes_lock:
            if self._unconfirmed:
                for moid in moids:
                    self._unconfirmed.pop(moid, None)

    def absorb(self, task_infos: list[Any]) -> None:
        """Bring what finished tasks created, renamed or destroyed into the index at once, so
        that the caller reads its own writes without waiting for the watch. (Operations that
        move objects refresh those themselves: a move's task names only the target.)"""
        if self._stale:
            return  # not loaded yet: the load will see it all
        refs = {}
        for info in task_infos:
            if info is None or info.state != "success":
                continue
            entity, result = info.entity, info.result
            action = (info.descriptionId or "").rsplit(".", 1)[-1]
            if isinstance(result, vim.ManagedEntity):  # a clone, a new VM, a registration
                refs[result._moId] = Ref(str(type(result)._wsdlName), result._moId)
            if isinstance(entity, vim.ManagedEntity):
                if action == "destroy":
                    self._remove(entity._moId)
                elif action == "rename":
                    refs[entity._moId] = Ref(str(type(entity)._wsdlName), entity._moId)
        self.refresh_many(list(refs.values()))

    def find(self, kind: Kind, pattern: str) -> list[Entry]:
        return self._for(kind, pattern).find(kind, pattern)

    def with_uuid(self, uuid: str) -> list[Entry]:
        return self.ensure_details().with_uuid(uuid)

    def forget(self, moid: str) -> None:
        self._remove(moid)

    def _update(self, moid: str, vim_type: str, props: dict[str, Any]) -> None:
        with self._writes_lock:
            self.inventory.update(moid, vim_type, props)
            if self._writes is not None:
                self._writes.append((moid, vim_type, props))

    def _remove(self, moid: str) -> None:
        with self._writes_lock:
            self.inventory.remove(moid)
            if self._writes is not None:
                self._writes.append((moid, None, {}))

    # -- lookups ---------------------------------------------------------------------------

    def _for(self, kind: Kind, text: str) -> Inventory:
        """The inventory, with the details that this lookup may need."""
        if kind.templates is not None or (
            len(text) >= 32 and "VirtualMachine" in kind.types and looks_like_uuid(text)
        ):
            return self.ensure_details()
        return self.ready()

    def lookup(self, kind: Kind, text: str, *, catch_up: bool = True) -> Entry:
        """Exactly one object; a miss is checked against the server's current names first
        (unless ``catch_up`` is False: the caller has just synced, see sync())."""
        if self._watching and not self._stale and kind.templates is None and len(text) < 32:
            inventory = self.inventory  # loaded, watched, no details needed: the hot path
        else:
            inventory = self._for(kind, text)
        try:
            return inventory.lookup(kind, text)
        except NotFoundError:
            if not catch_up or not self._catch_up(kind, text):
                raise
        return inventory.lookup(kind, text)

    def matches(self, kind: Kind, text: str) -> list[Entry]:
        inventory = self._for(kind, text)
        found = inventory.matches(kind, text)
        if not found and self._catch_up(kind, text):
            found = inventory.matches(kind, text)
        return found

    def _catch_up(self, kind: Kind, text: str) -> bool:
        """Whether objects named ``text`` may exist on the server that the index has not
        seen yet (created or renamed a moment ago); if so, they are in the index now. One
        check of the stream takes every change made until now (see sync()); without a
        stream, the server's names are read."""
        if self.sync():
            return True
        return self._read_names(kind, text)

    def _read_names(self, kind: Kind, text: str) -> bool:
        # The server stores names escaped ("50%25 off", "web%2f01"); people type either form,
        # and a bare name may itself hold a "/" ("web/01"), or be a path's last segment.
        # Matched as typed, or without the spaces around it (as Inventory.matches does).
        candidates = set()
        for typed in {text, text.strip()}:
            segments = split_path(typed)
            candidates |= {typed, segments[-1] if segments else typed}
        wanted = set()
        for name in candidates:
            wanted |= {name, unescape_name(name), escape_name(unescape_name(name))}
        names = retrieve(
            self.session.stub,
            self.session.content.propertyCollector._moId,
            {t: ("name",) for t in kind.types},
            ObjectSource.container_view(self.container_view()),
        )
        fresh = [Ref(o.type, o.moid) for o in names if o.props.get("name") in wanted]
        self.refresh_many(fresh)
        return bool(fresh)

    # -- following changes -----------------------------------------------------------------
    #
    # Two collectors, each with the same filter over the inventory view:
    #
    # - the stream, which is only ever checked (WaitForUpdatesEx with maxWaitSeconds 0, "one
    #   update calculation" and return, per the vSphere API reference of WaitOptions), one
    #   check at a time. Every change the index takes from the watch comes from it, in the
    #   server's order, so the index is exactly what the server's stream said at the last
    #   check;
    # - the doorbell, on which the watch thread waits for as long as the server lets it. When
    #   it reports anything, the watch checks the stream. (Its own answers are dropped.)
    #
    # sync() is such a check, made by an operation before it acts on a name or path: the check
    # starts after the operation was called, and its answer holds every change to the filter's
    # properties since the previous check (the data version semantics of WaitForUpdatesEx,
    # vSphere API reference, PropertyCollector), hence every change that any client completed
    # before the operation. When nothing changed that costs one small round trip, whatever the
    # size of the inventory. A collector serves one wait at a time, which is why the stream is
    # not the collector the watch sleeps on.

    def sync(self) -> bool:
        """Bring the index up to the server's current state by one check of the stream (see
        above). False if the stream is not running (not loaded, or being made again): the
        caller confirms another way then."""
        if not self._streaming:
            return False
        with self._sync_lock:
            ticket = self._checks_started  # a check numbered above this one started later
            while self._checking and self._checks_done <= ticket:
                self._sync_lock.wait()
            if self._checks_done > ticket:
                return self._check_ok
            self._checking = True
            self._checks_started += 1
            number = self._checks_started
        ok = False
        try:
            ok = self._check()
        finally:
            with self._sync_lock:
                self._checking = False
                self._checks_done = number
                self._check_ok = ok
                self._sync_lock.notify_all()
        return ok

    def _check(self) -> bool:
        stream = self._stream
        if stream is None or not self._streaming:
            return False
        try:
            self._stream_version = follow(
                wire_waiter(self.session.stub, stream),
                self._apply_batch,
                version=self._stream_version,
                once=True,
            )
        except Exception as e:  # the watch makes the stream again; callers confirm otherwise
            self.logger.debug("checking the inventory stream: %s", e)
            self._streaming = False
            self._stale = True
            return False
        self.checks += 1
        return True

    def _apply_batch(self, batch: Batch) -> bool:
        self._apply(batch)
        return True

    def _ensure_watching(self) -> None:
        if self._watching or not self._watch_enabled or self._stop.is_set():
            return  # (checked on every lookup: a flag, not Thread.is_alive())
        with self._load_lock:  # one watcher, however many threads ask at once
            if not self._watching:
                self._watching = True
                self._watcher = threading.Thread(
                    target=self._watch, name="vmware_wrapper-inventory", daemon=True
                )
                self._watcher.start()

    def _watch(self) -> None:
        try:
            self._follow()
        finally:
            self._watching = False
            self._streaming = False

    def _follow(self) -> None:
        max_wait = max(1, min(30, int(self.session.settings.retry.request_timeout / 2)))
        while not self._stop.is_set():
            try:
                doorbell, version = self._start_stream()
                follow(
                    wire_waiter(self.session.stub, doorbell, self._watch_connection),
                    self._ring,
                    version=version,
                    max_wait=max_wait,
                    stopped=lambda: self._stop.is_set() or not self._streaming,
                )
            except Exception as e:  # the watch must survive anything; lookups reload meanwhile
                if self._stop.is_set():
                    break
                if not is_fault(e, "RequestCanceled"):
                    self.logger.debug("inventory watch interrupted: %s", e)
                self._stale = True
                self._streaming = False
                self._stop.wait(_WATCH_RETRY_SECONDS)

    def _ring(self, batch: Batch) -> bool:
        self.sync()
        return False

    def _start_stream(self) -> tuple[str, str]:
        """Make the doorbell and the stream (again): the doorbell first, so that a change made
        while the stream reads its first answer rings it. That first answer is the full
        current state, and replaces the index. The doorbell's version is returned."""
        self._streaming = False
        old = [c for c in (self._doorbell, self._stream) if c is not None]
        self._doorbell = self._stream = None
        for collector in old:
            with contextlib.suppress(Exception):  # gone with an earlier session, usually
                vmodl.query.PropertyCollector(collector, self.session.stub).Destroy()
        doorbell = self._make_collector()
        self._doorbell = doorbell
        ring_version = follow(
            wire_waiter(self.session.stub, doorbell, self._watch_connection),
            lambda batch: True,
            once=True,
        )
        stream = self._make_collector()
        self._stream = stream
        with self._writes_lock:
            self._writes = []  # until the full state below has replaced the index
        initial: list[Any] = []

        def take(batch: Batch) -> bool:
            initial.extend(batch)
            return True

        self._stream_version = follow(wire_waiter(self.session.stub, stream), take, once=True)
        self._replace_from(initial)
        # The doorbell's first answer came before the stream's: an object made in between
        # is in the index, but the doorbell does not know it, and when it is destroyed
        # before the doorbell's next answer, no bell rings for its end. So the doorbell
        # catches up (a check that does not wait), then the stream, which reports the end of
        # any such object; after that the two differ by no more than one check, as they do
        # whenever a bell rings.
        ring_version = follow(
            wire_waiter(self.session.stub, doorbell, self._watch_connection),
            lambda batch: True,
            version=ring_version,
            once=True,
        )
        self._streaming = True
        self.sync()
        return doorbell, ring_version

    def _make_collector(self) -> str:
        content = self.session.content
        collector = content.propertyCollector.CreatePropertyCollector()
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(
            objectSet=[
                pc.ObjectSpec(
                    obj=vim.view.ContainerView(self.container_view(), self.session.stub),
                    skip=True,
                    selectSet=[
                        pc.TraversalSpec(name="view", path="view", type=vim.view.ContainerView)
                    ],
                )
            ],
            propSet=[
                pc.PropertySpec(type=getattr(vim, t), pathSet=list(paths))
                for t, paths in INDEX_PROPERTIES.items()
            ],
        )
        collector.CreateFilter(spec, True)
        return str(collector._moId)

    def _replace_from(self, objects: list[Any]) -> None:
        root = self.session.content.rootFolder._moId
        with _no_gc():
            entries = [Entry.of(root, "Folder", "Datacenters")]
            for change in objects:
                if change.kind != "leave":
                    entries.append(_entry(change.moid, change.type, _values(change.changes)))
            # Not a confirmation of objects read in directly meanwhile (see _expect_from_watch):
            # the stream's first answer may hold an object that the doorbell, whose first
            # answer came earlier, never sees, when it is made in between and destroyed soon
            # after. Its end would then ring no bell, and only the second look forgets it.
            with self._writes_lock:
                self.inventory.replace(entries, root, details=True)
                for moid, vim_type, props in self._writes or []:
                    if vim_type is None:
                        self.inventory.remove(moid)
                    else:
                        self.inventory.update(moid, vim_type, props)
                self._writes = None
        self._stale = False
        self.last_update = time.monotonic()

    def _apply(self, objects: list[Any]) -> None:
        self._confirmed_by_watch(change.moid for change in objects)
        kinds: dict[str, set[str]] = {}
        for change in objects:
            kinds.setdefault(change.moid, set()).add(change.kind)
            if change.kind == "leave":
                self.inventory.remove(change.moid)
            else:
                self.inventory.update(change.moid, change.type, _values(change.changes))
        # An object that both left and entered within one update set was moved (or made and
        # destroyed). The order of the two is not reliable (govmomi's simulator reports a
        # move's "enter" before its "leave"), so ask the server which it was.
        for change in objects:
            if kinds.get(change.moid) == {"enter", "leave"}:
                kinds.pop(change.moid)
                self.refresh(change.moid, change.type)
        self.last_update = time.monotonic()

    def close(self) -> None:
        """Stop following changes: wake the watch by closing its connection."""
        self._stop.set()
        with contextlib.suppress(ValueError):
            self.session.transport.after_login.remove(self._watch_connection.interrupt)
        with self._writes_lock:
            timer, self._confirm_timer = self._confirm_timer, None
        if timer is not None:
            timer.cancel()
        self._watch_connection.abort()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        for collector in (self._doorbell, self._stream):
            if collector is None:
                continue
            try:
                vmodl.query.PropertyCollector(collector, self.session.stub).Destroy()
            except Exception as e:  # the session may be gone already
                self.logger.debug("stopping the inventory watch: %s", e)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building tens of thousands of objects: it
    would otherwise scan the growing heap again and again, making a load superlinear. The
    objects built (and the parse trees dropped) hold no reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            # Everything built meanwhile sits in the youngest generation, and the first
            # collections after this walk all of it (untracking the entry tuples on the
            # way). Do that now, in the thread that built them (a few ms for 10,000 VMs),
            # rather than in the middle of the first burst of lookups that follows.
            gc.collect(1)


def _values(changes: list[tuple[str, str, Any]]) -> dict[str, Any]:
    return {
        name: (None if op in ("remove", "indirectRemove") else value) for name, op, value in changes
    }


def _entry(moid: str, vim_type: str, props: dict[str, Any]) -> Entry:
    def ref(name: str) -> str | None:
        value = props.get(name)
        return value.value if isinstance(value, Ref) else None

    uuid = props.get("config.uuid")
    instance_uuid = props.get("config.instanceUuid")
    return Entry.of(
        moid=moid,
        type=vim_type,
        name=props.get("name") or "",
        parent=ref("parent"),
        parent_vapp=ref("parentVApp"),
        parent_folder=ref("parentFolder"),
        uuid=uuid.lower() if uuid else None,
        instance_uuid=instance_uuid.lower() if instance_uuid else None,
        template=bool(props.get("config.template")),
    )
