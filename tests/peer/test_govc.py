"""govc as another client and as an independent reader of the bundled simulator.

What govc changes, the library sees without reloading its inventory; what the library lists
and makes, govc reads back the same. Every result is read back from the server through govc
(or plain pyVmomi), never only from the library's own index. The simulator serves https, and
govc checks its certificate (GOVC_TLS_CA_CERTS).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.helpers import govc, govc_json, plain_pyvmomi, wait_task, wait_until
from vmware_wrapper import AmbiguousNameError, NotFoundError, VSphere
from vmware_wrapper.testing import Simulator

# The standalone host's pool: govc's clone needs one when the datacenter has several.
POOL = "/DC0/host/DC0_H0/Resources"
SOURCE = "/DC0/vm/DC0_H0_VM0"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(vms_per_pool=2, hosts_per_cluster=2, tls=True, tools_delay=0) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def si(sim: Simulator) -> Iterator[Any]:
    with plain_pyvmomi(sim) as service_instance:
        yield service_instance


@pytest.fixture
def vs(sim: Simulator) -> Iterator[VSphere]:
    """A connection whose index is loaded and watching."""
    with sim.connect() as vsphere:
        vsphere.get_vm("DC0_H0_VM0")
        yield vsphere


@pytest.fixture
def lagging(sim: Simulator) -> Iterator[VSphere]:
    """A connection whose index hears of nothing after its first load, as if its watch
    lagged: what it finds of govc's changes, it found by asking the server."""
    with sim.connect(watch_inventory=False) as vsphere:
        vsphere.get_vm("DC0_H0_VM0")
        yield vsphere


@pytest.fixture
def reloads(vs: VSphere) -> list[int]:
    """One item per full reload of the watched connection's inventory from now on."""
    index = vs._index
    load = index.load
    calls: list[int] = []

    def counted() -> None:
        calls.append(1)
        load()

    index.load = counted  # type: ignore[method-assign]
    return calls


def destroy(si: Any, refs: list[tuple[str, str]]) -> None:
    """Destroy objects by (type, moid), VMs before folders; gone ones are skipped. By id, not
    by path: a VM that was moved is still found, and the simulator's Folder.Destroy leaves
    the folder's VMs behind."""
    objects = [getattr(vim, vim_type)(moid, si._stub) for vim_type, moid in reversed(refs)]
    objects.sort(key=lambda o: not isinstance(o, vim.VirtualMachine))
    for obj in objects:
        try:
            if isinstance(obj, vim.VirtualMachine) and obj.runtime.powerState != "poweredOff":
                wait_task(obj.PowerOff())
            wait_task(obj.Destroy())
        except vmodl.fault.ManagedObjectNotFound:
            pass


@pytest.fixture
def cleanup(si: Any) -> Iterator[list[tuple[str, str]]]:
    """(type, moid) of objects to destroy after the test."""
    refs: list[tuple[str, str]] = []
    yield refs
    destroy(si, refs)


_seq = itertools.count()


def govc_clone(sim: Simulator, name: str, folder: str = "/DC0/vm") -> str:
    """A powered-off clone of DC0_H0_VM0 made by govc; its moid. (-force: govc itself
    refuses a name whose files exist on the datastore, from a VM of that name elsewhere.)"""
    govc(
        sim, "vm.clone", "-vm", SOURCE, "-on=false", "-force", "-pool", POOL,
        "-folder", folder, name,
    )  # fmt: skip
    return moid_of(sim, f"{folder}/{name}")


def govc_folder(sim: Simulator, path: str) -> str:
    """A folder made by govc; its moid."""
    govc(sim, "folder.create", path)
    return moid_of(sim, path)


@pytest.fixture
def peer_vm(sim: Simulator, cleanup: list[tuple[str, str]]) -> str:
    """The name of a new VM in /DC0/vm, made by govc."""
    name = f"peer-{next(_seq)}"
    cleanup.append(("VirtualMachine", govc_clone(sim, name)))
    return name


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def moid_of(sim: Simulator, path: str) -> str:
    """The managed object id govc finds at an inventory path."""
    (ref,) = lines(govc(sim, "find", "-i", "-maxdepth", "0", path))
    return ref.split(":", 1)[1]


def missing(vs: VSphere, name: str) -> bool:
    try:
        vs.get_vm(name)
    except NotFoundError:
        return True
    return False


def ambiguity(vs: VSphere, name: str) -> AmbiguousNameError | None:
    try:
        vs.get_vm(name)
    except AmbiguousNameError as e:
        return e
    return None


def govc_power_state(sim: Simulator, path: str) -> str:
    (vm,) = govc_json(sim, "vm.info", path)["virtualMachines"]
    return str(vm["runtime"]["powerState"])


# -- changes made by govc, seen by the library -----------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        # ReconfigVM_Task with a new name, and Rename_Task.
        lambda path, name: ("vm.change", "-vm", path, "-name", name),
        lambda path, name: ("object.rename", path, name),
    ],
    ids=["vm.change", "object.rename"],
)
def test_a_vm_renamed_by_govc_is_found_by_its_new_name(sim, vs, reloads, lagging, peer_vm, command):
    moid = vs.get_vm(peer_vm)._moId
    assert lagging.get_vm(peer_vm)._moId == moid
    new = f"{peer_vm}-renamed"
    govc(sim, *command(f"/DC0/vm/{peer_vm}", new))
    assert lines(govc(sim, "find", "/DC0/vm", "-type", "m", "-name", f"{peer_vm}*")) == [
        f"/DC0/vm/{new}"
    ]

    # A name the index does not know is checked against the server: no waiting.
    assert lagging.get_vm(new)._moId == moid
    assert lagging.path_of(moid) == f"/DC0/vm/{new}"
    # The watch brings the new name in.
    wait_until(lambda: vs.path_of(moid) == f"/DC0/vm/{new}", 15, "the rename seen")
    assert missing(vs, peer_vm)
    assert vs.get_vm(new)._moId == moid
    assert vs.vm_info(new).name == new
    assert reloads == []


def test_a_vm_moved_by_govc_into_a_new_folder_is_found_at_its_new_path(
    sim, vs, reloads, lagging, peer_vm, cleanup
):
    moid = vs.get_vm(peer_vm)._moId
    lagging.get_vm(peer_vm)
    folder = f"/DC0/vm/{peer_vm}-folder"
    folder_moid = govc_folder(sim, folder)
    cleanup.append(("Folder", folder_moid))
    govc(sim, "object.mv", f"/DC0/vm/{peer_vm}", folder)
    new_path = f"{folder}/{peer_vm}"
    assert lines(govc(sim, "ls", folder)) == [new_path]

    # A path the index does not know is checked against the server.
    assert lagging.get_vm(new_path)._moId == moid
    assert lagging.path_of(moid) == new_path
    assert lagging.get_folder(f"{peer_vm}-folder")._moId == folder_moid

    wait_until(lambda: vs.path_of(moid) == new_path, 15, "the move seen")
    assert missing(vs, f"/DC0/vm/{peer_vm}")
    assert vs.get_folder(f"{peer_vm}-folder")._moId == folder_moid
    assert [i.path for i in vs.list_children(folder)] == [new_path]
    assert vs.vm_info(peer_vm).path == new_path
    assert reloads == []


def test_a_clone_by_govc_of_the_same_name_makes_the_name_ambiguous(
    sim, vs, reloads, lagging, peer_vm, cleanup
):
    vs.get_vm(peer_vm)
    lagging.get_vm(peer_vm)
    folder = f"/DC0/vm/{peer_vm}-other"
    cleanup.append(("Folder", govc_folder(sim, folder)))
    clone_moid = govc_clone(sim, peer_vm, folder)
    cleanup.append(("VirtualMachine", clone_moid))
    both = [f"/DC0/vm/{peer_vm}", f"{folder}/{peer_vm}"]
    assert sorted(lines(govc(sim, "find", "/DC0/vm", "-type", "m", "-name", peer_vm))) == both

    # Changing something by a bare name confirms it against the server first: the second
    # VM, which this index has not heard of, makes the name ambiguous and nothing is done.
    with pytest.raises(AmbiguousNameError) as raised:
        lagging.power_on(peer_vm)
    assert raised.value.candidates == both
    assert [govc_power_state(sim, p) for p in both] == ["poweredOff", "poweredOff"]

    # Reads trust the index, which the watch brings up to date.
    error = wait_until(lambda: ambiguity(vs, peer_vm), 15, "the clone seen")
    assert error.candidates == both
    assert vs.get_vm(f"{folder}/{peer_vm}")._moId == clone_moid
    assert sorted(vi.path for vi in vs.list_vms(peer_vm)) == both
    assert reloads == []


def test_a_vm_destroyed_by_govc_is_gone(sim, vs, reloads, lagging, peer_vm):
    moid = vs.get_vm(peer_vm)._moId
    lagging.get_vm(peer_vm)
    govc(sim, "vm.destroy", f"/DC0/vm/{peer_vm}")
    assert lines(govc(sim, "find", "/", "-type", "m", "-name", peer_vm)) == []

    # What reads the VM's state reads the server, which says it is gone.
    with pytest.raises(NotFoundError):
        lagging.power_state(peer_vm)
    with pytest.raises(NotFoundError):
        lagging.vm_info(peer_vm)

    wait_until(lambda: missing(vs, peer_vm), 15, "the destruction seen")
    assert missing(vs, moid)
    assert peer_vm not in {vi.name for vi in vs.list_vms()}
    assert reloads == []


def test_power_changes_by_govc_are_what_power_state_reads(sim, vs, reloads, lagging, peer_vm):
    path = f"/DC0/vm/{peer_vm}"
    assert vs.power_state(peer_vm) == "poweredOff"
    lagging.get_vm(peer_vm)
    govc(sim, "vm.power", "-on", path)
    assert govc_power_state(sim, path) == "poweredOn"
    assert vs.power_state(peer_vm) == "poweredOn"
    assert lagging.power_state(peer_vm) == "poweredOn"
    assert vs.vm_info(peer_vm).power_state == "poweredOn"
    govc(sim, "vm.power", "-off", path)
    assert govc_power_state(sim, path) == "poweredOff"
    assert vs.power_state(peer_vm) == "poweredOff"
    assert lagging.vm_info(peer_vm).power_state == "poweredOff"
    assert reloads == []


# -- what the library lists, as govc lists it ------------------------------------------------


@pytest.fixture(scope="module")
def listed(sim: Simulator, si: Any) -> Iterator[None]:
    """A folder with a VM, a template and an empty folder in it; the VM set apart by govc."""
    made = [("Folder", govc_folder(sim, "/DC0/vm/listed"))]
    made.append(("Folder", govc_folder(sim, "/DC0/vm/listed/empty")))
    made.append(("VirtualMachine", govc_clone(sim, "listed-vm", "/DC0/vm/listed")))
    made.append(("VirtualMachine", govc_clone(sim, "listed-template", "/DC0/vm/listed")))
    govc(sim, "vm.markastemplate", "/DC0/vm/listed/listed-template")
    govc(
        sim, "vm.change", "-vm", "/DC0/vm/listed/listed-vm", "-c", "3", "-m", "1536",
        "-g", "ubuntu64Guest", "-annotation", "set apart by govc",
    )  # fmt: skip
    yield
    destroy(si, made)


def test_all_vms_are_what_govc_finds(sim, listed, vs):
    found = lines(govc(sim, "find", "/", "-type", "m"))
    assert "/DC0/vm/listed/listed-template" in found
    assert sorted(vi.path for vi in vs.list_vms()) == sorted(found)
    templates = lines(govc(sim, "find", "/", "-type", "m", "-config.template", "true"))
    assert templates == ["/DC0/vm/listed/listed-template"]
    assert [vi.path for vi in vs.list_vms() if vi.is_template] == templates
    assert sorted(vi.path for vi in vs.find_items("vm", "/DC0/vm/**")) == sorted(
        lines(govc(sim, "find", "/DC0/vm", "-type", "m"))
    )


@pytest.mark.parametrize("folder", ["/DC0/vm", "/DC0/vm/listed", "/DC0/vm/listed/empty", "/DC0"])
def test_a_folder_lists_what_govc_ls_lists(sim, listed, vs, folder):
    listing = govc_json(sim, "ls", folder)["elements"] or []
    expected = sorted(
        (e["Path"], e["Object"]["self"]["type"], e["Object"]["self"]["value"]) for e in listing
    )
    assert sorted((i.path, i.type, i.moid) for i in vs.list_children(folder)) == expected


def test_find_over_a_folder_is_what_govc_ls_lists_by_type(sim, listed, vs):
    vms = lines(govc(sim, "ls", "-t", "m", "/DC0/vm"))
    folders = lines(govc(sim, "ls", "-t", "f", "/DC0/vm"))
    assert "/DC0/vm/listed" in folders
    assert sorted(i.path for i in vs.find_items("vm", "/DC0/vm/*")) == sorted(vms)
    assert sorted(i.path for i in vs.find_items("folder", "/DC0/vm/*")) == sorted(folders)
    assert sorted([*vms, *folders]) == sorted(lines(govc(sim, "ls", "/DC0/vm")))


def test_vm_info_is_what_govc_vm_info_reads(sim, listed, vs):
    paths = lines(govc(sim, "find", "/", "-type", "m"))
    assert len(paths) >= 5
    by_moid = {
        vm["self"]["value"]: vm for vm in govc_json(sim, "vm.info", *paths)["virtualMachines"]
    }
    assert len(by_moid) == len(paths)
    for info in vs.vm_infos(paths):
        vm = by_moid[info.moid]
        config, runtime = vm["config"], vm["runtime"]
        assert info.name == vm["name"]
        assert info.power_state == runtime["powerState"]
        assert info.cpus == config["hardware"]["numCPU"]
        assert info.memory_mb == config["hardware"]["memoryMB"]
        assert info.bios_uuid == config["uuid"].lower()
        assert info.instance_uuid == config["instanceUuid"].lower()
        assert info.guest_id == config["guestId"]
        assert info.is_template == config["template"]
        assert info.annotation == config.get("annotation", "")
    one = vs.vm_info("listed-vm")
    (vm,) = govc_json(sim, "vm.info", "/DC0/vm/listed/listed-vm")["virtualMachines"]
    assert (one.cpus, one.memory_mb, one.guest_id) == (3, 1536, "ubuntu64Guest")
    assert one.annotation == "set apart by govc"
    host = govc(sim, "object.collect", "-s", f"HostSystem:{vm['runtime']['host']['value']}", "name")
    assert one.host == host.strip()


SNAPSHOT_LINE = re.compile(r"^\s*\[(?P<moid>[^\]]+)\]\s+(?P<path>.+)$")


def govc_snapshots(sim: Simulator, path: str) -> list[tuple[str, str]]:
    """(moid, path) of each snapshot, in govc's tree order."""
    out = govc(sim, "snapshot.tree", "-vm", path, "-f", "-i", "-c=false")
    return [(m["moid"], m["path"]) for m in map(SNAPSHOT_LINE.match, lines(out)) if m]


def test_the_snapshot_tree_is_what_govc_shows(sim, vs, peer_vm):
    path = f"/DC0/vm/{peer_vm}"
    vs.create_snapshot(peer_vm, "base", description="before the upgrade")
    vs.create_snapshot(peer_vm, "upgraded", description="after it")
    snapshots = vs.list_snapshots(peer_vm)
    assert [s.path for s in snapshots] == ["base", "base/upgraded"]
    assert govc_snapshots(sim, path) == [(s.moid, s.path) for s in snapshots]
    assert govc(sim, "snapshot.tree", "-vm", path).split() == ["base", "upgraded", "."]
    assert govc(sim, "snapshot.tree", "-vm", path, "-C").strip() == "upgraded"
    (vm,) = govc_json(sim, "vm.info", path)["virtualMachines"]
    (root,) = vm["snapshot"]["rootSnapshotList"]
    (child,) = root["childSnapshotList"]
    assert [(t["name"], t["description"], t["snapshot"]["value"]) for t in (root, child)] == [
        (s.name, s.description, s.moid) for s in snapshots
    ]
    assert vm["snapshot"]["currentSnapshot"]["value"] == snapshots[1].moid
    assert [s.is_current for s in snapshots] == [False, True]

    # A snapshot govc takes, the library lists at once; a revert, govc reads.
    govc(sim, "snapshot.create", "-vm", path, "by-govc")
    snapshots = vs.list_snapshots(peer_vm)
    assert [s.path for s in snapshots] == ["base", "base/upgraded", "base/upgraded/by-govc"]
    assert [s.is_current for s in snapshots] == [False, False, True]
    assert govc_snapshots(sim, path) == [(s.moid, s.path) for s in snapshots]
    vs.revert_to_snapshot(peer_vm, "base")
    assert govc(sim, "snapshot.tree", "-vm", path, "-C").strip() == "base"


# -- names with "/" and "%" ------------------------------------------------------------------


def test_a_folder_named_with_a_slash_and_a_percent_is_stored_as_vcenter_does(sim, vs, cleanup):
    # In a path, the "/" of a name is written escaped; the "%" as typed.
    folder = vs.create_folder("/DC0/vm/a%2fb 100%")
    cleanup.append(("Folder", folder._moId))
    stored = "/DC0/vm/a%2fb 100%25"
    assert stored in lines(govc(sim, "ls", "/DC0/vm"))
    assert govc(sim, "object.collect", "-s", stored, "name").strip() == "a%2fb 100%25"
    assert moid_of(sim, stored) == folder._moId

    assert vs.get_folder("a/b 100%")._moId == folder._moId
    assert vs.get_folder(stored)._moId == folder._moId
    assert vs.path_of(folder) == stored
    (item,) = [i for i in vs.list_children("/DC0/vm") if i.moid == folder._moId]
    assert (item.name, item.path) == ("a/b 100%", stored)
    assert vs.create_folder(stored)._moId == folder._moId  # there already

    # govc puts a VM in it; the library finds it there.
    moid = govc_clone(sim, "in-odd-folder", stored)
    cleanup.append(("VirtualMachine", moid))
    assert vs.get_vm(f"{stored}/in-odd-folder")._moId == moid
    assert vs.vm_info("in-odd-folder").path == f"{stored}/in-odd-folder"
    # A connection of its own reads the name from the server as stored.
    with sim.connect() as other:
        assert other.get_folder("a/b 100%")._moId == folder._moId


@pytest.fixture
def odd_names(sim, vs, lagging, peer_vm, cleanup) -> tuple[str, str]:
    """A folder "50% off" and a VM renamed "web/01 5%", both by govc, after both connections
    loaded their index; the moids of the two."""
    moid = vs.get_vm(peer_vm)._moId
    lagging.get_vm(peer_vm)
    govc(sim, "folder.create", "/DC0/vm/50% off")
    folder_moid = moid_of(sim, "/DC0/vm/50%25 off")
    cleanup.append(("Folder", folder_moid))
    govc(sim, "object.rename", f"/DC0/vm/{peer_vm}", "web/01 5%")
    listing = lines(govc(sim, "ls", "/DC0/vm"))
    assert {"/DC0/vm/50%25 off", "/DC0/vm/web%2f01 5%25"} <= set(listing)
    return folder_moid, moid


def test_names_with_a_slash_or_a_percent_given_by_govc_are_watched_as_typed(vs, odd_names):
    folder_moid, moid = odd_names
    wait_until(lambda: vs.path_of(moid) == "/DC0/vm/web%2f01 5%25", 15, "the rename seen")
    assert vs.get_vm("web/01 5%")._moId == moid
    assert vs.vm_info(moid).name == "web/01 5%"
    wait_until(lambda: vs.find("folder", "50% off"), 15, "the folder seen")
    assert vs.get_folder("50% off")._moId == folder_moid


@pytest.mark.parametrize(
    ("getter", "typed", "which"),
    [("get_folder", "50% off", 0), ("get_vm", "web/01 5%", 1)],
    ids=["folder", "vm"],
)
def test_names_with_a_slash_or_a_percent_given_by_govc_are_found_as_typed_at_once(
    lagging, odd_names, getter, typed, which
):
    # A name the index does not know, typed as people read it, is checked against the
    # server's stored names ("50%25 off", "web%2f01 5%25") before NotFoundError.
    assert getattr(lagging, getter)(typed)._moId == odd_names[which]
