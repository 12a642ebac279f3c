"""How vSphere faults become this library's errors.

    with describing("power on 'web-07'"):
        vm.PowerOnVM_Task()          # a fault raises InvalidStateError("power on 'web-07': ...")

Every SOAP answer passes through the transport (``soap.Transport.invoke``), and that is where
a fault is translated: no call can forget it. Callers only say what they are doing
(``describing``), for the message. Failed tasks (a fault in ``TaskInfo.error``, not raised)
and the vAPI REST answers (tags) are translated by the functions here as well.

The error class follows the fault's type (the most specific match in its class hierarchy);
the message carries what the caller was doing, with which name, and vSphere's own sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
    """Whether ``value`` is a vSphere fault of type ``name`` or a subtype of it, or one of
    this library's errors translated from such a fault."""
    if isinstance(value, VSphereError):
        value = value.fault
    return isinstance(value, vmodl.MethodFault) and name in _hierarchy(value)


# What the calls of this thread (or task) are doing, for the messages of their errors.
_doing: ContextVar[str | None] = ContextVar("vmware_wrapper_doing", default=None)


@contextmanager
def describing(context: str) -> Iterator[None]:
    """Name what the calls inside are doing ("power on 'web-07'"): a fault they meet becomes
    an error whose message starts with it."""
    token = _doing.set(context)
    try:
        yield
    finally:
        _doing.reset(token)


def translate_answer(fault: Any, method: str, *, guest: bool = False) -> VSphereError:
    """The error for a fault answered to a SOAP call: the transport's one translation."""
    return translate(fault, _doing.get() or f"vSphere call {method}", guest=guest)


def translate_rest(status: int, payload: Any, context: str) -> VSphereError:
    """The error for a failed vAPI REST call: by HTTP status and the vAPI error type."""
    kind = ""
    message = ""
    if isinstance(payload, dict):
        value = payload.get("value") or {}
        kind = str(
            payload.get("type") or (value.get("type") if isinstance(value, dict) else "") or ""
        )
        messages = value.get("messages") if isinstance(value, dict) else None
        if messages:
            message = "; ".join(str(m.get("default_message", "")) for m in messages)
    text = f"{context}: {message or kind or f'HTTP {status}'}"
    if status == 404 or kind.endswith("not_found"):
        return NotFoundError(text)
    if status == 401:
        return AuthenticationError(text)
    if status == 403 or kind.endswith("unauthorized"):
        return PermissionDeniedError(text)
    if kind.endswith("already_exists") or kind.endswith("invalid_argument") or status == 400:
        return InvalidInputError(text)
    return VSphereError(text)
