"""Translating vSphere faults into the library's errors (pure logic)."""

from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl

from vmware_wrapper import (
    AuthenticationError,
    ConnectError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    OperationTimeout,
    PermissionDeniedError,
    VSphereError,
)
from vmware_wrapper._transport.faults import translate, translate_rest


def test_a_fault_without_a_message_is_described_by_its_fields():
    vm = vim.VirtualMachine("vm-42")
    error = translate(vmodl.fault.ManagedObjectNotFound(obj=vm), "power off 'web-07'")
    assert isinstance(error, NotFoundError)
    assert str(error) == "power off 'web-07': ManagedObjectNotFound (obj=vm-42)"


def test_a_fault_with_a_message_keeps_vsphere_sentence():
    fault = vim.fault.InvalidPowerState(
        msg="The attempted operation cannot be performed in the current state (Powered off).",
        existingState="poweredOff",
        requestedState="poweredOn",
    )
    error = translate(fault, "suspend 'web-07'")
    assert isinstance(error, InvalidStateError)
    assert str(error) == (
        "suspend 'web-07': The attempted operation cannot be performed in the current state "
        "(Powered off)."
    )


# vAPI REST errors (tags): every standard error of com.vmware.vapi.std.errors.

VAPI_STANDARD_ERRORS = {
    "already_exists": InvalidInputError,
    "already_in_desired_state": InvalidStateError,
    "canceled": VSphereError,
    "concurrent_change": InvalidStateError,
    "error": VSphereError,
    "feature_in_use": InvalidStateError,
    "internal_server_error": VSphereError,
    "invalid_argument": InvalidInputError,
    "invalid_element_configuration": InvalidInputError,
    "invalid_element_type": InvalidInputError,
    "invalid_request": InvalidInputError,
    "not_allowed_in_current_state": InvalidStateError,
    "not_found": NotFoundError,
    "operation_not_found": InvalidStateError,
    "resource_busy": InvalidStateError,
    "resource_in_use": InvalidStateError,
    "resource_inaccessible": InvalidStateError,
    "service_unavailable": ConnectError,
    "timed_out": OperationTimeout,
    "unable_to_allocate_resource": InvalidStateError,
    "unauthenticated": AuthenticationError,
    "unauthorized": PermissionDeniedError,
    "unexpected_input": InvalidInputError,
    "unsupported": InvalidStateError,
    "unverified_peer": ConnectError,
}


def _rest_answer(code: str, *messages: str) -> dict[str, object]:
    """A failed answer of the /rest endpoint (vSphere 6.5 and later)."""
    listed = [{"id": f"x.{code}", "default_message": m, "args": []} for m in messages]
    return {"type": f"com.vmware.vapi.std.errors.{code}", "value": {"messages": listed}}


def _api_answer(code: str, *messages: str) -> dict[str, object]:
    """A failed answer of the /api endpoint (vSphere 7.0 U2 and later)."""
    listed = [{"id": f"x.{code}", "default_message": m, "args": []} for m in messages]
    return {"error_type": code.upper(), "messages": listed}


@pytest.mark.parametrize("answer", [_rest_answer, _api_answer], ids=["rest", "api"])
@pytest.mark.parametrize("code", sorted(VAPI_STANDARD_ERRORS))
def test_every_vapi_standard_error_reads_as_a_sentence_of_its_class(code, answer):
    error = translate_rest(400, answer(code), "create tag 'env/prod'", subject="tag 'env/prod'")
    assert type(error) is VAPI_STANDARD_ERRORS[code]
    text = str(error)
    assert text.startswith("create tag 'env/prod': ")
    assert "vapi" not in text.lower()
    assert "_" not in text  # no identifier such as already_exists or ALREADY_EXISTS


def test_the_sentences_name_what_was_asked_for():
    def text(code: str, **names: str) -> str:
        return str(translate_rest(400, _rest_answer(code), "create tag 'env/prod'", **names))

    assert text("already_exists", subject="tag 'env/prod'") == (
        "create tag 'env/prod': tag 'env/prod' already exists"
    )
    assert text("not_found", subject="tag 'env/prod'", missing="category 'env'") == (
        "create tag 'env/prod': category 'env' not found"
    )
    assert text("not_found", subject="tag 'env/prod'") == (
        "create tag 'env/prod': tag 'env/prod' not found"
    )
    assert text("unauthorized").startswith("create tag 'env/prod': not allowed: ")
    assert text("resource_in_use") == "create tag 'env/prod': it is in use"


def test_vsphere_own_sentences_are_kept():
    answer = _rest_answer(
        "already_exists", 'An object of type "TaggingCategory" named "env" already exists.'
    )
    error = translate_rest(400, answer, "create category 'env'", subject="category 'env'")
    assert isinstance(error, InvalidInputError)
    assert str(error) == (
        "create category 'env': category 'env' already exists "
        '(An object of type "TaggingCategory" named "env" already exists.)'
    )
    api = _api_answer("unauthorized", "Permission denied.", "Ask for Tagging.Create.")
    error = translate_rest(403, api, "create category 'env'", subject="category 'env'")
    assert isinstance(error, PermissionDeniedError)
    assert str(error).endswith("(Permission denied.; Ask for Tagging.Create.)")


@pytest.mark.parametrize(
    ("status", "payload", "cls", "expected"),
    [
        (
            404,
            "404 page not found\n",
            NotFoundError,
            "tag 'x' not found (HTTP 404: 404 page not found)",
        ),
        (
            401,
            None,
            AuthenticationError,
            "not logged in: the server refused the session (HTTP 401)",
        ),
        (
            403,
            "",
            PermissionDeniedError,
            "not allowed: the user lacks a privilege this needs (HTTP 403)",
        ),
        (503, None, ConnectError, "the service is unavailable on the server (HTTP 503)"),
        (418, None, InvalidInputError, "HTTP 418"),
        (502, "<html>bad gateway</html>", VSphereError, "HTTP 502 (<html>bad gateway</html>)"),
        (400, {"type": "com.example.errors.odd"}, InvalidInputError, "com.example.errors.odd"),
    ],
)
def test_answers_without_a_standard_error_type_go_by_their_status(status, payload, cls, expected):
    error = translate_rest(status, payload, "read tag 'x'", subject="tag 'x'")
    assert type(error) is cls
    assert str(error) == f"read tag 'x': {expected}"
