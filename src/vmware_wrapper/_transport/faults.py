"""The one place where vSphere faults become this library's errors.

    try:
        vm.PowerOnVM_Task()
    except vmodl.MethodFault as fault:
        raise translate(fault, "power on 'web-07'") from fault

The error class follows the fault's type (the most specific match in its class hierarchy);
the message carries what the caller was doing, with which name, and vSphere's own sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._base.vmomi import vmodl
from ..errors import (
    AuthenticationError,
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

# vSphere fault type (WSDL name) -> error class. Looked up along the fault's class hierarchy,
# most specific first, so NotAuthenticated (a NoPermission) is an authentication problem.
_BY_FAULT: dict[str, type[VSphereError]] = {
    "InvalidLogin": AuthenticationError,
    "NotAuthenticated": AuthenticationError,
    "NoPermission": PermissionDeniedError,
    "ManagedObjectNotFound": NotFoundError,
    "NotFound": NotFoundError,
    "FileNotFound": NotFoundError,
    "InvalidArgument": InvalidInputError,
    "InvalidName": InvalidInputError,
    "InvalidType": InvalidInputError,
    "InvalidRequest": InvalidInputError,
    "DuplicateName": InvalidInputError,
    "AlreadyExists": InvalidInputError,
    "InvalidState": InvalidStateError,
    "TaskInProgress": InvalidStateError,
    "ConcurrentAccess": InvalidStateError,
    "ToolsUnavailable": InvalidStateError,
    "MethodDisabled": InvalidStateError,
    "NotSupported": InvalidStateError,
    "HostConnectFault": InvalidStateError,
    "Timedout": OperationTimeout,
}

# Inside a guest, everything is a guest operation error; only the login is set apart.
_GUEST_AUTH = {"InvalidGuestLogin", "GuestAuthenticationChallenge"}


def fault_name(fault: Any) -> str:
    """The vSphere type name of a fault, e.g. "InvalidPowerState"."""
    cls = type(fault)
    return str(getattr(cls, "_wsdlName", cls.__name__.rsplit(".", 1)[-1]))


def _hierarchy(fault: Any) -> Iterator[str]:
    for cls in type(fault).__mro__:
        name = getattr(cls, "_wsdlName", None)
        if name:
            yield str(name)


def _details(fault: Any) -> str:
    """The fields that say what went wrong, for faults that come without a message."""
    parts = []
    for field in ("existingState", "requestedState", "invalidProperty", "name", "file", "obj"):
        value: Any = getattr(fault, field, None)
        if hasattr(value, "_moId"):  # before comparing: pyVmomi's objects only compare
            value = value._moId  # with their own kind (== "" raises)
        if value is not None and value != "":
            parts.append(f"{field}={value}")
    return f" ({', '.join(parts)})" if parts else ""


def fault_message(fault: Any) -> str:
    """vSphere's sentence for a fault; the type and its key fields when it sent none."""
    message = getattr(fault, "msg", None) or ""
    if not message:
        for item in getattr(fault, "faultMessage", None) or []:
            if getattr(item, "message", None):
                message = item.message
                break
    return str(message).strip() or fault_name(fault) + _details(fault)


def error_class(fault: Any, *, guest: bool = False) -> type[VSphereError]:
    names = list(_hierarchy(fault))
    if guest:
        if any(name in _GUEST_AUTH for name in names):
            return GuestAuthenticationError
        return GuestOperationError
    for name in names:
        if name in _BY_FAULT:
            return _BY_FAULT[name]
    return VSphereError


def translate(fault: Any, context: str, *, guest: bool = False) -> VSphereError:
    """The error for a fault: "{context}: {vSphere's message}", the fault kept as ``.fault``."""
    cls = error_class(fault, guest=guest)
    return cls(f"{context}: {fault_message(fault)}", fault=fault)


def task_error(fault: Any, context: str, task: Any = None) -> TaskError:
    return TaskError(f"{context}: {fault_message(fault)}", fault=fault, task=task)


def is_fault(value: Any, name: str) -> bool:
    """Whether ``value`` is a vSphere fault of type ``name`` or a subtype of it."""
    return isinstance(value, vmodl.MethodFault) and name in _hierarchy(value)


@contextmanager
def translating(context: str, *, guest: bool = False) -> Iterator[None]:
    """Turn any vSphere fault raised inside into this library's error, ``from`` the fault."""
    try:
        yield
    except vmodl.MethodFault as fault:
        raise translate(fault, context, guest=guest) from fault
