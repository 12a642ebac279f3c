"""OVF in and out: deploy an .ova or .ovf as a new VM; export a VM as one.

vm = vs.deploy_ovf("appliance.ova", "web-07", cluster="C1", networks={"VM Network": "web"})
path = vs.export_ovf("web-07", "exports", ova=True)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from pyVmomi import vim

from .._base.types import (
    ClusterRef,
    DatastoreRef,
    FolderRef,
    HostRef,
    NetworkRef,
    ResourcePoolRef,
    VMRef,
)
from .._operations import ovf as _ovf
from .base import Facade, operation

PropertyValue = str | int | float | bool


class Ovf(Facade):
    @operation(_ovf.deploy_ovf)
    def deploy_ovf(
        self,
        source: str | os.PathLike[str],
        name: str,
        *,
        folder: FolderRef | None = None,
        host: HostRef | None = None,
        cluster: ClusterRef | None = None,
        resource_pool: ResourcePoolRef | None = None,
        datastore: DatastoreRef | None = None,
        networks: Mapping[str, NetworkRef] | None = None,
        properties: Mapping[str, PropertyValue] | None = None,
        disk_provisioning: str = "thin",
        power_on: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> vim.VirtualMachine:
        """Deploy an OVF package as a new VM; the VM.

            vm = vs.deploy_ovf("appliance.ova", "web-07", cluster="C1",
                               networks={"VM Network": "dvpg-web"},
                               properties={"hostname": "web-07"})

        ``source``: the path of an .ova, or of an .ovf with its files beside it, or an
        http(s) URL of either. It runs on ``host``, ``cluster`` or ``resource_pool`` (one of
        them is needed unless the datacenter has one host or cluster), in ``folder``
        (default: the datacenter's VM folder), on ``datastore`` (default: the roomiest one
        there). ``networks`` maps the package's networks to vSphere's by name; one left out
        joins the only network there is, if there is only one. ``properties`` sets the
        package's OVF properties (by their keys, "class.key.instance" when they have a class
        or instance). ``disk_provisioning``: "thin", "thick" or "eagerZeroedThick".
        ``on_progress(percent)`` follows the upload.

        Checked before anything is sent: the package and its files, the names in
        ``networks`` and ``properties``, the datastore's room, the name is free. Should
        anything fail later (or be interrupted), the lease is aborted and the VM begun is
        removed.
        """

    @operation(_ovf.export_ovf)
    def export_ovf(
        self,
        vm: VMRef,
        directory: str | os.PathLike[str],
        *,
        ova: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> str:
        """Export a powered-off VM as an OVF package into ``directory``; the path written.

            path = vs.export_ovf("web-07", "exports", ova=True)     # exports/web-07.ova

        Without ``ova``, ``<name>.ovf`` and one ``<name>-diskN.vmdk`` per disk; with it, one
        ``<name>.ova`` (the descriptor first). Existing files are never overwritten, and a
        failed export leaves none of its files behind. ``on_progress(percent)`` follows the
        download.
        """
