"""Making and unmaking VMs: clone (from a VM or a template) and destroy.

    clone_vm(ops, "tmpl-ubuntu", "web-07", folder="/DC1/vm/web", cluster="C1", cpus=4, ...)

Everything that can be checked before anything is sent is: the new name (1 to 80 characters,
free in the target folder), the sizes, the target host (connected, not in maintenance mode),
and room on the target datastore for what the source uses.
"""

from __future__ import annotations

from typing import Any

from .._base.customization import LinuxCustomization, WindowsCustomization
from .._base.names import escape_name
from .._base.vmomi import vim
from .._inventory.tree import KINDS, Entry
from ..errors import InvalidInputError, InvalidStateError
from .checks import (
    OFF,
    ON,
    check_host,
    check_memory,
    check_name,
    check_room,
    check_same_datacenter,
    check_timeout,
    datacenter_label,
    datacenter_of,
    deadline_of,
    positive_int,
    remaining,
    same_datacenter,
)
from .context import Ops, vm_operation


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
    wait: bool,
    timeout: float | None,
) -> Any:
    check_name(name, "clone name")
    check_timeout(timeout)
    if cpus is not None:
        positive_int("cpus", cpus)
    if memory_mb is not None:
        check_memory(memory_mb)
    if template and power_on:
        raise InvalidInputError("a template cannot be powered on: template=True or power_on=True")
    if customization is not None and not isinstance(
        customization, (LinuxCustomization, WindowsCustomization)
    ):
        raise InvalidInputError(
            f"customization={customization!r}: a LinuxCustomization or WindowsCustomization"
        )
    if sum(x is not None for x in (cluster, resource_pool)) > 1:
        raise InvalidInputError("give a cluster or a resource_pool, not both")

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
        ],
        description,
    )
    source_dc = datacenter_of(ops, src_entry)

    # Where: the given folder, else the source's own, else the datacenter's VM folder.
    if folder is not None:
        folder_entry, folder_obj = ops.resolve(KINDS["folder"], folder)
    else:
        parent = ops.index.inventory.get(src_entry.parent or "")
        if parent is not None and parent.type == "Folder":
            folder_entry, folder_obj = parent, ops.resolver.obj(parent)
        else:
            if source_dc is None:
                raise InvalidStateError(f"{description}: the source is in no datacenter")
            dc_obj = ops.resolver.obj(source_dc)
            folder_obj = ops.read(dc_obj, ["vmFolder"], description)["vmFolder"]
            folder_entry = ops.resolver.entry(KINDS["folder"], folder_obj)
    if "VirtualMachine" not in (
        ops.read(folder_obj, ["childType"], description)["childType"] or []
    ):
        raise InvalidInputError(f"{description}: {ops.resolver.path(folder_entry)} holds no VMs")
    if ops.content.searchIndex.FindChild(folder_obj, escape_name(name)) is not None:
        raise InvalidInputError(
            f"{description}: {ops.resolver.path(folder_entry)} already has a {name!r}"
        )

    # On what: the given pool, the cluster's or host's root pool, else the source's.
    host_entry, host_obj = ops.resolve(KINDS["host"], host) if host is not None else (None, None)
    placement_entry: Entry | None = None
    if resource_pool is not None:
        placement_entry, pool = ops.resolve(KINDS["resource_pool"], resource_pool)
    elif cluster is not None:
        placement_entry, cluster_obj = ops.resolve(KINDS["cluster"], cluster)
        pool = ops.read(cluster_obj, ["resourcePool"], description)["resourcePool"]
    elif host_obj is not None:
        compute = ops.read(host_obj, ["parent"], description)["parent"]
        pool = ops.read(compute, ["resourcePool"], description)["resourcePool"]
    elif src_values["resourcePool"] is not None:
        pool = src_values["resourcePool"]
    else:  # a template has no pool: its host's compute resource's root pool
        compute = ops.read(src_values["runtime.host"], ["parent"], description)["parent"]
        pool = ops.read(compute, ["resourcePool"], description)["resourcePool"]
    ds_entry, ds_obj = (
        ops.resolve(KINDS["datastore"], datastore) if datastore is not None else (None, None)
    )

    # Everything in the target folder's datacenter. Into another datacenter than the
    # source's, nothing of the source's placement can be kept: all of it must be given.
    target_dc = datacenter_of(ops, folder_entry)
    given = [e for e in (host_entry, placement_entry, ds_entry) if e is not None]
    check_same_datacenter(ops, target_dc, given, description)
    if not same_datacenter(target_dc, source_dc) and (
        ds_entry is None or (host is None and cluster is None and resource_pool is None)
    ):
        raise InvalidInputError(
            f"{description}: {ops.resolver.path(folder_entry)} is in "
            f"{datacenter_label(target_dc)}, the source in {datacenter_label(source_dc)}; "
            "a clone into another datacenter needs a host, cluster or resource_pool and a "
            "datastore there"
        )

    placement_host = host_obj or (
        src_values["runtime.host"] if cluster is None and resource_pool is None else None
    )
    if placement_host is not None:
        check_host(ops, placement_host, description)
    target_ds = ds_obj or (src_values["datastore"] or [None])[0]
    if target_ds is not None:
        check_room(ops, target_ds, src_values["summary.storage.committed"] or 0, description)

    spec = vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(pool=pool, host=host_obj, datastore=ds_obj),
        powerOn=power_on,
        template=template,
    )
    if cpus is not None or memory_mb is not None:
        spec.config = vim.vm.ConfigSpec(numCPUs=cpus, memoryMB=memory_mb)
    if customization is not None:
        nics = sum(
            isinstance(d, vim.vm.device.VirtualEthernetCard)
            for d in src_values["config.hardware.device"] or []
        )
        spec.customization = customization.to_spec(max(nics, 1))

    def finish(clone: Any, deadline: float | None) -> Any:
        if (
            power_on
            and ops.read(clone, ["runtime.powerState"], description)["runtime.powerState"] != ON
        ):
            ops.run(clone.PowerOnVM_Task, f"power on {name!r}", True, remaining(deadline))
        return clone

    return ops.run(
        lambda: src.CloneVM_Task(folder_obj, escape_name(name), spec),
        description,
        wait,
        timeout,
        on_done=finish,
    )


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
