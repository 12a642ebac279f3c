"""Snapshots: take, list as a tree, revert, remove; checked through plain pyVmomi reads."""

from __future__ import annotations

import pytest

from tests.helpers import find_vm
from vmware_wrapper import AmbiguousNameError, InvalidStateError, NotFoundError


def server_tree(vm):
    out = []

    def walk(trees, prefix):
        for t in trees:
            path = f"{prefix}/{t.name}" if prefix else t.name
            out.append(path)
            walk(t.childSnapshotList, path)

    if vm.snapshot:
        walk(vm.snapshot.rootSnapshotList, "")
    return out


def current_name(vm):
    current = vm.snapshot.currentSnapshot
    found = []

    def walk(trees):
        for t in trees:
            if t.snapshot._moId == current._moId:
                found.append(t.name)
            walk(t.childSnapshotList)

    walk(vm.snapshot.rootSnapshotList)
    return found[0]


def test_create_list_revert_remove(vsphere, fresh_vm):
    name = fresh_vm.name
    info = vsphere.create_snapshot(name, "base", description="clean install")
    assert info.name == "base"
    assert info.path == "base"
    assert info.is_current
    assert info.description == "clean install"
    vsphere.create_snapshot(name, "app", memory=True)
    vsphere.create_snapshot(name, "config")
    assert server_tree(fresh_vm) == ["base", "base/app", "base/app/config"]
    listed = vsphere.list_snapshots(name)
    assert [s.path for s in listed] == ["base", "base/app", "base/app/config"]
    assert [s.is_current for s in listed] == [False, False, True]
    assert listed[0].created <= listed[1].created

    vsphere.revert_to_snapshot(name, "base")
    assert current_name(fresh_vm) == "base"
    vsphere.revert_to_snapshot(name, "base/app")
    assert current_name(fresh_vm) == "app"
    vsphere.revert_to_snapshot(name)  # the current one
    assert current_name(fresh_vm) == "app"

    vsphere.remove_snapshot(name, "config")
    assert server_tree(fresh_vm) == ["base", "base/app"]
    vsphere.remove_snapshot(name, "base", children=True)
    assert server_tree(fresh_vm) == []


def test_removing_a_parent_keeps_its_children(vsphere, fresh_vm):
    vsphere.create_snapshot(fresh_vm.name, "one")
    vsphere.create_snapshot(fresh_vm.name, "two")
    vsphere.remove_snapshot(fresh_vm.name, "one")
    assert server_tree(fresh_vm) == ["two"]


def test_remove_all(vsphere, fresh_vm):
    vsphere.create_snapshot(fresh_vm.name, "one")
    vsphere.create_snapshot(fresh_vm.name, "two")
    vsphere.remove_all_snapshots(fresh_vm.name)
    assert server_tree(fresh_vm) == []
    vsphere.remove_all_snapshots(fresh_vm.name)  # none left: nothing to do


def test_duplicate_snapshot_names_are_ambiguous(vsphere, fresh_vm):
    vsphere.create_snapshot(fresh_vm.name, "daily")
    vsphere.create_snapshot(fresh_vm.name, "daily")
    with pytest.raises(AmbiguousNameError) as raised:
        vsphere.revert_to_snapshot(fresh_vm.name, "daily")
    assert raised.value.candidates == ["daily", "daily/daily"]
    with pytest.raises(AmbiguousNameError):
        vsphere.remove_snapshot(fresh_vm.name, "daily")
    assert server_tree(fresh_vm) == ["daily", "daily/daily"]  # nothing removed
    vsphere.remove_snapshot(fresh_vm.name, "daily/daily")
    assert server_tree(fresh_vm) == ["daily"]


def test_names_with_slashes(vsphere, fresh_vm):
    vsphere.create_snapshot(fresh_vm.name, "before 12/30")
    assert server_tree(fresh_vm) == ["before 12%2f30"]  # as vCenter stores it
    (info,) = vsphere.list_snapshots(fresh_vm.name)
    assert (info.name, info.path) == ("before 12/30", "before 12%2f30")
    vsphere.revert_to_snapshot(fresh_vm.name, "before 12/30")
    vsphere.remove_snapshot(fresh_vm.name, "before 12%2f30")
    assert server_tree(fresh_vm) == []


def test_misses_and_empty_trees(vsphere, fresh_vm):
    with pytest.raises(InvalidStateError, match="no snapshots"):
        vsphere.revert_to_snapshot(fresh_vm.name)
    vsphere.create_snapshot(fresh_vm.name, "one")
    with pytest.raises(NotFoundError, match="no snapshot 'two'"):
        vsphere.remove_snapshot(fresh_vm.name, "two")


def test_a_template_cannot_be_snapshotted(vsphere, si):
    template = vsphere.clone_vm("DC0_H0_VM0", "snapshot-template", template=True)
    try:
        with pytest.raises(InvalidStateError, match="template"):
            vsphere.create_snapshot("snapshot-template", "nope")
        assert find_vm(si, "snapshot-template").snapshot is None
    finally:
        vsphere.destroy_vm(template, allow_template=True)
