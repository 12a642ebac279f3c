"""Reconfiguring VMs: CPUs, memory, disks, NICs; checked through plain pyVmomi reads."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from tests.helpers import foreground_calls, wait_task
from vmware_wrapper import InvalidInputError, InvalidStateError, NotFoundError


def disks(vm):
    return sorted(
        (d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)),
        key=lambda d: d.key,
    )


def nics(vm):
    return sorted(
        (d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)),
        key=lambda d: d.key,
    )


@pytest.fixture
def off_vm(vsphere, fresh_vm):
    vsphere.power_off(fresh_vm.name)
    return fresh_vm


def test_cpus_memory_and_cores_when_off(vsphere, off_vm):
    vsphere.reconfigure_vm(off_vm.name, cpus=4, memory_mb=2048, cores_per_socket=2)
    hw = off_vm.config.hardware
    assert (hw.numCPU, hw.memoryMB, hw.numCoresPerSocket) == (4, 2048, 2)


def test_hot_add_rules_on_a_running_vm(vsphere, off_vm):
    vsphere.reconfigure_vm(off_vm.name, cpus=2, memory_mb=1024)
    vsphere.power_on(off_vm.name)
    with pytest.raises(InvalidStateError, match="CPU hot-add"):
        vsphere.reconfigure_vm(off_vm.name, cpus=4)
    with pytest.raises(InvalidStateError, match="memory hot-add"):
        vsphere.reconfigure_vm(off_vm.name, memory_mb=2048)
    with pytest.raises(InvalidStateError, match="powered off"):
        vsphere.reconfigure_vm(off_vm.name, cpu_hot_add=True)
    vsphere.power_off(off_vm.name)
    vsphere.reconfigure_vm(off_vm.name, cpu_hot_add=True, memory_hot_add=True)
    assert off_vm.config.cpuHotAddEnabled
    assert off_vm.config.memoryHotAddEnabled
    vsphere.power_on(off_vm.name)
    vsphere.reconfigure_vm(off_vm.name, cpus=4, memory_mb=2048)  # hot
    assert (off_vm.config.hardware.numCPU, off_vm.config.hardware.memoryMB) == (4, 2048)
    with pytest.raises(InvalidStateError, match="from 4 to 2 CPUs"):
        vsphere.reconfigure_vm(off_vm.name, cpus=2)
    with pytest.raises(InvalidStateError, match="from 2048 to 1024 MB"):
        vsphere.reconfigure_vm(off_vm.name, memory_mb=1024)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cpus": 0}, "cpus"),
        ({"cpus": 2.5}, "cpus"),
        ({"memory_mb": 1002}, "multiple of 4"),
        ({"memory_mb": -4}, "memory_mb"),
        ({"cpus": 3, "cores_per_socket": 2}, "does not divide"),
        ({"disk_gb": 0}, "disk_gb"),
        ({"disk_gb": 1e-6}, "disks only grow"),
        ({"cpu_hot_add": "yes"}, "cpu_hot_add"),
    ],
)
def test_bad_values_are_refused_before_anything_is_sent(
    vsphere, off_vm, vsphere_simulator, kwargs, match
):
    vsphere.get_vm(off_vm.name)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=match):
        vsphere.reconfigure_vm(off_vm.name, **kwargs)
    assert "ReconfigVM_Task" not in foreground_calls(vsphere_simulator)


def test_disks_grow_and_never_shrink(vsphere, fresh_vm):
    first = disks(fresh_vm)[0]
    size_gb = first.capacityInKB / 1024 / 1024
    vsphere.reconfigure_vm(fresh_vm.name, disk_gb=size_gb + 10)  # hot: allowed
    grown = disks(fresh_vm)[0]
    assert grown.capacityInKB == int((size_gb + 10) * 1024 * 1024)
    with pytest.raises(InvalidInputError, match="only grow"):
        vsphere.reconfigure_vm(fresh_vm.name, disk_gb=size_gb)
    label = grown.deviceInfo.label
    vsphere.reconfigure_vm(fresh_vm.name, disk_gb={label: size_gb + 11})
    assert disks(fresh_vm)[0].capacityInKB == int((size_gb + 11) * 1024 * 1024)
    with pytest.raises(NotFoundError, match="Hard disk 9"):
        vsphere.reconfigure_vm(fresh_vm.name, disk_gb={"Hard disk 9": 100})


def test_add_disk_thin_by_default_on_a_named_datastore(vsphere, fresh_vm):
    before = {d.key for d in disks(fresh_vm)}
    vsphere.add_disk(fresh_vm.name, 3)
    vsphere.add_disk(fresh_vm.name, 1.5, thin=False, datastore="LocalDS_0")
    added = sorted(
        (d for d in disks(fresh_vm) if d.key not in before),
        key=lambda d: d.capacityInKB,
        reverse=True,
    )
    assert [d.capacityInKB for d in added] == [3 * 1024 * 1024, int(1.5 * 1024 * 1024)]
    assert [d.backing.thinProvisioned for d in added] == [True, False]
    assert all("LocalDS_0" in d.backing.fileName for d in added)


@pytest.mark.parametrize(
    ("adapter", "cls"),
    [("vmxnet3", vim.vm.device.VirtualVmxnet3), ("e1000e", vim.vm.device.VirtualE1000e)],
)
def test_add_nic_on_a_standard_network(vsphere, fresh_vm, adapter, cls):
    before = {n.key for n in nics(fresh_vm)}
    vsphere.add_nic(fresh_vm.name, "VM Network", adapter=adapter)
    (nic,) = [n for n in nics(fresh_vm) if n.key not in before]
    assert isinstance(nic, cls)
    assert nic.backing.deviceName == "VM Network"


def test_add_nic_refuses_unknown_adapters(vsphere, fresh_vm):
    with pytest.raises(InvalidInputError, match="vmxnet3"):
        vsphere.add_nic(fresh_vm.name, "VM Network", adapter="rtl8139")


def test_move_the_nic_to_a_distributed_port_group(vsphere, fresh_vm, si):
    from tests.helpers import all_objects

    pg = next(
        p for p in all_objects(si, vim.dvs.DistributedVirtualPortgroup) if p.name == "DC0_DVPG0"
    )
    vsphere.add_nic(fresh_vm.name, "VM Network")
    vsphere.reconfigure_vm(fresh_vm.name, network="DC0_DVPG0")
    nic = nics(fresh_vm)[0]
    assert nic.backing.port.portgroupKey == pg.key
    assert nic.backing.port.switchUuid == pg.config.distributedVirtualSwitch.uuid
    vsphere.reconfigure_vm(fresh_vm.name, network="VM Network")
    assert nics(fresh_vm)[0].backing.deviceName == "VM Network"


def test_nothing_to_change_sends_nothing(vsphere, off_vm, vsphere_simulator):
    cpus = off_vm.config.hardware.numCPU
    vsphere.get_vm(off_vm.name)
    vsphere_simulator.reset_call_counts()
    vsphere.reconfigure_vm(off_vm.name, cpus=cpus)
    assert "ReconfigVM_Task" not in foreground_calls(vsphere_simulator)


def test_notes_and_custom_fields(vsphere, fresh_vm, si):
    vsphere.set_notes(fresh_vm.name, "owner: team web\nrebuilt weekly")
    assert fresh_vm.config.annotation == "owner: team web\nrebuilt weekly"
    assert vsphere.get_notes(fresh_vm.name) == fresh_vm.config.annotation
    vsphere.set_custom_field(fresh_vm.name, "owner", "team-web")
    vsphere.set_custom_field(fresh_vm.name, "owner", "team-db")  # the field exists now
    vsphere.set_custom_field(fresh_vm.name, "tier", "gold")
    manager = si.content.customFieldsManager
    keys = {f.name: f.key for f in manager.field}
    assert {keys["owner"], keys["tier"]} <= {v.key for v in fresh_vm.customValue}
    assert vsphere.get_custom_fields(fresh_vm.name) == {"owner": "team-db", "tier": "gold"}
    assert len([f for f in manager.field if f.name == "owner"]) == 1
    wait_task(fresh_vm.Reconfigure(vim.vm.ConfigSpec(annotation="")))


def test_notes_and_custom_values_keep_carriage_returns(vsphere, fresh_vm, si):
    # Sent as "&#13;": a "\r" sent as it is arrives as "\n" (XML 1.0 line-end handling).
    text = "one\r\ntwo\rthree\n"
    vsphere.set_notes(fresh_vm.name, text)
    assert fresh_vm.config.annotation == text
    assert vsphere.get_notes(fresh_vm.name) == text
    vsphere.set_custom_field(fresh_vm.name, "cr\rfield", text)
    assert vsphere.get_custom_fields(fresh_vm.name)["cr\rfield"] == text
    manager = si.content.customFieldsManager
    for field in manager.field:
        if field.name == "cr\rfield":
            manager.RemoveCustomFieldDef(key=field.key)
    wait_task(fresh_vm.Reconfigure(vim.vm.ConfigSpec(annotation="")))


@pytest.mark.parametrize("value", ["\ud800", "a\x00b", "\ufffe"])
def test_a_value_that_cannot_be_sent_defines_no_field(vsphere, fresh_vm, si, value):
    fields = [f.key for f in si.content.customFieldsManager.field or []]
    with pytest.raises(InvalidInputError, match=r"XML 1\.0"):
        vsphere.set_custom_field(fresh_vm.name, "never-defined", value)
    assert [f.key for f in si.content.customFieldsManager.field or []] == fields


def test_a_field_defined_for_a_value_the_server_refuses_is_removed_again(
    vsphere, fresh_vm, si, monkeypatch
):
    def refuse(self, entity, key, value):
        raise InvalidInputError("refused by the server")

    fields = [f.key for f in si.content.customFieldsManager.field or []]
    monkeypatch.setattr(vim.CustomFieldsManager, "SetField", refuse)
    with pytest.raises(InvalidInputError, match="refused by the server"):
        vsphere.set_custom_field(fresh_vm.name, "defined-then-removed", "value")
    assert [f.key for f in si.content.customFieldsManager.field or []] == fields
