"""Where things are and what they are called: folders, moves, renames, templates, relocation.

vs.create_folder("/DC0/vm/web/prod")
vs.delete_folder("/DC0/vm/old-project", recursive=True)
vs.move(["web-07", "web-08"], "/DC0/vm/web/prod")
vs.relocate_vm("web-07", host="esx-02", datastore="fast-ds")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, overload

from pyVmomi import vim

from .._base.models import InventoryItem
from .._base.types import DatastoreRef, EntityRef, FolderRef, HostRef, ResourcePoolRef, VMRef
from .._operations import folders as _folders
from .._operations import placement as _placement
from .._tasks.handles import Handle
from .base import Facade, operation


class Placement(Facade):
    @overload
    def rename(
        self,
        obj: EntityRef,
        new_name: str,
        *,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def rename(
        self, obj: EntityRef, new_name: str, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[None]: ...
    @operation(_placement.rename)
    def rename(
        self, obj: EntityRef, new_name: str, *, wait: bool = True, timeout: float | None = None
    ) -> Handle[None] | None:
        """Rename a VM, folder or any inventory object; nothing if it has that name.

            vs.rename("web-07", "web-07-old")

        The new name must be free in the object's folder; checked before sending.
        """

    @overload
    def create_folder(
        self, path: str, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> vim.Folder: ...
    @overload
    def create_folder(
        self, path: str, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[vim.Folder]: ...
    @operation(_folders.create_folder)
    def create_folder(
        self, path: str, *, wait: bool = True, timeout: float | None = None
    ) -> vim.Folder | Handle[vim.Folder]:
        """The folder at ``path``, made with any missing parents (no error if it exists).

            folder = vs.create_folder("/DC0/vm/web/prod")

        A path through a datacenter's VM folder ("/DC0/vm/..."); each missing part is made.
        """

    @operation(_folders.folder_contents)
    def folder_contents(self, path: FolderRef) -> list[InventoryItem]:
        """Everything below a folder, through all its subfolders, sorted by path.

            for item in vs.folder_contents("/DC0/vm/old-project"):
                print(item.type, item.path)

        What ``delete_folder(path, recursive=True)`` would remove (or, for hosts, clusters,
        datastores, networks and vApps, refuse to): one read of the server, not of the
        inventory index. Datacenters, clusters and vApps are listed, not what they hold.
        """

    @overload
    def delete_folder(
        self,
        path: FolderRef,
        *,
        recursive: bool = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def delete_folder(
        self,
        path: FolderRef,
        *,
        recursive: bool = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_folders.delete_folder)
    def delete_folder(
        self,
        path: FolderRef,
        *,
        recursive: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Delete a folder of any kind; with ``recursive=True``, with everything in it.

            vs.delete_folder("/DC0/vm/old-project", recursive=True)

        A folder that holds anything is refused unless ``recursive``; then its VMs and
        templates, in subfolders too, are powered off (hard) and destroyed, disks and all,
        before the folder goes with its subfolders (see ``folder_contents``). Refused before
        anything is sent: the root folder, a datacenter's own folders ("/DC0/vm", ...), and
        a folder holding hosts, clusters, datastores, networks or vApps.
        """

    @overload
    def move(
        self,
        objs: EntityRef | Sequence[EntityRef],
        folder: FolderRef,
        *,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def move(
        self,
        objs: EntityRef | Sequence[EntityRef],
        folder: FolderRef,
        *,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_placement.move)
    def move(
        self,
        objs: EntityRef | Sequence[EntityRef],
        folder: FolderRef,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Move one object or a list of them into a folder (one task).

            vs.move(["web-07", "web-08"], "/DC0/vm/web/prod")

        Every object is checked before the task starts: all of them move, or none.
        """

    @overload
    def mark_as_template(
        self, vm: VMRef, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> None: ...
    @overload
    def mark_as_template(
        self, vm: VMRef, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[None]: ...
    @operation(_placement.mark_as_template)
    def mark_as_template(
        self, vm: VMRef, *, wait: bool = True, timeout: float | None = None
    ) -> Handle[None] | None:
        """Turn a powered-off VM into a template; nothing if it is one.

            vs.mark_as_template("golden-ubuntu")

        Refused for a powered-on VM (InvalidStateError).
        """

    @overload
    def mark_as_vm(
        self,
        vm: VMRef,
        resource_pool: ResourcePoolRef | None = ...,
        host: HostRef | None = ...,
        *,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def mark_as_vm(
        self,
        vm: VMRef,
        resource_pool: ResourcePoolRef | None = ...,
        host: HostRef | None = ...,
        *,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_placement.mark_as_vm)
    def mark_as_vm(
        self,
        vm: VMRef,
        resource_pool: ResourcePoolRef | None = None,
        host: HostRef | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Turn a template back into a VM; nothing if it is a VM.

            vs.mark_as_vm("golden-ubuntu", host="esx-01")

        It goes into ``resource_pool`` (default: the root pool of its host's cluster) and
        runs on ``host``.
        """

    @overload
    def relocate_vm(
        self,
        vm: VMRef,
        *,
        host: HostRef | None = ...,
        datastore: DatastoreRef | None = ...,
        resource_pool: ResourcePoolRef | None = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def relocate_vm(
        self,
        vm: VMRef,
        *,
        host: HostRef | None = ...,
        datastore: DatastoreRef | None = ...,
        resource_pool: ResourcePoolRef | None = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_placement.relocate_vm)
    def relocate_vm(
        self,
        vm: VMRef,
        *,
        host: HostRef | None = None,
        datastore: DatastoreRef | None = None,
        resource_pool: ResourcePoolRef | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Move a VM to another host, datastore or resource pool (vMotion, Storage vMotion).

            vs.relocate_vm("web-07", host="esx-02", datastore="fast-ds")

        Host, datastore and pool must be in the VM's datacenter; checked before sending.
        """
