"""From what a caller typed to the object it means: exactly one, or a clear error.

    resolver = Resolver(session, index, logger)
    entry = resolver.entry(KINDS["vm"], "web-07")       # reads: the index, ~2 microseconds
    entry = resolver.confirmed(KINDS["vm"], "web-07")   # before changing anything: + server
    vm = resolver.obj(entry)                             # the pyVmomi object

Reads trust the index, which follows the server within about a second. Operations that
change or destroy objects first bring the index up to the server's current state when they
are given text (a name, path, id or uuid), so that an object of the same name created a
moment ago elsewhere makes the name ambiguous instead of being missed, and a path names what
is there now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from .._base.names import looks_like_uuid, normalize_uuid, unescape_name
from .._base.vmomi import ManagedObject, vim
from .._transport.faults import describing, is_fault
from .._transport.retrieve import ObjectSource, Ref, retrieve
from .._transport.session import Session
from ..errors import AmbiguousNameError, InvalidInputError, NotFoundError, VSphereError
from .index import InventoryIndex
from .tree import Entry, Kind

T = TypeVar("T")


class Gone(Exception):
    """The object an entry names no longer exists on the server."""


def is_gone(error: BaseException) -> bool:
    """Whether an error says the object itself no longer exists (not, say, a file of it)."""
    return isinstance(error, Gone) or is_fault(error, "ManagedObjectNotFound")


def shown(ref: Any) -> str:
    """How a reference to an object appears in messages: 'web-07', or its id."""
    if isinstance(ref, str):
        return repr(ref)
    return str(getattr(ref, "_moId", ref))


class Resolver:
    def __init__(self, session: Session, index: InventoryIndex, logger: logging.Logger) -> None:
        self.session = session
        self.index = index
        self.logger = logger
        self._classes: dict[str, Any] = {}  # vSphere type name -> pyVmomi class

    def entry(self, kind: Kind, ref: Any, refresh: bool = False) -> Entry:
        """The index entry of the one object of the kind that ``ref`` names."""
        if isinstance(ref, str):
            # Not `with describing(...)`: this is the hot path of every call by name. A fault
            # the lookup meets is translated all the same (by the transport).
            entry = self.index.lookup(kind, ref)
            if refresh:
                refreshed = self.index.refresh(entry.moid, entry.type)
                if refreshed is None:
                    raise NotFoundError(f"{kind.label} {ref!r} no longer exists")
                entry = refreshed
            return entry
        if isinstance(ref, ManagedObject):
            return self._entry_of_object(kind, ref, refresh)
        raise InvalidInputError(
            f"a {kind.label} is named by a name, path, id or pyVmomi object, not {ref!r}"
        )

    def _entry_of_object(self, kind: Kind, obj: Any, refresh: bool) -> Entry:
        vim_type = str(type(obj)._wsdlName)
        if vim_type not in kind.types:
            raise InvalidInputError(f"{obj!r} is a {vim_type}, not a {kind.label}")
        inventory = self.index.ready()
        entry = None if refresh else inventory.get(obj._moId)
        if entry is None:
            with describing(f"look up {kind.label} {obj._moId}"):
                entry = self.index.refresh(obj._moId, vim_type)
            if entry is None:
                raise NotFoundError(f"{kind.label} {obj._moId} does not exist")
        if not kind.admits(entry):
            raise InvalidInputError(f"{obj._moId} is not a {kind.label}")
        return entry

    @staticmethod
    def is_text(ref: Any) -> bool:
        """A name, path, id or uuid as typed, not an object: what confirmed() looks up in an
        index brought up to date with the server first."""
        return isinstance(ref, str)

    @staticmethod
    def needs_check(ref: Any, entry: Entry) -> bool:
        """Whether confirmed() reads the server's names for ``ref`` when the index has no
        stream to check: a bare name is; an object, a path or an id names exactly one
        object."""
        return isinstance(ref, str) and "/" not in ref and ref.strip() != entry.moid

    def confirmed(self, kind: Kind, ref: Any) -> Entry:
        """Like entry(), but text is looked up in an index that has taken every change made
        until now (one check of its stream, see InventoryIndex.sync). Without a stream, a
        bare name is checked against the server's current names, and a path's objects are
        read again."""
        found = self.confirmed_many(kind, [ref])[0]
        if isinstance(found, VSphereError):
            raise found
        return found

    def _synced(self, kind: Kind, ref: Any) -> bool:
        with describing(f"look up {kind.label} {ref!r}"):
            return self.index.sync()

    def _entry_synced(self, kind: Kind, ref: str) -> Entry:
        """The entry of text in an index that has just synced: what it does not know does
        not exist (no second look at the server)."""
        with describing(f"look up {kind.label} {ref!r}"):
            return self.index.lookup(kind, ref, catch_up=False)

    def confirmed_many(self, kind: Kind, refs: list[Any]) -> list[Entry | VSphereError]:
        """confirmed() for many references at once: an entry, or the error that reference
        gets, per reference (a bulk run records those).

        With a stream, one check of it for all. Without one (not made yet, or no watch),
        at most one read of the server's names and one read of objects again: bare names
        are compared with the server's (a name the index finds ambiguous too, as a twin
        destroyed a moment ago is still in it), and the objects of paths and those above
        them are read again, so that a move or rename made elsewhere is seen.
        """
        # Synced before the first look: the index may not know yet that a name became
        # ambiguous, or unique again, or that a path leads elsewhere, a moment ago.
        texts = [ref for ref in refs if self.is_text(ref)]
        if texts and self._synced(kind, texts[0] if len(refs) == 1 else f"{len(refs)} names"):
            return [self._one(self._synced_or_entry, kind, ref) for ref in refs]
        results: list[Entry | VSphereError] = []
        bare: dict[str, Entry | None] = {}  # name -> its entry (None: ambiguous in the index)
        stale: set[Ref] = set()
        for ref in refs:
            try:
                entry = self.entry(kind, ref)
            except AmbiguousNameError as e:
                results.append(e)
                if self.is_text(ref) and "/" not in ref:
                    bare.setdefault(ref.strip(), None)  # perhaps no longer ambiguous
                continue
            except VSphereError as e:
                results.append(e)
                continue
            results.append(entry)
            if self.is_text(ref) and "/" in ref:
                stale.update(Ref(e.type, e.moid) for e in self.index.inventory.ancestry(entry.moid))
            elif self.needs_check(ref, entry):
                bare[ref.strip()] = entry
        if bare:
            stale |= self._names_changed(kind, bare)
        if not stale:
            return results
        with describing(f"look up {kind.label} {refs[0]!r}" if len(refs) == 1 else "look up"):
            self.index.refresh_many(sorted(stale))
        # Looked up again in the refreshed index.
        for i, ref in enumerate(refs):
            if self.is_text(ref) and ("/" in ref or ref.strip() in bare):
                results[i] = self._one(self.entry, kind, ref)
        return results

    def _synced_or_entry(self, kind: Kind, ref: Any) -> Entry:
        return self._entry_synced(kind, ref) if self.is_text(ref) else self.entry(kind, ref)

    @staticmethod
    def _one(lookup: Callable[[Kind, Any], Entry], kind: Kind, ref: Any) -> Entry | VSphereError:
        try:
            return lookup(kind, ref)
        except VSphereError as e:
            return e

    def _names_changed(self, kind: Kind, bare: dict[str, Entry | None]) -> set[Ref]:
        """One read of the server's names: the objects to read again for the bare names
        whose objects are not (or no longer) what the index says."""
        with describing(f"look up {len(bare)} {kind.label} names"):
            by_name: dict[str, list[Ref]] = {}
            for o in retrieve(
                self.session.stub,
                self.session.content.propertyCollector._moId,
                {t: ("name",) for t in kind.types},
                ObjectSource.container_view(self.index.container_view()),
            ):
                name = o.props.get("name") or ""
                for key in {name, unescape_name(name)}:
                    by_name.setdefault(key, []).append(Ref(o.type, o.moid))
        stale: set[Ref] = set()
        for name, entry in bare.items():
            current = set(by_name.get(name, []))
            if entry is not None:
                current |= set(by_name.get(entry.name, []))
                if {r.value for r in current} == {entry.moid}:
                    continue
                stale.add(Ref(entry.type, entry.moid))
            # What the index thinks has the name is read again too: a twin destroyed
            # meanwhile is forgotten so.
            stale |= current | {
                Ref(e.type, e.moid) for e in self.index.inventory.matches(kind, name)
            }
        return stale

    def by_uuid(self, uuid: str) -> Entry:
        """The VM with this BIOS or instance uuid."""
        if not isinstance(uuid, str) or not looks_like_uuid(uuid):
            raise InvalidInputError(f"{uuid!r} is not a uuid")
        found = self.index.with_uuid(uuid)
        if not found:
            # Not seen yet, perhaps just created: ask the server's search index.
            search = self.session.content.searchIndex
            with describing(f"look up VM by uuid {uuid}"):
                for instance in (False, True):
                    vm = search.FindByUuid(
                        uuid=normalize_uuid(uuid), vmSearch=True, instanceUuid=instance
                    )
                    if vm is not None:
                        self.index.refresh(vm._moId, "VirtualMachine")
            found = self.index.with_uuid(uuid)
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFoundError(f"no VM with uuid {uuid}")
        paths = sorted(self.index.inventory.path(e.moid) for e in found)
        raise AmbiguousNameError(
            f"{len(found)} VMs have uuid {uuid}: {', '.join(paths)}", candidates=paths
        )

    def obj(self, entry: Entry) -> Any:
        """The pyVmomi object for an entry, on this connection."""
        cls = self._classes.get(entry.type)
        if cls is None:
            cls = self._classes[entry.type] = getattr(vim, entry.type)
        return cls(entry.moid, self.session.stub)

    def path(self, entry: Entry) -> str:
        return self.index.inventory.path(entry.moid)

    def with_fresh(self, kind: Kind, ref: Any, context: str, fn: Callable[[Entry], T]) -> T:
        """Run ``fn`` on the object ``ref`` names. If the index's reference has gone stale
        (the object was re-registered or replaced), drop it, find the object again (a VM by
        its uuid, anything by its name) and run ``fn`` once more."""
        entry = self.entry(kind, ref)
        with describing(context):
            try:
                return fn(entry)
            except (Gone, NotFoundError) as e:
                if not is_gone(e):
                    raise
                self.index.forget(entry.moid)
                self.logger.debug("%s: %s went stale; looking it up again", context, entry.moid)
        replacement = self._again(kind, ref, entry)
        with describing(context):
            try:
                return fn(replacement)
            except (Gone, NotFoundError) as e:
                if not is_gone(e):
                    raise
                self.index.forget(replacement.moid)
                raise NotFoundError(f"{context}: it no longer exists") from None

    def _again(self, kind: Kind, ref: Any, stale: Entry) -> Entry:
        for uuid in (stale.uuid, stale.instance_uuid):
            if uuid:
                try:
                    return self.by_uuid(uuid)
                except NotFoundError:
                    pass
        if isinstance(ref, str):
            return self.entry(kind, ref)
        raise NotFoundError(f"{kind.label} {stale.moid} ({stale.display_name}) no longer exists")
