"""Folders, moves, renames, templates and relocation; checked through plain pyVmomi reads."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from tests.helpers import all_objects
from vmware_wrapper import InvalidInputError, InvalidStateError, NotFoundError


def folder_path(obj):
    names = []
    while obj.parent is not None:
        names.append(obj.name)
        obj = obj.parent
    return "/" + "/".join(reversed(names))


def test_create_folder_is_mkdir_p_and_idempotent(vsphere, si):
    made = vsphere.create_folder("/DC0/vm/team/web/prod")
    assert folder_path(made) == "/DC0/vm/team/web/prod"
    again = vsphere.create_folder("DC0/vm/team/web/prod")
    assert again._moId == made._moId
    names = sorted(f.name for f in all_objects(si, vim.Folder))
    assert names.count("prod") == 1
    vsphere.create_folder("/DC0/vm/team/db")
    assert folder_path(vsphere.get_folder("/DC0/vm/team/db")) == "/DC0/vm/team/db"


@pytest.mark.parametrize(
    ("path", "error", "match"),
    [
        ("/DC0", InvalidInputError, "a datacenter"),
        ("/DC9/vm/x", NotFoundError, "/DC9/vm"),
        ("/DC0/host/DC0_C0/x", InvalidInputError, "ClusterComputeResource"),
        ("/DC0/vm/" + "x" * 81, InvalidInputError, "81 characters"),
    ],
)
def test_bad_folder_paths(vsphere, path, error, match):
    with pytest.raises(error, match=match):
        vsphere.create_folder(path)


def test_folder_names_with_slashes(vsphere, si):
    made = vsphere.create_folder("/DC0/vm/a%2fb")  # a folder named "a/b"
    assert made.name == "a%2fb"
    assert vsphere.get_folder("a/b")._moId == made._moId


def test_move_one_or_many(vsphere, si, fresh_vm):
    target = vsphere.create_folder("/DC0/vm/moved")
    vsphere.move(fresh_vm.name, "/DC0/vm/moved")
    assert fresh_vm.parent._moId == target._moId
    assert vsphere.path_of(fresh_vm.name) == f"/DC0/vm/moved/{fresh_vm.name}"
    back = vsphere.get_folder("/DC0/vm")
    vsphere.move([fresh_vm.name], back)
    assert fresh_vm.parent._moId == back._moId


def test_rename_escapes_and_refuses_taken_names(vsphere, fresh_vm):
    old = fresh_vm.name
    vsphere.rename(old, f"{old}/new")
    assert fresh_vm.name == f"{old}%2fnew"
    assert vsphere.get_vm(f"{old}/new")._moId == fresh_vm._moId
    with pytest.raises(InvalidInputError, match="already has one"):
        vsphere.rename(f"{old}/new", "DC0_H0_VM1")
    vsphere.rename(f"{old}/new", old)
    assert fresh_vm.name == old


def test_templates_both_ways(vsphere, fresh_vm):
    with pytest.raises(InvalidStateError, match="power it off"):
        vsphere.mark_as_template(fresh_vm.name)
    vsphere.power_off(fresh_vm.name)
    vsphere.mark_as_template(fresh_vm.name)
    assert fresh_vm.config.template is True
    assert vsphere.vm_info(fresh_vm.name).is_template
    assert fresh_vm.name in [v.name for v in vsphere.find("template")]
    vsphere.mark_as_template(fresh_vm.name)  # already: nothing to do
    vsphere.mark_as_vm(fresh_vm.name)
    assert fresh_vm.config.template is False
    assert fresh_vm.resourcePool is not None
    assert fresh_vm.name not in [v.name for v in vsphere.find("template")]


def test_relocate_to_a_host_and_a_pool(vsphere, fresh_vm, si):
    vsphere.relocate_vm(fresh_vm.name, host="DC0_C0_H2", resource_pool="/DC0/host/DC0_C0/Resources")
    assert fresh_vm.runtime.host.name == "DC0_C0_H2"
    assert fresh_vm.resourcePool.name == "Resources"
    with pytest.raises(InvalidInputError, match="relocate to what"):
        vsphere.relocate_vm(fresh_vm.name)
