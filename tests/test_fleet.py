"""Fleet: three vCenters in one process, each a simulator with the same inventory (so every
default name, path and even managed object id is in all three: a call that went to the wrong
vCenter would change a VM there, which the checks below would see). Results are read back
from each server with plain pyVmomi."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.helpers import all_objects, find_vm, foreground_calls, plain_pyvmomi, wait_task
from vmware_wrapper import (
    AmbiguousNameError,
    ConnectError,
    Fleet,
    InvalidInputError,
    NotFoundError,
    VSphere,
    _vsphere,
)
from vmware_wrapper.testing import Simulator

NAMES = ("vc1", "vc2", "vc3")
SHARED_VM = "DC0_H0_VM0"  # in every vCenter
# What would change a VM or a folder: none may reach a server when a call fails.
CHANGING = {
    "PowerOnVM_Task",
    "PowerOffVM_Task",
    "Rename_Task",
    "ReconfigVM_Task",
    "CreateSnapshot_Task",
    "Destroy_Task",
    "MoveIntoFolder_Task",
    "RelocateVM_Task",
    "CreateFolder",
}
_seq = itertools.count()


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, Simulator]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context(Simulator(vms_per_pool=2)) for name in NAMES}


@pytest.fixture(scope="module")
def sis(sims: dict[str, Simulator]) -> Iterator[dict[str, Any]]:
    """A plain pyVmomi ServiceInstance on each simulator."""
    with ExitStack() as stack:
        yield {name: stack.enter_context(plain_pyvmomi(sim)) for name, sim in sims.items()}


@pytest.fixture(scope="module")
def members(sims: dict[str, Simulator]) -> Iterator[dict[str, VSphere]]:
    connections = {name: sim.connect() for name, sim in sims.items()}
    yield connections
    for vs in connections.values():
        vs.close()


@pytest.fixture(scope="module")
def fleet(members: dict[str, VSphere]) -> Fleet:
    return Fleet(members)


@pytest.fixture
def counted(sims: dict[str, Simulator]) -> Callable[[], dict[str, set[str]]]:
    """Call counts from now on: () -> the changing methods each server has seen since."""
    for sim in sims.values():
        sim.reset_call_counts()
    return lambda: {name: set(foreground_calls(sim)) & CHANGING for name, sim in sims.items()}


@pytest.fixture
def make_vm(sis: dict[str, Any]) -> Iterator[Callable[[str], str]]:
    """make_vm("vc2"): a new powered-off VM, made with plain pyVmomi on that vCenter alone
    (a clone of DC0_H0_VM0, beside it); its name. ``name=`` gives it a name already made on
    another vCenter. Destroyed after the test."""
    made: list[Any] = []

    def make(vcenter: str, name: str | None = None) -> str:
        source = find_vm(sis[vcenter], SHARED_VM)
        name = name or f"fleet-vm-{next(_seq)}"
        spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False)
        made.append(wait_task(source.Clone(source.parent, name, spec)))
        return name

    yield make
    for vm in made:
        try:
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())
        except vmodl.fault.ManagedObjectNotFound:
            pass


def vm_state(si: Any) -> list[tuple[Any, ...]]:
    """Every VM of a server, as it stands: what any of the calls tested here could change."""
    return sorted(
        (
            vm._moId,
            vm.name,
            vm.runtime.powerState,
            vm.config.annotation or "",
            bool(vm.snapshot),
            vm.parent._moId,
        )
        for vm in all_objects(si, vim.VirtualMachine)
    )


def folder_names(si: Any) -> set[str]:
    return {f.name for f in all_objects(si, vim.Folder)}


def notes_of(sis: dict[str, Any], vm_name: str) -> dict[str, str]:
    return {name: find_vm(si, vm_name).config.annotation or "" for name, si in sis.items()}


def snapshots_of(sis: dict[str, Any], vm_name: str) -> dict[str, list[str]]:
    found = {}
    for name, si in sis.items():
        snapshot = find_vm(si, vm_name).snapshot
        found[name] = [s.name for s in snapshot.rootSnapshotList] if snapshot else []
    return found


def free_port() -> int:
    """A local port nothing listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- lookups ---------------------------------------------------------------------------------


@pytest.mark.parametrize("qualified", ["vc2:/DC0/vm/{}", "vc2:{}"])
def test_a_qualified_name_goes_to_that_vcenter_alone(fleet, sis, make_vm, counted, qualified):
    name = make_vm("vc1")
    make_vm("vc2", name)
    make_vm("vc3", name)

    fleet.set_notes(qualified.format(name), "changed through the fleet")

    assert notes_of(sis, name) == {"vc1": "", "vc2": "changed through the fleet", "vc3": ""}
    assert counted() == {"vc1": set(), "vc2": {"ReconfigVM_Task"}, "vc3": set()}


BARE_OPERATIONS: dict[str, Callable[[Fleet, str], Any]] = {
    "power_off": lambda fleet, name: fleet.power_off(name),
    "rename": lambda fleet, name: fleet.rename(name, "renamed"),
    "set_notes": lambda fleet, name: fleet.set_notes(name, "x"),
    "create_snapshot": lambda fleet, name: fleet.create_snapshot(name, "x"),
    "destroy_vm": lambda fleet, name: fleet.destroy_vm(name),
    "relocate_vm": lambda fleet, name: fleet.relocate_vm(name, host="DC0_C0_H2"),
}


@pytest.mark.parametrize("operation", sorted(BARE_OPERATIONS))
def test_a_bare_name_every_vcenter_has_is_ambiguous_and_changes_nothing(
    fleet, sis, counted, operation
):
    before = {name: vm_state(si) for name, si in sis.items()}

    with pytest.raises(AmbiguousNameError) as raised:
        BARE_OPERATIONS[operation](fleet, SHARED_VM)

    assert raised.value.candidates == [f"{n}:/DC0/vm/{SHARED_VM}" for n in NAMES]
    assert SHARED_VM in str(raised.value)
    assert {name: vm_state(si) for name, si in sis.items()} == before
    assert counted() == {name: set() for name in NAMES}


def test_a_name_on_one_vcenter_is_found_bare_and_changed_there_alone(fleet, sis, make_vm, counted):
    name = make_vm("vc2")
    others_before = {n: vm_state(sis[n]) for n in ("vc1", "vc3")}

    fleet.power_on(name)
    fleet.create_snapshot(name, "before-patch")
    fleet.rename(name, f"{name}-renamed")

    vm = find_vm(sis["vc2"], f"{name}-renamed")
    assert vm.runtime.powerState == "poweredOn"
    assert [s.name for s in vm.snapshot.rootSnapshotList] == ["before-patch"]
    assert {n: vm_state(sis[n]) for n in ("vc1", "vc3")} == others_before
    calls = counted()
    assert calls["vc1"] == calls["vc3"] == set()
    assert calls["vc2"] >= {"PowerOnVM_Task", "CreateSnapshot_Task", "Rename_Task"}


def test_an_unknown_name_is_not_found_in_any_vcenter(fleet, sis, counted):
    before = {name: vm_state(si) for name, si in sis.items()}

    with pytest.raises(NotFoundError) as raised:
        fleet.power_on("no-such-vm")

    message = str(raised.value)
    assert "no-such-vm" in message
    assert all(name in message for name in NAMES)
    assert {name: vm_state(si) for name, si in sis.items()} == before
    assert counted() == {name: set() for name in NAMES}


def test_an_object_from_one_member_goes_back_to_it(fleet, sis, counted):
    # The same managed object id is a VM in all three: only the object's connection tells.
    vm = fleet["vc3"].get_vm(SHARED_VM)
    assert all(find_vm(si, SHARED_VM)._moId == vm._moId for si in sis.values())
    try:
        fleet.create_snapshot(vm, "by-object")

        assert snapshots_of(sis, SHARED_VM) == {"vc1": [], "vc2": [], "vc3": ["by-object"]}
        assert counted() == {"vc1": set(), "vc2": set(), "vc3": {"CreateSnapshot_Task"}}
    finally:
        for si in sis.values():
            if find_vm(si, SHARED_VM).snapshot:
                wait_task(find_vm(si, SHARED_VM).RemoveAllSnapshots())


def test_a_bad_name_is_an_input_error_not_an_unreachable_vcenter(fleet, sis, counted):
    with pytest.raises(InvalidInputError):
        fleet.power_on("")
    assert counted() == {name: set() for name in NAMES}


def test_free_text_that_starts_like_a_qualifier_is_kept(fleet, sis, make_vm):
    name = make_vm("vc2")

    fleet.set_notes(f"vc2:{name}", "vc2: primary site")

    assert find_vm(sis["vc2"], name).config.annotation == "vc2: primary site"


# -- listings --------------------------------------------------------------------------------


def test_list_vms_lists_every_vcenters_vms_saying_whose(fleet, sis):
    infos = fleet.list_vms()

    expected = [(n, vm.name) for n in NAMES for vm in all_objects(sis[n], vim.VirtualMachine)]
    assert len(infos) == len(expected) > len(NAMES)
    assert sorted((i.vcenter, i.name) for i in infos) == sorted(expected)
    # In the fleet's order: every vCenter's VMs together.
    order = [i.vcenter for i in infos]
    assert order == sorted(order, key=NAMES.index)


def test_list_vms_with_a_pattern(fleet):
    infos = fleet.list_vms("DC0_H0_*")

    assert sorted((i.vcenter, i.name) for i in infos) == [
        (n, f"DC0_H0_VM{k}") for n in NAMES for k in (0, 1)
    ]


def test_list_hosts_lists_every_vcenters_hosts(fleet, sis):
    hosts = fleet.list_hosts()

    expected = sorted(
        (vc, h.name) for vc, si in sis.items() for h in all_objects(si, vim.HostSystem)
    )
    assert sorted((h.vcenter, h.name) for h in hosts) == expected
    assert len(expected) == 3 * len(all_objects(sis["vc1"], vim.HostSystem))


def test_a_member_by_its_name(fleet, members):
    assert fleet["vc2"] is members["vc2"]
    assert fleet.names == list(NAMES)
    assert len(fleet) == 3
    with pytest.raises(NotFoundError) as raised:
        fleet["nope"]
    assert "nope" in str(raised.value)
    assert all(name in str(raised.value) for name in NAMES)


# -- routing ---------------------------------------------------------------------------------


def test_a_call_naming_two_vcenters_is_refused_before_sending(fleet, sis, counted):
    before = {name: vm_state(si) for name, si in sis.items()}

    with pytest.raises(InvalidInputError) as raised:
        fleet.move(f"vc1:{SHARED_VM}", "vc2:/DC0/vm")

    assert "vc1" in str(raised.value)
    assert "vc2" in str(raised.value)
    assert {name: vm_state(si) for name, si in sis.items()} == before
    assert counted() == {name: set() for name in NAMES}


def test_a_call_that_does_not_say_where_is_refused_before_sending(fleet, sis, counted):
    # move's first parameter names no kind that is looked up: it needs a qualified name.
    before = {name: vm_state(si) for name, si in sis.items()}

    with pytest.raises(InvalidInputError) as raised:
        fleet.move(SHARED_VM, "/DC0/vm")

    assert "which vCenter" in str(raised.value)
    assert "move" in str(raised.value)
    assert {name: vm_state(si) for name, si in sis.items()} == before
    assert counted() == {name: set() for name in NAMES}


def test_vcenters_named_by_host_and_port(members, sis, make_vm, counted):
    # Fleet([...]) names each vCenter as it connected: "127.0.0.1:PORT", a colon in it.
    fleet = Fleet(list(members.values()))  # not closed: it holds the module's connections
    address = members["vc3"].vcenter
    assert fleet.names == [vs.vcenter for vs in members.values()]
    name = make_vm("vc3")
    make_vm("vc1", name)

    fleet.create_snapshot(f"{address}:/DC0/vm/{name}", "by-address")

    assert [s.name for s in find_vm(sis["vc3"], name).snapshot.rootSnapshotList] == ["by-address"]
    assert find_vm(sis["vc1"], name).snapshot is None
    assert counted() == {"vc1": set(), "vc2": set(), "vc3": {"CreateSnapshot_Task"}}


def test_create_folder_qualified_makes_it_on_that_vcenter_alone(fleet, sis, counted):
    name = f"fleet-folder-{next(_seq)}"
    try:
        fleet.create_folder(f"vc1:/DC0/vm/{name}")

        assert {n: name in folder_names(si) for n, si in sis.items()} == {
            "vc1": True,
            "vc2": False,
            "vc3": False,
        }
        assert counted() == {"vc1": {"CreateFolder"}, "vc2": set(), "vc3": set()}
    finally:
        for si in sis.values():
            for folder in all_objects(si, vim.Folder):
                if folder.name == name:
                    wait_task(folder.Destroy())


def test_a_bare_path_through_a_shared_datacenter_is_ambiguous(fleet, sis, counted):
    name = f"fleet-folder-{next(_seq)}"

    with pytest.raises(AmbiguousNameError) as raised:
        fleet.create_folder(f"/DC0/vm/{name}")

    assert raised.value.candidates == [f"{n}:/DC0" for n in NAMES]
    assert not any(name in folder_names(si) for si in sis.values())
    assert counted() == {name: set() for name in NAMES}


# -- connecting ------------------------------------------------------------------------------


def sessions(sims: dict[str, Simulator]) -> dict[str, tuple[int, int]]:
    """(logins, logouts) each simulator has counted."""
    return {
        n: (sim.call_counts().get("Login", 0), sim.call_counts().get("Logout", 0))
        for n, sim in sims.items()
    }


def open_sessions(sis: dict[str, Any]) -> dict[str, int]:
    return {n: len(si.content.sessionManager.sessionList) for n, si in sis.items()}


def test_connect_with_one_vcenter_unreachable_closes_the_others(sims, sis):
    for sim in sims.values():
        sim.reset_call_counts()
    before = open_sessions(sis)
    settings: list[dict[str, Any]] = [
        {
            "host": sim.host,
            "port": sim.port,
            "protocol": sim.protocol,
            "username": sim.username,
            "password": sim.password,
        }
        for sim in sims.values()
    ]
    settings.insert(1, {**settings[0], "port": free_port(), "retry_timeout": 0.5})

    with pytest.raises(ConnectError):
        Fleet.connect(settings)

    # Each reachable vCenter was logged in to, and logged out of again.
    assert sessions(sims) == {n: (1, 1) for n in NAMES}
    assert open_sessions(sis) == before


def test_connect_twice_to_one_vcenter_is_refused_and_leaves_no_session(sims, sis):
    sim = sims["vc1"]
    sim.reset_call_counts()
    before = open_sessions(sis)
    one = {
        "host": sim.host,
        "port": sim.port,
        "protocol": sim.protocol,
        "username": sim.username,
        "password": sim.password,
    }

    already_open = set(_vsphere._OPEN)
    try:
        with pytest.raises(InvalidInputError) as raised:
            Fleet.connect([one, dict(one)])

        assert f"{sim.host}:{sim.port}" in str(raised.value)
        logins, logouts = sessions(sims)["vc1"]
        assert logins == logouts
        assert open_sessions(sis) == before
    finally:
        # What the fleet left open (the connections still open that this test made),
        # closed here so that the failure stays this test's.
        for vs in set(_vsphere._OPEN) - already_open:
            vs.close()


def test_from_env_connects_to_every_vcenter_of_vmware_host(sims):
    first = sims["vc1"]
    env = {
        # One port per vCenter: "host:port" entries.
        "VMWARE_HOST": ",".join(f"{sim.host}:{sim.port}" for sim in sims.values()),
        "VMWARE_USER": first.username,
        "VMWARE_PASSWORD": first.password,
        # VMWARE_* variables cannot say "plain http"; GOVC_URL's scheme can (as sim.env does).
        "GOVC_URL": f"{first.protocol}://{first.host}:{first.port}/sdk",
    }
    for sim in sims.values():
        sim.reset_call_counts()

    with Fleet.from_env(env) as fleet:
        assert fleet.names == [f"{sim.host}:{sim.port}" for sim in sims.values()]
        infos = fleet.list_vms(SHARED_VM)
        assert [i.vcenter for i in infos] == fleet.names

    # One session on each simulator, ended by the fleet's close.
    assert sessions(sims) == {n: (1, 1) for n in NAMES}


# -- a vCenter that is down ------------------------------------------------------------------


def test_a_vcenter_that_is_down_makes_a_bare_name_uncertain(sims, sis, make_vm):
    name = make_vm("vc1")  # on vc1 only: the vCenter that is down cannot say it lacks it
    with Simulator(vms_per_pool=2) as fourth, ExitStack() as stack:
        live = stack.enter_context(sims["vc1"].connect())
        down = stack.enter_context(fourth.connect(retry_timeout=0.5))
        fleet = Fleet({"vc1": live, "vc4": down})
        fleet.load()
        sims["vc1"].reset_call_counts()
        fourth.stop()

        with pytest.raises(ConnectError) as raised:
            fleet.set_notes(name, "a guess")
        assert "vc4" in str(raised.value)
        assert not find_vm(sis["vc1"], name).config.annotation
        assert "ReconfigVM_Task" not in sims["vc1"].call_counts()

        fleet.set_notes(f"vc1:{name}", "qualified")
        assert find_vm(sis["vc1"], name).config.annotation == "qualified"
