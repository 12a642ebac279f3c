"""Folders: made as ``mkdir -p`` does, read, and removed with what they hold.

create_folder(ops, path="/DC1/vm/web/prod", wait=True, timeout=None)   # no error if there
folder_contents(ops, path="/DC1/vm/old")                                 # one bulk read
delete_folder(ops, path="/DC1/vm/old", recursive=True, wait=True, timeout=None)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._base.models import InventoryItem
from .._base.names import escape_name, split_path, unescape_name
from .._base.vmomi import vim
from .._inventory.tree import KINDS, Entry
from .._transport.faults import describing, is_fault, task_error
from .._transport.retrieve import ObjectSource, Ref, retrieve
from ..errors import (
    AmbiguousNameError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    VSphereError,
)
from .checks import (
    OFF,
    check_name,
    check_timeout,
    deadline_of,
    remaining,
    vsphere_folder,
)
from .context import Ops


def create_folder(ops: Ops, *, path: str, wait: bool, timeout: float | None) -> Any:
    """The folder at ``path`` ("/DC1/vm/a/b"), made with any missing parents."""
    check_timeout(timeout)
    if not isinstance(path, str) or len(split_path(path)) < 3:
        raise InvalidInputError(
            f"folder path {path!r}: a datacenter, one of its folders and new folder names, "
            "like /DC1/vm/web"
        )
    # Every name checked before anything is sent: a name refused halfway would leave the
    # folders above it made. Each is kept as typed (split_path does not strip): "a " is
    # refused, as " a" is, rather than made as "a".
    segments = split_path(path)
    for segment in segments:
        check_name(unescape_name(segment), "folder name")
    description = f"create folder {path!r}"
    # The longest part of the path that exists already, as the server has it now (not as
    # the index had it: a folder removed a moment ago by another client is not "already
    # there", nor the parent to make the next one in).
    prefixes = ["/" + "/".join(segments[:depth]) for depth in range(len(segments), 1, -1)]
    confirmed = ops.resolver.confirmed_many(KINDS["entity"], prefixes)
    parent, depth = _deepest_folder(prefixes, confirmed, description)
    if parent is None:
        raise NotFoundError(f"{description}: no datacenter folder at /{'/'.join(segments[:2])}")
    folder = ops.resolver.obj(parent)
    created = []
    for segment in segments[depth:]:
        name = unescape_name(segment)
        with describing(description):
            try:
                folder = folder.CreateFolder(escape_name(name))
            except InvalidInputError as e:
                if not is_fault(e, "DuplicateName"):
                    raise
                # Made meanwhile (by someone else): fine.
                folder = _existing_child_folder(ops, folder, name, description)
        created.append(Ref("Folder", folder._moId))
    ops.index.refresh_many(created)
    if not created:
        return ops.done(f"{description}: already there", wait, folder)
    return ops.done(f"{description}: made {len(created)} folder(s)", wait, folder)


def _deepest_folder(
    prefixes: list[str], confirmed: list[Entry | VSphereError], description: str
) -> tuple[Entry | None, int]:
    """The folder of the longest prefix that exists (prefixes longest first), and how many
    segments it has; (None, 0) if none does. Refused if that prefix is no folder, or several
    objects."""
    for prefix, found in zip(prefixes, confirmed, strict=True):
        if isinstance(found, NotFoundError):
            continue
        if isinstance(found, AmbiguousNameError):
            raise InvalidInputError(f"{description}: {prefix} is several objects") from found
        if isinstance(found, VSphereError):
            raise found
        if found.type != "Folder":
            raise InvalidInputError(f"{description}: {prefix} is a {found.type}")
        return found, len(split_path(prefix))
    return None, 0


def _existing_child_folder(ops: Ops, parent: Any, name: str, description: str) -> Any:
    """The child named ``name`` that a DuplicateName fault stands for. Found by name among
    the parent's children, read from the server: the fault's own ``object`` is the parent
    on some servers (govmomi's simulator 0.24), not the object that has the name."""
    with describing(description):
        children = ops.read(parent, ["childEntity"], description)["childEntity"] or []
        ops.index.refresh_many([Ref(str(type(c)._wsdlName), c._moId) for c in children])
    inventory = ops.index.ready()
    stored = escape_name(name)
    for child in inventory.children(parent._moId):
        if child.name == stored:
            if child.type != "Folder":
                raise InvalidInputError(f"{description}: {name!r} is a {child.type}")
            return ops.resolver.obj(child)
    raise NotFoundError(f"{description}: {name!r} exists, yet is not among the folder's children")


# What deleting a folder takes along: its subfolders, destroyed with it by Folder.Destroy_Task,
# and the VMs and templates in them, powered off and destroyed first, each by its own task
# (as destroy_vm does): vSphere refuses to destroy a folder that holds a running VM, and a
# VM's own task says which VM failed. Anything else below a folder is infrastructure
# (datacenters, clusters, hosts, datastores, networks, switches) or a vApp, which no one
# means to remove by deleting a folder: refused.
_REMOVABLE = frozenset({"Folder", "VirtualMachine"})

# How objects are counted in messages: kind (a vSphere type, or "template") -> word, plural.
_WORDS = {
    "Folder": ("folder", "folders"),
    "VirtualMachine": ("VM", "VMs"),
    "template": ("template", "templates"),
    "Datacenter": ("datacenter", "datacenters"),
    "ClusterComputeResource": ("cluster", "clusters"),
    # A standalone host sits in a compute resource of its own, named after it.
    "ComputeResource": ("host", "hosts"),
    "HostSystem": ("host", "hosts"),
    "Datastore": ("datastore", "datastores"),
    "StoragePod": ("datastore cluster", "datastore clusters"),
    "Network": ("network", "networks"),
    "OpaqueNetwork": ("network", "networks"),
    "DistributedVirtualPortgroup": ("port group", "port groups"),
    "VmwareDistributedVirtualSwitch": ("distributed switch", "distributed switches"),
    "DistributedVirtualSwitch": ("distributed switch", "distributed switches"),
    "VirtualApp": ("vApp", "vApps"),
}

# What a folder's contents are read with: where each object is, and what destroying a VM
# needs to know first.
_TREE_PATHS = {
    "ManagedEntity": ("name", "parent"),
    "VirtualMachine": ("config.template", "runtime.powerState"),
}

# Tasks started together while a recursive delete powers off and destroys VMs: a folder of
# hundreds is neither done one VM at a time nor queued on vCenter all at once (a failure
# then stops the rest sooner).
_TASKS_AT_ONCE = 16


@dataclass(frozen=True)
class _Held:
    """An object below a folder, as the server answered a moment ago."""

    ref: Ref
    name: str  # as people read it
    path: str
    template: bool
    power_state: str | None

    @property
    def kind(self) -> str:
        return "template" if self.template else self.ref.type


def _read_folder(ops: Ops, entry: Entry, *, recursive: bool, description: str) -> list[_Held]:
    """What a folder holds (``recursive``: and its subfolders, to the last level), sorted by
    path; read from the server in one call, whatever the index says. NotFoundError if the
    folder itself is gone."""
    with describing(description):
        found = {
            o.moid: o
            for o in retrieve(
                ops.session.stub,
                ops.content.propertyCollector._moId,
                _TREE_PATHS,
                ObjectSource.folder_tree(Ref("Folder", entry.moid), recursive=recursive),
            )
        }
    if entry.moid not in found:
        raise NotFoundError(f"{description}: it no longer exists")
    paths = {entry.moid: ops.resolver.path(entry).rstrip("/")}

    def path(moid: str) -> str | None:
        # Parents come with their children (one answer, one moment): every object below
        # reaches the folder, unless the server reports something unexpected.
        if moid not in paths:
            parent = found[moid].props.get("parent")
            if not isinstance(parent, Ref) or parent.value not in found:
                return None
            above = path(parent.value)
            if above is None:
                return None
            stored = found[moid].props.get("name") or ""
            paths[moid] = f"{above}/{escape_name(unescape_name(stored))}"
        return paths[moid]

    held = []
    for moid, obj in found.items():
        where = path(moid) if moid != entry.moid else None
        if where is None:
            continue
        held.append(
            _Held(
                Ref(obj.type, moid),
                unescape_name(obj.props.get("name") or ""),
                where,
                bool(obj.props.get("config.template")),
                obj.props.get("runtime.powerState"),
            )
        )
    return sorted(held, key=lambda h: h.path)


def _tally(held: list[_Held]) -> str:
    """'2 VMs, 1 template and 3 folders'."""
    order = list(_WORDS)
    counts = Counter(h.kind for h in held)
    words: Counter[tuple[str, str]] = Counter()
    # Always in the same order (folders, VMs, templates, ...), whatever the server's.
    for kind in sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k)):
        words[_WORDS.get(kind, (kind, kind + "s"))] += counts[kind]
    parts = [f"{n} {one if n == 1 else several}" for (one, several), n in words.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _some_paths(held: list[_Held], at_most: int = 3) -> str:
    shown = ", ".join(h.path for h in held[:at_most])
    return shown + (f" and {len(held) - at_most} more" if len(held) > at_most else "")


def folder_contents(ops: Ops, *, path: Any) -> list[InventoryItem]:
    """Everything below a folder, through its subfolders, as the server has it now."""
    entry, _ = ops.resolve(KINDS["folder"], path)
    description = f"list the contents of folder {ops.resolver.path(entry)!r}"
    held = _read_folder(ops, entry, recursive=True, description=description)
    return [InventoryItem(h.name, h.ref.type, h.path, h.ref.value) for h in held]


def delete_folder(
    ops: Ops, *, path: Any, recursive: bool, wait: bool, timeout: float | None
) -> Any:
    """Delete a folder; with ``recursive``, destroy the VMs and templates below it first."""
    deadline = deadline_of(timeout)
    if not isinstance(recursive, bool):
        # A string such as "no" would otherwise read as True, and destroy VMs.
        raise InvalidInputError(f"recursive={recursive!r}: True or False")
    entry, folder = ops.resolve(KINDS["folder"], path, confirm=True)
    description = f"delete folder {ops.resolver.path(entry)!r}"
    _check_deletable(ops, entry, description)
    held = _read_folder(ops, entry, recursive=recursive, description=description)
    others = [h for h in held if h.ref.type not in _REMOVABLE]
    if others:
        raise InvalidInputError(
            f"{description}: it holds {_tally(others)} ({_some_paths(others)}), which "
            "deleting a folder does not remove: move or remove them first"
        )
    if held and not recursive:
        # InvalidInputError, not InvalidStateError: nothing was sent, and what the caller
        # changes is an argument (recursive=True), not the folder.
        count = f"{len(held)} objects ({_tally(held)})" if len(held) > 1 else _tally(held)
        raise InvalidInputError(
            f"{description}: it holds {count}; pass recursive=True to delete it with "
            "everything in it"
        )
    vms = [h for h in held if h.ref.type == "VirtualMachine"]
    if vms:
        _destroy_vms(ops, vms, description, deadline)
        # Destroying them took a while: a VM moved in meanwhile would go with the folder
        # (Folder.Destroy_Task destroys what it holds), and it was not asked for.
        held = _read_folder(ops, entry, recursive=True, description=description)
        arrived = [h for h in held if h.ref.type != "Folder"]
        if arrived:
            raise InvalidStateError(
                f"{description}: its {len(vms)} VMs and templates were destroyed, but "
                f"meanwhile {_tally(arrived)} came into it ({_some_paths(arrived)}); "
                "the folder is left as it is"
            )
    subfolders = [h.ref.value for h in held if h.ref.type == "Folder"]

    def forget(result: Any, deadline: float | None) -> None:
        # The task names only the folder (which the index drops on its own): its subfolders
        # are gone with it, and no one needs to wait for the watch to say so.
        for moid in subfolders:
            ops.index.forget(moid)

    return ops.run(folder.Destroy_Task, description, wait, remaining(deadline), on_done=forget)


def _check_deletable(ops: Ops, entry: Entry, description: str) -> None:
    """Refuse the folders vSphere makes and needs: the root folder, and a datacenter's own
    folders (vm, host, datastore, network), which go only with their datacenter."""
    reason = vsphere_folder(ops, entry)
    if reason is not None:
        if entry.moid != ops.index.inventory.root:
            reason += ", which go only with the datacenter"
        raise InvalidInputError(f"{description}: {reason}")


def _destroy_vms(ops: Ops, vms: list[_Held], context: str, deadline: float | None) -> None:
    """Power off (hard) what is not off, then destroy, a batch of VMs at a time."""
    for first in range(0, len(vms), _TASKS_AT_ONCE):
        batch = vms[first : first + _TASKS_AT_ONCE]
        objs = {h.ref.value: vim.VirtualMachine(h.ref.value, ops.session.stub) for h in batch}
        _run_together(
            ops,
            [
                (objs[h.ref.value].PowerOffVM_Task, f"{context}: power off {h.path!r}")
                for h in batch
                if h.power_state not in (None, OFF)
            ],
            f"{context}: power off VMs",
            deadline,
        )
        _run_together(
            ops,
            [(objs[h.ref.value].Destroy_Task, f"{context}: destroy {h.path!r}") for h in batch],
            f"{context}: destroy VMs",
            deadline,
        )
        ops.logger.info("%s: destroyed %d of %d VMs", context, first + len(batch), len(vms))


def _run_together(
    ops: Ops, work: list[tuple[Callable[[], Any], str]], context: str, deadline: float | None
) -> None:
    """Start these tasks and wait for all of them; TaskError for the first that failed."""
    started = []
    for start, description in work:
        with describing(description):
            started.append((start(), description))
    if not started:
        return
    with describing(context):
        infos = ops.tasks.wait(started, timeout=remaining(deadline))
    for info, (task, description) in zip(infos, started, strict=True):
        if info.state == "error":
            raise task_error(info.error, description, task)
