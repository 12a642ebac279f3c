"""Snapshots: take, list as a tree, revert, remove.

    create_snapshot(ops, "web-07", "before-upgrade", memory=True, wait=True, timeout=None)
    [s.path for s in list_snapshots(ops, "web-07")]   # ["base", "base/before-upgrade"]

A snapshot is named by its name when that is unique within the VM, else by its path
("parent/child"); a name that several snapshots share is ambiguous, like a VM name.
"""

from __future__ import annotations

from typing import Any

from .._base.models import SnapshotInfo
from .._base.names import escape_name, unescape_name
from .._base.times import iso_utc
from ..errors import InvalidInputError, InvalidStateError, NotFoundError
from .checks import check_name, check_text, find_snapshot, snapshot_paths
from .context import Ops, vm_operation


def _tree(ops: Ops, obj: Any, context: str) -> tuple[list[tuple[str, Any]], Any]:
    """[(path, VirtualMachineSnapshotTree)] in tree order, and the current snapshot."""
    info = ops.read(obj, ["snapshot"], context)["snapshot"]
    return snapshot_paths(info), info.currentSnapshot if info is not None else None


def _info(path: str, tree: Any, current: Any) -> SnapshotInfo:
    return SnapshotInfo(
        name=unescape_name(tree.name),
        path=path,
        description=tree.description or "",
        created=iso_utc(tree.createTime),
        is_current=current is not None and tree.snapshot._moId == current._moId,
        moid=tree.snapshot._moId,
        power_state=str(tree.state),
        quiesced=bool(tree.quiesced),
    )


def list_snapshots(ops: Ops, *, vm: Any) -> list[SnapshotInfo]:
    entry, obj = ops.vm(vm)
    trees, current = _tree(ops, obj, f"list the snapshots of {ops.name(entry)}")
    return [_info(path, tree, current) for path, tree in trees]


def _find(ops: Ops, obj: Any, name: str, snapshot: Any, context: str) -> tuple[str, Any]:
    """The (path, tree) of the one snapshot ``snapshot`` names."""
    trees, _ = _tree(ops, obj, context)
    return find_snapshot(trees, snapshot, name, context)


@vm_operation(reads_state=True)
def create_snapshot(
    ops: Ops,
    *,
    vm: Any,
    name: str,
    description: str,
    memory: bool,
    quiesce: bool,
    wait: bool,
    timeout: float | None,
) -> Any:
    check_name(name, "snapshot name")
    if not isinstance(description, str):
        raise InvalidInputError(f"description={description!r}: a string")
    check_text(description, "description")
    entry, obj = ops.vm(vm, confirm=True)
    vm_name = ops.name(entry)
    context = f"snapshot {vm_name} as {name!r}"
    if ops.read(obj, ["config.template"], context)["config.template"]:
        # vCenter refuses snapshots of templates; say so before sending anything.
        raise InvalidStateError(f"{context}: it is a template (mark_as_vm first)")

    def info(snapshot: Any, deadline: float | None) -> SnapshotInfo:
        trees, current = _tree(ops, obj, context)
        for path, tree in trees:
            if tree.snapshot._moId == snapshot._moId:
                return _info(path, tree, current)
        raise NotFoundError(f"{context}: the new snapshot is gone")

    return ops.run(
        lambda: obj.CreateSnapshot_Task(
            escape_name(name), description, bool(memory), bool(quiesce)
        ),
        context,
        wait,
        timeout,
        on_done=info,
    )


@vm_operation()
def revert_to_snapshot(
    ops: Ops, *, vm: Any, snapshot: Any, wait: bool, timeout: float | None
) -> Any:
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    if snapshot is None:
        context = f"revert {name} to its current snapshot"
        _, current = _tree(ops, obj, context)
        if current is None:
            raise InvalidStateError(f"{context}: it has no snapshots")
        return ops.run(lambda: obj.RevertToCurrentSnapshot_Task(), context, wait, timeout)
    context = f"revert {name} to snapshot {snapshot!r}"
    _, tree = _find(ops, obj, name, snapshot, context)
    return ops.run(lambda: tree.snapshot.RevertToSnapshot_Task(), context, wait, timeout)


@vm_operation()
def remove_snapshot(
    ops: Ops, *, vm: Any, snapshot: Any, children: bool, wait: bool, timeout: float | None
) -> Any:
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    context = f"remove snapshot {snapshot!r} of {name}" + (" and its children" if children else "")
    _, tree = _find(ops, obj, name, snapshot, context)
    return ops.run(
        lambda: tree.snapshot.RemoveSnapshot_Task(bool(children)), context, wait, timeout
    )


@vm_operation()
def remove_all_snapshots(ops: Ops, *, vm: Any, wait: bool, timeout: float | None) -> Any:
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    context = f"remove all snapshots of {name}"
    trees, _ = _tree(ops, obj, context)
    if not trees:
        return ops.done(f"{context}: it has none", wait)
    return ops.run(obj.RemoveAllSnapshots_Task, context, wait, timeout)
