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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._base.names import escape_name
from .._base.ovf_descriptor import check_networks, needed_bytes, parse_descriptor
from .._base.vmomi import vim
from .._transport.faults import describing, fault_name, translate
from .._transport.ovf_files import LeaseProgress, Manifest, download, open_source, upload, write_ova
from ..errors import InvalidInputError, InvalidStateError, NotFoundError, VSphereError
from .checks import (
    OFF,
    check_mapping,
    check_name,
    check_one_pool_given,
    check_room,
    check_text,
    map_networks,
    place_new_vm,
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
    networks = check_mapping("networks", networks)
    properties = {
        k: _property_value(k, v) for k, v in check_mapping("properties", properties).items()
    }
    check_one_pool_given(cluster, resource_pool)

    package = open_source(source, ops.session.http)
    descriptor_name, text = package.read_descriptor()
    descriptor = parse_descriptor(text)
    manifest = Manifest.of(package, descriptor_name, text)
    check_networks(descriptor.networks, networks, description)
    unknown = sorted(set(properties) - set(descriptor.property_keys))
    if unknown:
        raise InvalidInputError(
            f"{description}: no OVF property {', '.join(map(repr, unknown))} in the package; "
            f"its properties: {', '.join(map(repr, descriptor.property_keys)) or 'none'}"
        )
    missing = package.missing([f.href for f in descriptor.files])
    if missing:
        raise InvalidInputError(f"{description}: the package lacks {', '.join(missing)}")

    place = place_new_vm(
        ops,
        name=name,
        folder=folder,
        host=host,
        cluster=cluster,
        resource_pool=resource_pool,
        datastore=datastore,
        description=description,
    )
    network_mapping = map_networks(ops, descriptor.networks, networks, place.pool, description)
    check_room(
        ops,
        place.target_datastore,
        needed_bytes(descriptor, thin=disk_provisioning == "thin"),
        description,
    )

    manager = vim.OvfManager
    params = manager.CreateImportSpecParams(
        entityName=escape_name(name),
        diskProvisioning=PROVISIONING[disk_provisioning],
        hostSystem=place.host,
        networkMapping=[manager.NetworkMapping(name=k, network=v) for k, v in network_mapping],
        propertyMapping=[vim.KeyValue(key=k, value=v) for k, v in properties.items()],
    )
    with describing(description):
        result = ops.content.ovfManager.CreateImportSpec(
            text, place.pool, place.target_datastore, params
        )
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
                checked = manifest.wrap(href, stream)
                upload(
                    ops.session.http,
                    url.url,
                    _cookie(ops),
                    checked,
                    size,
                    disk=not item.create and bool(url.disk),
                    sent=report.add,
                    what=f"{description}: {href}",
                )
                manifest.check(href, checked)
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


def _property_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"  # as OVF's boolean properties are written
    if isinstance(value, (int, float)):
        return str(value)
    return check_text(value, f"property {key!r}")


def _cookie(ops: Ops) -> str:
    return str(ops.session.stub.soap_stub.cookie or "")


def _message(fault: Any) -> str:
    """vSphere's sentence for a warning or error of OvfManager: a LocalizedMethodFault, or
    (CreateImportSpecResult.error) a MethodFault itself."""
    inner = getattr(fault, "fault", None)
    return str(
        getattr(fault, "localizedMessage", None)
        or getattr(fault, "msg", None)
        or getattr(inner, "msg", None)
        or fault_name(inner or fault)
    )
