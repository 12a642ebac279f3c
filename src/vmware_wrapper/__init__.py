"""python-vmware-wrapper: VMware vSphere by name, fast, with pyVmomi's quirks handled.

    from vmware_wrapper import VSphere
    with VSphere.from_env() as vs:
        vs.power_on("web-07", wait_for_tools=True)

The package's layers, each a folder, each importing only from those before it:
``_base`` (names, value types) -> ``_transport`` (TLS, session, SOAP policy, retries, fault
translation, REST) -> ``_tasks`` (following the server, task waits, handles) ->
``_inventory`` (tree, live index, resolver) -> ``_operations`` (one module per concern) ->
``_facade`` and ``VSphere`` (the public page) -> ``cli`` (``vmw``).

Threads the library starts (each ended by ``VSphere.close()`` at the latest):

- the inventory watch (``vmware_wrapper-inventory``), one per connection unless
  ``watch_inventory=False``: follows the server's changes (``_inventory/index.py``);
- a confirmation timer, now and then: reads objects again that were looked up directly
  but not yet reported by the watch (``_inventory/index.py``);
- two readers (``vmware_wrapper-read``), started on first need: read a VM's state while its
  name is being confirmed (``_operations/context.py``);
- a bulk run's pool (``vmware_wrapper-bulk``, ``concurrency`` threads) and its task watch
  (``vmware_wrapper-bulk-watch``), for the length of one ``bulk()`` call
  (``_operations/bulk.py``); after a new login a new watch thread takes over, and the old
  one ends when its wait on the old session does (within 30 s);
- a guest reboot's own thread, from its start until the guest is back
  (``_tasks/handles.py``, BackgroundHandle).

Beside the library, ``testing.Simulator`` reads the simulator's ready line on a thread that
ends once the simulator has started (or failed to).

Nothing else runs in the background: waits for tasks and conditions happen in the calling
thread, and no constructor other than ``VSphere()`` itself (which connects and logs in)
makes a round trip.
"""

from ._base.customization import LinuxCustomization, NicSettings, WindowsCustomization
from ._base.models import (
    DatastoreFile,
    DeviceInfo,
    DrsRuleInfo,
    HostInfo,
    InventoryItem,
    LibraryInfo,
    LibraryItemInfo,
    NetworkInfo,
    SnapshotInfo,
    VMInfo,
)
from ._base.names import to_ascii
from ._base.types import (
    ClusterRef,
    DatacenterRef,
    DatastoreRef,
    EntityRef,
    FolderRef,
    HostRef,
    NetworkRef,
    ResourcePoolRef,
    Selection,
    VMRef,
)
from ._facade.library import ContentLibraries
from ._fleet import Fleet
from ._operations.bulk import BulkProgress, BulkResult
from ._operations.events import EventInfo
from ._operations.guest import Guest, GuestProcess, GuestResult
from ._operations.tags import Tags
from ._tasks.engine import ProgressCallback, TaskProgress
from ._tasks.handles import Handle, TaskHandle
from ._vsphere import VSphere
from .errors import (
    AmbiguousNameError,
    AuthenticationError,
    ConnectError,
    CustomizationError,
    GuestAuthenticationError,
    GuestOperationError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    OperationTimeout,
    PermissionDeniedError,
    TaskError,
    VSphereError,
)

__version__ = "0.1.0"

__all__ = [
    "AmbiguousNameError",
    "AuthenticationError",
    "BulkProgress",
    "BulkResult",
    "ClusterRef",
    "ConnectError",
    "ContentLibraries",
    "CustomizationError",
    "DatacenterRef",
    "DatastoreFile",
    "DatastoreRef",
    "DeviceInfo",
    "DrsRuleInfo",
    "EntityRef",
    "EventInfo",
    "Fleet",
    "FolderRef",
    "Guest",
    "GuestAuthenticationError",
    "GuestOperationError",
    "GuestProcess",
    "GuestResult",
    "Handle",
    "HostInfo",
    "HostRef",
    "InvalidInputError",
    "InvalidStateError",
    "InventoryItem",
    "LibraryInfo",
    "LibraryItemInfo",
    "LinuxCustomization",
    "NetworkInfo",
    "NetworkRef",
    "NicSettings",
    "NotFoundError",
    "OperationTimeout",
    "PermissionDeniedError",
    "ProgressCallback",
    "ResourcePoolRef",
    "Selection",
    "SnapshotInfo",
    "Tags",
    "TaskError",
    "TaskHandle",
    "TaskProgress",
    "VMInfo",
    "VMRef",
    "VSphere",
    "VSphereError",
    "WindowsCustomization",
    "__version__",
    "to_ascii",
]
