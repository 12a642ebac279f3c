"""A VM's devices: listing, CD-ROM ISOs, removing disks and NICs; read back through plain
pyVmomi (devices and the datastore's files)."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, foreground_calls, govc, wait_task
from vmware_wrapper import AmbiguousNameError, InvalidInputError, InvalidStateError

ISO = "[LocalDS_0] devices-test/installer.iso"
_seq = itertools.count()


@pytest.fixture(scope="module")
def iso(vsphere_simulator):
    """An ISO file on LocalDS_0, uploaded as another client would, deleted after."""
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "installer.iso"
        local.write_bytes(b"CD001" * 100)
        govc(vsphere_simulator, "datastore.upload", "-ds", "LocalDS_0", str(local), ISO.split()[1])
    yield ISO
    delete_file(vsphere_simulator, "[LocalDS_0] devices-test")


def delete_file(sim, ds_path):
    """Delete a datastore file or folder with govc, as another client would."""
    datastore, path = ds_path[1:].split("]", 1)
    govc(sim, "datastore.rm", "-ds", datastore, path.strip())


def of_type(vm, cls):
    return sorted((d for d in vm.config.hardware.device if isinstance(d, cls)), key=lambda d: d.key)


def disks(vm):
    return of_type(vm, vim.vm.device.VirtualDisk)


def nics(vm):
    return of_type(vm, vim.vm.device.VirtualEthernetCard)


def cdroms(vm):
    return of_type(vm, vim.vm.device.VirtualCdrom)


def reconfigure(vm, *changes):
    wait_task(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=list(changes))))


def add_disk(vm, size_kb=1024 * 1024):
    """A second disk, added with plain pyVmomi on the first disk's controller; its device."""
    first = disks(vm)[0]
    used = {
        d.unitNumber for d in vm.config.hardware.device if d.controllerKey == first.controllerKey
    }
    unit = next(u for u in range(16) if u not in used and u != 7)
    disk = vim.vm.device.VirtualDisk(
        key=-1,
        controllerKey=first.controllerKey,
        unitNumber=unit,
        capacityInKB=size_kb,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            diskMode="persistent", thinProvisioned=True, fileName=""
        ),
    )
    reconfigure(
        vm,
        vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk),
    )
    return next(d for d in disks(vm) if d.unitNumber == unit)


def add_nic(vm, si):
    network = next(n for n in all_objects(si, vim.Network) if n.name == "VM Network")
    card = vim.vm.device.VirtualE1000(
        key=-1,
        backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(
            deviceName="VM Network", network=network
        ),
        addressType="generated",
    )
    before = {d.key for d in nics(vm)}
    reconfigure(vm, vim.vm.device.VirtualDeviceSpec(operation="add", device=card))
    return next(d for d in nics(vm) if d.key not in before)


def file_exists(si, ds_path):
    """Whether a datastore browser search finds the file."""
    datastore, path = ds_path[1:].split("] ", 1)
    folder, _, name = path.rpartition("/")
    ds = next(d for d in all_objects(si, vim.Datastore) if d.name == datastore)
    spec = vim.host.DatastoreBrowser.SearchSpec(matchPattern=[name])
    try:
        result = wait_task(ds.browser.SearchDatastore_Task(f"[{datastore}] {folder}", spec))
    except vim.fault.FileNotFound:
        return False
    return any(f.path == name for f in result.file or [])


def reconfigs(sim):
    return foreground_calls(sim).get("ReconfigVM_Task", 0)


# -- listing ----------------------------------------------------------------------------------


def test_devices_lists_what_pyvmomi_sees(vsphere, si, fresh_vm):
    add_nic(fresh_vm, si)
    portgroups = {pg.key: pg.name for pg in all_objects(si, vim.dvs.DistributedVirtualPortgroup)}
    listed = {d.key: d for d in vsphere.devices(fresh_vm.name)}
    seen = {d.key: d for d in fresh_vm.config.hardware.device}
    assert listed.keys() == seen.keys()
    for key, device in seen.items():
        info = listed[key]
        assert info.label == device.deviceInfo.label
        assert info.unit == device.unitNumber
        if isinstance(device, vim.vm.device.VirtualDisk):
            assert info.kind == "disk"
            assert info.backing == device.backing.fileName
            assert info.size_gb == device.capacityInKB / 2**20
        elif isinstance(device, vim.vm.device.VirtualEthernetCard):
            assert info.kind == "nic"
            assert info.mac_address == device.macAddress
            assert info.connected == device.connectable.connected
            backing = device.backing
            if isinstance(backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo):
                expected = backing.network.name
            else:
                expected = portgroups[backing.port.portgroupKey]
            assert info.network == info.backing == expected
        elif isinstance(device, vim.vm.device.VirtualCdrom):
            assert info.kind == "cdrom"
            assert info.connected == device.connectable.connected
        elif isinstance(device, vim.vm.device.VirtualController):
            assert info.kind == "controller"
        elif isinstance(device, vim.vm.device.VirtualVideoCard):
            assert info.kind == "video"
        else:
            assert info.kind == "other"
    assert {d.network for d in listed.values() if d.kind == "nic"} >= {"VM Network"}


# -- ISOs -------------------------------------------------------------------------------------


def test_insert_and_eject_on_a_running_vm_with_a_cdrom(vsphere, vsphere_simulator, fresh_vm, iso):
    label = vsphere.insert_iso(fresh_vm.name, iso)
    [cdrom] = cdroms(fresh_vm)
    assert label == cdrom.deviceInfo.label
    assert isinstance(cdrom.backing, vim.vm.device.VirtualCdrom.IsoBackingInfo)
    assert cdrom.backing.fileName == iso
    assert cdrom.connectable.startConnected
    assert cdrom.connectable.connected

    assert vsphere.eject_iso(fresh_vm.name) == [label]
    [cdrom] = cdroms(fresh_vm)
    assert isinstance(cdrom.backing, vim.vm.device.VirtualCdrom.RemotePassthroughBackingInfo)
    assert not cdrom.connectable.connected
    assert not cdrom.connectable.startConnected

    vsphere_simulator.reset_call_counts()
    assert vsphere.eject_iso(fresh_vm.name) == []  # nothing to eject: no error, nothing sent
    assert reconfigs(vsphere_simulator) == 0


def test_insert_adds_a_cdrom_on_ide_to_a_vm_without_one(vsphere, fresh_vm, iso):
    wait_task(fresh_vm.PowerOff())
    reconfigure(
        fresh_vm,
        *(vim.vm.device.VirtualDeviceSpec(operation="remove", device=d) for d in cdroms(fresh_vm)),
    )
    assert cdroms(fresh_vm) == []
    label = vsphere.insert_iso(fresh_vm.name, iso)
    [cdrom] = cdroms(fresh_vm)
    assert label == cdrom.deviceInfo.label
    controller = next(d for d in fresh_vm.config.hardware.device if d.key == cdrom.controllerKey)
    assert isinstance(controller, vim.vm.device.VirtualIDEController)
    assert cdrom.backing.fileName == iso
    assert cdrom.connectable.startConnected  # at power-on; off now
    assert not cdrom.connectable.connected
    assert vsphere.eject_iso(fresh_vm.name) == [label]
    assert not isinstance(cdroms(fresh_vm)[0].backing, vim.vm.device.VirtualCdrom.IsoBackingInfo)


def test_a_running_vm_without_cdrom_or_sata_is_refused(vsphere, vsphere_simulator, fresh_vm, iso):
    reconfigure(
        fresh_vm,
        *(vim.vm.device.VirtualDeviceSpec(operation="remove", device=d) for d in cdroms(fresh_vm)),
    )
    vsphere.get_vm(fresh_vm.name)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidStateError, match="SATA"):
        vsphere.insert_iso(fresh_vm.name, iso)
    assert reconfigs(vsphere_simulator) == 0
    assert cdroms(fresh_vm) == []


@pytest.mark.parametrize(
    ("iso_path", "match"),
    [
        ("installer.iso", "datastore path"),
        ("[LocalDS_0] ", "a file on a datastore"),
        ("[NoSuchDS] iso/x.iso", "no datastore 'NoSuchDS'"),
        ("[LocalDS_0] devices-test/missing.iso", "no such file"),
        ("[LocalDS_0] no-such-folder/x.iso", "no such file"),
        (42, "datastore path"),
    ],
)
def test_bad_iso_paths_are_refused_before_anything_is_sent(
    vsphere, vsphere_simulator, fresh_vm, iso, iso_path, match
):
    vsphere.get_vm(fresh_vm.name)
    before = cdroms(fresh_vm)[0].backing
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=match) as raised:
        vsphere.insert_iso(fresh_vm.name, iso_path)
    assert repr(iso_path) in str(raised.value)
    assert reconfigs(vsphere_simulator) == 0
    assert type(cdroms(fresh_vm)[0].backing) is type(before)


def test_a_datastore_the_vms_host_does_not_see_is_refused(
    vsphere, vsphere_simulator, si, fresh_vm, tmp_path
):
    """A datastore on another host only: vSphere would fail the reconfigure (or the VM
    would not find the ISO at power-on); refused before anything is sent."""
    other = next(
        h
        for h in all_objects(si, vim.HostSystem)
        if h.name != fresh_vm.runtime.host.name and h.name.startswith("DC0_C0")
    )
    ds = other.configManager.datastoreSystem.CreateLocalDatastore(
        "devices-elsewhere", str(tmp_path)
    )
    try:
        assert fresh_vm.runtime.host not in [mount.key for mount in ds.host]
        vsphere.get_vm(fresh_vm.name)
        vsphere_simulator.reset_call_counts()
        with pytest.raises(InvalidInputError, match="does not see datastore 'devices-elsewhere'"):
            vsphere.insert_iso(fresh_vm.name, "[devices-elsewhere] installer.iso")
        assert reconfigs(vsphere_simulator) == 0
    finally:
        wait_task(ds.Destroy())


def test_a_template_is_refused(vsphere, vsphere_simulator, fresh_vm, iso):
    wait_task(fresh_vm.PowerOff())
    fresh_vm.MarkAsTemplate()
    try:
        vsphere.get_vm(fresh_vm.name)
        vsphere_simulator.reset_call_counts()
        for call in (
            lambda: vsphere.insert_iso(fresh_vm.name, iso),
            lambda: vsphere.eject_iso(fresh_vm.name),
            lambda: vsphere.remove_nic(fresh_vm.name, 0),
        ):
            with pytest.raises(InvalidStateError, match="template"):
                call()
        assert reconfigs(vsphere_simulator) == 0
    finally:
        fresh_vm.MarkAsVirtualMachine(pool=fresh_vm.resourcePool or _pool_of(fresh_vm))


def _pool_of(vm):
    return vm.runtime.host.parent.resourcePool


# -- removing disks and NICs ------------------------------------------------------------------


def test_remove_disk_by_label_keeps_its_file(vsphere, vsphere_simulator, si, fresh_vm):
    second = add_disk(fresh_vm)
    file = second.backing.fileName
    assert file_exists(si, file)
    vsphere.remove_disk(fresh_vm.name, second.deviceInfo.label.upper())  # any case
    assert second.key not in {d.key for d in disks(fresh_vm)}
    assert len(disks(fresh_vm)) == 1
    assert file_exists(si, file)
    delete_file(vsphere_simulator, file)


def test_remove_disk_by_unit_with_its_file(vsphere, si, fresh_vm):
    second = add_disk(fresh_vm)
    file = second.backing.fileName
    handle = vsphere.remove_disk(fresh_vm.name, second.unitNumber, delete_files=True, wait=False)
    handle.wait(30)
    assert second.key not in {d.key for d in disks(fresh_vm)}
    assert len(disks(fresh_vm)) == 1
    assert not file_exists(si, file)
    assert file_exists(si, disks(fresh_vm)[0].backing.fileName)  # the other disk is untouched


def test_remove_nic_by_label_and_by_mac(vsphere, si, fresh_vm):
    first = nics(fresh_vm)[0]
    second = add_nic(fresh_vm, si)
    vsphere.remove_nic(fresh_vm.name, second.deviceInfo.label.lower())
    assert [d.key for d in nics(fresh_vm)] == [first.key]
    vsphere.remove_nic(fresh_vm.name, first.macAddress.upper().replace(":", "-"))
    assert nics(fresh_vm) == []


def test_an_ide_disk_of_a_running_vm_is_refused(vsphere, vsphere_simulator, fresh_vm):
    """vSphere hot-removes SCSI disks, not IDE ones: said before anything is sent."""
    ide = of_type(fresh_vm, vim.vm.device.VirtualIDEController)[0]
    wait_task(fresh_vm.PowerOff())
    disk = vim.vm.device.VirtualDisk(
        key=-1,
        controllerKey=ide.key,
        unitNumber=0,
        capacityInKB=1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", fileName=""),
    )
    reconfigure(
        fresh_vm,
        vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk),
    )
    wait_task(fresh_vm.PowerOn())
    [on_ide] = [d for d in disks(fresh_vm) if d.controllerKey == ide.key]
    vsphere.get_vm(fresh_vm.name)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidStateError, match="IDE disks are removed only from a powered-off"):
        vsphere.remove_disk(fresh_vm.name, on_ide.deviceInfo.label, delete_files=True)
    assert reconfigs(vsphere_simulator) == 0
    assert on_ide.key in {d.key for d in disks(fresh_vm)}
    wait_task(fresh_vm.PowerOff())
    vsphere.remove_disk(fresh_vm.name, on_ide.deviceInfo.label, delete_files=True)  # off: fine
    assert on_ide.key not in {d.key for d in disks(fresh_vm)}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda vs, n: vs.remove_disk(n, "Hard disk 9"), "no disk 'Hard disk 9'; its disks: '"),
        (lambda vs, n: vs.remove_disk(n, 12), "no disk 12"),
        (lambda vs, n: vs.remove_disk(n, True), "disk=True"),
        (lambda vs, n: vs.remove_disk(n, "Hard disk 1", delete_files="yes"), "delete_files"),
        (lambda vs, n: vs.remove_nic(n, "00:00:00:00:00:01"), "no NIC '00:00:00:00:00:01'"),
        (lambda vs, n: vs.remove_nic(n, None), "nic=None"),
    ],
)
def test_unknown_devices_are_refused_before_anything_is_sent(
    vsphere, vsphere_simulator, fresh_vm, call, match
):
    vsphere.get_vm(fresh_vm.name)
    before = sorted(d.key for d in fresh_vm.config.hardware.device)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=match) as raised:
        call(vsphere, fresh_vm.name)
    if "its disks" in match:  # the VM's disks are listed
        assert disks(fresh_vm)[0].deviceInfo.label in str(raised.value)
    assert reconfigs(vsphere_simulator) == 0
    assert sorted(d.key for d in fresh_vm.config.hardware.device) == before


CHANGES = {
    "remove_disk": lambda vs, n, disk, nic: vs.remove_disk(n, disk, delete_files=True),
    "remove_nic": lambda vs, n, disk, nic: vs.remove_nic(n, nic),
    "insert_iso": lambda vs, n, disk, nic: vs.insert_iso(n, ISO),
    "eject_iso": lambda vs, n, disk, nic: vs.eject_iso(n),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_on_an_ambiguous_name_changes_nothing(vsphere, si, fresh_vm, iso, change):
    name = fresh_vm.name
    wait_task(
        fresh_vm.ReconfigVM_Task(
            vim.vm.ConfigSpec(
                deviceChange=[
                    vim.vm.device.VirtualDeviceSpec(
                        operation="edit",
                        device=_with_iso(cdroms(fresh_vm)[0], iso),
                    )
                ]
            )
        )
    )
    vsphere.vm_info(name)  # the index knows one VM of that name
    folder = fresh_vm.parent.CreateFolder(f"devices-elsewhere-{next(_seq)}")
    twin = wait_task(fresh_vm.Clone(folder, name, vim.vm.CloneSpec(location=vim.vm.RelocateSpec())))
    try:

        def state():
            return [
                sorted(
                    (d.key, type(d.backing).__name__, getattr(d.backing, "fileName", None))
                    for d in vm.config.hardware.device
                )
                for vm in (fresh_vm, twin)
            ]

        before = state()
        files = [d.backing.fileName for vm in (fresh_vm, twin) for d in disks(vm)]
        disk = disks(fresh_vm)[0].deviceInfo.label
        nic = nics(fresh_vm)[0].macAddress
        with pytest.raises(AmbiguousNameError) as raised:
            CHANGES[change](vsphere, name, disk, nic)
        assert len(raised.value.candidates) == 2
        assert state() == before
        assert all(file_exists(si, f) for f in files)
    finally:
        wait_task(twin.Destroy())
        wait_task(folder.Destroy())


def _with_iso(cdrom, iso):
    cdrom.backing = vim.vm.device.VirtualCdrom.IsoBackingInfo(fileName=iso)
    return cdrom
