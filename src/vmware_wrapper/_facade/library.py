"""Content libraries: OVF packages kept on vCenter, deployed as VMs by name.

vs.library.create("golden", "ds-01")
vs.library.import_ovf("golden", "ubuntu-24.04", "ubuntu.ova")
vm = vs.library.deploy("golden/ubuntu-24.04", "web-07", cluster="C1")
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Mapping

from pyVmomi import vim

from .._base.models import LibraryInfo, LibraryItemInfo
from .._base.types import (
    ClusterRef,
    DatastoreRef,
    FolderRef,
    HostRef,
    NetworkRef,
    ResourcePoolRef,
)
from .._operations import library as _library
from .._operations import library_deploy as _library_deploy
from .._operations.context import Ops
from .base import Facade, operation


class ContentLibraries(Facade):
    """vCenter's content libraries (vAPI REST, with the connection's credentials and TLS).

    A library is named by its name (or its id, when several share a name); an item as
    "library/item". A name that fits several is refused (AmbiguousNameError), never guessed.
    """

    def __init__(self, ops: Ops) -> None:
        self._ops = ops

    def __repr__(self) -> str:
        return f"<ContentLibraries of {self._ops.session.settings.address}>"

    @operation(_library.create_library)
    def create(self, name: str, datastore: DatastoreRef, *, description: str = "") -> LibraryInfo:
        """Create a local library whose files live on ``datastore``; what it is.

            vs.library.create("golden", "ds-01", description="approved images")

        A name another library has already is refused (InvalidInputError).
        """

    @operation(_library.list_libraries)
    def list(self) -> builtins.list[LibraryInfo]:
        """Every content library, by name.

            for lib in vs.library.list(): print(lib.name, lib.datastore)

        Sorted by name; libraries that share a name differ by ``id``.
        """

    @operation(_library.library_items)
    def items(self, library: str) -> builtins.list[LibraryItemInfo]:
        """The items of one library.

            [i.path for i in vs.library.items("golden")]     # ["golden/ubuntu-24.04"]

        ``library``: its name, or its id when several share the name.
        """

    @operation(_library.import_into_library)
    def import_ovf(
        self,
        library: str,
        item_name: str,
        source: str | os.PathLike[str],
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> LibraryItemInfo:
        """Import an OVF package into a library as a new item; what it is.

            vs.library.import_ovf("golden", "ubuntu-24.04", "ubuntu.ova")

        ``source``: the path of an .ova, or of an .ovf with its files beside it, or an
        http(s) URL of either; its files are streamed to vCenter through this connection.
        ``on_progress(percent)`` follows the upload. The package, the library and the free
        item name are checked before anything is sent; should anything fail later (or be
        interrupted), the upload is cancelled and the item begun is deleted.
        """

    @operation(_library_deploy.deploy_from_library)
    def deploy(
        self,
        item: str,
        name: str,
        *,
        folder: FolderRef | None = None,
        host: HostRef | None = None,
        cluster: ClusterRef | None = None,
        resource_pool: ResourcePoolRef | None = None,
        datastore: DatastoreRef | None = None,
        networks: Mapping[str, NetworkRef] | None = None,
        power_on: bool = False,
    ) -> vim.VirtualMachine:
        """Deploy an OVF item ("library/item") as a new VM; the VM.

            vm = vs.library.deploy("golden/ubuntu-24.04", "web-07", cluster="C1",
                                   networks={"VM Network": "dvpg-web"}, power_on=True)

        Placed as ``deploy_ovf`` places a VM: on ``host``, ``cluster`` or ``resource_pool``,
        in ``folder`` (default: the datacenter's VM folder), on ``datastore`` (default: the
        roomiest one there). ``networks`` maps the package's networks to vSphere's by
        name; one left out joins the only network there is, if there is only one.
        """

    @operation(_library.delete_from_library)
    def delete(self, library_or_item: str) -> None:
        """Delete a library (with its items), or one item ("library/item").

            vs.library.delete("golden/ubuntu-22.04")
            vs.library.delete("scratch")

        A name that fits several libraries or items deletes nothing (AmbiguousNameError).
        """


class Library(Facade):
    _library_client: ContentLibraries | None = None

    @property
    def library(self) -> ContentLibraries:
        """Content libraries: create, list, import OVF packages into, deploy from, delete.

            vm = vs.library.deploy("golden/ubuntu-24.04", "web-07", cluster="C1")

        Its REST session is made on first use and ends with ``close()``.
        """
        if self._library_client is None:
            self._library_client = ContentLibraries(self._ops)
        return self._library_client
