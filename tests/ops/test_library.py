"""Content libraries: create, import an OVA, list, deploy, delete; checked by reading the
server back independently (plain HTTP to the vAPI REST endpoint for libraries, plain pyVmomi
for VMs)."""

from __future__ import annotations

import functools
import http.server
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, find_vm, rest, wait_task
from tests.ops.ovf_package import make_ova, make_ovf
from vmware_wrapper import (
    AmbiguousNameError,
    InvalidInputError,
    LibraryInfo,
    LibraryItemInfo,
    LinuxCustomization,
    NotFoundError,
    VSphereError,
)

NETWORKS = {"VM Network": "VM Network", "Backend": "DC0_DVPG0"}
_seq = itertools.count()


def content(sim: Any, method: str, path: str, body: Any = None) -> Any:
    """The simulator's content library API, read without the library under test."""
    return rest(sim, method, path, body, under="/rest/com/vmware")


def libraries(sim: Any) -> list[dict[str, Any]]:
    """Every library, by id (the server lists them in no order)."""
    ids = sorted(content(sim, "GET", "/content/library") or [])
    return [content(sim, "GET", f"/content/library/id:{i}") for i in ids]


def items(sim: Any, library_id: str) -> list[dict[str, Any]]:
    ids = sorted(content(sim, "GET", f"/content/library/item?library_id={library_id}") or [])
    return [content(sim, "GET", f"/content/library/item/id:{i}") for i in ids]


def library_named(sim: Any, name: str) -> dict[str, Any]:
    (found,) = [lib for lib in libraries(sim) if lib["name"] == name]
    return found


def make_library(sim: Any, si: Any, name: str) -> str:
    """A library made by another client (plain REST); its id."""
    ds = next(d for d in all_objects(si, vim.Datastore) if d.name == "LocalDS_0")
    spec = {
        "name": name,
        "type": "LOCAL",
        "storage_backings": [{"type": "DATASTORE", "datastore_id": ds._moId}],
    }
    return str(content(sim, "POST", "/content/local-library", {"create_spec": spec}))


def vm_names(si: Any) -> set[str]:
    return {vm.name for vm in all_objects(si, vim.VirtualMachine)}


@pytest.fixture
def ova(tmp_path: Path) -> Path:
    return make_ova(tmp_path / "appliance.ova")


@pytest.fixture
def name(vsphere_simulator: Any, si: Any) -> Iterator[str]:
    """A fresh name for libraries and VMs; everything of that name is removed after."""
    name = f"lib-{next(_seq)}"
    yield name
    for vm in all_objects(si, vim.VirtualMachine):
        if vm.name.startswith(name):
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())
    for lib in libraries(vsphere_simulator):
        if lib["name"].startswith(name):
            content(vsphere_simulator, "DELETE", f"/content/local-library/id:{lib['id']}")


@pytest.fixture
def stocked(vsphere: Any, vsphere_simulator: Any, ova: Path, name: str) -> str:
    """A library ``name`` with the OVA imported as item "app"."""
    vsphere.library.create(name, "LocalDS_0")
    vsphere.library.import_ovf(name, "app", ova)
    return name


def test_create_import_list_deploy_and_delete(
    vsphere: Any, vsphere_simulator: Any, si: Any, ova: Path, name: str
) -> None:
    made = vsphere.library.create(name, "LocalDS_0", description="for tests")
    server = library_named(vsphere_simulator, name)
    datastore = next(d for d in all_objects(si, vim.Datastore) if d.name == "LocalDS_0")
    assert server["type"] == "LOCAL"
    assert server["description"] == "for tests"
    assert [b["datastore_id"] for b in server["storage_backings"]] == [datastore._moId]
    assert made == LibraryInfo(
        name=name,
        id=server["id"],
        type="LOCAL",
        description="for tests",
        datastore="LocalDS_0",
        created=server.get("creation_time"),
    )
    assert made in vsphere.library.list()

    percents: list[int] = []
    item = vsphere.library.import_ovf(name, "app", ova, on_progress=percents.append)
    (server_item,) = items(vsphere_simulator, server["id"])
    assert server_item["name"] == "app"
    assert server_item["type"] == "ovf"
    files = content(
        vsphere_simulator, "GET", f"/content/library/item/file?library_item_id={item.id}"
    )
    assert sorted(f["name"] for f in files) == ["appliance-disk1.vmdk", "appliance.ovf"]
    assert percents[0] == 0
    assert percents[-1] == 100
    assert percents == sorted(percents)
    assert isinstance(item, LibraryItemInfo)
    assert (item.name, item.library, item.path, item.id) == (
        name and "app",
        name,
        f"{name}/app",
        server_item["id"],
    )
    assert vsphere.library.items(name) == [item]

    vm = vsphere.library.deploy(
        f"{name}/app", f"{name}-vm", cluster="DC0_C0", networks=NETWORKS, power_on=True
    )
    deployed = find_vm(si, f"{name}-vm")
    assert deployed._moId == vm._moId
    cluster = next(c for c in all_objects(si, vim.ClusterComputeResource) if c.name == "DC0_C0")
    assert deployed.resourcePool._moId == cluster.resourcePool._moId
    assert deployed.parent.name == "vm"
    assert deployed.runtime.powerState == "poweredOn"
    assert deployed.config.hardware.numCPU == 2
    assert deployed.config.hardware.memoryMB == 256
    assert sorted(n.name for n in deployed.network) == ["DC0_DVPG0", "VM Network"]
    assert vsphere.get_vm(f"{name}-vm")._moId == vm._moId  # in the index at once

    vsphere.library.delete(f"{name}/app")
    assert items(vsphere_simulator, server["id"]) == []
    vsphere.library.delete(name)
    assert name not in {lib["name"] for lib in libraries(vsphere_simulator)}


def test_deploy_on_a_host_into_a_folder_and_a_datastore(
    vsphere: Any, vsphere_simulator: Any, si: Any, tmp_path: Path, name: str
) -> None:
    one_net = make_ova(tmp_path / "one.ova", networks=("VM Network",))
    vsphere.library.create(name, "LocalDS_0")
    vsphere.library.import_ovf(name, "one", one_net)
    vsphere.create_folder(f"/DC0/vm/{name}-folder")
    try:
        vsphere.library.deploy(
            f"{name}/one", f"{name}-vm", host="DC0_H0", folder=f"/DC0/vm/{name}-folder",
            datastore="LocalDS_0", networks={"VM Network": "DC0_DVPG0"},
        )  # fmt: skip
        deployed = find_vm(si, f"{name}-vm")
        assert deployed.runtime.host.name == "DC0_H0"
        assert deployed.parent.name == f"{name}-folder"
        assert [d.name for d in deployed.datastore] == ["LocalDS_0"]
        assert [n.name for n in deployed.network] == ["DC0_DVPG0"]
        wait_task(deployed.Destroy())
    finally:
        wait_task(find_folder(si, f"{name}-folder").Destroy())


def test_an_ovf_with_its_disk_and_an_ova_at_a_url_import(
    vsphere: Any, vsphere_simulator: Any, ova: Path, tmp_path: Path, name: str
) -> None:
    ovf = make_ovf(tmp_path / "pkg", sparse_bytes=2**20)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ova.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    vsphere.library.create(name, "LocalDS_0")
    try:
        vsphere.library.import_ovf(name, "from-ovf", ovf)
        url = f"http://127.0.0.1:{server.server_port}/{ova.name}"
        vsphere.library.import_ovf(name, "from-url", url)
    finally:
        server.shutdown()
        server.server_close()
    library = library_named(vsphere_simulator, name)
    found = {i["name"]: i for i in items(vsphere_simulator, library["id"])}
    assert sorted(found) == ["from-ovf", "from-url"]
    for item in found.values():
        files = content(
            vsphere_simulator, "GET", f"/content/library/item/file?library_item_id={item['id']}"
        )
        assert sorted(f["name"] for f in files) == ["appliance-disk1.vmdk", "appliance.ovf"]


def find_folder(si: Any, name: str) -> Any:
    return next(f for f in all_objects(si, vim.Folder) if f.name == name)


@pytest.mark.parametrize(
    ("networks", "error", "message"),
    [
        ({"Frontend": "VM Network"}, InvalidInputError, "no OVF network 'Frontend'"),
        ({"VM Network": "no-such-net", "Backend": "VM Network"}, NotFoundError, "no-such-net"),
        ({"VM Network": "VM Network"}, InvalidInputError, "map OVF network 'Backend'"),
        ([("VM Network", "x")], InvalidInputError, "a dict"),
    ],
)
def test_a_bad_network_mapping_deploys_nothing(
    vsphere: Any,
    vsphere_simulator: Any,
    si: Any,
    stocked: str,
    networks: Any,
    error: type[Exception],
    message: str,
) -> None:
    before = vm_names(si)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(error, match=message):
        vsphere.library.deploy(
            f"{stocked}/app", f"{stocked}-vm", cluster="DC0_C0", networks=networks
        )
    assert "ImportVApp" not in vsphere_simulator.call_counts()
    assert vm_names(si) == before


def test_bad_input_is_refused_before_anything_is_sent(
    vsphere: Any, vsphere_simulator: Any, si: Any, stocked: str, tmp_path: Path
) -> None:
    library = library_named(vsphere_simulator, stocked)
    before = (libraries(vsphere_simulator), items(vsphere_simulator, library["id"]), vm_names(si))
    lib, item = vsphere.library, f"{stocked}/app"
    new_ova = make_ova(tmp_path / "new.ova")
    missing = tmp_path / "none.ova"
    cases: list[tuple[Any, type[Exception], str]] = [
        (lambda: lib.create(stocked, "LocalDS_0"), InvalidInputError, "already exists"),
        (lambda: lib.create(f"{stocked}-x", "no-such-ds"), NotFoundError, "no-such-ds"),
        (lambda: lib.create(" ", "LocalDS_0"), InvalidInputError, "library name"),
        (lambda: lib.import_ovf(stocked, "a/b", new_ova), InvalidInputError, "'/'"),
        (lambda: lib.import_ovf(stocked, "new", missing), InvalidInputError, "no such file"),
        (lambda: lib.import_ovf(stocked, "app", new_ova), InvalidInputError, "already exists"),
        (lambda: lib.import_ovf("no-such-lib", "app", new_ova), NotFoundError, "no-such-lib"),
        (lambda: lib.deploy("app", "vm-x", cluster="DC0_C0"), InvalidInputError, "library/item"),
        (lambda: lib.deploy(f"{stocked}/x", "vm-x", cluster="DC0_C0"), NotFoundError, "no item"),
        (
            lambda: lib.deploy(item, "DC0_H0_VM0", cluster="DC0_C0", networks=NETWORKS),
            InvalidInputError,
            "already has",
        ),
        (
            lambda: lib.deploy(item, "vm-x", cluster="DC0_C0", resource_pool="x"),
            InvalidInputError,
            "not both",
        ),
        (lambda: lib.delete("no-such-lib"), NotFoundError, "no-such-lib"),
        (lambda: lib.delete(""), InvalidInputError, "library"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
    after = (libraries(vsphere_simulator), items(vsphere_simulator, library["id"]), vm_names(si))
    assert after == before


def test_libraries_and_items_of_the_same_name_are_never_guessed(
    vsphere: Any, vsphere_simulator: Any, si: Any, stocked: str, ova: Path
) -> None:
    first = library_named(vsphere_simulator, stocked)
    second_id = make_library(vsphere_simulator, si, stocked)  # another client's, same name
    before = (libraries(vsphere_simulator), vm_names(si))
    for call in (
        lambda: vsphere.library.items(stocked),
        lambda: vsphere.library.import_ovf(stocked, "other", ova),
        lambda: vsphere.library.deploy(f"{stocked}/app", f"{stocked}-vm", cluster="DC0_C0"),
        lambda: vsphere.library.delete(stocked),
        lambda: vsphere.library.delete(f"{stocked}/app"),
    ):
        with pytest.raises(AmbiguousNameError) as caught:
            call()
        assert sorted(caught.value.candidates) == sorted([first["id"], second_id])
    assert (libraries(vsphere_simulator), vm_names(si)) == before
    # The id says which.
    assert [i.name for i in vsphere.library.items(first["id"])] == ["app"]
    assert vsphere.library.items(second_id) == []
    vsphere.library.delete(second_id)
    assert [lib["id"] for lib in libraries(vsphere_simulator) if lib["name"] == stocked] == [
        first["id"]
    ]

    # Two items of a name (another client renamed one): neither is deployed nor deleted.
    (app,) = items(vsphere_simulator, first["id"])
    twin = content(
        vsphere_simulator, "POST", "/content/library/item",
        {"create_spec": {"library_id": first["id"], "name": "twin", "type": "ovf"}},
    )  # fmt: skip
    content(
        vsphere_simulator,
        "PATCH",
        f"/content/library/item/id:{twin}",
        {"update_spec": {"name": "app"}},
    )
    before_items = items(vsphere_simulator, first["id"])
    with pytest.raises(AmbiguousNameError, match="2 items"):
        vsphere.library.deploy(f"{stocked}/app", f"{stocked}-vm", cluster="DC0_C0")
    with pytest.raises(AmbiguousNameError):
        vsphere.library.delete(f"{stocked}/app")
    assert items(vsphere_simulator, first["id"]) == before_items
    assert f"{stocked}-vm" not in vm_names(si)
    vsphere.library.delete(f"{stocked}/{twin}")  # by id
    assert [i["id"] for i in items(vsphere_simulator, first["id"])] == [app["id"]]


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("disk unplugged")])
def test_an_import_cut_short_cancels_its_session_and_leaves_no_item(
    vsphere: Any, vsphere_simulator: Any, ova: Path, name: str, error: BaseException
) -> None:
    vsphere.library.create(name, "LocalDS_0")
    library = library_named(vsphere_simulator, name)

    def interrupt(percent: int) -> None:
        if percent >= 50:
            raise error

    sessions = "/content/library/item/update-session"
    before = set(content(vsphere_simulator, "GET", sessions) or [])
    with pytest.raises(type(error)):
        vsphere.library.import_ovf(name, "app", ova, on_progress=interrupt)
    assert items(vsphere_simulator, library["id"]) == []
    (new,) = set(content(vsphere_simulator, "GET", sessions) or []) - before
    assert content(vsphere_simulator, "GET", f"{sessions}/id:{new}")["state"] == "CANCELED"


@pytest.mark.parametrize("method", ["ImportVApp", "HttpNfcLeaseComplete"])
def test_a_deploy_the_server_fails_is_an_error_in_the_callers_words(
    vsphere: Any, vsphere_simulator: Any, si: Any, stocked: str, method: str
) -> None:
    """The server's deploy makes its SOAP calls itself; one failing there fails the deploy,
    which the server reports in its answer (not as an HTTP error), and the server removes
    the VM it had made by then."""
    before = vm_names(si)
    vsphere_simulator.inject_fault(method, "SystemError", count=1)
    try:
        with pytest.raises(VSphereError, match=f"deploy library item '{stocked}/app'"):
            vsphere.library.deploy(
                f"{stocked}/app", f"{stocked}-vm", cluster="DC0_C0", networks=NETWORKS
            )
    finally:
        vsphere_simulator.clear_faults()
    assert vm_names(si) == before


# -- a library item as a clone's source --------------------------------------------------------


@pytest.fixture
def one_net(vsphere: Any, tmp_path: Path, name: str) -> str:
    """A library ``name`` with item "app": a package of one network, "VM Network", which
    joins the network of that name wherever it is deployed."""
    vsphere.library.create(name, "LocalDS_0")
    vsphere.library.import_ovf(
        name, "app", make_ova(tmp_path / "one.ova", networks=("VM Network",))
    )
    return name


def test_a_library_item_is_a_clones_source(vsphere: Any, si: Any, one_net: str) -> None:
    vm = vsphere.clone_vm(
        f"{one_net}/app", f"{one_net}-vm", host="DC0_H0", cpus=3, memory_mb=512, power_on=True
    )
    deployed = find_vm(si, f"{one_net}-vm")
    assert vm._moId == deployed._moId
    assert deployed.config.hardware.numCPU == 3
    assert deployed.config.hardware.memoryMB == 512
    assert deployed.runtime.powerState == "poweredOn"
    assert deployed.runtime.host.name == "DC0_H0"
    assert [n.name for n in deployed.network] == ["VM Network"]


def test_a_library_item_cloned_with_a_customization_reports_its_outcome(
    vsphere: Any, si: Any, one_net: str
) -> None:
    customization = LinuxCustomization(hostname="web-11", domain="example.com")
    vsphere.clone_vm(
        f"{one_net}/app", f"{one_net}-vm", cluster="DC0_C0",
        customization=customization, power_on=True,
    )  # fmt: skip
    deployed = find_vm(si, f"{one_net}-vm")
    outcomes = si.content.eventManager.QueryEvents(
        vim.event.EventFilterSpec(
            entity=vim.event.EventFilterSpec.ByEntity(entity=deployed, recursion="self"),
            eventTypeId=["CustomizationSucceeded", "CustomizationFailed"],
        )
    )
    assert [type(e).__name__ for e in outcomes] == ["vim.event.CustomizationSucceeded"]
    assert deployed.guest.hostName == "web-11"


def test_a_library_item_cloned_as_a_template(vsphere: Any, si: Any, one_net: str) -> None:
    vsphere.clone_vm(f"{one_net}/app", f"{one_net}-tmpl", cluster="DC0_C0", template=True)
    assert find_vm(si, f"{one_net}-tmpl").config.template is True


def test_a_source_that_names_a_vm_and_a_library_item_is_refused(
    vsphere: Any, vsphere_simulator: Any, si: Any, one_net: str
) -> None:
    # A VM named "lib/app" (stored as vCenter stores a "/" in a name): "lib/app" is both.
    source = find_vm(si, "DC0_H0_VM0")
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
    wait_task(source.Clone(source.parent, f"{one_net}%2fapp", spec))
    before = vm_names(si)
    with pytest.raises(AmbiguousNameError, match="names both the VM") as e:
        vsphere.clone_vm(f"{one_net}/app", f"{one_net}-vm", cluster="DC0_C0")
    assert f"/DC0/vm/{one_net}%2fapp" in e.value.candidates
    assert vm_names(si) == before
    # Either, named so that only it fits, is taken.
    vsphere.clone_vm(f"/DC0/vm/{one_net}%2fapp", f"{one_net}-from-vm")
    (item,) = vsphere.library.items(one_net)
    vsphere.clone_vm(f"{one_net}/{item.id}", f"{one_net}-from-item", cluster="DC0_C0")
    assert {f"{one_net}-from-vm", f"{one_net}-from-item"} <= vm_names(si)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"linked": True}, InvalidInputError, "a library item is deployed, not cloned"),
        ({"cpus": 0}, InvalidInputError, "cpus=0"),
        ({"template": True, "power_on": True}, InvalidInputError, "template cannot be powered"),
    ],
)
def test_a_clone_of_a_library_item_that_cannot_be_is_refused_before_deploying(
    vsphere: Any, si: Any, one_net: str, kwargs: dict[str, Any], error: type, message: str
) -> None:
    before = vm_names(si)
    with pytest.raises(error, match=message):
        vsphere.clone_vm(f"{one_net}/app", f"{one_net}-vm", cluster="DC0_C0", **kwargs)
    assert vm_names(si) == before


def test_a_package_whose_networks_need_mapping_is_sent_to_library_deploy(
    vsphere: Any, si: Any, stocked: str
) -> None:
    before = vm_names(si)
    with pytest.raises(InvalidInputError, match=r"'Backend' through vs\.library\.deploy"):
        vsphere.clone_vm(f"{stocked}/app", f"{stocked}-vm", cluster="DC0_C0")
    assert vm_names(si) == before


def test_a_clone_of_a_library_item_that_fails_after_the_deploy_removes_the_vm(
    vsphere: Any, vsphere_simulator: Any, si: Any, one_net: str
) -> None:
    before = vm_names(si)
    vsphere_simulator.inject_fault("ReconfigVM_Task", "SystemError", count=1)
    try:
        with pytest.raises(VSphereError, match=f"reconfigure '{one_net}-vm'"):
            vsphere.clone_vm(f"{one_net}/app", f"{one_net}-vm", cluster="DC0_C0", cpus=2)
    finally:
        vsphere_simulator.clear_faults()
    assert vm_names(si) == before


def test_an_import_the_manifest_does_not_match_leaves_no_item(
    vsphere: Any, vsphere_simulator: Any, tmp_path: Path, name: str
) -> None:
    vsphere.library.create(name, "LocalDS_0")
    library = library_named(vsphere_simulator, name)
    good = make_ova(tmp_path / "good.ova", with_manifest=True)
    vsphere.library.import_ovf(name, "good", good)
    bad = make_ova(tmp_path / "bad.ova", with_manifest=True, wrong_digest="appliance-disk1.vmdk")
    with pytest.raises(InvalidInputError, match=r"appliance-disk1\.vmdk does not match"):
        vsphere.library.import_ovf(name, "bad", bad)
    assert [i["name"] for i in items(vsphere_simulator, library["id"])] == ["good"]
