"""The errors this library raises, grouped by what the caller should do next.

    try:
        vs.power_on("web-07")
    except NotFoundError as e: ...

::

    VSphereError                      anything below; the original vSphere fault is __cause__
     +-- ConnectError                 cannot reach the server, TLS failed, retries exhausted
     |                                -> check the address, network, certificate settings
     +-- AuthenticationError          bad credentials -> fix the username or password
     +-- PermissionDeniedError        the user lacks a privilege -> ask for the role
     +-- NotFoundError                no such object -> check the name (close matches listed)
     +-- AmbiguousNameError           several objects match -> use a path or id (paths listed)
     +-- InvalidInputError            rejected before anything was sent (also a ValueError)
     +-- InvalidStateError            the object is in the wrong state for this (power state,
     |                                maintenance mode, another task running) -> change it first
     +-- TaskError                    a vSphere task failed: .fault, .task
     |    +-- CustomizationError      the guest's customization failed: .reason
     +-- OperationTimeout             gave up waiting (also a TimeoutError)
     +-- GuestOperationError          inside the guest: tools, files, processes
          +-- GuestAuthenticationError   wrong guest credentials

Callers never need pyVmomi to handle these: the message carries vSphere's own text and the
name the caller used.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmbiguousNameError",
    "AuthenticationError",
    "ConnectError",
    "CustomizationError",
    "GuestAuthenticationError",
    "GuestOperationError",
    "InvalidInputError",
    "InvalidStateError",
    "NotFoundError",
    "OperationTimeout",
    "PermissionDeniedError",
    "TaskError",
    "VSphereError",
]


class VSphereError(Exception):
    """The root of every error this library raises.

    ``fault`` is the vSphere fault behind the error, if there was one (also ``__cause__``).
    """

    def __init__(self, message: str, *, fault: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.fault = fault

    def __str__(self) -> str:
        return self.message


class ConnectError(VSphereError):
    """The server could not be reached, TLS failed, or retries ran out."""


class AuthenticationError(VSphereError):
    """The server refused the credentials."""


class PermissionDeniedError(VSphereError):
    """The user lacks a privilege the operation needs (vSphere's NoPermission)."""


class NotFoundError(VSphereError):
    """No object matches the name, path or id."""


class AmbiguousNameError(VSphereError):
    """Several objects match a name; ``candidates`` lists their inventory paths."""

    def __init__(self, message: str, *, candidates: list[str] | None = None) -> None:
        super().__init__(message)
        self.candidates = list(candidates or [])


class InvalidInputError(VSphereError, ValueError):
    """An argument was rejected before anything was sent to the server."""


class InvalidStateError(VSphereError):
    """The object is in the wrong state for the operation."""


class TaskError(VSphereError):
    """A vSphere task failed. ``task`` is the task, ``fault`` its fault."""

    def __init__(self, message: str, *, fault: Any = None, task: Any = None) -> None:
        super().__init__(message, fault=fault)
        self.task = task


class CustomizationError(TaskError):
    """A guest customization failed (vSphere posted CustomizationFailed for the VM).
    ``reason`` is vSphere's reason; ``event`` the event."""

    def __init__(self, message: str, *, reason: str = "", event: Any = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.event = event


class OperationTimeout(VSphereError, TimeoutError):
    """The operation did not finish within its timeout."""


class GuestOperationError(VSphereError):
    """An operation inside a guest failed (tools not running, file or process errors)."""


class GuestAuthenticationError(GuestOperationError):
    """The guest refused the credentials."""
