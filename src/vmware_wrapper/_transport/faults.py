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


# vAPI's standard errors (com.vmware.vapi.std.errors), as the REST endpoints name them: the
# error class, and the sentence a failure reads as, about what the call was for ({subject},
# e.g. "tag 'env/prod'") or what a "not found" is about ({missing}, by default the subject).
# The classes follow those of the SOAP faults of the same meaning (_BY_FAULT).
_VAPI_ERRORS: dict[str, tuple[type[VSphereError], str]] = {
    # As SOAP's DuplicateName and AlreadyExists: the name asked for is taken, and only
    # another name (the caller's input) mends that, not waiting or changing the object. The
    # tags client refuses the same before sending when it sees the name taken (a check that
    # races with other clients), with the same class, so callers catch one.
    "already_exists": (InvalidInputError, "{subject} already exists"),
    "already_in_desired_state": (InvalidStateError, "{subject} is already as asked"),
    "canceled": (VSphereError, "canceled on the server"),
    "concurrent_change": (
        InvalidStateError,
        "{subject} was changed by someone else meanwhile; read it again and retry",
    ),
    "error": (VSphereError, "the server failed"),
    "feature_in_use": (InvalidStateError, "{subject} has a feature in use that prevents it"),
    "internal_server_error": (VSphereError, "the server failed with an internal error"),
    "invalid_argument": (InvalidInputError, "the server refused the arguments for {subject}"),
    "invalid_element_configuration": (
        InvalidInputError,
        "the server refused the configuration of {subject}",
    ),
    "invalid_element_type": (InvalidInputError, "the server refused a type given for {subject}"),
    "invalid_request": (InvalidInputError, "the server refused the request as malformed"),
    "not_allowed_in_current_state": (
        InvalidStateError,
        "not allowed in the current state of {subject}",
    ),
    "not_found": (NotFoundError, "{missing} not found"),
    # As SOAP's NotSupported and MethodDisabled: the server cannot do this (an older or
    # smaller one), which no other input mends.
    "operation_not_found": (InvalidStateError, "this server does not offer that operation"),
    "resource_busy": (InvalidStateError, "{subject} is busy; retry when it is done"),
    "resource_in_use": (InvalidStateError, "{subject} is in use"),
    "resource_inaccessible": (InvalidStateError, "{subject} is not accessible"),
    # The endpoint answers, but the service behind it does not: as when the server cannot be
    # reached, waiting and retrying is what helps.
    "service_unavailable": (ConnectError, "the service is unavailable on the server"),
    "timed_out": (OperationTimeout, "the server timed out"),
    "unable_to_allocate_resource": (
        InvalidStateError,
        "the server could not allocate what {subject} needs",
    ),
    "unauthenticated": (AuthenticationError, "not logged in: the server refused the session"),
    "unauthorized": (PermissionDeniedError, "not allowed: the user lacks a privilege this needs"),
    "unexpected_input": (InvalidInputError, "the server did not expect some of the input"),
    "unsupported": (InvalidStateError, "not supported by this server"),
    "unverified_peer": (ConnectError, "the server could not verify a peer's certificate"),
}

# Answers without a vAPI error type (a proxy's, or a bare "404 page not found"): read as the
# standard error that the HTTP status stands for.
_VAPI_BY_STATUS = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "unauthorized",
    404: "not_found",
    500: "internal_server_error",
    503: "service_unavailable",
    504: "timed_out",
}

# An error type outside the standard list: a refused request (4xx) or the server's failure.
_VAPI_BY_STATUS_CLASS: dict[int, type[VSphereError]] = {4: InvalidInputError, 5: VSphereError}


def _vapi_error_type(payload: Any) -> str:
    """The vAPI error type of a failed REST answer, as in the standard list ("not_found"),
    or as the server named it when it is not a standard one; "" if the answer names none.
    /rest answers {"type": "com.vmware.vapi.std.errors.not_found", "value": {...}}, /api
    answers {"error_type": "NOT_FOUND", "messages": [...]}."""
    if not isinstance(payload, dict):
        return ""
    value = payload.get("value")
    inner = value if isinstance(value, dict) else {}
    kind = str(
        payload.get("type")
        or payload.get("error_type")
        or inner.get("error_type")
        or inner.get("type")
        or ""
    ).strip()
    standard = kind.removeprefix("com.vmware.vapi.std.errors.").lower()
    return standard if standard in _VAPI_ERRORS else kind


def _vapi_messages(payload: Any) -> str:
    """vSphere's own sentences in a failed REST answer, if it sent any."""
    if not isinstance(payload, dict):
        return ""
    value = payload.get("value")
    messages = payload.get("messages") or (value.get("messages") if isinstance(value, dict) else [])
    texts = []
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict):
            text = str(message.get("localized") or message.get("default_message") or "").strip()
            if text and text not in texts:
                texts.append(text)
    return "; ".join(texts)


def translate_rest(
    status: int, payload: Any, context: str, *, subject: str = "", missing: str = ""
) -> VSphereError:
    """The error for a failed vAPI REST call, as a sentence about what the call was for:

        translate_rest(400, answer, "create tag 'env/prod'", subject="tag 'env/prod'")
        # InvalidInputError("create tag 'env/prod': tag 'env/prod' already exists")

    ``subject`` names what the call was for, ``missing`` what a "not found" means (by
    default the subject); vSphere's own sentence follows in parentheses when it sent one.
    The class follows the vAPI error type, else the HTTP status."""
    kind = _vapi_error_type(payload)
    server_text = _vapi_messages(payload)
    if not kind and isinstance(payload, str) and payload.strip():
        # Not a vAPI answer: its first line says what answered.
        server_text = payload.strip().splitlines()[0][:200]
    standard = kind if kind in _VAPI_ERRORS else ("" if kind else _VAPI_BY_STATUS.get(status, ""))
    if standard:
        cls, sentence = _VAPI_ERRORS[standard]
        text = sentence.format(subject=subject or "it", missing=missing or subject or "it")
        if not kind:  # the status alone said it
            server_text = f"HTTP {status}" + (f": {server_text}" if server_text else "")
    else:  # an error type outside the standard list, or an unexpected status
        cls = _VAPI_BY_STATUS_CLASS.get(status // 100, VSphereError)
        text = kind or f"HTTP {status}"
    if server_text and server_text != text:
        text += f" ({server_text})"
    return cls(f"{context}: {text}")
