"""Cloning and destroying VMs; a clone's guest customization and its outcome.

    clone_vm(ops, source="tmpl-ubuntu", name="web-07", folder="/DC1/vm/web", cluster="C1", ...)
    destroy_vm(ops, vm="web-07", allow_template=False, wait=True, timeout=None)

Everything that can be checked before anything is sent is: the new name (1 to 80 characters,
free in the target folder), the sizes, the customization against the source's NICs, a linked
clone's snapshot, the target host (connected, not in maintenance mode), and room on the
target datastore for what the source uses. The customization's outcome is awaited here,
with the clone that asks for it: vSphere reports it as an event after the clone's task.
"""

from __future__ import annotations

from typing import Any

from .._base.customization import LinuxCustomization, WindowsCustomization
from .._base.names import escape_name
from .._base.vmomi import vim
from ..errors import InvalidInputError
from .checks import (
    OFF,
    ON,
    Source,
    check_clone_options,
    check_room,
    datacenter_of,
    deadline_of,
    find_snapshot,
    place_new_vm,
    remaining,
    snapshot_paths,
)
from .context import Ops, vm_operation
from .guest_customization import wait_for_customization_outcome


def clone_vm(
    ops: Ops,
    *,
    source: Any,
    name: str,
    folder: Any,
    host: Any,
    cluster: Any,
    resource_pool: Any,
    datastore: Any,
    power_on: bool,
    template: bool,
    cpus: int | None,
    memory_mb: int | None,
    customization: LinuxCustomization | WindowsCustomization | None,
    linked: bool,
    snapshot: str | None,
    wait_for_customization: bool,
    wait: bool,
    timeout: float | None,
) -> Any:
    wait_for_customization = check_clone_options(
        name=name,
        cluster=cluster,
        resource_pool=resource_pool,
        power_on=power_on,
        template=template,
        cpus=cpus,
        memory_mb=memory_mb,
        customization=customization,
        linked=linked,
        snapshot=snapshot,
        wait_for_customization=wait_for_customization,
        timeout=timeout,
    )

    src_entry, src = ops.vm(source)
    description = f"clone {ops.name(src_entry)} to {name!r}"
    src_values = ops.read(
        src,
        [
            "resourcePool",
            "runtime.host",
            "datastore",
            "summary.storage.committed",
            "config.hardware.device",
            "snapshot",
        ],
        description,
    )
    # The clone has the source's NICs: a customization sets no more than those.
    nics = sum(
        isinstance(d, vim.vm.device.VirtualEthernetCard)
        for d in src_values["config.hardware.device"] or []
    )
    if customization is not None and len(customization.nics) > nics:
        raise InvalidInputError(
            f"{description}: customization: settings for {len(customization.nics)} NICs "
            f"(nics=...), the clone has {nics}"
        )
    # A linked clone shares the snapshot's disks: known before anything is placed.
    linked_to = (
        _snapshot_to_link(src_values["snapshot"], snapshot, ops.name(src_entry), description)
        if linked
        else None
    )

    def source_pool() -> Any:
        if src_values["resourcePool"] is not None:
            return src_values["resourcePool"]
        # A template has no pool: its host's compute resource's root pool.
        compute = ops.read(src_values["runtime.host"], ["parent"], description)["parent"]
        return ops.read(compute, ["resourcePool"], description)["resourcePool"]

    parent = ops.index.inventory.get(src_entry.parent or "")
    place = place_new_vm(
        ops,
        name=name,
        folder=folder,
        host=host,
        cluster=cluster,
        resource_pool=resource_pool,
        datastore=datastore,
        description=description,
        source=Source(
            folder=parent if parent is not None and parent.type == "Folder" else None,
            datacenter=datacenter_of(ops, src_entry),
            host=src_values["runtime.host"],
            datastore=(src_values["datastore"] or [None])[0],
            pool=source_pool,
        ),
    )
    if place.target_datastore is not None:
        # A linked clone's child disks start empty.
        needed = 0 if linked else src_values["summary.storage.committed"] or 0
        check_room(ops, place.target_datastore, needed, description)

    spec = vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=place.pool, host=place.host, datastore=place.datastore),
        powerOn=power_on,
        template=template,
    )
    if linked_to is not None:
        spec.snapshot = linked_to
        spec.location.diskMoveType = "createNewChildDiskBacking"
    if cpus is not None or memory_mb is not None:
        spec.config = vim.vm.ConfigSpec(numCPUs=cpus, memoryMB=memory_mb)
    if customization is not None:
        spec.customization = customization.to_spec(nics)

    def finish(clone: Any, deadline: float | None) -> Any:
        if (
            power_on
            and ops.read(clone, ["runtime.powerState"], description)["runtime.powerState"] != ON
        ):
            ops.run(clone.PowerOnVM_Task, f"power on {name!r}", True, remaining(deadline))
        if wait_for_customization:
            wait_for_customization_outcome(ops, clone, repr(name), deadline)
        return clone

    return ops.run(
        lambda: src.CloneVM_Task(place.folder, escape_name(name), spec),
        description,
        wait,
        timeout,
        on_done=finish,
    )


def _snapshot_to_link(info: Any, snapshot: str | None, name: str, description: str) -> Any:
    """The snapshot a linked clone shares the disks of: the one ``snapshot`` names (a name,
    a path "a/b" down the tree, or an id), else the source's current one."""
    trees = snapshot_paths(info)
    if not trees:
        raise InvalidInputError(
            f"{description}: {name} has no snapshot; a linked clone shares a snapshot's disks"
        )
    if snapshot is None:
        if info.currentSnapshot is None:
            raise InvalidInputError(f"{description}: {name} has no current snapshot; name one")
        return info.currentSnapshot
    _, tree = find_snapshot(trees, snapshot, name, description, missing=InvalidInputError)
    return tree.snapshot


@vm_operation(reads_state=True)
def destroy_vm(
    ops: Ops, *, vm: Any, allow_template: bool, wait: bool, timeout: float | None
) -> Any:
    """Power off (hard) if needed, then destroy. Templates only with allow_template=True."""
    entry, obj = ops.vm(vm, confirm=True)
    name = ops.name(entry)
    description = f"destroy {name}"
    deadline = deadline_of(timeout)
    values = ops.read(obj, ["runtime.powerState", "config.template"], description)
    if values["config.template"] and not allow_template:
        raise InvalidInputError(
            f"{description}: it is a template; pass allow_template=True to destroy it"
        )
    if values["runtime.powerState"] not in (None, OFF):
        ops.run(obj.PowerOffVM_Task, f"power off {name}", True, remaining(deadline))
    return ops.run(obj.Destroy_Task, description, wait, remaining(deadline))
