"""Naming things: one object by name, path, id or uuid; lists by glob; VM records.

vm = vs.get_vm("web-07")                 # exactly one, or NotFoundError / AmbiguousNameError
vs.find(vim.VirtualMachine, "/DC0/vm/web/*")   # zero or more
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from pyVmomi import vim

from .._base.models import InventoryItem, VMInfo
from .._base.types import (
    ClusterRef,
    DatacenterRef,
    DatastoreRef,
    EntityRef,
    FolderRef,
    HostRef,
    NetworkRef,
    ResourcePoolRef,
    VMRef,
)
from .._inventory.resolver import Gone, shown
from .._inventory.tree import KINDS, Entry, kind_for
from .._operations.vminfo import read_vm_infos
from .._transport.faults import describing
from ..errors import InvalidInputError, NotFoundError
from .base import Facade

T = TypeVar("T")


class Naming(Facade):
    def _get(self, kind: str, ref: Any, refresh: bool, cls: type[T]) -> T:
        return cast(T, self._resolver.obj(self._resolver.entry(KINDS[kind], ref, refresh)))

    def get_vm(self, vm: VMRef, *, refresh: bool = False) -> vim.VirtualMachine:
        """The VM (or template) named by a name, path, id, uuid or object.

            vm = vs.get_vm("web-07")          # or "/DC0/vm/web/web-07", "vm-123"

        ``refresh=True`` reads it from the server first, not from the inventory index.
        """
        return self._get("vm", vm, refresh, vim.VirtualMachine)

    def get_host(self, host: HostRef, *, refresh: bool = False) -> vim.HostSystem:
        """The host (ESXi) named so.

            host = vs.get_host("esx-01.example.com")

        NotFoundError (with close matches) or AmbiguousNameError (with the paths) otherwise.
        """
        return self._get("host", host, refresh, vim.HostSystem)

    def get_cluster(
        self, cluster: ClusterRef, *, refresh: bool = False
    ) -> vim.ClusterComputeResource:
        """The cluster named so.

            cluster = vs.get_cluster("DC0_C0")

        NotFoundError (with close matches) or AmbiguousNameError (with the paths) otherwise.
        """
        return self._get("cluster", cluster, refresh, vim.ClusterComputeResource)

    def get_datacenter(self, datacenter: DatacenterRef, *, refresh: bool = False) -> vim.Datacenter:
        """The datacenter named so.

            dc = vs.get_datacenter("DC0")

        NotFoundError (with close matches) or AmbiguousNameError (with the paths) otherwise.
        """
        return self._get("datacenter", datacenter, refresh, vim.Datacenter)

    def get_datastore(self, datastore: DatastoreRef, *, refresh: bool = False) -> vim.Datastore:
        """The datastore named so.

            ds = vs.get_datastore("LocalDS_0")

        NotFoundError (with close matches) or AmbiguousNameError (with the paths) otherwise.
        """
        return self._get("datastore", datastore, refresh, vim.Datastore)

    def get_network(self, network: NetworkRef, *, refresh: bool = False) -> vim.Network:
        """A standard or distributed port group (or opaque network).

            net = vs.get_network("VM Network")

        NotFoundError (with close matches) or AmbiguousNameError (with the paths) otherwise.
        """
        return self._get("network", network, refresh, vim.Network)

    def get_folder(self, folder: FolderRef, *, refresh: bool = False) -> vim.Folder:
        """The folder named so (best by path: folder names repeat across datacenters).

            folder = vs.get_folder("/DC0/vm/web")

        NotFoundError (with close matches) or AmbiguousNameError (with the paths) otherwise.
        """
        return self._get("folder", folder, refresh, vim.Folder)

    def get_resource_pool(
        self, pool: ResourcePoolRef, *, refresh: bool = False
    ) -> vim.ResourcePool:
        """A resource pool or vApp.

            pool = vs.get_resource_pool("/DC0/host/DC0_C0/Resources")

        NotFoundError (with close matches) or AmbiguousNameError (with the paths) otherwise.
        """
        return self._get("resource_pool", pool, refresh, vim.ResourcePool)

    def get(self, vimtype: Any, name_or_path: EntityRef, *, refresh: bool = False) -> Any:
        """Exactly one object of a pyVmomi type or a kind.

            ds = vs.get(vim.Datastore, "LocalDS_0")      # or vs.get("datastore", ...)

        Kinds: "vm", "template", "host", "cluster", "datacenter", "datastore", "network",
        "folder", "pool", or a vSphere type name ("VirtualMachine"). Returns ``Any``: the
        type follows ``vimtype``, which may be a string.
        """
        return self._resolver.obj(self._resolver.entry(kind_for(vimtype), name_or_path, refresh))

    def get_vm_by_uuid(self, uuid: str) -> vim.VirtualMachine:
        """The VM with this BIOS uuid or instance uuid.

            vm = vs.get_vm_by_uuid("4223a1b2-...")

        With or without dashes, in any case; NotFoundError when no VM has it.
        """
        return cast(vim.VirtualMachine, self._resolver.obj(self._resolver.by_uuid(uuid)))

    def find(self, vimtype: Any, pattern: str = "*") -> list[Any]:
        """Objects whose names (or paths, when the pattern has a "/") match a glob; zero or more.

            vms = vs.find(vim.VirtualMachine, "/DC0/vm/web/*")

        Over paths, ``*`` stays within one level and ``**`` spans any number. The elements'
        type follows ``vimtype`` (``Any``: it may be a string).
        """
        kind = kind_for(vimtype)
        _check_pattern(pattern)
        return [self._resolver.obj(e) for e in self._index.find(kind, pattern)]

    def path_of(self, obj: EntityRef) -> str:
        """The inventory path of an object.

            vs.path_of(vm)         # "/DC0/vm/web/app01"

        Names in the path are as users type them (vSphere's %2f escapes undone).
        """
        return self._resolver.path(self._resolver.entry(KINDS["entity"], obj))

    def list_children(self, path: EntityRef = "/") -> list[InventoryItem]:
        """What an inventory folder (or datacenter, cluster, pool...) holds, by name.

            names = [item.name for item in vs.list_children("/DC0/vm")]

        Sorted by name; ``"/"`` lists the datacenters and top folders.
        """
        inventory = self._index.ready()
        if isinstance(path, str) and path.strip() in ("", "/"):
            moid = inventory.root or ""
        else:
            moid = self._resolver.entry(KINDS["entity"], path).moid
        children = sorted(inventory.children(moid), key=lambda e: (e.display_name, e.moid))
        return [self._item(e) for e in children]

    def find_items(self, vimtype: Any, pattern: str = "*") -> list[InventoryItem]:
        """Like find(), as InventoryItem records (name, type, path, id).

            vs.find_items("host", "esx-*")

        Lists cost what their results cost: no read per object.
        """
        kind = kind_for(vimtype)
        _check_pattern(pattern)
        return [self._item(e) for e in self._index.find(kind, pattern)]

    def _item(self, entry: Entry) -> InventoryItem:
        return InventoryItem(
            entry.display_name, entry.type, self._index.inventory.path(entry.moid), entry.moid
        )

    def list_vms(self, pattern: str = "*") -> list[VMInfo]:
        """VMInfo for every VM and template whose name (or path) matches; one bulk read.

            running = [v.name for v in vs.list_vms("web-*") if v.power_state == "poweredOn"]

        Over paths (a pattern with a "/"), ``*`` stays within one level and ``**`` spans any.
        """
        _check_pattern(pattern)
        entries = self._index.find(KINDS["vm"], pattern)
        with describing(f"list VMs {pattern!r}"):
            return read_vm_infos(
                self._session, self._index.inventory, entries, self._index.container_view()
            )

    def vm_info(self, vm: VMRef) -> VMInfo:
        """A fresh VMInfo of one VM, read from the server.

            vs.vm_info("web-07").ip_address

        A VM replaced meanwhile under the same name is found again.
        """

        def read(entry: Entry) -> VMInfo:
            infos = read_vm_infos(self._session, self._index.inventory, [entry])
            if not infos:
                raise Gone(entry.moid)
            return infos[0]

        return self._resolver.with_fresh(KINDS["vm"], vm, f"read VM {shown(vm)}", read)

    def vm_infos(self, vms: Sequence[VMRef]) -> list[VMInfo]:
        """Fresh VMInfo of several VMs, in the order given; one bulk read for all.

            vs.vm_infos(["web-07", "web-08"])

        NotFoundError names the VMs that are gone.
        """
        if isinstance(vms, (str, bytes)) or not isinstance(vms, Sequence):
            raise InvalidInputError(f"vm_infos takes a list of VMs, not {vms!r}")
        entries = [self._resolver.entry(KINDS["vm"], vm) for vm in vms]
        with describing("read VMs"):
            infos = read_vm_infos(
                self._session, self._index.inventory, entries, self._index.container_view()
            )
        if len(infos) < len(entries):
            found = {info.moid for info in infos}
            gone = [shown(vm) for vm, e in zip(vms, entries, strict=True) if e.moid not in found]
            raise NotFoundError(f"no longer there: {', '.join(gone)}")
        return infos


def _check_pattern(pattern: Any) -> None:
    if not isinstance(pattern, str):
        raise InvalidInputError(f"a pattern is a string, not {pattern!r}")
