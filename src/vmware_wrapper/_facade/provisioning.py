"""Making, sizing and unmaking VMs: create, clone, reconfigure, disks and NICs, destroy.

vm = vs.clone_vm("tmpl-ubuntu", "web-07", folder="/DC0/vm/web", cpus=4, power_on=True)
vm = vs.create_vm("web-08", cluster="DC0_C0", networks=["VM Network"])
vs.add_disk("web-07", 20)
vs.destroy_vm("web-07")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, overload

from pyVmomi import vim

from .._base.customization import LinuxCustomization, WindowsCustomization
from .._base.types import (
    ClusterRef,
    DatastoreRef,
    FolderRef,
    HostRef,
    NetworkRef,
    ResourcePoolRef,
    VMRef,
)
from .._operations import addresses as _addresses
from .._operations import create as _create
from .._operations import hardware as _hardware
from .._operations import library_deploy as _library_deploy
from .._operations import provision as _provision
from .._operations.context import Ops
from .._tasks.handles import Handle
from .base import Facade, operation

Customization = LinuxCustomization | WindowsCustomization


def _clone(
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
    customization: Customization | None,
    linked: bool,
    snapshot: str | None,
    wait_for_customization: bool,
    wait: bool,
    timeout: float | None,
) -> Any:
    """clone_vm's operation: a library item deployed when ``source`` names one (and no VM),
    else a clone of the VM or template it names."""
    options = {
        "name": name,
        "folder": folder,
        "host": host,
        "cluster": cluster,
        "resource_pool": resource_pool,
        "datastore": datastore,
        "power_on": power_on,
        "template": template,
        "cpus": cpus,
        "memory_mb": memory_mb,
        "customization": customization,
        "linked": linked,
        "snapshot": snapshot,
        "wait_for_customization": wait_for_customization,
        "wait": wait,
        "timeout": timeout,
    }
    item = _library_deploy.library_item_source(ops, source)
    if item is not None:
        return _library_deploy.clone_library_item(ops, source=item, **options)
    return _provision.clone_vm(ops, source=source, **options)


class Provisioning(Facade):
    @overload
    def clone_vm(
        self,
        source: VMRef,
        name: str,
        *,
        folder: FolderRef | None = ...,
        host: HostRef | None = ...,
        cluster: ClusterRef | None = ...,
        resource_pool: ResourcePoolRef | None = ...,
        datastore: DatastoreRef | None = ...,
        power_on: bool = ...,
        template: bool = ...,
        cpus: int | None = ...,
        memory_mb: int | None = ...,
        customization: Customization | None = ...,
        linked: bool = ...,
        snapshot: str | None = ...,
        wait_for_customization: bool = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> vim.VirtualMachine: ...
    @overload
    def clone_vm(
        self,
        source: VMRef,
        name: str,
        *,
        folder: FolderRef | None = ...,
        host: HostRef | None = ...,
        cluster: ClusterRef | None = ...,
        resource_pool: ResourcePoolRef | None = ...,
        datastore: DatastoreRef | None = ...,
        power_on: bool = ...,
        template: bool = ...,
        cpus: int | None = ...,
        memory_mb: int | None = ...,
        customization: Customization | None = ...,
        linked: bool = ...,
        snapshot: str | None = ...,
        wait_for_customization: bool = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[vim.VirtualMachine]: ...
    @operation(_clone)
    def clone_vm(
        self,
        source: VMRef,
        name: str,
        *,
        folder: FolderRef | None = None,
        host: HostRef | None = None,
        cluster: ClusterRef | None = None,
        resource_pool: ResourcePoolRef | None = None,
        datastore: DatastoreRef | None = None,
        power_on: bool = False,
        template: bool = False,
        cpus: int | None = None,
        memory_mb: int | None = None,
        customization: Customization | None = None,
        linked: bool = False,
        snapshot: str | None = None,
        wait_for_customization: bool = True,
        wait: bool = True,
        timeout: float | None = None,
    ) -> vim.VirtualMachine | Handle[vim.VirtualMachine]:
        """Clone a VM or template, or deploy a content library item as a clone; the new VM.

            vm = vs.clone_vm("tmpl-ubuntu", "web-07", folder="/DC0/vm/web", power_on=True)
            vm = vs.clone_vm("golden/ubuntu-24.04", "web-08", cluster="C1", cpus=4)

        Defaults: the source's folder, resource pool and datastore. Into another datacenter,
        a host, cluster or pool and a datastore there must be given. ``template=True`` makes
        the clone a template; ``customization`` (LinuxCustomization, WindowsCustomization)
        customizes the guest (each NIC's addresses: its ``nics``, one NicSettings per NIC
        in order, no more than the source has); with ``power_on=True`` the call then waits
        until vSphere reports the customization's outcome (events CustomizationSucceeded,
        CustomizationFailed) and raises CustomizationError, with vSphere's reason, if it
        failed (``wait_for_customization=False``: return once the VM is powered on).
        ``linked=True`` makes a linked clone: its disks are child disks of the source's
        current snapshot, or of ``snapshot`` (a name, path or id). Checked before anything
        is sent: the name is free, the sizes, the host is usable, the datastore has room, a
        linked clone's snapshot exists.

        ``source`` as "library/item" names a content library item when there is one and no VM
        of that name or relative path (both: AmbiguousNameError). The item is deployed (its
        networks joined to the only network there, else use ``vs.library.deploy`` with
        ``networks=``), then sized, customized or made a template before it first starts; if
        that fails, the new VM is removed. No linked clone of an item; the deploy is over
        before the call returns, also with ``wait=False``.
        """

    @overload
    def create_vm(
        self,
        name: str,
        *,
        folder: FolderRef | None = ...,
        host: HostRef | None = ...,
        cluster: ClusterRef | None = ...,
        resource_pool: ResourcePoolRef | None = ...,
        datastore: DatastoreRef | None = ...,
        guest_id: str = ...,
        cpus: int = ...,
        memory_mb: int = ...,
        firmware: str = ...,
        disks_gb: Sequence[float] = ...,
        networks: Sequence[NetworkRef] = ...,
        iso: str | None = ...,
        power_on: bool = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> vim.VirtualMachine: ...
    @overload
    def create_vm(
        self,
        name: str,
        *,
        folder: FolderRef | None = ...,
        host: HostRef | None = ...,
        cluster: ClusterRef | None = ...,
        resource_pool: ResourcePoolRef | None = ...,
        datastore: DatastoreRef | None = ...,
        guest_id: str = ...,
        cpus: int = ...,
        memory_mb: int = ...,
        firmware: str = ...,
        disks_gb: Sequence[float] = ...,
        networks: Sequence[NetworkRef] = ...,
        iso: str | None = ...,
        power_on: bool = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[vim.VirtualMachine]: ...
    @operation(_create.create_vm)
    def create_vm(
        self,
        name: str,
        *,
        folder: FolderRef | None = None,
        host: HostRef | None = None,
        cluster: ClusterRef | None = None,
        resource_pool: ResourcePoolRef | None = None,
        datastore: DatastoreRef | None = None,
        guest_id: str = "otherGuest64",
        cpus: int = 1,
        memory_mb: int = 1024,
        firmware: str = "bios",
        disks_gb: Sequence[float] = (16,),
        networks: Sequence[NetworkRef] = (),
        iso: str | None = None,
        power_on: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> vim.VirtualMachine | Handle[vim.VirtualMachine]:
        """Create a VM from nothing; the new VM.

            vm = vs.create_vm("web-08", cluster="C1", networks=["VM Network"], power_on=True)

        ``guest_id`` is vSphere's guest OS id ("ubuntu64Guest", "windows2019srv_64Guest");
        ``firmware`` "bios" or "efi"; ``disks_gb`` thin disks on one SCSI controller;
        ``networks`` one vmxnet3 NIC on each (standard or distributed port groups);
        ``iso`` a datastore path ("[datastore1] iso/ubuntu.iso") on a CD-ROM. Placement:
        ``host``, ``cluster`` or ``resource_pool`` (needed unless the datacenter has one
        compute resource); the datastore they see with the most free space unless
        ``datastore``; the datacenter's VM folder unless ``folder``. Checked before anything
        is sent: the name is free, the sizes, the networks and the ISO's datastore exist.
        If powering on fails, the new VM is destroyed.
        """

    @operation(_addresses.wait_for_ip)
    def wait_for_ip(self, vm: VMRef, *, timeout: float | None = None) -> str:
        """The VM's IP address, once VMware Tools in its guest report one.

            address = vs.wait_for_ip("web-07", timeout=300)

        The primary address (``guest.ipAddress``), else the first of a NIC's that is not
        link-local. Follows the VM's changes (no polling). OperationTimeout (a
        TimeoutError) if none is reported within ``timeout``; InvalidStateError if the VM
        is (or goes) off.
        """

    @overload
    def reconfigure_vm(
        self,
        vm: VMRef,
        *,
        cpus: int | None = ...,
        memory_mb: int | None = ...,
        cores_per_socket: int | None = ...,
        disk_gb: float | dict[str, float] | None = ...,
        network: NetworkRef | None = ...,
        cpu_hot_add: bool | None = ...,
        memory_hot_add: bool | None = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def reconfigure_vm(
        self,
        vm: VMRef,
        *,
        cpus: int | None = ...,
        memory_mb: int | None = ...,
        cores_per_socket: int | None = ...,
        disk_gb: float | dict[str, float] | None = ...,
        network: NetworkRef | None = ...,
        cpu_hot_add: bool | None = ...,
        memory_hot_add: bool | None = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_hardware.reconfigure_vm)
    def reconfigure_vm(
        self,
        vm: VMRef,
        *,
        cpus: int | None = None,
        memory_mb: int | None = None,
        cores_per_socket: int | None = None,
        disk_gb: float | dict[str, float] | None = None,
        network: NetworkRef | None = None,
        cpu_hot_add: bool | None = None,
        memory_hot_add: bool | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Change CPUs, memory, cores per socket, hot-add flags; grow disks; move the NIC.

            vs.reconfigure_vm("web-07", cpus=4, memory_mb=8192, disk_gb={"Hard disk 1": 40})

        ``disk_gb``: the first disk's new size, or sizes by disk label (disks only grow).
        ``network``: the network the first NIC connects to.
        """

    @overload
    def add_disk(
        self,
        vm: VMRef,
        size_gb: float,
        *,
        thin: bool = ...,
        datastore: DatastoreRef | None = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def add_disk(
        self,
        vm: VMRef,
        size_gb: float,
        *,
        thin: bool = ...,
        datastore: DatastoreRef | None = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_hardware.add_disk)
    def add_disk(
        self,
        vm: VMRef,
        size_gb: float,
        *,
        thin: bool = True,
        datastore: DatastoreRef | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Add a new disk (thin by default) on the VM's datastore or on ``datastore``.

            vs.add_disk("web-07", 20)

        ``size_gb`` may be fractional; ``datastore`` must be in the VM's datacenter.
        """

    @overload
    def add_nic(
        self,
        vm: VMRef,
        network: NetworkRef,
        *,
        adapter: str = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def add_nic(
        self,
        vm: VMRef,
        network: NetworkRef,
        *,
        adapter: str = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_hardware.add_nic)
    def add_nic(
        self,
        vm: VMRef,
        network: NetworkRef,
        *,
        adapter: str = "vmxnet3",
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Add a network adapter connected to ``network``.

            vs.add_nic("web-07", "VM Network", adapter="e1000e")

        Adapters: "vmxnet3", "vmxnet2", "e1000", "e1000e", "pcnet32".
        """

    @overload
    def destroy_vm(
        self,
        vm: VMRef,
        *,
        allow_template: bool = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def destroy_vm(
        self,
        vm: VMRef,
        *,
        allow_template: bool = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_provision.destroy_vm)
    def destroy_vm(
        self,
        vm: VMRef,
        *,
        allow_template: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Power off (hard) if needed, then destroy: the VM and its disks are gone.

            vs.destroy_vm("web-07")

        Templates only with ``allow_template=True``.
        """
