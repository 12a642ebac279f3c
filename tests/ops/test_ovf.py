"""Deploying and exporting OVF packages, checked through plain pyVmomi reads of the server."""

from __future__ import annotations

import functools
import http.server
import itertools
import tarfile
import threading
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, find_vm, wait_task
from tests.ops.ovf_package import PROPERTIES, descriptor, make_ova, make_ovf, manifest
from vmware_wrapper import InvalidInputError, InvalidStateError, NotFoundError, VSphereError
from vmware_wrapper._base.ovf_descriptor import needed_bytes, parse_descriptor

NETWORKS = {"VM Network": "VM Network", "Backend": "DC0_DVPG0"}
_names = itertools.count()


@pytest.fixture
def name(si: Any) -> Iterator[str]:
    name = f"ovf-{next(_names)}"
    yield name
    for vm in all_objects(si, vim.VirtualMachine):
        if vm.name.startswith(name):
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())


@pytest.fixture
def ova(tmp_path: Path) -> Path:
    return make_ova(tmp_path / "appliance.ova")


def vm_names(si: Any) -> set[str]:
    return {vm.name for vm in all_objects(si, vim.VirtualMachine)}


@pytest.fixture
def local_ds(vsphere_simulator: Any) -> Iterator[str]:
    """LocalDS_0, whose free space a test may change: given back as it was."""
    free = vsphere_simulator.datastore_free()["LocalDS_0"]
    yield "LocalDS_0"
    vsphere_simulator.set_datastore_free("LocalDS_0", free)


def datastore_files(si: Any, datastore: str) -> set[str]:
    """What the top of a datastore holds, as its browser lists it."""
    ds = next(d for d in all_objects(si, vim.Datastore) if d.name == datastore)
    task = ds.browser.SearchDatastore_Task(f"[{datastore}]", vim.host.DatastoreBrowser.SearchSpec())
    wait_task(task)
    return {f.path for f in task.info.result.file or []}


def server_state(si: Any) -> tuple[set[str], dict[str, set[str]]]:
    """The VMs, and what the top of each datastore holds: what a deploy that fails must leave
    as it was."""
    stores = sorted(d.name for d in all_objects(si, vim.Datastore))
    return vm_names(si), {ds: datastore_files(si, ds) for ds in stores}


def hardware(vm: Any) -> dict[str, Any]:
    devices = vm.config.hardware.device
    return {
        "cpus": vm.config.hardware.numCPU,
        "memory_mb": vm.config.hardware.memoryMB,
        "disks": [d.capacityInKB for d in devices if isinstance(d, vim.vm.device.VirtualDisk)],
        "nics": sorted(
            type(d).__name__ for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)
        ),
        "networks": sorted(n.name for n in vm.network),
    }


def test_an_ova_deploys_with_its_networks_and_properties_mapped(
    vsphere: Any, si: Any, ova: Path, name: str
) -> None:
    percents: list[int] = []
    vm = vsphere.deploy_ovf(
        ova,
        name,
        cluster="DC0_C0",
        datastore="LocalDS_0",
        networks=NETWORKS,
        properties={"hostname": "web-07"},
        on_progress=percents.append,
    )
    server = find_vm(si, name)
    assert server._moId == vm._moId
    cluster = next(c for c in all_objects(si, vim.ClusterComputeResource) if c.name == "DC0_C0")
    assert server.resourcePool._moId == cluster.resourcePool._moId
    assert server.parent.name == "vm"
    assert hardware(server) == {
        "cpus": 2,
        "memory_mb": 256,
        "disks": [64 * 1024],
        "nics": ["vim.vm.device.VirtualVmxnet3"] * 2,
        "networks": ["DC0_DVPG0", "VM Network"],
    }
    assert server.config.guestId == "otherLinux64Guest"
    values = {p.id: p.value for p in server.config.vAppConfig.property}
    assert values["hostname"] == "web-07"
    assert set(values) == set(PROPERTIES)
    assert percents[0] == 0
    assert percents[-1] == 100
    assert percents == sorted(percents)
    assert vsphere.get_vm(name)._moId == vm._moId  # in the index at once


def test_an_ovf_with_its_disk_beside_it_deploys_on_a_host_and_powers_on(
    vsphere: Any, si: Any, tmp_path: Path, name: str
) -> None:
    ovf = make_ovf(tmp_path / "pkg", sparse_bytes=2 * 2**20, networks=("VM Network",))
    vsphere.deploy_ovf(
        str(ovf),
        name,
        host="DC0_H0",
        networks={"VM Network": "DC0_DVPG0"},
        disk_provisioning="thick",
        power_on=True,
    )
    server = find_vm(si, name)
    assert server.runtime.host.name == "DC0_H0"
    assert server.runtime.powerState == "poweredOn"
    assert [n.name for n in server.network] == ["DC0_DVPG0"]


@contextmanager
def serving(directory: Path) -> Iterator[str]:
    """A plain HTTP server of a directory, on loopback; its URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_ova_deploys_from_an_http_url(vsphere: Any, si: Any, ova: Path, name: str) -> None:
    with serving(ova.parent) as url:
        vsphere.deploy_ovf(f"{url}/{ova.name}", name, cluster="DC0_C0", networks=NETWORKS)
    assert hardware(find_vm(si, name))["cpus"] == 2


def test_manifests_are_read_from_urls_too(
    vsphere: Any, si: Any, vsphere_simulator: Any, tmp_path: Path, name: str
) -> None:
    """An OVA's manifest is the member after the descriptor, read without reading the disks;
    an .ovf's is the file beside it ("appliance.mf"), and a package without one deploys."""
    make_ova(tmp_path / "signed.ova", with_manifest=True)
    ovf = make_ovf(tmp_path / "pkg", sparse_bytes=2**20)
    with serving(tmp_path) as url:
        vsphere.deploy_ovf(f"{url}/signed.ova", name, cluster="DC0_C0", networks=NETWORKS)
        vsphere.deploy_ovf(f"{url}/pkg/{ovf.name}", f"{name}b", cluster="DC0_C0", networks=NETWORKS)
        (ovf.parent / "appliance.mf").write_bytes(
            manifest({ovf.name: ovf.read_bytes()}, wrong=ovf.name)
        )
        vsphere_simulator.reset_call_counts()
        with pytest.raises(InvalidInputError, match=r"appliance\.ovf does not match"):
            vsphere.deploy_ovf(f"{url}/pkg/{ovf.name}", f"{name}c", cluster="DC0_C0")
    assert "ImportVApp" not in vsphere_simulator.call_counts()
    assert {name, f"{name}b"} <= vm_names(si)
    assert f"{name}c" not in vm_names(si)


@pytest.mark.parametrize(
    ("networks", "properties", "error", "message"),
    [
        ({"Frontend": "VM Network"}, None, InvalidInputError, "no OVF network 'Frontend'"),
        (
            {"VM Network": "no-such-net", "Backend": "VM Network"},
            None,
            NotFoundError,
            "no-such-net",
        ),
        ({"VM Network": "VM Network"}, None, InvalidInputError, "map OVF network 'Backend'"),
        (NETWORKS, {"colour": "red"}, InvalidInputError, "no OVF property 'colour'"),
    ],
)
def test_a_bad_mapping_is_refused_before_anything_is_sent(
    vsphere: Any,
    si: Any,
    vsphere_simulator: Any,
    ova: Path,
    name: str,
    networks: dict[str, str],
    properties: dict[str, str] | None,
    error: type[Exception],
    message: str,
) -> None:
    before = server_state(si)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(error, match=message):
        vsphere.deploy_ovf(ova, name, cluster="DC0_C0", networks=networks, properties=properties)
    calls = vsphere_simulator.call_counts()
    assert not {"CreateImportSpec", "ImportVApp"} & calls.keys()
    assert server_state(si) == before


def test_a_package_the_server_refuses_is_refused_in_its_words(
    vsphere: Any, si: Any, tmp_path: Path, name: str
) -> None:
    """CreateImportSpec's errors are MethodFaults themselves (not LocalizedMethodFaults, as
    its warnings are): a network adapter of no known type (no ResourceSubType)."""
    ovf = make_ovf(tmp_path / "pkg", sparse_bytes=2**20, networks=("VM Network",))
    ovf.write_text(
        ovf.read_text().replace("<rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>", "")
    )
    with pytest.raises(InvalidInputError, match="the server refuses the package: "):
        vsphere.deploy_ovf(ovf, name, cluster="DC0_C0", networks={"VM Network": "VM Network"})
    assert name not in vm_names(si)


def test_the_choices_are_named_when_an_ovf_network_is_left_unmapped(
    vsphere: Any, ova: Path, name: str
) -> None:
    with pytest.raises(InvalidInputError) as e:
        vsphere.deploy_ovf(ova, name, cluster="DC0_C0", networks={"VM Network": "VM Network"})
    assert "'DC0_DVPG0'" in str(e.value)
    assert "'VM Network'" in str(e.value)
    assert "DVUplinks" not in str(e.value)


def test_a_package_bigger_than_the_datastore_and_a_taken_name_are_refused_before_sending(
    vsphere: Any, si: Any, vsphere_simulator: Any, tmp_path: Path, name: str
) -> None:
    huge = make_ova(tmp_path / "huge.ova", capacity=2**50)  # 1 PB, thick
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidStateError, match="free"):
        vsphere.deploy_ovf(
            huge, name, cluster="DC0_C0", networks=NETWORKS, disk_provisioning="thick"
        )
    with pytest.raises(InvalidInputError, match="already has a 'DC0_H0_VM0'"):
        vsphere.deploy_ovf(huge, "DC0_H0_VM0", cluster="DC0_C0", networks=NETWORKS)
    assert "ImportVApp" not in vsphere_simulator.call_counts()
    assert name not in vm_names(si)


def test_a_full_datastore_is_refused_before_anything_is_sent(
    vsphere: Any, si: Any, vsphere_simulator: Any, ova: Path, name: str, local_ds: str
) -> None:
    vsphere_simulator.set_datastore_free(local_ds, 2**20)  # 1 MB; the package's disk is more
    before = datastore_files(si, local_ds)
    vsphere_simulator.reset_call_counts()
    full = r"'LocalDS_0' has 1\.0 MB free, \d\.\d MB is needed"
    with pytest.raises(InvalidStateError, match=full):
        vsphere.deploy_ovf(ova, name, cluster="DC0_C0", datastore=local_ds, networks=NETWORKS)
    assert "ImportVApp" not in vsphere_simulator.call_counts()
    assert name not in vm_names(si)
    assert datastore_files(si, local_ds) == before


def test_a_datastore_that_fills_during_the_upload_leaves_nothing_behind(
    vsphere: Any, si: Any, vsphere_simulator: Any, tmp_path: Path, name: str, local_ds: str
) -> None:
    # A disk larger than what the sockets hold between the two ends, so the server still
    # has most of it to read when the datastore fills.
    ovf = make_ovf(tmp_path / "big", sparse_bytes=64 * 2**20)
    before = server_state(si)

    def fill(percent: int) -> None:
        if percent >= 20:
            vsphere_simulator.set_datastore_free(local_ds, 0)

    vsphere_simulator.reset_call_counts()
    with pytest.raises(VSphereError, match=f"deploy .* as '{name}': .* HTTP 507 Insufficient"):
        vsphere.deploy_ovf(
            ovf, name, cluster="DC0_C0", datastore=local_ds, networks=NETWORKS, on_progress=fill
        )
    calls = vsphere_simulator.call_counts()
    assert calls.get("ImportVApp") == 1
    assert calls.get("HttpNfcLeaseAbort") == 1
    assert "HttpNfcLeaseComplete" not in calls
    assert server_state(si) == before


def test_a_package_with_a_manifest_that_matches_deploys(
    vsphere: Any, si: Any, tmp_path: Path, name: str
) -> None:
    package = make_ova(tmp_path / "signed.ova", with_manifest=True)
    vsphere.deploy_ovf(package, name, cluster="DC0_C0", networks=NETWORKS)
    assert name in vm_names(si)


def test_a_descriptor_the_manifest_does_not_match_is_refused_before_anything_is_sent(
    vsphere: Any, si: Any, vsphere_simulator: Any, tmp_path: Path, name: str
) -> None:
    package = make_ova(tmp_path / "bad.ova", with_manifest=True, wrong_digest="appliance.ovf")
    before = server_state(si)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=r"appliance\.ovf does not match the package's"):
        vsphere.deploy_ovf(package, name, cluster="DC0_C0", networks=NETWORKS)
    assert not {"CreateImportSpec", "ImportVApp"} & vsphere_simulator.call_counts().keys()
    assert server_state(si) == before


def test_a_disk_the_manifest_does_not_match_is_refused_and_leaves_nothing_behind(
    vsphere: Any, si: Any, vsphere_simulator: Any, tmp_path: Path, name: str
) -> None:
    # The disk can only be hashed as it is sent: the lease is aborted once it has been.
    package = make_ova(
        tmp_path / "bad.ova", with_manifest=True, wrong_digest="appliance-disk1.vmdk"
    )
    before = server_state(si)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=r"appliance-disk1\.vmdk does not match .* damaged"):
        vsphere.deploy_ovf(package, name, cluster="DC0_C0", networks=NETWORKS)
    calls = vsphere_simulator.call_counts()
    assert calls.get("HttpNfcLeaseAbort") == 1
    assert "HttpNfcLeaseComplete" not in calls
    assert server_state(si) == before


def test_without_a_placement_it_is_asked_for_when_there_is_a_choice(
    vsphere: Any, si: Any, vsphere_simulator: Any, ova: Path, name: str
) -> None:
    # Placed as create_vm places a VM: DC0 has a cluster and a standalone host.
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match="give host=, cluster= or resource_pool=") as e:
        vsphere.deploy_ovf(ova, name, networks=NETWORKS)
    assert "/DC0/host/DC0_C0" in str(e.value)
    assert "ImportVApp" not in vsphere_simulator.call_counts()
    assert name not in vm_names(si)


def test_the_room_a_package_needs() -> None:
    text = descriptor("d.vmdk", 5 * 2**20, capacity=2**30)
    parsed = parse_descriptor(text)
    assert needed_bytes(parsed, thin=False) == 2**30
    assert needed_bytes(parsed, thin=True) == 5 * 2**20  # the file that fills it
    units = text.replace(
        'ovf:capacity="1073741824" ovf:capacityAllocationUnits="byte"',
        'ovf:capacity="3" ovf:capacityAllocationUnits="byte * 2^30"',
    )
    assert needed_bytes(parse_descriptor(units), thin=False) == 3 * 2**30
    assert parsed.networks == ("VM Network", "Backend")
    assert parsed.property_keys == list(PROPERTIES)
    with pytest.raises(InvalidInputError, match="not XML"):
        parse_descriptor("<Envelope")


def _interrupt_at(percent: int, error: BaseException) -> Any:
    def on_progress(p: int) -> None:
        if p >= percent:
            raise error

    return on_progress


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("disk unplugged")])
def test_an_upload_interrupted_half_way_leaves_nothing_behind(
    vsphere: Any, si: Any, vsphere_simulator: Any, ova: Path, name: str, error: BaseException
) -> None:
    before = server_state(si)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(type(error)):
        vsphere.deploy_ovf(
            ova, name, cluster="DC0_C0", networks=NETWORKS, on_progress=_interrupt_at(50, error)
        )
    calls = vsphere_simulator.call_counts()
    assert calls.get("ImportVApp") == 1
    assert calls.get("HttpNfcLeaseAbort") == 1
    assert "HttpNfcLeaseComplete" not in calls
    assert server_state(si) == before
    with pytest.raises(NotFoundError):
        vsphere.get_vm(name)


def test_a_fault_while_uploading_aborts_and_removes_the_vm(
    vsphere: Any, si: Any, vsphere_simulator: Any, ova: Path, name: str
) -> None:
    before = server_state(si)
    vsphere_simulator.reset_call_counts()
    vsphere_simulator.inject_fault("HttpNfcLeaseProgress", "SystemError", count=1)
    try:
        with pytest.raises(VSphereError, match=f"deploy .* as '{name}'"):
            vsphere.deploy_ovf(ova, name, cluster="DC0_C0", networks=NETWORKS)
    finally:
        vsphere_simulator.clear_faults()
    assert vsphere_simulator.call_counts().get("HttpNfcLeaseAbort") == 1
    assert server_state(si) == before


def test_a_large_upload_streams_in_bounded_memory(vsphere: Any, tmp_path: Path, name: str) -> None:
    ovf = make_ovf(tmp_path / "big", sparse_bytes=50 * 2**20)
    tracemalloc.start()
    try:
        vsphere.deploy_ovf(ovf, name, cluster="DC0_C0", networks=NETWORKS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MB for a 50 MB disk"


def test_export_then_deploy_round_trips_the_hardware(
    vsphere: Any, si: Any, vsphere_simulator: Any, ova: Path, tmp_path: Path, name: str
) -> None:
    vsphere.deploy_ovf(ova, name, cluster="DC0_C0", networks=NETWORKS)
    percents: list[int] = []
    path = vsphere.export_ovf(name, tmp_path / "out", ova=True, on_progress=percents.append)
    assert path == str(tmp_path / "out" / f"{name}.ova")
    assert percents[-1] == 100
    with tarfile.open(path) as tar:
        members = tar.getnames()
    assert members == [f"{name}.ovf", f"{name}-disk0.vmdk"]  # the descriptor first
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{name}.ova"]
    copy = vsphere.deploy_ovf(
        path,
        f"{name}-copy",
        host="DC0_H0",
        networks={"VM Network": "VM Network", "DC0_DVPG0": "DC0_DVPG0"},
    )
    assert hardware(find_vm(si, f"{name}-copy")) == hardware(find_vm(si, name))
    assert copy._moId == find_vm(si, f"{name}-copy")._moId


def test_export_writes_an_ovf_and_its_disks(
    vsphere: Any, ova: Path, tmp_path: Path, name: str
) -> None:
    vsphere.deploy_ovf(ova, name, cluster="DC0_C0", networks=NETWORKS)
    path = Path(vsphere.export_ovf(name, tmp_path / "out"))
    assert path.name == f"{name}.ovf"
    parsed = parse_descriptor(path.read_text())
    assert [f.href for f in parsed.files] == [f"{name}-disk0.vmdk"]
    disk = path.parent / f"{name}-disk0.vmdk"
    assert disk.read_bytes()[:4] == b"KDMV"
    assert parsed.files[0].size == disk.stat().st_size
    with pytest.raises(InvalidInputError, match="already exists"):
        vsphere.export_ovf(name, tmp_path / "out")


def test_a_failed_export_leaves_no_files_and_no_lease(
    vsphere: Any, vsphere_simulator: Any, ova: Path, tmp_path: Path, name: str
) -> None:
    vsphere.deploy_ovf(ova, name, cluster="DC0_C0", networks=NETWORKS)
    out = tmp_path / "out"
    vsphere_simulator.reset_call_counts()
    vsphere_simulator.inject_fault("CreateDescriptor", "SystemError", count=1)
    try:
        with pytest.raises(VSphereError, match=f"export '{name}'"):
            vsphere.export_ovf(name, out, ova=True)
    finally:
        vsphere_simulator.clear_faults()
    assert list(out.iterdir()) == []
    assert vsphere_simulator.call_counts().get("HttpNfcLeaseAbort") == 1


def test_a_powered_on_vm_is_not_exported(vsphere: Any, tmp_path: Path, fresh_vm: Any) -> None:
    with pytest.raises(InvalidStateError, match="power it off"):
        vsphere.export_ovf(fresh_vm.name, tmp_path)
