"""OVF in and out: deploy an .ova or .ovf as a new VM, export a VM as one.

    deploy_ovf(ops, source="appliance.ova", name="web-07", cluster="C1", networks={...}, ...)
    export_ovf(ops, vm="web-07", directory="out", ova=True, on_progress=None)

Both move their disks through an HttpNfcLease (vSphere API reference, HttpNfcLease): once the
lease is ready, each disk goes to (or comes from) its device URL over HTTP, streamed, while
HttpNfcLeaseProgress keeps the lease alive; HttpNfcLeaseComplete ends it. Whatever fails
(the server, the network, the caller's Ctrl-C) aborts the lease, and a deploy also removes
the VM it had begun: nothing half made is left behind.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .._base.names import escape_name
from .._base.ovf_descriptor import needed_bytes, parse_descriptor
from .._base.vmomi import vim
from .._inventory.tree import KINDS, Entry
from .._transport.faults import describing, translate
from .._transport.ovf_files import LeaseProgress, download, open_source, upload, write_ova
from ..errors import InvalidInputError, InvalidStateError, NotFoundError, VSphereError
from .checks import (
    OFF,
    check_host,
    check_name,
    check_room,
    check_same_datacenter,
    check_text,
    datacenter_of,
)
from .context import Ops

LEASE_READY_SECONDS = 600.0  # how long a lease may take to become ready
CLEANUP_SECONDS = 120.0
PROVISIONING = {"thin": "thin", "thick": "thick", "eagerZeroedThick": "eagerZeroedThick"}

Progress = Callable[[int], None] | None


def deploy_ovf(
    ops: Ops,
    *,
    source: Any,
    name: str,
    folder: Any,
    host: Any,
    cluster: Any,
    resource_pool: Any,
    datastore: Any,
    networks: dict[str, Any] | None,
    properties: dict[str, Any] | None,
    disk_provisioning: str,
    power_on: bool,
    on_progress: Progress,
) -> Any:
    check_name(name, "VM name")
    description = f"deploy {str(source)!r} as {name!r}"
    if disk_provisioning not in PROVISIONING:
        raise InvalidInputError(
            f"disk_provisioning={disk_provisioning!r}: one of {', '.join(PROVISIONING)}"
        )
    networks = _mapping("networks", networks)
    properties = {k: _property_value(k, v) for k, v in _mapping("properties", properties).items()}
    if sum(x is not None for x in (cluster, resource_pool)) > 1:
        raise InvalidInputError("give a cluster or a resource_pool, not both")

    package = open_source(source, ops.session.http)
    text = package.descriptor()
    descriptor = parse_descriptor(text)
    unknown = sorted(set(networks) - set(descriptor.networks))
    if unknown:
        raise InvalidInputError(
            f"{description}: no OVF network {', '.join(map(repr, unknown))} in the package; "
            f"its networks: {', '.join(map(repr, descriptor.networks)) or 'none'}"
        )
    unknown = sorted(set(properties) - set(descriptor.property_keys))
    if unknown:
        raise InvalidInputError(
            f"{description}: no OVF property {', '.join(map(repr, unknown))} in the package; "
            f"its properties: {', '.join(map(repr, descriptor.property_keys)) or 'none'}"
        )
    missing = package.missing([f.href for f in descriptor.files])
    if missing:
        raise InvalidInputError(f"{description}: the package lacks {', '.join(missing)}")

    place = _placement(ops, folder, host, cluster, resource_pool, datastore, description)
    network_mapping = _network_mapping(ops, descriptor.networks, networks, place, description)
    check_room(
        ops,
        place.datastore,
        needed_bytes(descriptor, thin=disk_provisioning == "thin"),
        description,
    )
    if ops.content.searchIndex.FindChild(place.folder, escape_name(name)) is not None:
        raise InvalidInputError(f"{description}: {place.folder_path} already has a {name!r}")

    manager = vim.OvfManager
    params = manager.CreateImportSpecParams(
        entityName=escape_name(name),
        diskProvisioning=PROVISIONING[disk_provisioning],
        hostSystem=place.host,
        networkMapping=[manager.NetworkMapping(name=k, network=v) for k, v in network_mapping],
        propertyMapping=[vim.KeyValue(key=k, value=v) for k, v in properties.items()],
    )
    with describing(description):
        result = ops.content.ovfManager.CreateImportSpec(text, place.pool, place.datastore, params)
    for warning in result.warning or []:
        ops.logger.warning("%s: %s", description, _message(warning))
    if result.error:
        raise InvalidInputError(
            f"{description}: the server refuses the package: "
            + "; ".join(_message(e) for e in result.error)
        )

    with describing(description):
        lease = place.pool.ImportVApp(result.importSpec, place.folder, place.host)
    vm = None
    try:
        info = _ready(ops, lease, description)
        vm = info.entity
        items = {i.deviceId: i for i in result.fileItem or []}
        urls = {u.importKey: u for u in info.deviceUrl or []}
        uploads = {}
        for key, item in items.items():
            if key not in urls:
                raise VSphereError(f"{description}: the lease has no URL for {item.path}")
            uploads[item.path] = (urls[key], item)
        total = sum(int(i.size or 0) for i in items.values())
        with LeaseProgress(lease, total, on_progress, description) as report:
            for href, size, stream in package.open(list(uploads)):
                url, item = uploads[href]
                upload(
                    ops.session.http,
                    url.url,
                    _cookie(ops),
                    stream,
                    size,
                    disk=not item.create and bool(url.disk),
                    sent=report.add,
                    what=f"{description}: {href}",
                )
                report.tell_server()
        with describing(description):
            lease.HttpNfcLeaseComplete()
    except BaseException:
        _abandon_import(ops, lease, vm, place.folder, name, description)
        raise
    try:  # the caller reads its own write at once; should this fail, the watch catches up
        ops.index.refresh(vm._moId, "VirtualMachine")
    except VSphereError as e:
        ops.logger.debug("%s: reading the new VM into the index: %s", description, e)
    ops.logger.info("%s: done", description)
    if power_on:
        ops.run(vm.PowerOnVM_Task, f"power on {name!r}", True, None)
    return vm


def export_ovf(ops: Ops, *, vm: Any, directory: Any, ova: bool, on_progress: Progress) -> str:
    entry, obj = ops.vm(vm)
    name = entry.display_name
    description = f"export {ops.name(entry)}"
    state = ops.read(obj, ["runtime.powerState"], description)["runtime.powerState"]
    if state not in (None, OFF):
        raise InvalidStateError(f"{description}: the VM is {state}; power it off first")
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"{description}: {str(directory)!r} is not a directory")
    base = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".") or "vm"
    target = out / f"{base}.{'ova' if ova else 'ovf'}"
    if target.exists():
        raise InvalidInputError(f"{description}: {str(target)!r} already exists")
    out.mkdir(parents=True, exist_ok=True)

    with describing(description):
        lease = obj.ExportVm()
    written: list[Path] = []
    try:
        info = _ready(ops, lease, description)
        disks = [u for u in info.deviceUrl or [] if u.disk]
        total = int(info.totalDiskCapacityInKB or 0) * 1024
        files = []
        with LeaseProgress(lease, total, on_progress, description) as report:
            for n, url in enumerate(disks):
                member = f"{base}-disk{n}.vmdk"
                path = out / (f".{member}.part" if ova else member)
                written.append(path)
                with path.open("wb") as sink:
                    size = download(
                        ops.session.http,
                        url.url,
                        _cookie(ops),
                        sink,
                        received=report.add,
                        what=f"{description}: {member}",
                    )
                files.append(vim.OvfManager.OvfFile(deviceId=url.key, path=member, size=size))
                report.tell_server()
        params = vim.OvfManager.CreateDescriptorParams(name=name, ovfFiles=files)
        with describing(description):
            made = ops.content.ovfManager.CreateDescriptor(obj, params)
        if made.error:
            raise VSphereError(f"{description}: " + "; ".join(_message(e) for e in made.error))
        descriptor = made.ovfDescriptor.encode("utf-8")
        written.append(target)
        if ova:
            parts = [(f.path, p) for f, p in zip(files, written[:-1], strict=True)]
            write_ova(target, f"{base}.ovf", descriptor, parts)
            for path in written[:-1]:
                path.unlink()
            written = [target]
        else:
            target.write_bytes(descriptor)
        with describing(description):
            lease.HttpNfcLeaseComplete()
    except BaseException:
        with contextlib.suppress(Exception), describing(description):
            lease.HttpNfcLeaseAbort()
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    ops.logger.info("%s: written to %s", description, target)
    return str(target)


# -- placement and networks ------------------------------------------------------------------


class _Place:
    def __init__(self, **values: Any) -> None:
        self.folder: Any = values["folder"]
        self.folder_path: str = values["folder_path"]
        self.pool: Any = values["pool"]
        self.compute: Any = values["compute"]
        self.host: Any = values["host"]
        self.datastore: Any = values["datastore"]


def _placement(
    ops: Ops,
    folder: Any,
    host: Any,
    cluster: Any,
    resource_pool: Any,
    datastore: Any,
    description: str,
) -> _Place:
    """Where the new VM goes: as clone_vm places one, with no source to take defaults from,
    so a host, cluster or resource pool must be given."""
    host_entry, host_obj = ops.resolve(KINDS["host"], host) if host is not None else (None, None)
    where: Entry | None = host_entry
    if resource_pool is not None:
        where, pool = ops.resolve(KINDS["resource_pool"], resource_pool)
        compute = ops.read(pool, ["owner"], description)["owner"]
    elif cluster is not None:
        where, compute = ops.resolve(KINDS["cluster"], cluster)
        pool = ops.read(compute, ["resourcePool"], description)["resourcePool"]
    elif host_obj is not None:
        compute = ops.read(host_obj, ["parent"], description)["parent"]
        pool = ops.read(compute, ["resourcePool"], description)["resourcePool"]
    else:
        raise InvalidInputError(
            f"{description}: give a host, cluster or resource_pool to run it on"
        )
    assert where is not None
    ds_entry, ds_obj = (
        ops.resolve(KINDS["datastore"], datastore) if datastore is not None else (None, None)
    )
    if folder is not None:
        folder_entry, folder_obj = ops.resolve(KINDS["folder"], folder)
    else:
        dc = datacenter_of(ops, where)
        if dc is None:
            raise InvalidStateError(
                f"{description}: {ops.resolver.path(where)} is in no datacenter"
            )
        folder_obj = ops.read(ops.resolver.obj(dc), ["vmFolder"], description)["vmFolder"]
        folder_entry = ops.resolver.entry(KINDS["folder"], folder_obj)
    if "VirtualMachine" not in (
        ops.read(folder_obj, ["childType"], description)["childType"] or []
    ):
        raise InvalidInputError(f"{description}: {ops.resolver.path(folder_entry)} holds no VMs")
    given = [e for e in (host_entry, where, ds_entry) if e is not None]
    check_same_datacenter(ops, datacenter_of(ops, folder_entry), given, description)
    if host_obj is not None:
        check_host(ops, host_obj, description)
    if ds_obj is None:
        ds_obj = _roomiest(
            ops, ops.read(compute, ["datastore"], description)["datastore"], description
        )
    return _Place(
        folder=folder_obj,
        folder_path=ops.resolver.path(folder_entry),
        pool=pool,
        compute=compute,
        host=host_obj,
        datastore=ds_obj,
    )


def _roomiest(ops: Ops, datastores: list[Any] | None, description: str) -> Any:
    best, free = None, -1
    for ds in datastores or []:
        values = ops.read(ds, ["summary.freeSpace", "summary.accessible"], description)
        if values["summary.accessible"] is not False and (values["summary.freeSpace"] or 0) > free:
            best, free = ds, values["summary.freeSpace"] or 0
    if best is None:
        raise InvalidStateError(f"{description}: no datastore is accessible there; give one")
    return best


def _network_mapping(
    ops: Ops,
    ovf_networks: tuple[str, ...],
    given: dict[str, Any],
    place: _Place,
    description: str,
) -> list[tuple[str, Any]]:
    """(OVF network, vSphere network) for each of the package's networks: as given, else the
    only network there is where the VM is placed."""
    mapping = [(k, ops.resolve(KINDS["network"], v)[1]) for k, v in given.items()]
    unmapped = [n for n in ovf_networks if n not in given]
    if unmapped:
        choices = _usable_networks(ops, place.compute, description)
        if len(choices) != 1:
            names = ", ".join(repr(n) for n in sorted(choices)) or "none"
            raise InvalidInputError(
                f"{description}: map OVF network {', '.join(map(repr, unmapped))} with "
                f"networks={{...}}; the networks there: {names}"
            )
        only = next(iter(choices.values()))
        mapping += [(n, only) for n in unmapped]
    return mapping


def _usable_networks(ops: Ops, compute: Any, description: str) -> dict[str, Any]:
    """The networks a VM on this compute resource can join (not a switch's uplinks)."""
    found = {}
    for network in ops.read(compute, ["network"], description)["network"] or []:
        if (
            isinstance(network, vim.dvs.DistributedVirtualPortgroup)
            and ops.read(network, ["config.uplink"], description)["config.uplink"]
        ):
            continue
        found[ops.resolver.entry(KINDS["network"], network).display_name] = network
    return found


# -- the lease ---------------------------------------------------------------------------------


def _ready(ops: Ops, lease: Any, description: str) -> Any:
    """Wait for the lease to be ready (followed, not polled); its info."""

    def ready(values: dict[str, Any]) -> bool:
        if values["state"] == "error":
            error = values["error"]
            if error is None or error.fault is None:
                raise VSphereError(f"{description}: the lease failed")
            raise translate(error.fault, description)
        return bool(values["state"] == "ready")

    deadline = time.monotonic() + LEASE_READY_SECONDS
    ops.tasks.watch(
        lease, ["state", "error"], ready, deadline, f"{description}: wait for the lease"
    )
    return ops.read(lease, ["info"], description)["info"]


def _abandon_import(
    ops: Ops, lease: Any, vm: Any, folder: Any, name: str, description: str
) -> None:
    """Abort the lease and remove the VM the import began (vCenter removes it on abort; not
    every server does). Best effort: the error that got us here is the one to raise."""
    try:
        with describing(f"{description}: abort"):
            lease.HttpNfcLeaseAbort()
    except Exception as e:
        ops.logger.warning("%s: aborting the lease: %s", description, e)
    try:
        if vm is None:
            with describing(f"{description}: clean up"):
                vm = ops.content.searchIndex.FindChild(folder, escape_name(name))
        if vm is not None:
            ops.run(vm.Destroy_Task, f"remove the half-made {name!r}", True, CLEANUP_SECONDS)
    except NotFoundError:
        pass  # gone with the lease
    except Exception as e:
        ops.logger.warning("%s: removing the half-made VM: %s", description, e)


# -- small parts -------------------------------------------------------------------------------


def _mapping(what: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidInputError(f"{what}={value!r}: a dict with text keys")
    return dict(value)


def _property_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"  # as OVF's boolean properties are written
    if isinstance(value, (int, float)):
        return str(value)
    return check_text(value, f"property {key!r}")


def _cookie(ops: Ops) -> str:
    return str(ops.session.stub.soap_stub.cookie or "")


def _message(fault: Any) -> str:
    return str(getattr(fault, "localizedMessage", None) or getattr(fault.fault, "msg", "") or fault)
