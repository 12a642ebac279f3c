"""Where things are and what they are called: moves, renames, templates, relocation.

move(ops, ["web-07", "web-08"], "/DC1/vm/web/prod")
mark_as_vm(ops, vm="tmpl-ubuntu", resource_pool=None, host=None, wait=True, timeout=None)

Folders themselves are made and removed in ``folders.py``.
"""

from __future__ import annotations

from typing import Any

from .._base.names import escape_name
from .._base.vmomi import vim
from .._inventory.tree import KINDS
from .._transport.faults import describing
from .._transport.retrieve import Ref
from ..errors import InvalidInputError, InvalidStateError
from .checks import (
    OFF,
    check_host,
    check_name,
    check_room,
    check_same_datacenter,
    datacenter_of,
    vsphere_folder,
)
from .context import Ops, vm_operation


def move(ops: Ops, *, objs: Any, folder: Any, wait: bool, timeout: float | None) -> Any:
    """Move one object or a list of them into a folder (one task)."""
    items = list(objs) if isinstance(objs, (list, tuple)) else [objs]
    if not items:
        raise InvalidInputError("nothing to move")
    folder_entry, folder_obj = ops.resolve(KINDS["folder"], folder, confirm=True)
    entries = [ops.resolve(KINDS["entity"], item, confirm=True) for item in items]
    names = ", ".join(ops.name(e) for e, _ in entries)
    description = f"move {names} to {ops.resolver.path(folder_entry)}"
    for entry, _ in entries:
        reason = vsphere_folder(ops, entry)
        if reason is not None:
            raise InvalidInputError(
                f"{description}: {ops.resolver.path(entry)}: {reason}, which vSphere "
                "keeps where it is"
            )
    # A VM changes datacenter only by relocation; vSphere refuses such a move with a fault
    # that names neither the VM nor the datacenters.
    vms = [e for e, _ in entries if e.type in ("VirtualMachine", "VirtualApp")]
    check_same_datacenter(ops, datacenter_of(ops, folder_entry), vms, description)

    def refresh(result: Any, deadline: float | None) -> Any:
        # A move's task names only the target folder: bring the moved objects up to date.
        ops.index.refresh_many([Ref(e.type, e.moid) for e, _ in entries])
        return result

    return ops.run(
        lambda: folder_obj.MoveIntoFolder_Task([obj for _, obj in entries]),
        description,
        wait,
        timeout,
        on_done=refresh,
    )


def rename(ops: Ops, *, obj: Any, new_name: str, wait: bool, timeout: float | None) -> Any:
    check_name(new_name, "new name")
    entry, target = ops.resolve(KINDS["entity"], obj, confirm=True)
    description = f"rename {ops.name(entry)} to {new_name!r}"
    if entry.display_name == new_name:
        return ops.done(f"{description}: already so named", wait)
    parent = ops.index.inventory.get(entry.tree_parent or "")
    if parent is not None and parent.type == "Folder":
        sibling = ops.content.searchIndex.FindChild(ops.resolver.obj(parent), escape_name(new_name))
        if sibling is not None:
            raise InvalidInputError(f"{description}: {ops.resolver.path(parent)} already has one")
    return ops.run(lambda: target.Rename_Task(escape_name(new_name)), description, wait, timeout)


@vm_operation()
def mark_as_template(ops: Ops, *, vm: Any, wait: bool, timeout: float | None) -> Any:
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    description = f"mark {name} as a template"
    values = ops.read(obj, ["runtime.powerState", "config.template"], description)
    if values["config.template"]:
        return ops.done(f"{description}: it is one", wait)
    if values["runtime.powerState"] != OFF:
        raise InvalidStateError(
            f"{description}: it is {values['runtime.powerState']}; power it off"
        )
    with describing(description):
        obj.MarkAsTemplate()
    ops.index.refresh(entry.moid, entry.type)
    return ops.done(description, wait)


@vm_operation()
def mark_as_vm(
    ops: Ops, *, vm: Any, resource_pool: Any, host: Any, wait: bool, timeout: float | None
) -> Any:
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    description = f"mark template {name} as a VM"
    values = ops.read(obj, ["config.template", "runtime.host"], description)
    if not values["config.template"]:
        return ops.done(f"{name} is a VM already", wait)
    host_entry, host_obj = ops.resolve(KINDS["host"], host) if host is not None else (None, None)
    pool_entry = None
    if resource_pool is not None:
        pool_entry, pool = ops.resolve(KINDS["resource_pool"], resource_pool)
    else:  # the root pool of the template's (or the given) host's compute resource
        compute = ops.read(host_obj or values["runtime.host"], ["parent"], description)["parent"]
        pool = ops.read(compute, ["resourcePool"], description)["resourcePool"]
    given = [e for e in (host_entry, pool_entry) if e is not None]
    check_same_datacenter(ops, datacenter_of(ops, entry), given, description)
    if host_obj is not None:
        check_host(ops, host_obj, description)
    with describing(description):
        obj.MarkAsVirtualMachine(pool, host_obj)
    ops.index.refresh(entry.moid, entry.type)
    return ops.done(description, wait)


@vm_operation()
def relocate_vm(
    ops: Ops,
    *,
    vm: Any,
    host: Any,
    datastore: Any,
    resource_pool: Any,
    wait: bool,
    timeout: float | None,
) -> Any:
    if host is None and datastore is None and resource_pool is None:
        raise InvalidInputError("relocate to what: give a host, a datastore or a resource_pool")
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    description = f"relocate {name}"
    spec = vim.vm.RelocateSpec()
    targets = []
    host_entry = ds_entry = pool_entry = None
    if host is not None:
        host_entry, spec.host = ops.resolve(KINDS["host"], host)
        check_host(ops, spec.host, description)
        targets.append(f"host {host_entry.display_name!r}")
    if datastore is not None:
        ds_entry, spec.datastore = ops.resolve(KINDS["datastore"], datastore)
        committed = ops.read(obj, ["summary.storage.committed"], description)
        check_room(ops, spec.datastore, committed["summary.storage.committed"] or 0, description)
        targets.append(f"datastore {ds_entry.display_name!r}")
    if resource_pool is not None:
        pool_entry, spec.pool = ops.resolve(KINDS["resource_pool"], resource_pool)
        targets.append(f"pool {ops.resolver.path(pool_entry)}")
    description += " to " + ", ".join(targets)
    # Relocation here stays in the VM's datacenter (it takes no target folder).
    given = [e for e in (host_entry, ds_entry, pool_entry) if e is not None]
    check_same_datacenter(ops, datacenter_of(ops, entry), given, description)
    return ops.run(lambda: obj.RelocateVM_Task(spec), description, wait, timeout)
