"""`vmw` on several vCenters at once: three simulators named in one comma list.

Every simulator has the same default inventory, so every default name is in all three:
bare, it is ambiguous; qualified ("127.0.0.1:PORT:DC0_H0_VM0"), it is one VM. Results are
read back from each simulator through plain pyVmomi.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.cli.conftest import VMW, Run
from tests.helpers import all_objects, find_vm, name_or_none, plain_pyvmomi, wait_task
from vmware_wrapper.testing import Simulator

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "GOVC_"))}
_seq = itertools.count()


@pytest.fixture(scope="module")
def sims() -> Iterator[list[Simulator]]:
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(Simulator(vms_per_pool=2)) for _ in range(3)]


@pytest.fixture(scope="module")
def sis(sims: list[Simulator]) -> Iterator[list[Any]]:
    """Plain pyVmomi on each simulator, to check what vmw did."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(plain_pyvmomi(sim)) for sim in sims]


def vcenter(sim: Simulator) -> str:
    """The simulator's name in the fleet: its host and port (not http's own 80)."""
    return f"{sim.host}:{sim.port}"


def entry(sim: Simulator) -> str:
    # The simulators speak plain http: the list's entries say so, as GOVC_URL would.
    return f"{sim.protocol}://{sim.host}:{sim.port}"


def run(sims: list[Simulator], *args: str, env: dict[str, str] | None = None) -> Run:
    """vmw with VMWARE_HOST listing the simulators (all share the default credentials)."""
    base = {
        "VMWARE_HOST": ",".join(entry(sim) for sim in sims),
        "VMWARE_USER": sims[0].username,
        "VMWARE_PASSWORD": sims[0].password,
    }
    proc = subprocess.run(
        [VMW, *args],
        env={**CLEAN, **base, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def vm_names(si: Any) -> set[str]:
    return {n for vm in all_objects(si, vim.VirtualMachine) if (n := name_or_none(vm))}


def rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()]


@pytest.fixture
def make_vm(sis: list[Any]) -> Iterator[Callable[..., Any]]:
    """A new VM on one simulator (a clone of DC0_H0_VM0 by plain pyVmomi), destroyed after."""
    made: list[Any] = []

    def make(si: Any, power_on: bool = False, name: str | None = None) -> Any:
        source = find_vm(si, "DC0_H0_VM0")
        spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=power_on)
        vm = wait_task(source.Clone(source.parent, name or f"fleet-{next(_seq)}", spec))
        made.append(vm)
        return vm

    yield make
    for vm in made:
        with contextlib.suppress(vmodl.fault.ManagedObjectNotFound):
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())


# -- listings ------------------------------------------------------------------------------


def test_vm_ls_lists_every_vcenter_under_a_vcenter_column(sims, sis) -> None:
    r = run(sims, "vm", "ls")
    assert r.code == 0, r.err
    header, *lines = rows(r.out)
    assert header[:2] == ["VCENTER", "NAME"]
    listed = {(line[0], line[1]) for line in lines}
    expected = {
        (vcenter(sim), name) for sim, si in zip(sims, sis, strict=True) for name in vm_names(si)
    }
    assert listed == expected


def test_vm_ls_json_records_say_their_vcenter(sims, sis) -> None:
    r = run(sims, "--json", "vm", "ls", "DC0_H0_*")
    assert r.code == 0, r.err
    listed = {(record["vcenter"], record["name"], record["moid"]) for record in r.json()}
    expected = {
        (vcenter(sim), vm.name, vm._moId)
        for sim, si in zip(sims, sis, strict=True)
        for vm in all_objects(si, vim.VirtualMachine)
        if vm.name.startswith("DC0_H0_")
    }
    assert len(listed) == 6
    assert listed == expected


def test_vm_ls_of_one_vcenter_by_a_qualified_pattern(sims, sis) -> None:
    r = run(sims, "--json", "vm", "ls", f"{vcenter(sims[1])}:DC0_H0_*")
    assert r.code == 0, r.err
    assert {(rec["vcenter"], rec["name"]) for rec in r.json()} == {
        (vcenter(sims[1]), "DC0_H0_VM0"),
        (vcenter(sims[1]), "DC0_H0_VM1"),
    }


def test_one_vcenter_lists_as_before_without_a_vcenter_column(sims) -> None:
    r = run(sims[:1], "vm", "ls", "DC0_H0_*", env=sims[0].env)
    assert r.code == 0, r.err
    header, *lines = rows(r.out)
    assert header[0] == "NAME"
    assert sorted(line[0] for line in lines) == ["DC0_H0_VM0", "DC0_H0_VM1"]


def test_one_vcenter_given_as_a_url_with_its_port(sims) -> None:
    r = run(sims[:1], "--host", entry(sims[0]), "vm", "ls", "DC0_H0_*", env={"VMWARE_HOST": ""})
    assert r.code == 0, r.err
    header, *lines = rows(r.out)
    assert header[0] == "NAME"
    assert sorted(line[0] for line in lines) == ["DC0_H0_VM0", "DC0_H0_VM1"]


def test_repeated_host_options_make_a_fleet(sims, sis) -> None:
    r = run(
        sims[:1],
        "--host", entry(sims[0]), "--host", entry(sims[2]), "--json", "vm", "ls", "DC0_H0_VM0",
        env={"VMWARE_HOST": ""},
    )  # fmt: skip
    assert r.code == 0, r.err
    assert sorted(rec["vcenter"] for rec in r.json()) == sorted(
        [vcenter(sims[0]), vcenter(sims[2])]
    )


def test_host_ls_and_find_show_the_vcenter(sims, sis) -> None:
    r = run(sims, "host", "ls", "DC0_H0")
    assert r.code == 0, r.err
    header, *lines = rows(r.out)
    assert header[0] == "VCENTER"
    assert sorted(line[:2] for line in lines) == sorted([vcenter(s), "DC0_H0"] for s in sims)
    r = run(sims, "--json", "find", "--type", "datastore", "LocalDS_0")
    assert r.code == 0, r.err
    assert sorted((rec["vcenter"], rec["path"]) for rec in r.json()) == sorted(
        (vcenter(s), "/DC0/datastore/LocalDS_0") for s in sims
    )


# -- names ---------------------------------------------------------------------------------


def test_a_qualified_name_is_that_vcenters_vm(sims, sis) -> None:
    r = run(sims, "--json", "vm", "info", f"{vcenter(sims[1])}:/DC0/vm/DC0_H0_VM1")
    assert r.code == 0, r.err
    (info,) = r.json()
    vm = find_vm(sis[1], "DC0_H0_VM1")
    assert (info["vcenter"], info["moid"], info["bios_uuid"]) == (
        vcenter(sims[1]),
        vm._moId,
        vm.config.uuid,
    )


def test_an_ambiguous_bare_name_exits_4_with_the_qualified_paths(sims, sis) -> None:
    before = [find_vm(si, "DC0_H0_VM0").runtime.powerState for si in sis]
    assert before == ["poweredOn"] * 3
    r = run(sims, "vm", "off", "DC0_H0_VM0")
    assert r.code == 4, r.err
    for sim in sims:
        assert f"{vcenter(sim)}:/DC0/vm/DC0_H0_VM0" in r.err
    assert [find_vm(si, "DC0_H0_VM0").runtime.powerState for si in sis] == before


def test_a_name_only_one_vcenter_has_works_bare(sims, sis, make_vm) -> None:
    vm = make_vm(sis[2], power_on=True)
    r = run(sims, "vm", "off", vm.name)
    assert r.code == 0, r.err
    assert vm.runtime.powerState == "poweredOff"
    assert "power off: 1 done" in r.err


def test_one_power_on_over_two_vcenters(sims, sis, make_vm) -> None:
    first, second = make_vm(sis[0]), make_vm(sis[1])
    r = run(sims, "--json", "vm", "on", first.name, f"{vcenter(sims[1])}:{second.name}")
    assert r.code == 0, r.err
    assert (first.runtime.powerState, second.runtime.powerState) == ("poweredOn", "poweredOn")
    assert sorted(rec["target"] for rec in r.json()) == sorted(
        [f"{vcenter(sims[0])}:{first.name}", f"{vcenter(sims[1])}:{second.name}"]
    )


def test_snapshot_create_on_a_qualified_vm(sims, sis, make_vm) -> None:
    vm = make_vm(sis[1])
    twin = make_vm(sis[0], name=vm.name)  # the same name on another vCenter
    r = run(sims, "snapshot", "create", f"{vcenter(sims[1])}:{vm.name}", "before")
    assert r.code == 0, r.err
    assert [s.name for s in vm.snapshot.rootSnapshotList] == ["before"]
    assert twin.snapshot is None


def test_destroy_goes_by_the_qualifier_and_refuses_a_bare_shared_name(sims, sis, make_vm) -> None:
    vm = make_vm(sis[1])
    name = vm.name
    twin = make_vm(sis[0], name=name)
    r = run(sims, "vm", "destroy", name, "--yes")
    assert r.code == 4, r.err
    assert f"{vcenter(sims[0])}:/DC0/vm/{name}" in r.err
    assert f"{vcenter(sims[1])}:/DC0/vm/{name}" in r.err
    assert name in vm_names(sis[0]) & vm_names(sis[1])
    r = run(sims, "vm", "destroy", f"{vcenter(sims[1])}:{name}", "--yes")
    assert r.code == 0, r.err
    assert name not in vm_names(sis[1])
    assert twin.name == name
    assert name in vm_names(sis[0])


def test_help_says_host_takes_several_vcenters(sims) -> None:
    r = run(sims, "--help")
    assert r.code == 0, r.err
    assert "repeat it or give a comma list" in " ".join(r.out.split())
    assert "VMWARE_USERS" in r.out


def test_clone_with_qualified_source_and_cluster(sims, sis) -> None:
    name = f"fleet-clone-{next(_seq)}"
    at = vcenter(sims[2])
    r = run(sims, "--json", "vm", "clone", f"{at}:DC0_H0_VM0", name, "--cluster", f"{at}:DC0_C0")
    try:
        assert r.code == 0, r.err
        assert r.json()["vcenter"] == at
        clone = find_vm(sis[2], name)
        assert clone.resourcePool.owner.name == "DC0_C0"
        assert name not in vm_names(sis[0]) | vm_names(sis[1])
    finally:
        for vm in all_objects(sis[2], vim.VirtualMachine):
            if name_or_none(vm) == name:
                wait_task(vm.Destroy())


# -- bad input -----------------------------------------------------------------------------


def test_a_bad_entry_in_the_list_is_refused_before_connecting(sims) -> None:
    for sim in sims:
        sim.reset_call_counts()
    r = run(sims, "vm", "ls", env={"VMWARE_HOST": f"{entry(sims[0])},{sims[1].host}:nope"})
    assert r.code == 2, r.err
    assert f"{sims[1].host}:nope" in r.err
    assert all(not sim.call_counts() for sim in sims)


def test_per_host_users_must_match_the_hosts(sims) -> None:
    for sim in sims:
        sim.reset_call_counts()
    r = run(sims, "vm", "ls", env={"VMWARE_USERS": "user,user"})
    assert r.code == 2, r.err
    assert "VMWARE_USERS lists 2 values for 3 vCenters" in r.err
    assert all(not sim.call_counts() for sim in sims)


def test_per_host_passwords_are_used_in_order(sims) -> None:
    password = sims[0].password
    r = run(
        sims,
        "vm", "ls", "DC0_H0_VM0",
        env={"VMWARE_PASSWORD": "", "VMWARE_PASSWORDS": ",".join([password] * 3)},
    )  # fmt: skip
    assert r.code == 0, r.err
    assert len(rows(r.out)) == 4
