"""python-vmware-wrapper: VMware vSphere by name, fast, with pyVmomi's quirks handled.

from vmware_wrapper import VSphere
with VSphere.from_env() as vs: ...
"""

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
    "ConnectError",
    "GuestAuthenticationError",
    "GuestOperationError",
    "InvalidInputError",
    "InvalidStateError",
    "NotFoundError",
    "OperationTimeout",
    "PermissionDeniedError",
    "TaskError",
    "VSphere",
    "VSphereError",
    "__version__",
]
