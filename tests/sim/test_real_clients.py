"""What real clients (Ansible's community.vmware, the vSphere Automation SDK, govc, pyVmomi
scripts) ask of vCenter, asked as they ask it: plain pyVmomi and plain HTTP, never the library."""

from __future__ import annotations

import base64
import json
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from tests.helpers import all_objects, find_vm, plain_pyvmomi, wait_task, wait_until
from vmware_wrapper.testing import Simulator

PC = vmodl.query.PropertyCollector
GUEST = vim.vm.guest.NamePasswordAuthentication(username="ansible", password="guest-secret")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(
        vms_per_pool=2, tls=True, guest_username="ansible", guest_password="guest-secret"
    ) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def si(sim: Simulator) -> Iterator[Any]:
    with plain_pyvmomi(sim) as service_instance:
        yield service_instance


def tls(sim: Simulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=sim.ca_file)


def clone(si: Any, name: str, folder: Any = None, **spec: Any) -> Any:
    source = find_vm(si, "DC0_H0_VM0")
    spec.setdefault("location", vim.vm.RelocateSpec())
    return wait_task(source.Clone(folder or source.parent, name, vim.vm.CloneSpec(**spec)))


def destroy(vm: Any) -> None:
    if vm.runtime.powerState == "poweredOn":
        wait_task(vm.PowerOff())
    wait_task(vm.Destroy())


def nics(vm: Any) -> list[Any]:
    return [
        d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)
    ]


def macs(vm: Any) -> list[str]:
    return [nic.macAddress for nic in nics(vm)]


# -- 1. guest file transfer URLs -------------------------------------------------------------


@pytest.fixture(scope="module")
def running_vm(si: Any) -> Iterator[Any]:
    vm = clone(si, "transfer-vm", powerOn=True)
    wait_until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", what="tools")
    yield vm
    destroy(vm)


def test_a_transfer_url_works_as_given_and_with_a_star_put_in(sim, si, running_vm):
    files = si.content.guestOperationsManager.fileManager
    url = files.InitiateFileTransferToGuest(
        running_vm,
        GUEST,
        "/tmp/from-ansible.txt",
        vim.vm.guest.FileManager.FileAttributes(),
        5,
        True,
    )
    # vCenter names the host that runs the VM, and its port: the address we reached.
    parts = urllib.parse.urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port) == ("https", sim.host, sim.port)
    # Ansible's vmware_guest_file_operation puts its hostname in place of a "*" (for an ESXi
    # host's "https://*:443/..."); pyVmomi's samples replace "https://*:" likewise.
    ansible = url.replace("*", sim.host)
    sample = re.sub(r"^https://\*:", f"https://{sim.host}:", url)
    assert ansible == sample == url
    request = urllib.request.Request(ansible, data=b"hello", method="PUT")
    with urllib.request.urlopen(request, context=tls(sim)) as response:
        assert response.status == 200

    info = files.InitiateFileTransferFromGuest(running_vm, GUEST, "/tmp/from-ansible.txt")
    with urllib.request.urlopen(info.url, context=tls(sim)) as response:
        assert response.read() == b"hello"


def test_a_transfer_url_names_the_address_the_client_reached(sim, running_vm):
    # As Ansible connects (SmartConnect), by another name of the same machine.
    si = SmartConnect(
        host="localhost",
        port=sim.port,
        user=sim.username,
        pwd=sim.password,
        sslContext=tls(sim),
    )
    try:
        vm = si.content.searchIndex.FindByUuid(None, running_vm.config.uuid, True, False)
        info = si.content.guestOperationsManager.fileManager.InitiateFileTransferFromGuest(
            vm, GUEST, "/etc/hostname"
        )
        assert urllib.parse.urlsplit(info.url).netloc == f"localhost:{sim.port}"
        with urllib.request.urlopen(info.url, context=tls(sim)) as response:
            assert len(response.read()) == info.size
    finally:
        Disconnect(si)


# -- 2. the vSphere 7+ REST API under /api -----------------------------------------------------


class Rest:
    """Plain HTTP to /api, as the vSphere Automation API reference describes it."""

    def __init__(self, sim: Simulator) -> None:
        self.base = f"{sim.protocol}://{sim.host}:{sim.port}"
        self.context = tls(sim)
        self.token: str | None = None

    def call(
        self, method: str, path: str, body: Any = None, *, basic: str | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if basic is not None:
            request.add_header(
                "Authorization", "Basic " + base64.b64encode(basic.encode()).decode()
            )
        elif self.token:
            request.add_header("vmware-api-session-id", self.token)
        try:
            with urllib.request.urlopen(request, context=self.context) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None


@pytest.fixture
def rest(sim: Simulator) -> Iterator[Rest]:
    client = Rest(sim)
    status, token = client.call("POST", "/api/session", basic=f"{sim.username}:{sim.password}")
    assert status == 201
    client.token = token
    yield client
    client.call("DELETE", "/api/session")


def test_rest_sessions(sim):
    client = Rest(sim)
    status, token = client.call("POST", "/api/session", basic=f"{sim.username}:{sim.password}")
    assert status == 201
    assert isinstance(token, str)
    assert token
    client.token = token
    status, info = client.call("GET", "/api/session")
    assert status == 200
    assert info["user"] == sim.username
    assert {"created_time", "last_accessed_time"} <= set(info)
    # The same session serves the /rest API, as on vCenter.
    request = urllib.request.Request(f"{client.base}/rest/com/vmware/cis/tagging/category")
    request.add_header("vmware-api-session-id", token)
    with urllib.request.urlopen(request, context=client.context) as response:
        assert response.status == 200

    assert client.call("DELETE", "/api/session") == (204, None)
    status, error = client.call("GET", "/api/session")
    assert (status, error["error_type"]) == (401, "UNAUTHENTICATED")
    status, error = client.call("GET", "/api/cis/tagging/category")
    assert (status, error["error_type"]) == (401, "UNAUTHENTICATED")
    status, error = client.call("POST", "/api/session", basic=f"{sim.username}:")
    assert (status, error["error_type"]) == (401, "UNAUTHENTICATED")


def test_rest_categories_and_tags(rest):
    spec = {
        "name": "rest-env",
        "description": "where it runs",
        "cardinality": "SINGLE",
        "associable_types": ["VirtualMachine"],
    }
    status, category = rest.call("POST", "/api/cis/tagging/category", spec)
    assert status == 201
    assert category.startswith("urn:vmomi:InventoryServiceCategory:")
    status, error = rest.call("POST", "/api/cis/tagging/category", spec)
    assert (status, error["error_type"]) == (400, "ALREADY_EXISTS")
    assert category in rest.call("GET", "/api/cis/tagging/category")[1]
    assert rest.call("GET", f"/api/cis/tagging/category/{category}") == (
        200,
        {"id": category, "used_by": [], **spec},
    )

    tag_spec = {"name": "prod", "description": "", "category_id": category}
    status, tag = rest.call("POST", "/api/cis/tagging/tag", tag_spec)
    assert status == 201
    assert rest.call("GET", f"/api/cis/tagging/tag/{tag}") == (
        200,
        {"id": tag, "used_by": [], **tag_spec},
    )
    assert tag in rest.call("GET", "/api/cis/tagging/tag")[1]
    listed = rest.call(
        "POST", "/api/cis/tagging/tag?action=list-tags-for-category", {"category_id": category}
    )
    assert listed == (200, [tag])
    assert rest.call("PATCH", f"/api/cis/tagging/tag/{tag}", {"description": "live"}) == (204, None)
    assert rest.call("GET", f"/api/cis/tagging/tag/{tag}")[1]["description"] == "live"

    assert rest.call("DELETE", f"/api/cis/tagging/tag/{tag}") == (204, None)
    status, error = rest.call("GET", f"/api/cis/tagging/tag/{tag}")
    assert (status, error["error_type"]) == (404, "NOT_FOUND")
    assert rest.call("DELETE", f"/api/cis/tagging/category/{category}") == (204, None)
    assert category not in rest.call("GET", "/api/cis/tagging/category")[1]


def test_rest_tag_attachments(rest, si):
    _, category = rest.call(
        "POST",
        "/api/cis/tagging/category",
        {"name": "rest-tier", "description": "", "cardinality": "MULTIPLE", "associable_types": []},
    )
    _, web = rest.call("POST", "/api/cis/tagging/tag", {"name": "web", "category_id": category})
    _, db = rest.call("POST", "/api/cis/tagging/tag", {"name": "db", "category_id": category})
    obj = {"type": "VirtualMachine", "id": find_vm(si, "DC0_H0_VM1")._moId}
    association = "/api/cis/tagging/tag-association"

    def on_tag(tag: str, action: str) -> tuple[int, Any]:
        return rest.call("POST", f"{association}/{tag}?action={action}", {"object_id": obj})

    def on_object(action: str, **body: Any) -> tuple[int, Any]:
        return rest.call("POST", f"{association}?action={action}", {"object_id": obj, **body})

    try:
        assert on_tag(web, "attach") == (204, None)
        assert rest.call("POST", f"{association}/{web}?action=list-attached-objects") == (
            200,
            [obj],
        )
        assert on_object("list-attached-tags") == (200, [web])
        batch = on_object("attach-multiple-tags-to-object", tag_ids=[db])
        assert batch == (200, {"success": True, "error_messages": []})
        status, tags = on_object("list-attached-tags")
        assert sorted(tags) == sorted([web, db])
        status, on_tags = rest.call(
            "POST", f"{association}?action=list-attached-objects-on-tags", {"tag_ids": [web]}
        )
        assert (status, on_tags) == (200, [{"tag_id": web, "object_ids": [obj]}])

        assert on_tag(web, "detach") == (204, None)
        batch = on_object("detach-multiple-tags-from-object", tag_ids=[db])
        assert batch == (200, {"success": True, "error_messages": []})
        assert on_object("list-attached-tags") == (200, [])
        assert rest.call("POST", f"{association}/{db}?action=list-attached-objects") == (200, [])
        status, error = on_tag("urn:vmomi:InventoryServiceTag:none:GLOBAL", "attach")
        assert (status, error["error_type"]) == (404, "NOT_FOUND")
    finally:
        rest.call("DELETE", f"/api/cis/tagging/category/{category}")


# -- 3. Folder.UnregisterAndDestroy_Task -------------------------------------------------------


def files_in(si: Any, datastore: Any, directory: str) -> list[str]:
    task = datastore.browser.SearchDatastore_Task(
        f"[{datastore.name}] {directory}", vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*"])
    )
    return [f.path for f in wait_task(task).file]


def test_unregister_and_destroy_removes_the_tree_and_leaves_the_files(si):
    datacenter = all_objects(si, vim.Datacenter)[0]
    top = datacenter.vmFolder.CreateFolder("retired")
    below = top.CreateFolder("below")
    vms = [clone(si, "retired-1", top), clone(si, "retired-2", below)]
    datastore = vms[0].datastore[0]
    directories = [vm.config.files.vmPathName.split("] ")[1].split("/")[0] for vm in vms]
    ids = {vm._moId for vm in vms}

    task = top.UnregisterAndDestroy()
    wait_task(task)

    assert task.info.descriptionId == "Folder.UnregisterAndDestroy"
    assert not {f.name for f in all_objects(si, vim.Folder)} & {"retired", "below"}
    assert not ids & {vm._moId for vm in all_objects(si, vim.VirtualMachine)}
    # Unregistered, not deleted: the VMs' files stay on the datastore.
    for directory, vm_name in zip(directories, ["retired-1", "retired-2"], strict=True):
        assert f"{vm_name}.vmx" in files_in(si, datastore, directory)


def test_unregister_and_destroy_refuses_what_vcenter_refuses(si):
    datacenter = all_objects(si, vim.Datacenter)[0]
    folder = datacenter.vmFolder.CreateFolder("busy")
    vm = clone(si, "busy-1", folder, powerOn=True)
    try:
        with pytest.raises(vim.fault.InvalidState):  # a VM below is powered on
            wait_task(folder.UnregisterAndDestroy())
        assert vm.parent == folder  # nothing removed
        assert vm.runtime.powerState == "poweredOn"
        # Only VM folders; and a datacenter's own folders go only with it.
        for other in (datacenter.hostFolder, datacenter.networkFolder, datacenter.vmFolder):
            with pytest.raises(vmodl.fault.NotSupported):
                wait_task(other.UnregisterAndDestroy())
        assert len(all_objects(si, vim.HostSystem)) > 0
    finally:
        destroy(vm)
        wait_task(folder.Destroy())


# -- 4. properties of the reported API version -------------------------------------------------


def retrieve(si: Any, obj: Any, kind: Any, *paths: str) -> Any:
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=obj)],
        propSet=[PC.PropertySpec(type=kind, pathSet=list(paths))],
    )
    (content,) = si.content.propertyCollector.RetrievePropertiesEx(
        [spec], PC.RetrieveOptions()
    ).objects
    return content


def test_properties_of_the_reported_version_can_be_read(si):
    assert si.content.about.apiVersion == "8.0.3.0"
    for pool in all_objects(si, vim.ResourcePool):
        content = retrieve(si, pool, vim.ResourcePool, "namespace", "name")  # vSphere 7.0
        assert [p.name for p in content.propSet] == ["name"]  # namespace: unset
        assert list(content.missingSet) == []
        assert pool.namespace is None
    cluster = all_objects(si, vim.ClusterComputeResource)[0]
    # 7.0.1.1 and 8.0 properties that govmomi's objects have no field for.
    content = retrieve(si, cluster, vim.ClusterComputeResource, "summaryEx", "configManagerEnabled")
    assert list(content.missingSet) == []
    assert cluster.summaryEx is None
    assert cluster.configManagerEnabled is None


def test_properties_newer_than_the_reported_version_stay_invalid():
    with Simulator(vms_per_pool=0, api_version="7.0.3.0") as old, plain_pyvmomi(old) as si:
        cluster = all_objects(si, vim.ClusterComputeResource)[0]
        content = retrieve(si, cluster, vim.ClusterComputeResource, "configManagerEnabled")  # 8.0
        assert [m.path for m in content.missingSet] == ["configManagerEnabled"]
        assert isinstance(content.missingSet[0].fault, vmodl.query.InvalidProperty)
        assert list(retrieve(si, cluster, vim.ClusterComputeResource, "summaryEx").missingSet) == []


# -- 5. MAC addresses and uuids ----------------------------------------------------------------


VCENTER_MAC = re.compile(r"^00:50:56:[89ab][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$")


def identity(vm: Any) -> tuple[str, str, list[str]]:
    return vm.config.uuid, vm.config.instanceUuid, macs(vm)


def test_generated_vms_have_their_own_macs_and_uuids(si):
    vms = all_objects(si, vim.VirtualMachine)
    addresses = [mac for vm in vms for mac in macs(vm)]
    assert addresses
    assert len(set(addresses)) == len(addresses)
    assert all(VCENTER_MAC.match(mac) for mac in addresses)
    assert all(nic.addressType == "assigned" for vm in vms for nic in nics(vm))
    for field in ("uuid", "instanceUuid"):
        values = [getattr(vm.config, field) for vm in vms]
        assert len(set(values)) == len(values)
    # The guest sees the NIC's address.
    vm = vms[0]
    assert {n.macAddress for n in vm.guest.net} <= set(macs(vm))


def test_a_clone_gets_its_own_macs_and_uuids_even_made_again(si):
    source = find_vm(si, "DC0_H0_VM0")
    first = clone(si, "identity-clone")
    taken = {mac for vm in all_objects(si, vim.VirtualMachine) if vm != first for mac in macs(vm)}
    uuids = identity(first)[:2]
    assert not set(macs(first)) & taken
    assert all(VCENTER_MAC.match(mac) for mac in macs(first))
    assert not set(uuids) & set(identity(source)[:2])
    destroy(first)
    again = clone(si, "identity-clone")
    try:
        assert not set(identity(again)[:2]) & set(uuids)
    finally:
        destroy(again)


def test_what_the_spec_gives_is_kept(si):
    uuid, instance_uuid = (
        "4211a9e3-0e8e-4b6c-9c41-5c2f1f0d8a11",
        "5011b2c4-9d1a-4f3e-8b2d-6e4f0a1b2c3d",
    )
    source = find_vm(si, "DC0_H0_VM0")
    (nic,) = nics(source)
    nic.macAddress, nic.addressType = "00:50:56:01:02:03", "manual"
    edit = vim.vm.device.VirtualDeviceSpec(operation="edit", device=nic)
    config = vim.vm.ConfigSpec(uuid=uuid, instanceUuid=instance_uuid, deviceChange=[edit])
    vm = clone(si, "identity-given", config=config)
    try:
        assert identity(vm) == (uuid, instance_uuid, ["00:50:56:01:02:03"])
    finally:
        destroy(vm)


def test_created_vms_and_new_nics_get_their_own_macs_and_uuids(si):
    host = find_vm(si, "DC0_H0_VM0").runtime.host
    datacenter = all_objects(si, vim.Datacenter)[0]

    def nic_spec() -> Any:
        backing = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network")
        device = vim.vm.device.VirtualVmxnet3(key=-1, backing=backing, addressType="generated")
        return vim.vm.device.VirtualDeviceSpec(operation="add", device=device)

    def create(name: str) -> Any:
        config = vim.vm.ConfigSpec(
            name=name,
            guestId="otherGuest64",
            files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"),
            deviceChange=[nic_spec()],
        )
        task = datacenter.vmFolder.CreateVM_Task(config, host.parent.resourcePool, host)
        return wait_task(task)

    first = create("identity-created")
    uuids = identity(first)[:2]
    destroy(first)
    vm = create("identity-created")
    try:
        assert not set(identity(vm)[:2]) & set(uuids)
        wait_task(vm.Reconfigure(vim.vm.ConfigSpec(deviceChange=[nic_spec()])))
        taken = [mac for other in all_objects(si, vim.VirtualMachine) for mac in macs(other)]
        assert len(macs(vm)) == 2
        assert len(set(taken)) == len(taken)
        assert all(VCENTER_MAC.match(mac) for mac in macs(vm))
    finally:
        destroy(vm)


# -- 6. realistic delays -------------------------------------------------------------------------


def test_realistic_delays_are_a_real_guests():
    # The tools delay given explicitly wins; the guest's stays realistic (5 s).
    with (
        Simulator(vms_per_pool=1, realistic=True, tools_delay=0.2) as fast_tools,
        plain_pyvmomi(fast_tools) as si,
    ):
        vm = find_vm(si, "DC0_H0_VM0")
        wait_task(vm.PowerOff())
        wait_task(vm.PowerOn())
        wait_until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", 5, "tools")
        vm.ShutdownGuest()
        time.sleep(1)
        assert vm.runtime.powerState == "poweredOn"
    # Tools start 30 s after a power-on.
    with Simulator(vms_per_pool=1, realistic=True) as slow, plain_pyvmomi(slow) as si:
        vm = find_vm(si, "DC0_H0_VM0")
        wait_task(vm.PowerOff())
        wait_task(vm.PowerOn())
        time.sleep(1.5)
        assert vm.guest.toolsRunningStatus == "guestToolsNotRunning"
