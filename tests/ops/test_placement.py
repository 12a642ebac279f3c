"""Folders, moves, renames, templates and relocation; checked through plain pyVmomi reads."""

from __future__ import annotations

import time

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, wait_task
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


def test_create_folder_finds_one_made_meanwhile_by_another_client(vsphere_simulator, si):
    # Without the watch the index cannot know the folder another client makes: creating it
    # meets DuplicateName, and the existing folder is the answer (not the fault's `object`,
    # which the simulator fills with the parent).
    with vsphere_simulator.connect(watch_inventory=False) as vs:
        ours = vs.create_folder("/DC0/vm/meanwhile")
        parent = vim.Folder(ours._moId, si._stub)
        theirs = parent.CreateFolder("made-elsewhere")
        try:
            assert vs.create_folder("/DC0/vm/meanwhile/made-elsewhere")._moId == theirs._moId
            assert [f.name for f in parent.childEntity] == ["made-elsewhere"]
        finally:
            wait_task(parent.Destroy())


def test_own_writes_survive_the_watchs_first_answer(vsphere_simulator, si):
    # A new connection: the first call loads the index and starts the watch, whose first
    # answer is the full state and replaces the index. Held back for a second on its way,
    # that answer says what was true before the folders below were made; the watch's next
    # answer, which would bring them back, is a second later again.
    vsphere_simulator.set_answer_delay("WaitForUpdatesEx", 1.0)
    try:
        with vsphere_simulator.connect() as vs:
            made = vs.create_folder("/DC0/vm/first-answer/a/b")
            time.sleep(1.4)  # the first answer has arrived, the next one not yet
            assert [i.moid for i in vs.list_children("/DC0/vm/first-answer/a")] == [made._moId]
    finally:
        vsphere_simulator.clear_answer_delays()
    wait_task(vim.Folder(made._moId, si._stub).parent.parent.Destroy())


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
