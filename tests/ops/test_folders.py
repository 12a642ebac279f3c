"""Deleting folders, and listing what a recursive delete removes; read back through plain
pyVmomi. What is refused is refused before anything is sent, and the server is unchanged.

The tests leave hosts and clusters in folders that vSphere's simulator cannot remove again:
they have a simulator of their own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.helpers import all_objects, foreground_calls, plain_pyvmomi, wait_task, wait_until
from vmware_wrapper import (
    AmbiguousNameError,
    InvalidInputError,
    NotFoundError,
    TaskError,
    VSphere,
)
from vmware_wrapper.testing import Simulator

# What deleting a folder sends (besides reads): nothing of it may reach a refused request.
MUTATING = {"Destroy_Task", "PowerOffVM_Task"}

_seq = itertools.count()


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(vms_per_pool=1, hosts_per_cluster=1, tools_delay=0) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def si(sim: Simulator) -> Iterator[Any]:
    with plain_pyvmomi(sim) as service_instance:
        yield service_instance


@pytest.fixture
def vs(sim: Simulator) -> Iterator[VSphere]:
    with sim.connect() as vsphere:
        yield vsphere


@pytest.fixture
def dc(si: Any) -> Any:
    return si.content.rootFolder.childEntity[0]


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_seq)}"


def exists(obj: Any) -> bool:
    """Whether the server still has the object (read by plain pyVmomi)."""
    try:
        obj.name  # noqa: B018 (a read of the server)
    except vmodl.fault.ManagedObjectNotFound:
        return False
    return True


def clone(si: Any, folder: Any, name: str, *, power_on: bool = False, template: bool = False):
    source = next(v for v in all_objects(si, vim.VirtualMachine) if v.name == "DC0_H0_VM0")
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=power_on, template=template)
    return wait_task(source.Clone(folder, name, spec))


def test_an_empty_folder_of_any_kind_is_deleted(vs, si, dc):
    for root in (dc.vmFolder, dc.hostFolder, dc.datastoreFolder, dc.networkFolder):
        name = unique("empty")
        folder = root.CreateFolder(name)
        path = f"/DC0/{root.name}/{name}"
        assert vs.delete_folder(path) is None
        assert not exists(folder)
        assert name not in [c.name for c in root.childEntity]
        with pytest.raises(NotFoundError):
            vs.get_folder(path)  # the library's index knows at once


def test_a_unique_bare_name_and_wait_false(vs, si, dc):
    folder = dc.vmFolder.CreateFolder(unique("bare")).CreateFolder(unique("inner"))
    handle = vs.delete_folder(folder.name, wait=False)
    assert handle.wait(timeout=30) is None
    assert not exists(folder)


def test_a_folder_that_holds_anything_is_refused_unless_recursive(vs, si, sim, dc):
    folder = dc.vmFolder.CreateFolder(unique("full"))
    sub = folder.CreateFolder("sub")
    vm = clone(si, folder, unique("kept"), power_on=True)
    path = f"/DC0/vm/{folder.name}"
    vs.get_folder(path)
    sim.reset_call_counts()
    with pytest.raises(
        InvalidInputError, match=r"holds 2 objects \(1 folder and 1 VM\); pass recursive=True"
    ):
        vs.delete_folder(path)
    assert not MUTATING & set(foreground_calls(sim))
    assert sorted(c._moId for c in folder.childEntity) == sorted([sub._moId, vm._moId])
    assert vm.runtime.powerState == "poweredOn"
    # What it holds is read from the server, whatever the library saw before.
    wait_task(vm.PowerOff())
    wait_task(vm.Destroy())
    with pytest.raises(InvalidInputError, match=r"holds 1 folder; pass recursive=True"):
        vs.delete_folder(folder.name, recursive=False)
    wait_task(sub.Destroy())
    vs.delete_folder(folder.name)
    assert not exists(folder)


def test_recursive_destroys_vms_and_templates_then_the_folder_and_its_subfolders(vs, si, dc):
    top = dc.vmFolder.CreateFolder(unique("project"))
    a = top.CreateFolder("a")
    b = a.CreateFolder("b")
    running = clone(si, top, unique("web"), power_on=True)
    stopped = clone(si, a, unique("db"))
    template = clone(si, b, unique("tmpl"), template=True)
    path = f"/DC0/vm/{top.name}"
    expected = sorted(
        [
            (f"{path}/a", "Folder", a._moId),
            (f"{path}/a/b", "Folder", b._moId),
            (f"{path}/{running.name}", "VirtualMachine", running._moId),
            (f"{path}/a/{stopped.name}", "VirtualMachine", stopped._moId),
            (f"{path}/a/b/{template.name}", "VirtualMachine", template._moId),
        ]
    )
    assert sorted((i.path, i.type, i.moid) for i in vs.folder_contents(path)) == expected
    vm_names = {running.name, stopped.name, template.name}
    top_name = top.name

    vs.delete_folder(path, recursive=True)

    for obj in (top, a, b, running, stopped, template):
        assert not exists(obj), obj
    assert not vm_names & {v.name for v in all_objects(si, vim.VirtualMachine)}
    assert top_name not in [c.name for c in dc.vmFolder.childEntity]
    # The library's own index has forgotten all of it at once.
    assert vs.find_items("folder", f"{path}/**") == []
    with pytest.raises(NotFoundError):
        vs.get_folder("b")


def test_folder_contents_is_one_read(sim, si, dc):
    top = dc.vmFolder.CreateFolder(unique("listed"))
    inner = top.CreateFolder("x%2fy")  # a folder named "x/y"
    vm = clone(si, inner, unique("vm"))
    path = f"/DC0/vm/{top.name}"
    with sim.connect() as vsphere:
        # Known to the index through its watch (not read in directly): no second look later.
        vsphere.get_vm("DC0_H0_VM0")
        wait_until(lambda: vsphere.find_items("vm", vm.name), what="the watch reports the VM")
        sim.reset_call_counts()
        items = vsphere.folder_contents(path)
        assert foreground_calls(sim) == {"RetrievePropertiesEx": 1}
    assert [(i.name, i.type, i.path, i.moid) for i in items] == [
        ("x/y", "Folder", f"{path}/x%2fy", inner._moId),
        (vm.name, "VirtualMachine", f"{path}/x%2fy/{vm.name}", vm._moId),
    ]


def test_an_ambiguous_bare_name_changes_nothing(sim, si, dc):
    name = unique("twin")
    one = dc.vmFolder.CreateFolder(name)
    other = dc.vmFolder.CreateFolder(unique("elsewhere")).CreateFolder(name)
    vm = clone(si, one, unique("in-twin"))
    # Without the watch, the index cannot know of the second one: the server's names decide.
    with sim.connect(watch_inventory=False) as vsphere:
        vsphere.get_folder(f"/DC0/vm/{name}")
        sim.reset_call_counts()
        for recursive in (False, True):
            with pytest.raises(AmbiguousNameError, match="2 folders match") as caught:
                vsphere.delete_folder(name, recursive=recursive)
            assert sorted(caught.value.candidates) == sorted(
                [f"/DC0/vm/{name}", f"/DC0/vm/{other.parent.name}/{name}"]
            )
        assert not MUTATING & set(foreground_calls(sim))
    assert all(exists(o) for o in (one, other, vm))


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("/", "the root folder"),
        ("/DC0/vm", "folders of datacenter 'DC0'"),
        ("/DC0/host", "folders of datacenter 'DC0'"),
        ("/DC0/datastore", "folders of datacenter 'DC0'"),
        ("/DC0/network", "folders of datacenter 'DC0'"),
        ("vm", "folders of datacenter 'DC0'"),  # a bare name
    ],
)
def test_the_root_folder_and_a_datacenters_folders_are_refused(vs, si, sim, dc, path, match):
    vs.get_vm("DC0_H0_VM0")
    vms = sorted(v._moId for v in all_objects(si, vim.VirtualMachine))
    sim.reset_call_counts()
    for recursive in (False, True):
        with pytest.raises(InvalidInputError, match=match):
            vs.delete_folder(path, recursive=recursive)
    assert not MUTATING & set(foreground_calls(sim))
    folders = (dc.vmFolder, dc.hostFolder, dc.datastoreFolder, dc.networkFolder)
    assert all(exists(f) for f in folders)
    assert sorted(v._moId for v in all_objects(si, vim.VirtualMachine)) == vms


def test_the_root_folder_is_refused_as_an_object_too(vs, si):
    with pytest.raises(InvalidInputError, match="the root folder"):
        vs.delete_folder(vs.content.rootFolder, recursive=True)
    assert exists(si.content.rootFolder)


def test_a_folder_holding_a_host_or_cluster_is_refused_even_recursive(vs, si, sim, dc):
    top = dc.hostFolder.CreateFolder(unique("hosts"))
    inner = top.CreateFolder("inner")
    spec = vim.host.ConnectSpec(hostName=unique("esx") + ".example", userName="root", force=True)
    host = wait_task(inner.AddStandaloneHost_Task(spec=spec, addConnected=True))
    cluster = top.CreateClusterEx(unique("cl"), vim.cluster.ConfigSpecEx())
    path = f"/DC0/host/{top.name}"
    kinds = sorted(i.type for i in vs.folder_contents(path))
    assert kinds == ["ClusterComputeResource", "ComputeResource", "Folder"]
    sim.reset_call_counts()
    with pytest.raises(
        InvalidInputError, match=r"holds 1 (cluster and 1 host|host and 1 cluster) .*move or remove"
    ):
        vs.delete_folder(path, recursive=True)
    with pytest.raises(InvalidInputError, match=r"holds 1 host \(.*/inner/esx-\d+.example\)"):
        vs.delete_folder(f"{path}/inner")  # not "pass recursive=True": that would not do
    assert not MUTATING & set(foreground_calls(sim))
    assert all(exists(o) for o in (top, inner, host, cluster))
    assert host.parent.parent._moId == inner._moId


def test_a_vm_that_cannot_be_destroyed_keeps_the_folder(vs, si, sim, dc):
    top = dc.vmFolder.CreateFolder(unique("stuck"))
    vm = clone(si, top, unique("vm"))
    sim.inject_fault("Destroy_Task", "InvalidState", in_task=True)
    try:
        with pytest.raises(TaskError, match=f"destroy '/DC0/vm/{top.name}/{vm.name}'"):
            vs.delete_folder(f"/DC0/vm/{top.name}", recursive=True)
    finally:
        sim.clear_faults()
    assert all(exists(o) for o in (top, vm))
    vs.delete_folder(f"/DC0/vm/{top.name}", recursive=True)
    assert not any(exists(o) for o in (top, vm))


def test_bad_arguments_are_refused(vs):
    with pytest.raises(InvalidInputError, match="recursive='no'"):
        vs.delete_folder("/DC0/vm/anything", recursive="no")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="timeout"):
        vs.delete_folder("/DC0/vm/anything", timeout=0)
    with pytest.raises(NotFoundError):
        vs.delete_folder("/DC0/vm/no-such-folder")
