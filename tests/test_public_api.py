"""The public surface is exactly what the contract documents."""

from __future__ import annotations

import vmware_wrapper
from vmware_wrapper import errors

CONTRACT_ERRORS = {
    "VSphereError",
    "ConnectError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "AmbiguousNameError",
    "InvalidInputError",
    "InvalidStateError",
    "TaskError",
    "OperationTimeout",
    "GuestOperationError",
    "GuestAuthenticationError",
}


def test_every_error_is_exported_from_both_places():
    assert set(errors.__all__) == CONTRACT_ERRORS
    for name in CONTRACT_ERRORS:
        assert getattr(vmware_wrapper, name) is getattr(errors, name)
        assert issubclass(getattr(errors, name), errors.VSphereError)


def test_the_package_exports_exactly_the_documented_names():
    assert set(vmware_wrapper.__all__) == CONTRACT_ERRORS | {"VSphere", "__version__"}


def test_error_families():
    assert issubclass(errors.InvalidInputError, ValueError)
    assert issubclass(errors.OperationTimeout, TimeoutError)
    assert issubclass(errors.GuestAuthenticationError, errors.GuestOperationError)
