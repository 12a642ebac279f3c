"""vmw ls, find, vm ls/info, folder, field, notes, events: tables for people, --json equal to
the library's records, changes checked with plain pyVmomi."""

from __future__ import annotations

import dataclasses

from pyVmomi import vim

from tests.cli.conftest import records
from tests.helpers import all_objects, find_vm, wait_task


def test_ls_lists_the_children_of_a_path(vmw, cli_vs):
    result = vmw("--json", "ls", "/DC0")
    assert result.code == 0, result.err
    assert result.json() == records(cli_vs.list_children("/DC0"))
    assert {i["name"] for i in result.json()} == {"vm", "host", "datastore", "network"}
    table = vmw("ls", "/DC0/host").out.splitlines()
    assert table[0].split() == ["NAME", "TYPE", "PATH"]
    assert any(line.split()[:2] == ["DC0_C0", "ClusterComputeResource"] for line in table)


def test_find_by_type_and_pattern(vmw, cli_vs, cli_si):
    result = vmw("--json", "find", "--type", "host", "DC0_C0_*")
    assert result.code == 0, result.err
    assert result.json() == records(cli_vs.find_items("host", "DC0_C0_*"))
    plain = sorted(
        h.name for h in all_objects(cli_si, vim.HostSystem) if h.name.startswith("DC0_C0_")
    )
    assert sorted(i["name"] for i in result.json()) == plain
    assert len(plain) == 3


def test_vm_ls_table_and_json(vmw, cli_vs, cli_si):
    result = vmw("--json", "vm", "ls")
    assert result.code == 0, result.err
    assert result.json() == records(cli_vs.list_vms())
    assert {v["name"] for v in result.json()} == {
        vm.name for vm in all_objects(cli_si, vim.VirtualMachine)
    }
    lines = vmw("vm", "ls", "DC0_C0_RP0_*").out.splitlines()
    assert lines[0].split()[:2] == ["NAME", "POWER"]
    # Whole paths, not cut short for the width of a terminal.
    assert [line.split()[-1] for line in lines[1:]] == [
        f"/DC0/vm/DC0_C0_RP0_VM{i}" for i in range(3)
    ]


def test_vm_info_of_several(vmw, cli_vs, cli_si):
    result = vmw("--json", "vm", "info", "DC0_H0_VM1", "/DC0/vm/DC0_C0_RP0_VM0")
    assert result.code == 0, result.err
    expected = [cli_vs.vm_info("DC0_H0_VM1"), cli_vs.vm_info("DC0_C0_RP0_VM0")]
    assert result.json() == records(expected)
    assert result.json()[0]["bios_uuid"] == find_vm(cli_si, "DC0_H0_VM1").config.uuid
    people = vmw("vm", "info", "DC0_H0_VM1").out
    assert "power_state:" in people
    assert "DC0_H0_VM1" in people


def test_folder_create_with_parents(vmw, cli_si, cli_vs):
    result = vmw("--json", "folder", "create", "/DC0/vm/cli-a/b")
    assert result.code == 0, result.err
    created = [f for f in all_objects(cli_si, vim.Folder) if f.name == "b"]
    assert len(created) == 1
    assert created[0].parent.name == "cli-a"
    assert result.json() == dataclasses.asdict(cli_vs.find_items("folder", "/DC0/vm/cli-a/b")[0])
    assert vmw("folder", "create", "/DC0/vm/cli-a/b").code == 0  # already there: fine
    wait_task(created[0].parent.Destroy())  # cli-a, and b with it


def test_custom_fields_and_notes(vmw, cli_si, make_vm):
    vm = make_vm()
    assert vmw("field", "set", vm.name, "owner", "team-web").code == 0
    assert vmw("field", "set", vm.name, "cost-center", "42").code == 0
    defs = {f.key: f.name for f in cli_si.content.customFieldsManager.field}
    assert {defs[v.key]: v.value for v in vm.customValue} == {
        "owner": "team-web",
        "cost-center": "42",
    }
    assert vmw("--json", "field", "ls", vm.name).json() == {
        "owner": "team-web",
        "cost-center": "42",
    }
    assert vmw("field", "ls", vm.name).out.splitlines() == ["cost-center\t42", "owner\tteam-web"]

    assert vmw("notes", "set", vm.name, "line one\nline two").code == 0
    assert vm.config.annotation == "line one\nline two"
    assert vmw("notes", "get", vm.name).out == "line one\nline two\n"


def test_events_newest_first(vmw, cli_vs, make_vm):
    vm = make_vm(power_on=False)
    wait_task(vm.PowerOn())
    result = vmw("--json", "events", vm.name, "--limit", "5")
    assert result.code == 0, result.err
    assert result.json() == records(cli_vs.events(vm.name, limit=5))
    assert result.json()[0]["object_name"] == vm.name
    only = vmw("--json", "events", vm.name, "--type", "VmPoweredOnEvent").json()
    assert [e["type"] for e in only] == ["VmPoweredOnEvent"]
    table = vmw("events", "--limit", "3").out.splitlines()
    assert table[0].split()[:2] == ["TIME", "TYPE"]
    assert len(table) == 4
