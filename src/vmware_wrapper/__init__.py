"""python-vmware-wrapper: VMware vSphere by name, fast, with pyVmomi's quirks handled.

from vmware_wrapper import VSphere
with VSphere.from_env() as vs: ...
"""

from ._base.customization import LinuxCustomization, WindowsCustomization
from ._base.models import InventoryItem, SnapshotInfo, VMInfo
from ._base.names import to_ascii
from ._operations.bulk import BulkResult
from ._operations.events import EventInfo
from ._operations.guest import Guest, GuestProcess, GuestResult
from ._tasks.engine import Handle, TaskHandle, TaskProgress
from ._vsphere import VSphere
from .errors import (
    AmbiguousNameError,
    AuthenticationError,
    ConnectError,
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
    "BulkResult",
    "ConnectError",
    "EventInfo",
    "Guest",
    "GuestAuthenticationError",
    "GuestOperationError",
    "GuestProcess",
    "GuestResult",
    "Handle",
    "InvalidInputError",
    "InvalidStateError",
    "InventoryItem",
    "LinuxCustomization",
    "NotFoundError",
    "OperationTimeout",
    "PermissionDeniedError",
    "SnapshotInfo",
    "TaskError",
    "TaskHandle",
    "TaskProgress",
    "VMInfo",
    "VSphere",
    "VSphereError",
    "WindowsCustomization",
    "__version__",
    "to_ascii",
]
