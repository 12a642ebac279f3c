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
    "CustomizationError",
    "OperationTimeout",
    "GuestOperationError",
    "GuestAuthenticationError",
}


def test_every_error_is_exported_from_both_places():
    assert set(errors.__all__) == CONTRACT_ERRORS
    for name in CONTRACT_ERRORS:
        assert getattr(vmware_wrapper, name) is getattr(errors, name)
        assert issubclass(getattr(errors, name), errors.VSphereError)


# Beyond the contract, and documented in the README: records, handles, customization specs.
ADDITIONS = {
    "VMInfo",
    "SnapshotInfo",
    "Handle",
    "TaskHandle",
    "TaskProgress",
    "LinuxCustomization",
    "WindowsCustomization",
    "NicSettings",
    "to_ascii",
    "Guest",
    "GuestResult",
    "GuestProcess",
    "EventInfo",
    "BulkResult",
    "InventoryItem",
    "Tags",
    "ContentLibraries",
    "LibraryInfo",
    "LibraryItemInfo",
    "DeviceInfo",
    "HostInfo",
    "DatastoreFile",
    "NetworkInfo",
    "DrsRuleInfo",
    "Fleet",
    "BulkProgress",
    "ProgressCallback",
    # what parameters accept (see vmware_wrapper/_base/types.py)
    "VMRef",
    "HostRef",
    "ClusterRef",
    "DatacenterRef",
    "DatastoreRef",
    "NetworkRef",
    "FolderRef",
    "ResourcePoolRef",
    "EntityRef",
    "Selection",
}


def test_the_package_exports_exactly_the_documented_names():
    assert set(vmware_wrapper.__all__) == CONTRACT_ERRORS | ADDITIONS | {"VSphere", "__version__"}
    for name in vmware_wrapper.__all__:
        assert hasattr(vmware_wrapper, name)


def test_the_contract_methods_exist():
    contract = [
        "get_vm",
        "get_vm_by_uuid",
        "get_host",
        "get_cluster",
        "get_datacenter",
        "get_datastore",
        "get_network",
        "get_folder",
        "get_resource_pool",
        "get",
        "find",
        "path_of",
        "list_vms",
        "vm_info",
        "power_state",
        "power_on",
        "power_off",
        "shutdown",
        "reboot",
        "reset",
        "suspend",
        "wait_for_tools",
        "clone_vm",
        "reconfigure_vm",
        "add_disk",
        "add_nic",
        "destroy_vm",
        "rename",
        "mark_as_template",
        "mark_as_vm",
        "relocate_vm",
        "create_snapshot",
        "list_snapshots",
        "revert_to_snapshot",
        "remove_snapshot",
        "remove_all_snapshots",
        "create_folder",
        "delete_folder",
        "move",
        "set_custom_field",
        "get_custom_fields",
        "set_notes",
        "get_notes",
        "close",
        "from_env",
        "service_instance",
        "content",
    ]
    missing = [name for name in contract if not hasattr(vmware_wrapper.VSphere, name)]
    assert missing == []


def test_error_families():
    assert issubclass(errors.InvalidInputError, ValueError)
    assert issubclass(errors.OperationTimeout, TimeoutError)
    assert issubclass(errors.GuestAuthenticationError, errors.GuestOperationError)
