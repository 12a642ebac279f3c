"""Bad input gets a clear error that names it, and nothing reaches the server but reads."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, foreground_calls
from vmware_wrapper import AmbiguousNameError, InvalidInputError, NotFoundError

READS = {
    "RetrievePropertiesEx",
    "ContinueRetrievePropertiesEx",
    "Fetch",
    "RetrieveServiceContent",
    "FindByUuid",
    "CreateContainerView",
}


def host_object(vs):
    return vs.get_host("DC0_C0_H0")


CASES = [
    ("get_vm", (None,), InvalidInputError, "None"),
    ("get_vm", (42,), InvalidInputError, "42"),
    ("get_vm", ("",), InvalidInputError, "empty VM name"),
    ("get_vm", ("no-such-vm",), NotFoundError, "'no-such-vm'"),
    ("get_vm", ("/DC0/vm/nowhere/x",), NotFoundError, "'/DC0/vm/nowhere/x'"),
    ("get_vm", (host_object,), InvalidInputError, "HostSystem, not a VM"),
    ("get_host", ("DC0_H0_VM0",), NotFoundError, "'DC0_H0_VM0'"),
    ("get_vm_by_uuid", ("not-a-uuid",), InvalidInputError, "'not-a-uuid'"),
    ("get_vm_by_uuid", (None,), InvalidInputError, "None"),
    ("get", ("vmachine", "x"), InvalidInputError, "'vmachine'"),
    ("get", (int, "x"), InvalidInputError, "int"),
    ("find", ("vm", 7), InvalidInputError, "7"),
    ("list_vms", (["a"],), InvalidInputError, "['a']"),
    ("vm_info", ("DC0_H0_VM7",), NotFoundError, "'DC0_H0_VM7'"),
    ("path_of", ("nothing-here",), NotFoundError, "'nothing-here'"),
    ("get_vm", ("/",), NotFoundError, "a path of no names is the root folder"),
    ("get_network", ("//",), NotFoundError, "'//'"),
    ("get_vm", ("web\ud800",), InvalidInputError, "U+D800"),
    ("get_vm", ("web\uffff",), InvalidInputError, "U+FFFF"),
    ("create_folder", ("/DC0/vm/new\ud800",), InvalidInputError, "U+D800"),
    ("create_folder", ("/DC0/vm/new/x\ufffe",), InvalidInputError, "U+FFFE"),  # nor "new"
    ("create_folder", ("/DC0/vm/new ",), InvalidInputError, "'new '"),
    ("rename", ("DC0_H0_VM0", "x\udfff"), InvalidInputError, "U+DFFF"),
    ("set_notes", ("DC0_H0_VM0", "\ud800"), InvalidInputError, "notes"),
    ("set_custom_field", ("DC0_H0_VM0", "f\ud800", "v"), InvalidInputError, "U+D800"),
    ("set_custom_field", ("DC0_H0_VM0", "new-field", "\x00"), InvalidInputError, "U+0000"),
    ("move", ("/", "/DC0/vm"), InvalidInputError, "root folder"),
    ("move", ("/DC0/vm", "/DC0/vm"), InvalidInputError, "folders of datacenter 'DC0'"),
]


def _shown(args: tuple[object, ...]) -> str:
    """A case's arguments in its test id: the same in every process (a function by name)."""
    return repr(tuple(getattr(a, "__name__", a) if callable(a) else a for a in args))


@pytest.mark.parametrize(
    ("method", "args", "error", "named"), CASES, ids=[f"{c[0]}-{_shown(c[1])}" for c in CASES]
)
def test_bad_input_is_refused_and_named(vsphere, vsphere_simulator, si, method, args, error, named):
    args = tuple(a(vsphere) if callable(a) and a is not int else a for a in args)
    before = sorted((vm._moId, vm.name) for vm in all_objects(si, vim.VirtualMachine))
    vsphere_simulator.reset_call_counts()
    with pytest.raises(error) as raised:
        getattr(vsphere, method)(*args)
    assert named in str(raised.value)
    assert set(foreground_calls(vsphere_simulator)) <= READS
    assert sorted((vm._moId, vm.name) for vm in all_objects(si, vim.VirtualMachine)) == before


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -float("inf"), 0, -1, True, "5"])
def test_bad_timeouts_are_refused_before_anything_is_sent(vsphere, vsphere_simulator, timeout):
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match="timeout="):
        vsphere.power_on("DC0_H0_VM0", timeout=timeout)
    assert set(foreground_calls(vsphere_simulator)) <= READS
    # A handle's wait too: no deadline comes of NaN or infinity (None waits without one).
    handle = vsphere.rename("DC0_H0_VM0", "DC0_H0_VM0", wait=False)
    with pytest.raises(InvalidInputError, match="timeout="):
        handle.wait(timeout=timeout)
    assert handle.wait(timeout=None) is None


def test_ambiguity_names_every_candidate(vsphere, si):
    folder = next(f for f in all_objects(si, vim.Folder) if f.name == "vm")
    twin = folder.CreateFolder("DC0_C0")  # a folder named like the cluster
    try:
        with pytest.raises(AmbiguousNameError) as raised:
            vsphere.get(vim.ManagedEntity, "DC0_C0")
        assert raised.value.candidates == ["/DC0/host/DC0_C0", "/DC0/vm/DC0_C0"]
        # The kind settles it: the cluster, as the server knows it, not the folder.
        (cluster,) = [c for c in all_objects(si, vim.ClusterComputeResource) if c.name == "DC0_C0"]
        found = vsphere.get_cluster("DC0_C0")
        assert (type(found), found._moId) == (vim.ClusterComputeResource, cluster._moId)
    finally:
        twin.Destroy()
