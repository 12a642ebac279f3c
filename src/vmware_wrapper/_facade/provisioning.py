"""Making, sizing and unmaking VMs: clone, reconfigure, disks and NICs, destroy.

vm = vs.clone_vm("tmpl-ubuntu", "web-07", folder="/DC0/vm/web", cpus=4, power_on=True)
vs.add_disk("web-07", 20)
vs.destroy_vm("web-07")
"""

from __future__ import annotations

from typing import Literal, overload

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
from .._operations import hardware as _hardware
from .._operations import provision as _provision
from .._tasks.handles import Handle
from .base import Facade, operation

Customization = LinuxCustomization | WindowsCustomization


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
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[vim.VirtualMachine]: ...
    @operation(_provision.clone_vm)
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
        wait: bool = True,
        timeout: float | None = None,
    ) -> vim.VirtualMachine | Handle[vim.VirtualMachine]:
        """Clone a VM or template; the new VM.

            vm = vs.clone_vm("tmpl-ubuntu", "web-07", folder="/DC0/vm/web", power_on=True)

        Defaults: the source's folder, resource pool and datastore. Into another datacenter,
        a host, cluster or pool and a datastore there must be given. ``template=True`` makes
        the clone a template; ``customization`` (LinuxCustomization, WindowsCustomization)
        customizes the guest. Checked before anything is sent: the name is free, the sizes,
        the host is usable, the datastore has room.
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
