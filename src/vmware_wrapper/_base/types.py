"""Names for what parameters accept and for what operations return.

    def restart(vs: VSphere, vm: VMRef) -> None: ...

A reference (``VMRef``, ``HostRef``, ...) is what "naming things" accepts: a name, an inventory
path ("/DC0/vm/web/app01"), a managed object id ("vm-123") or the pyVmomi object itself. A
``Selection`` is what bulk runs take: a list of references, a glob over VM names or paths, or
a folder path (every VM below it).

The pyVmomi classes here are pyVmomi's own typed view (its stubs), so that users' type
checkers know what comes back; inside, this library talks to pyVmomi through ``vmomi``.
"""

from collections.abc import Sequence
from typing import TypeAlias

from pyVmomi import vim

VMRef: TypeAlias = str | vim.VirtualMachine
HostRef: TypeAlias = str | vim.HostSystem
ClusterRef: TypeAlias = str | vim.ClusterComputeResource
DatacenterRef: TypeAlias = str | vim.Datacenter
DatastoreRef: TypeAlias = str | vim.Datastore
NetworkRef: TypeAlias = str | vim.Network
FolderRef: TypeAlias = str | vim.Folder
ResourcePoolRef: TypeAlias = str | vim.ResourcePool
EntityRef: TypeAlias = str | vim.ManagedEntity
Selection: TypeAlias = str | vim.ManagedEntity | Sequence[EntityRef]
