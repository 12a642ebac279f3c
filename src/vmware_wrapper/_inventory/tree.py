"""The inventory as an in-memory tree: names, paths, ids and uuids, and lookups over them.

    inventory.replace(entries, root="group-d1")
    inventory.lookup(KINDS["vm"], "web/01")      # exactly one Entry, or NotFound/Ambiguous
    inventory.find(KINDS["vm"], "/DC0/vm/web/*")  # zero or more

This module only holds and searches; ``_index.py`` fills it from the server and keeps it
fresh. What a lookup accepts (see the README, "Naming things"):

- a name, as people type it ("web/01"), or as vCenter stores it ("web%2f01");
- an inventory path, "/DC0/vm/web/app01" (leading slash optional), whose segments are
  unescaped once each: "%2f" in a segment stands for a "/" in the name, "%252f" for the text
  "%2f" (so a segment is a stored name, or an unescaped one without "/" or escapes);
- a managed object id ("vm-123");
- for VMs, a BIOS or instance uuid.

Every form that matches contributes its objects; more than one object is ambiguous, and
nothing is ever picked silently. Text is matched as typed, spaces included (vSphere holds
names such as "web "); only when that matches nothing are spaces around it ignored.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from .._base.names import (
    close_matches,
    escape_name,
    is_glob,
    join_path,
    looks_like_uuid,
    normalize_uuid,
    not_xml,
    path_matches,
    split_path,
    unescape_name,
)
from ..errors import AmbiguousNameError, InvalidInputError, NotFoundError

# Where the literal prefix of a glob ends.
_GLOB_START = re.compile(r"[*?\[]")


class Entry(NamedTuple):
    """One inventory object. ``name`` is as vCenter stores it (escaped); make one with
    ``Entry.of``, which fills in ``display_name``.

    A tuple of strings, not a class instance: Python's garbage collector stops tracking such
    tuples, so tens of thousands of entries do not slow down every later collection.
    """

    moid: str
    type: str
    name: str
    parent: str | None  # the parent folder, resource pool, compute resource...
    parent_vapp: str | None  # VMs in a vApp have this instead of a parent
    parent_folder: str | None  # vApps: their folder in the VMs-and-templates tree
    uuid: str | None  # VMs: BIOS uuid (config.uuid)
    instance_uuid: str | None  # VMs: config.instanceUuid
    template: bool
    display_name: str  # the name as people read it

    @classmethod
    def of(
        cls,
        moid: str,
        type: str,
        name: str = "",
        parent: str | None = None,
        parent_vapp: str | None = None,
        parent_folder: str | None = None,
        uuid: str | None = None,
        instance_uuid: str | None = None,
        template: bool = False,
    ) -> Entry:
        return cls(
            moid,
            type,
            name,
            parent,
            parent_vapp,
            parent_folder,
            uuid,
            instance_uuid,
            template,
            unescape_name(name),
        )

    def changed(self, **changes: Any) -> Entry:
        entry = self._replace(**changes)
        if "name" in changes:
            entry = entry._replace(display_name=unescape_name(entry.name))
        return entry

    @property
    def tree_parent(self) -> str | None:
        """The parent in the path: a VM's vApp, a vApp's folder, else ``parent``."""
        return self.parent_vapp or self.parent_folder or self.parent


# The managed entity types the index follows, and the properties it reads for each.
ENTITY_TYPES = (
    "Folder",
    "Datacenter",
    "VirtualMachine",
    "VirtualApp",
    "ResourcePool",
    "ClusterComputeResource",
    "ComputeResource",
    "HostSystem",
    "Datastore",
    "StoragePod",
    "Network",
    "DistributedVirtualPortgroup",
    "OpaqueNetwork",
    "VmwareDistributedVirtualSwitch",
    "DistributedVirtualSwitch",
)
# What a lookup by name or path needs: read first, in the one bulk load a cold lookup waits for.
TREE_PROPERTIES = {
    "ManagedEntity": ("name", "parent"),
    "VirtualMachine": ("parentVApp",),
    "VirtualApp": ("parentFolder",),
}
# What lookups by uuid and of templates need besides: read when first needed (or by the watch).
DETAIL_PROPERTIES = {"VirtualMachine": ("config.uuid", "config.instanceUuid", "config.template")}
INDEX_PROPERTIES = {
    **TREE_PROPERTIES,
    "VirtualMachine": TREE_PROPERTIES["VirtualMachine"] + DETAIL_PROPERTIES["VirtualMachine"],
}
# Entry field for each indexed property; references keep only their moid.
_FIELDS = {
    "name": "name",
    "parent": "parent",
    "parentVApp": "parent_vapp",
    "parentFolder": "parent_folder",
    "config.uuid": "uuid",
    "config.instanceUuid": "instance_uuid",
    "config.template": "template",
}


@dataclass(frozen=True)
class Kind:
    """What a lookup looks for: a label for messages and the vSphere types that qualify."""

    label: str
    types: frozenset[str]
    templates: bool | None = None  # VMs: only templates (True), only VMs (False), both (None)

    def admits(self, entry: Entry) -> bool:
        if entry.type not in self.types:
            return False
        return self.templates is None or entry.template == self.templates


def _kind(label: str, *types: str, templates: bool | None = None) -> Kind:
    return Kind(label, frozenset(types), templates)


KINDS = {
    "vm": _kind("VM", "VirtualMachine"),
    "template": _kind("template", "VirtualMachine", templates=True),
    "host": _kind("host", "HostSystem"),
    "cluster": _kind("cluster", "ClusterComputeResource"),
    "compute_resource": _kind("compute resource", "ComputeResource", "ClusterComputeResource"),
    "datacenter": _kind("datacenter", "Datacenter"),
    "datastore": _kind("datastore", "Datastore"),
    "datastore_cluster": _kind("datastore cluster", "StoragePod"),
    "network": _kind("network", "Network", "DistributedVirtualPortgroup", "OpaqueNetwork"),
    "dvs": _kind(
        "distributed switch", "VmwareDistributedVirtualSwitch", "DistributedVirtualSwitch"
    ),
    "folder": _kind("folder", "Folder"),
    "resource_pool": _kind("resource pool", "ResourcePool", "VirtualApp"),
    "vapp": _kind("vApp", "VirtualApp"),
    "entity": _kind("object", *ENTITY_TYPES),
}
KIND_ALIASES = {"pool": "resource_pool", "resourcepool": "resource_pool", "dc": "datacenter"}


def kind_for(vimtype: Any) -> Kind:
    """The Kind for a pyVmomi type (vim.VirtualMachine, vim.ManagedEntity, ...) or a kind
    name ("vm", "template", "host", "cluster", "datastore", "network", "folder", "pool", ...),
    or a vSphere type's name ("VirtualMachine", "vim.HostSystem")."""
    from .._base.vmomi import vim

    if isinstance(vimtype, str):
        type_name = vimtype.strip().removeprefix("vim.")
        if type_name in ENTITY_TYPES:
            return kind_for(getattr(vim, type_name))
        key = vimtype.strip().lower().replace("-", "_")
        key = KIND_ALIASES.get(key, key)
        if key not in KINDS:
            raise InvalidInputError(
                f"unknown object kind {vimtype!r}; one of: {', '.join(sorted(KINDS))}"
            )
        return KINDS[key]
    try:
        types = frozenset(t for t in ENTITY_TYPES if issubclass(getattr(vim, t), vimtype))
    except TypeError:
        types = frozenset()
    if not types:
        raise InvalidInputError(f"{vimtype!r} is not a type of inventory object")
    for kind in KINDS.values():
        if kind.types == types and kind.templates is None:
            return kind
    return Kind(getattr(vimtype, "__name__", str(vimtype)).rsplit(".", 1)[-1], types)


class Inventory:
    """The tree of inventory entries, with indexes by name, parent and uuid. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.root: str | None = None
        self.details = False  # whether VMs' uuids and template flags are known
        self._entries: dict[str, Entry] = {}
        # Name and uuid indexes hold tuples, which the garbage collector can stop tracking.
        self._by_name: dict[str, tuple[str, ...]] = {}  # unescaped name -> moids
        self._by_stored: dict[str, tuple[str, ...]] = {}  # stored name, where it differs
        self._children: dict[str, set[str]] = {}
        # (parent, unescaped name) -> moids: a path resolves one segment at a time, without
        # scanning a folder of 50,000 VMs for the one named. Keyed by the unescaped name only:
        # a segment is unescaped once, so "%2f" is the name "/" and never also a name "%2f".
        self._by_parent_name: dict[tuple[str, str], tuple[str, ...]] = {}
        self._by_uuid: dict[str, tuple[str, ...]] = {}  # BIOS and instance uuids -> VM moids
        self._sorted_names: list[str] | None = None  # sorted keys of _by_name, when known

    def __len__(self) -> int:
        return len(self._entries)

    # -- changes ---------------------------------------------------------------------------

    def replace(self, entries: Iterable[Entry], root: str, *, details: bool) -> None:
        """Start over with these entries (a full load, with or without the details)."""
        with self._lock:
            self.root = root
            self.details = details
            self._entries.clear()
            self._by_name.clear()
            self._by_stored.clear()
            self._children.clear()
            self._by_parent_name.clear()
            self._by_uuid.clear()
            self._sorted_names = None
            for entry in entries:
                self._add(entry)

    def update(self, moid: str, vim_type: str, props: dict[str, Any]) -> None:
        """Create or change an entry from retrieved property values (path -> value)."""
        changes: dict[str, Any] = {}
        for path, value in props.items():
            name = _FIELDS.get(path)
            if name is None:
                continue
            if hasattr(value, "value"):  # a reference: keep its moid
                value = value.value
            if name == "template":
                value = bool(value)
            elif name == "name":
                value = value or ""
            elif name in ("uuid", "instance_uuid"):
                value = str(value).lower() if value else None
            else:
                value = value or None
            changes[name] = value
        with self._lock:
            old = self._entries.get(moid)
            entry = Entry.of(moid, vim_type, **changes) if old is None else old.changed(**changes)
            if old is not None:
                self._discard(old)
            self._add(entry)

    def remove(self, moid: str) -> None:
        with self._lock:
            entry = self._entries.get(moid)
            if entry is not None:
                self._discard(entry)

    def _add(self, entry: Entry) -> None:
        self._entries[entry.moid] = entry
        if self._sorted_names is not None and entry.display_name not in self._by_name:
            self._sorted_names = None  # a new name
        _add_to(self._by_name, entry.display_name, entry.moid)
        if entry.display_name != entry.name:
            _add_to(self._by_stored, entry.name, entry.moid)
        parent = entry.tree_parent
        if parent:
            self._children.setdefault(parent, set()).add(entry.moid)
            _add_to(self._by_parent_name, (parent, entry.display_name), entry.moid)
        for uuid in (entry.uuid, entry.instance_uuid):
            if uuid:
                _add_to(self._by_uuid, uuid, entry.moid)

    def _discard(self, entry: Entry) -> None:
        self._entries.pop(entry.moid, None)
        _remove_from(self._by_name, entry.display_name, entry.moid)
        if self._sorted_names is not None and entry.display_name not in self._by_name:
            self._sorted_names = None  # a name gone
        _remove_from(self._by_stored, entry.name, entry.moid)
        parent = entry.tree_parent
        if parent and parent in self._children:
            self._children[parent].discard(entry.moid)
            if not self._children[parent]:
                del self._children[parent]
        if parent:
            _remove_from(self._by_parent_name, (parent, entry.display_name), entry.moid)
        for uuid in (entry.uuid, entry.instance_uuid):
            if uuid:
                _remove_from(self._by_uuid, uuid, entry.moid)

    # -- reading ---------------------------------------------------------------------------

    def get(self, moid: str) -> Entry | None:
        with self._lock:
            return self._entries.get(moid)

    def path(self, moid: str) -> str:
        """The inventory path, e.g. "/DC0/vm/web/app01". Segments are escaped names (as
        vCenter stores them and govc shows them), so a "/" in a name cannot split a segment."""
        names = [escape_name(e.display_name) for e in self.ancestry(moid)]
        return join_path(list(reversed(names)))

    def ancestry(self, moid: str) -> list[Entry]:
        """The object and those above it, up to (not including) the root folder."""
        with self._lock:
            chain: list[Entry] = []
            seen = set()
            current = self._entries.get(moid)
            while current is not None and current.moid != self.root and current.moid not in seen:
                seen.add(current.moid)
                chain.append(current)
                parent = current.tree_parent
                current = self._entries.get(parent) if parent else None
            return chain

    def entries(self, kind: Kind) -> list[Entry]:
        with self._lock:
            return [e for e in self._entries.values() if kind.admits(e)]

    def children(self, moid: str) -> list[Entry]:
        with self._lock:
            return [self._entries[m] for m in self._children.get(moid, ()) if m in self._entries]

    def with_uuid(self, uuid: str) -> list[Entry]:
        with self._lock:
            moids = self._by_uuid.get(normalize_uuid(uuid), ())
            return [self._entries[m] for m in sorted(moids)]

    def matches(self, kind: Kind, text: str) -> list[Entry]:
        """Every object of the kind that ``text`` names, by any of the accepted forms: as
        typed, or, if that names nothing, without the spaces around it."""
        found = self._matches(kind, text)
        stripped = text.strip()
        if not found and stripped != text:
            found = self._matches(kind, stripped)
        return found

    def _matches(self, kind: Kind, text: str) -> list[Entry]:
        with self._lock:
            found: dict[str, Entry] = {}

            def add(moids: Iterable[str]) -> None:
                for moid in moids:
                    entry = self._entries.get(moid)
                    if entry is not None and kind.admits(entry):
                        found[moid] = entry

            add(self._by_name.get(text, ()))
            if not found:
                add(self._by_stored.get(text, ()))
            if "/" in text:
                add(e.moid for e in self._walk(split_path(text)))
            if text in self._entries:
                add([text])
            if not found and looks_like_uuid(text):
                add(self._by_uuid.get(normalize_uuid(text), ()))
            return sorted(found.values(), key=lambda e: e.moid)

    def _walk(self, segments: list[str]) -> list[Entry]:
        """Follow a path from the root; several branches may match a segment."""
        if self.root is None:
            return []
        level = [self.root]
        for segment in segments:
            level = [e.moid for e in self._walk_from(level, segment)]
            if not level:
                return []
        return [self._entries[m] for m in level]

    def _walk_from(self, level: list[str], segment: str) -> list[Entry]:
        """The children of these objects that one path segment names."""
        name = unescape_name(segment)
        found = {
            child
            for moid in level
            for child in self._by_parent_name.get((moid, name), ())
            if child in self._entries
        }
        return [self._entries[m] for m in sorted(found)]

    def lookup(self, kind: Kind, text: str) -> Entry:
        """The one object of the kind that ``text`` names; NotFoundError or AmbiguousNameError."""
        # The common case first, without the general search: a name that only one object has
        # (and that is no path and no id). Warm lookups are ~2 microseconds this way.
        with self._lock:
            moids = self._by_name.get(text)
            if moids and len(moids) == 1 and "/" not in text and text not in self._entries:
                entry = self._entries.get(moids[0])
                if (
                    entry is not None
                    and entry.type in kind.types
                    and (kind.templates is None or entry.template == kind.templates)
                ):
                    return entry
        if not text or not text.strip():
            raise InvalidInputError(f"an empty {kind.label} name")
        bad = not_xml(text)
        if bad is not None:
            # No name holds it (vSphere could not have been sent one that does), and a lone
            # surrogate would fail anything that encodes the text, a log handler included.
            raise InvalidInputError(
                f"{kind.label} name {text!r}: U+{ord(bad):04X} is in no name (XML 1.0, "
                "which vSphere speaks, cannot carry it)"
            )
        found = self.matches(kind, text)
        if len(found) == 2:
            # A standalone host lives in a compute resource of its own, named after it: when
            # any kind of object will do, the name means the host.
            host = next((e for e in found if e.type == "HostSystem"), None)
            other = next((e for e in found if e is not host), None)
            if host and other and other.type == "ComputeResource" and host.parent == other.moid:
                return host
        if len(found) == 1:
            return found[0]
        if found:
            paths = sorted(self.path(e.moid) for e in found)
            raise AmbiguousNameError(
                f"{len(found)} {kind.label}s match {text!r}: {', '.join(paths)}; "
                "use a path or an id to say which",
                candidates=paths,
            )
        raise NotFoundError(self._not_found(kind, text))

    def _not_found(self, kind: Kind, text: str) -> str:
        message = f"no {kind.label} named {text!r}"
        with self._lock:
            names = sorted({e.display_name for e in self._entries.values() if kind.admits(e)})
        if "/" in text and not text.replace("/", "").strip():
            # "/", "//", " / ": a path of no names, which stands for the root folder.
            return f"no {kind.label} at {text!r}: a path of no names is the root folder"
        segments = split_path(text.strip())
        target = segments[-1] if "/" in text and segments and text not in names else text
        similar = close_matches(unescape_name(target), names)
        if similar:
            message += "; did you mean " + ", ".join(repr(s) for s in similar) + "?"
        return message

    def find(self, kind: Kind, pattern: str = "*") -> list[Entry]:
        """Objects of the kind whose name (or path, when the pattern has a "/") matches the glob
        (over paths: ``*`` within one level, ``**`` across levels).

        A pattern without glob characters matches as a lookup does, but may match none or many.
        """
        if not pattern.strip():
            pattern = "*"
        if not is_glob(pattern):
            return self.matches(kind, pattern)
        pattern = pattern.strip()
        with self._lock:
            if "/" in pattern:
                hits = self._find_path(kind, pattern)
            else:
                hits = self._find_name(kind, pattern)
            return sorted(hits, key=lambda e: (e.display_name, e.moid))

    def _find_name(self, kind: Kind, pattern: str) -> list[Entry]:
        """Names matching a glob: those that start with its literal prefix (a range of the
        sorted names), or every name when the pattern starts with a wildcard."""
        prefix = _GLOB_START.split(pattern, 1)[0]
        names = self._sorted()
        start = bisect.bisect_left(names, prefix)
        stop = bisect.bisect_left(names, prefix + "\U0010ffff") if prefix else len(names)
        moids = [
            moid
            for name in names[start:stop]
            if fnmatch.fnmatchcase(name, pattern)
            for moid in self._by_name[name]
        ]
        # Stored names that differ from the display name are few (escaped characters).
        moids += [
            moid
            for name, found in self._by_stored.items()
            if fnmatch.fnmatchcase(name, pattern)
            for moid in found
        ]
        hits = {m: self._entries[m] for m in moids if m in self._entries}
        return [e for e in hits.values() if kind.admits(e)]

    def _find_path(self, kind: Kind, pattern: str) -> list[Entry]:
        """Paths matching a glob, level by level: a literal level through the index, a glob
        level over the children of the level above it. A "**" spans levels: below it, every
        object is tried."""
        segments = split_path(pattern)
        if self.root is None:
            return []
        level = [self.root]
        for segment in segments:
            if segment == "**":
                below = self._below(level)
                return [
                    e for e in below if kind.admits(e) and path_matches(pattern, self.path(e.moid))
                ]
            if is_glob(segment):
                level = [
                    child
                    for moid in level
                    for child in self._children.get(moid, ())
                    if child in self._entries
                    and (
                        fnmatch.fnmatchcase(self._entries[child].name, segment)
                        or fnmatch.fnmatchcase(self._entries[child].display_name, segment)
                    )
                ]
            else:
                level = [e.moid for e in self._walk_from(level, segment)]
            if not level:
                return []
        return [self._entries[m] for m in level if kind.admits(self._entries[m])]

    def _below(self, level: list[str]) -> list[Entry]:
        found = []
        stack = list(level)
        while stack:
            for child in self._children.get(stack.pop(), ()):
                entry = self._entries.get(child)
                if entry is not None:
                    found.append(entry)
                    stack.append(child)
        return found

    def _sorted(self) -> list[str]:
        """The distinct display names, sorted; made again only after names come or go."""
        if self._sorted_names is None:
            self._sorted_names = sorted(self._by_name)
        return self._sorted_names


def _add_to(index: dict[Any, tuple[str, ...]], key: Any, moid: str) -> None:
    moids = index.get(key, ())
    if moid not in moids:
        index[key] = (*moids, moid)


def _remove_from(index: dict[Any, tuple[str, ...]], key: Any, moid: str) -> None:
    moids = index.get(key)
    if moids is not None and moid in moids:
        rest = tuple(m for m in moids if m != moid)
        if rest:
            index[key] = rest
        else:
            del index[key]
