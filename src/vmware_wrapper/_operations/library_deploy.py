"""Deploying content library items: as themselves (``vs.library.deploy``) and as the source of
a clone (``vs.clone_vm("golden/ubuntu", "web-07")``).

    deploy_from_library(ops, item="golden/app", name="web-07", cluster="C1", networks={...}, ...)
    library_item_source(ops, "golden/app") -> (library, item) | None   # None: not an item
    clone_library_item(ops, source=(library, item), name="web-07", cpus=4, power_on=True, ...)

A deploy is the OVF deploy of a library item (vcenter/ovf/library-item, "filter" to read the
package's networks, then "deploy"), placed and with its networks mapped as deploy_ovf's. The
server's deploy is one operation: should it fail, vCenter removes what it made.

A clone's source names a library item when it has the item's form ("library/item", no
leading "/") and such an item exists. It can also name a VM (one named "golden/app", or "app"
in a datacenter "golden"): a source that names both is refused (AmbiguousNameError), never
guessed. What a clone asks for beyond the deploy (CPUs, memory, a customization, a template)
is done to the deployed VM before it first starts; should any of it fail, the VM is removed.
"""

from __future__ import annotations

from typing import Any

from .._base.customization import LinuxCustomization, WindowsCustomization
from .._base.ovf_descriptor import check_networks
from .._base.vmomi import vim
from .._transport.faults import describing, translate_rest
from ..errors import AmbiguousNameError, InvalidInputError, NotFoundError, VSphereError
from .checks import (
    check_clone_options,
    check_mapping,
    check_name,
    check_one_pool_given,
    deadline_of,
    map_networks,
    place_new_vm,
    remaining,
)
from .context import Ops
from .guest_customization import wait_for_customization_outcome
from .library_items import OVF_ITEM, find_item

# Where a clone from a library item says how to map a package's networks: clone_vm has no
# network mapping of its own.
_MAP_IN_DEPLOY = "through vs.library.deploy(..., networks={...})"


def deploy_from_library(
    ops: Ops,
    *,
    item: Any,
    name: str,
    folder: Any,
    host: Any,
    cluster: Any,
    resource_pool: Any,
    datastore: Any,
    networks: dict[str, Any] | None,
    power_on: bool,
) -> Any:
    check_name(name, "VM name")
    context = f"deploy library item {item!r} as {name!r}"
    networks = check_mapping("networks", networks)
    check_one_pool_given(cluster, resource_pool)
    library, found = find_item(ops, item, context)
    vm = _deploy(
        ops,
        library=library,
        item=found,
        name=name,
        folder=folder,
        host=host,
        cluster=cluster,
        resource_pool=resource_pool,
        datastore=datastore,
        networks=networks,
        context=context,
    )
    if power_on:
        ops.run(vm.PowerOnVM_Task, f"power on {name!r}", True, None)
    return vm


def _deploy(
    ops: Ops,
    *,
    library: dict[str, Any],
    item: dict[str, Any],
    name: str,
    folder: Any,
    host: Any,
    cluster: Any,
    resource_pool: Any,
    datastore: Any,
    networks: dict[str, Any],
    context: str,
    how_to_map: str = "with networks={...}",
) -> Any:
    """Deploy an OVF item as a new VM, placed as ``place_new_vm`` places it; the VM."""
    label = f"item {library['name'] + '/' + item['name']!r}"
    if item.get("type") != "ovf":
        raise InvalidInputError(
            f"{context}: {label} is of type {item.get('type')!r}; only OVF items deploy here"
        )
    with describing(context):
        place = place_new_vm(
            ops,
            name=name,
            folder=folder,
            host=host,
            cluster=cluster,
            resource_pool=resource_pool,
            datastore=datastore,
            description=context,
        )
    target: dict[str, str] = {
        "resource_pool_id": place.pool._moId,
        "folder_id": place.folder._moId,
    }
    if place.host is not None:
        target["host_id"] = place.host._moId
    # The package's networks, as the server reads them (vcenter.ovf.LibraryItem.filter).
    summary = ops.vapi.call(
        "POST", f"{OVF_ITEM}/id:{item['id']}?~action=filter", {"target": target},
        context=context, subject=label,
    ) or {}  # fmt: skip
    ovf_networks = tuple(summary.get("networks") or ())
    check_networks(ovf_networks, networks, context)
    mapping = map_networks(ops, ovf_networks, networks, place.pool, context, how_to_map)
    spec = {
        "target": target,
        "deployment_spec": {
            "name": name,
            "accept_all_EULA": True,
            "default_datastore_id": place.target_datastore._moId,
            "network_mappings": [{"key": k, "value": v._moId} for k, v in mapping],
        },
    }
    result = ops.vapi.call(
        "POST", f"{OVF_ITEM}/id:{item['id']}?~action=deploy", spec,
        context=context, subject=label,
    ) or {}  # fmt: skip
    resource = result.get("resource_id") or {}
    if not result.get("succeeded") or not resource.get("id"):
        raise _deploy_error(result, context, label)
    moid = str(resource["id"])
    try:  # the caller reads its own write at once; should this fail, the watch catches up
        ops.index.refresh(moid, "VirtualMachine")
    except VSphereError as e:
        ops.logger.debug("%s: reading the new VM into the index: %s", context, e)
    vm = vim.VirtualMachine(moid, ops.session.stub)
    ops.logger.info("%s: done", context)
    return vm


def _deploy_error(result: dict[str, Any], context: str, label: str) -> VSphereError:
    """The error of a deploy the server reports as failed (its result's "error"), translated
    as any vAPI error is, by its class."""
    errors = ((result.get("error") or {}).get("errors")) or []
    for entry in errors:
        error = entry.get("error") or {}
        payload = {"type": error.get("@class", ""), "value": {"messages": error.get("messages")}}
        message = entry.get("message")
        if message and not error.get("messages"):
            payload["value"] = {"messages": [message]}
        return translate_rest(500, payload, context, subject=label)
    return VSphereError(f"{context}: the server reports the deploy failed")


# -- a library item as a clone's source ----------------------------------------------------------


def library_item_source(ops: Ops, source: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(library, item) when a clone's ``source`` names a library item and no VM; None when it
    cannot be an item or no such item exists (it is then a VM's name or path)."""
    if not isinstance(source, str) or source.lstrip().startswith("/") or "/" not in source:
        return None
    context = f"clone {source!r}"
    try:
        found = find_item(ops, source, context)
    except NotFoundError:
        return None
    try:
        vm_entry, _ = ops.vm(source)
    except NotFoundError:
        return found
    library, item = found
    vm_path = ops.resolver.path(vm_entry)
    raise AmbiguousNameError(
        f"{context}: it names both the VM {vm_path!r} and library item "
        f"'{library['name']}/{item['name']}'; give the VM's path from the root "
        f"({vm_path!r}) or the item as 'library/id' ('{library['name']}/{item['id']}')",
        candidates=[vm_path, f"{library['name']}/{item['id']}"],
    )


def clone_library_item(
    ops: Ops,
    *,
    source: tuple[dict[str, Any], dict[str, Any]],
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
    """A new VM from a library item, made as ``clone_vm`` makes one from a VM. The deploy is
    the server's own operation, not a task: it is over before this returns, ``wait=False``
    or not (the handle is then a finished one)."""
    wait_for = check_clone_options(
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
    library, item = source
    label = f"library item '{library['name']}/{item['name']}'"
    context = f"clone {label} as {name!r}"
    if linked:
        raise InvalidInputError(
            f"{context}: a library item is deployed, not cloned; a linked clone (linked=True) "
            "shares the disks of a VM's snapshot"
        )
    deadline = deadline_of(timeout)
    vm = _deploy(
        ops,
        library=library,
        item=item,
        name=name,
        folder=folder,
        host=host,
        cluster=cluster,
        resource_pool=resource_pool,
        datastore=datastore,
        networks={},
        context=context,
        how_to_map=_MAP_IN_DEPLOY,
    )
    try:
        _finish_as_clone(ops, vm, name, cpus, memory_mb, customization, template, deadline)
    except BaseException:
        _remove(ops, vm, name, context)
        raise
    if power_on:
        ops.run(vm.PowerOnVM_Task, f"power on {name!r}", True, remaining(deadline))
    if wait_for:
        wait_for_customization_outcome(ops, vm, repr(name), deadline)
    return ops.done(f"{context}: done", wait, vm)


def _finish_as_clone(
    ops: Ops,
    vm: Any,
    name: str,
    cpus: int | None,
    memory_mb: int | None,
    customization: LinuxCustomization | WindowsCustomization | None,
    template: bool,
    deadline: float | None,
) -> None:
    """What a clone's spec would have done: the sizes, the customization (applied as the
    guest first starts), a template."""
    if cpus is not None or memory_mb is not None:
        spec = vim.vm.ConfigSpec(numCPUs=cpus, memoryMB=memory_mb)
        ops.run(
            lambda: vm.ReconfigVM_Task(spec), f"reconfigure {name!r}", True, remaining(deadline)
        )
    if customization is not None:
        devices = ops.read(vm, ["config.hardware.device"], f"customize {name!r}")
        nics = sum(
            isinstance(d, vim.vm.device.VirtualEthernetCard)
            for d in devices["config.hardware.device"] or []
        )
        if len(customization.nics) > nics:
            raise InvalidInputError(
                f"customize {name!r}: settings for {len(customization.nics)} NICs "
                f"(nics=...), the VM has {nics}"
            )
        custom = customization.to_spec(nics)
        ops.run(
            lambda: vm.CustomizeVM_Task(custom), f"customize {name!r}", True, remaining(deadline)
        )
    if template:
        with describing(f"mark {name!r} as a template"):
            vm.MarkAsTemplate()


def _remove(ops: Ops, vm: Any, name: str, context: str) -> None:
    """Remove the VM a clone from a library item made, when finishing it failed. Best effort:
    the error that got us here is the one to raise."""
    try:
        ops.run(vm.Destroy_Task, f"remove the half-made {name!r}", True, None)
    except Exception as e:
        ops.logger.warning("%s: removing the half-made VM: %s", context, e)
