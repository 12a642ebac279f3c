"""Hosts: HostInfo records and maintenance mode; checked through plain pyVmomi reads."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim

from tests.helpers import all_objects, wait_task
from vmware_wrapper import (
    AmbiguousNameError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    TaskError,
)
from vmware_wrapper.testing import Simulator

CHANGING = {"EnterMaintenanceMode_Task", "ExitMaintenanceMode_Task", "RelocateVM_Task"}
_seq = itertools.count()


def host_named(si: Any, name: str) -> Any:
    (host,) = [h for h in all_objects(si, vim.HostSystem) if h.name == name]
    return host


def cluster_named(si: Any, name: str) -> Any:
    (cluster,) = [c for c in all_objects(si, vim.ClusterComputeResource) if c.name == name]
    return cluster


def powered_on(host: Any) -> list[str]:
    return sorted(vm.name for vm in host.vm if vm.runtime.powerState == "poweredOn")


def sent(sim: Simulator) -> set[str]:
    return CHANGING & set(sim.call_counts())


@pytest.fixture
def hosts_restored(si: Any) -> Iterator[None]:
    """Every host, VM placement and the cluster's DRS setting as they were before the test:
    the simulator is shared."""
    cluster = cluster_named(si, "DC0_C0")
    drs = cluster.configurationEx.drsConfig
    before = {vm._moId: vm.runtime.host for vm in all_objects(si, vim.VirtualMachine)}
    yield
    for host in all_objects(si, vim.HostSystem):
        if host.runtime.connectionState != "connected":
            wait_task(host.ReconnectHost_Task())
        if host.runtime.inMaintenanceMode:
            wait_task(host.ExitMaintenanceMode_Task(timeout=0))
    for vm in all_objects(si, vim.VirtualMachine):
        home = before.get(vm._moId)
        if home is not None and vm.runtime.host._moId != home._moId:
            wait_task(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=home)))
    now = cluster.configurationEx.drsConfig
    if (now.enabled, now.defaultVmBehavior) != (drs.enabled, drs.defaultVmBehavior):
        # An unset behaviour cannot be set again: "manual" moves no VM either.
        behavior = drs.defaultVmBehavior or "manual"
        spec = vim.cluster.ConfigSpecEx(
            drsConfig=vim.cluster.DrsConfigInfo(enabled=drs.enabled, defaultVmBehavior=behavior)
        )
        wait_task(cluster.ReconfigureComputeResource_Task(spec, modify=True))


@pytest.fixture
def busy_host(si: Any, hosts_restored: None) -> Any:
    """DC0_C0_H0 with at least two powered-on VMs (moved there from its cluster if need be)."""
    host = host_named(si, "DC0_C0_H0")
    cluster_vms = [
        vm
        for vm in all_objects(si, vim.VirtualMachine)
        if vm.runtime.host.parent._moId == host.parent._moId
        and vm.runtime.powerState == "poweredOn"
        and not vm.config.template
    ]
    for vm in cluster_vms[:2]:
        if vm.runtime.host._moId != host._moId:
            wait_task(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=host)))
    assert len(powered_on(host)) >= 2
    return host


# -- reading -----------------------------------------------------------------------------------


def expected_info(host: Any) -> dict[str, Any]:
    summary = host.summary
    parent = host.parent
    return {
        "name": host.name,
        "moid": host._moId,
        "cluster": parent.name if isinstance(parent, vim.ClusterComputeResource) else None,
        "connection_state": host.runtime.connectionState,
        "in_maintenance": host.runtime.inMaintenanceMode,
        "power_state": host.runtime.powerState,
        "cpu_mhz": summary.hardware.cpuMhz * summary.hardware.numCpuCores,
        "cpu_usage_mhz": summary.quickStats.overallCpuUsage,
        "memory_mb": summary.hardware.memorySize // (1024 * 1024),
        "memory_usage_mb": summary.quickStats.overallMemoryUsage,
        "vm_count": len(host.vm),
        "version": summary.config.product.fullName,
    }


def path_of(entity: Any) -> str:
    names = []
    while entity.parent is not None:
        names.append(entity.name)
        entity = entity.parent
    return "/" + "/".join(reversed(names))


def test_list_hosts_agrees_with_pyvmomi(vsphere, si):
    infos = vsphere.list_hosts()
    hosts = all_objects(si, vim.HostSystem)
    assert sorted(i.moid for i in infos) == sorted(h._moId for h in hosts)
    by_moid = {i.moid: i for i in infos}
    for host in hosts:
        info = by_moid[host._moId]
        got = {k: getattr(info, k) for k in expected_info(host)}
        assert got == expected_info(host)
        assert info.path == path_of(host)
    standalone = by_moid[host_named(si, "DC0_H0")._moId]
    assert standalone.cluster is None
    assert standalone.vm_count == 2


def test_list_hosts_matches_names_and_paths(vsphere, si):
    cluster_hosts = sorted(h.name for h in cluster_named(si, "DC0_C0").host)
    assert sorted(i.name for i in vsphere.list_hosts("DC0_C0_*")) == cluster_hosts
    assert sorted(i.name for i in vsphere.list_hosts("/DC0/host/DC0_C0/*")) == cluster_hosts
    assert [i.name for i in vsphere.list_hosts("/DC0/host/**/DC0_H0")] == ["DC0_H0"]
    assert vsphere.list_hosts("no-such-host-*") == []


def test_host_info_agrees_with_pyvmomi(vsphere, si):
    host = host_named(si, "DC0_C0_H1")
    info = vsphere.host_info("DC0_C0_H1")
    assert {k: getattr(info, k) for k in expected_info(host)} == expected_info(host)
    assert vsphere.host_info("/DC0/host/DC0_C0/DC0_C0_H1") == info
    assert vsphere.host_info(host._moId).moid == host._moId


def test_bad_input_names_it_and_sends_nothing(vsphere, vsphere_simulator, si):
    with pytest.raises(InvalidInputError, match="42"):
        vsphere.list_hosts(42)
    with pytest.raises(NotFoundError, match="no-such-esx"):
        vsphere.host_info("no-such-esx")
    vsphere_simulator.reset_call_counts()
    with pytest.raises(NotFoundError, match="no-such-esx"):
        vsphere.enter_maintenance("no-such-esx")
    with pytest.raises(NotFoundError, match="no-such-esx"):
        vsphere.exit_maintenance("no-such-esx")
    with pytest.raises(InvalidInputError, match="evacuate='yes'"):
        vsphere.enter_maintenance("DC0_C0_H2", evacuate="yes")
    with pytest.raises(InvalidInputError, match="timeout"):
        vsphere.enter_maintenance("DC0_C0_H2", timeout=-1)
    assert sent(vsphere_simulator) == set()
    assert not any(h.runtime.inMaintenanceMode for h in all_objects(si, vim.HostSystem))


# -- maintenance mode --------------------------------------------------------------------------


def test_enter_moves_powered_on_vms_to_other_hosts_then_exit(
    vsphere, vsphere_simulator, si, busy_host
):
    running = powered_on(busy_host)
    others = {h._moId for h in busy_host.parent.host} - {busy_host._moId}
    vsphere_simulator.reset_call_counts()
    moves = vsphere.enter_maintenance("DC0_C0_H0")
    # Not a fully automated DRS cluster: the library moved them, one relocation each.
    assert vsphere_simulator.call_counts().get("RelocateVM_Task") == len(running)
    assert busy_host.runtime.inMaintenanceMode
    assert powered_on(busy_host) == []
    vms = {vm.name: vm for vm in all_objects(si, vim.VirtualMachine) if vm.name in running}
    assert all(vm.runtime.host._moId in others for vm in vms.values())
    assert sorted(moves) == sorted((name, vm.runtime.host.name) for name, vm in vms.items())
    # Spread over the other hosts, not all piled on one.
    assert len({vm.runtime.host._moId for vm in vms.values()}) == min(len(running), len(others))

    vsphere_simulator.reset_call_counts()
    assert vsphere.enter_maintenance("DC0_C0_H0") == []  # already: nothing to do
    assert sent(vsphere_simulator) == set()

    vsphere.exit_maintenance("DC0_C0_H0")
    assert not busy_host.runtime.inMaintenanceMode
    vsphere_simulator.reset_call_counts()
    vsphere.exit_maintenance("DC0_C0_H0")  # not in it: nothing to do
    assert sent(vsphere_simulator) == set()


def test_enter_and_exit_without_waiting_return_handles(vsphere, si, busy_host):
    running = powered_on(busy_host)
    handle = vsphere.enter_maintenance("DC0_C0_H0", wait=False)
    moves = handle.wait(60)
    assert handle.done()
    assert sorted(name for name, _ in moves) == running
    assert busy_host.runtime.inMaintenanceMode
    assert powered_on(busy_host) == []
    handle = vsphere.exit_maintenance("DC0_C0_H0", wait=False)
    handle.wait(60)
    assert not busy_host.runtime.inMaintenanceMode


def test_a_fully_automated_drs_cluster_moves_the_vms_itself(
    vsphere, vsphere_simulator, si, busy_host
):
    cluster = busy_host.parent
    spec = vim.cluster.ConfigSpecEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior="fullyAutomated")
    )
    wait_task(cluster.ReconfigureComputeResource_Task(spec, modify=True))
    running = powered_on(busy_host)
    vsphere_simulator.reset_call_counts()
    moves = vsphere.enter_maintenance("DC0_C0_H0")
    assert "RelocateVM_Task" not in vsphere_simulator.call_counts()  # DRS moved them
    assert busy_host.runtime.inMaintenanceMode
    assert powered_on(busy_host) == []
    assert sorted(name for name, _ in moves) == running
    assert all(host != "DC0_C0_H0" for _, host in moves)


def test_a_vm_drs_leaves_alone_is_moved_by_the_library(vsphere, vsphere_simulator, si, busy_host):
    cluster = busy_host.parent
    manual, *_ = [vm for vm in busy_host.vm if vm.runtime.powerState == "poweredOn"]
    spec = vim.cluster.ConfigSpecEx(
        drsConfig=vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior="fullyAutomated"),
        drsVmConfigSpec=[
            vim.cluster.DrsVmConfigSpec(
                operation="add",
                info=vim.cluster.DrsVmConfigInfo(key=manual, enabled=True, behavior="manual"),
            )
        ],
    )
    wait_task(cluster.ReconfigureComputeResource_Task(spec, modify=True))
    try:
        running = powered_on(busy_host)
        vsphere_simulator.reset_call_counts()
        moves = vsphere.enter_maintenance("DC0_C0_H0")
        assert vsphere_simulator.call_counts().get("RelocateVM_Task") == 1  # only that one
        assert busy_host.runtime.inMaintenanceMode
        assert powered_on(busy_host) == []
        assert sorted(name for name, _ in moves) == running
    finally:
        # Back to what DRS does for every VM. Not operation="remove": the simulator (v0.56)
        # takes removeKey for a value, not the reference pyVmomi sends, and its task panics,
        # which ends the simulator's process.
        undo = vim.cluster.DrsVmConfigSpec(
            operation="edit",
            info=vim.cluster.DrsVmConfigInfo(key=manual, behavior="fullyAutomated"),
        )
        wait_task(
            cluster.ReconfigureComputeResource_Task(
                vim.cluster.ConfigSpecEx(drsVmConfigSpec=[undo]), modify=True
            )
        )
    assert [c.behavior for c in cluster.configurationEx.drsVmConfig] == ["fullyAutomated"]


def test_a_standalone_host_with_powered_on_vms_is_refused(vsphere, vsphere_simulator, si):
    host = host_named(si, "DC0_H0")
    running = powered_on(host)
    assert running
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidStateError) as caught:
        vsphere.enter_maintenance("DC0_H0")
    assert all(repr(name) in str(caught.value) for name in running)
    assert "standalone" in str(caught.value)
    assert sent(vsphere_simulator) == set()
    assert not host.runtime.inMaintenanceMode
    assert powered_on(host) == running


def test_evacuate_false_with_powered_on_vms_is_refused(vsphere, vsphere_simulator, si, busy_host):
    running = powered_on(busy_host)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidStateError, match=repr(running[0])):
        vsphere.enter_maintenance("DC0_C0_H0", evacuate=False)
    assert sent(vsphere_simulator) == set()
    assert not busy_host.runtime.inMaintenanceMode
    assert powered_on(busy_host) == running


def test_a_cluster_with_no_other_usable_host_is_refused(vsphere, vsphere_simulator, si, busy_host):
    others = [h for h in busy_host.parent.host if h._moId != busy_host._moId]
    for other in others:
        wait_task(other.DisconnectHost_Task())
    running = powered_on(busy_host)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidStateError, match="no other host that can take them"):
        vsphere.enter_maintenance("DC0_C0_H0")
    assert sent(vsphere_simulator) == set()
    assert not busy_host.runtime.inMaintenanceMode
    assert powered_on(busy_host) == running


def test_a_failed_move_leaves_the_host_out_of_maintenance(
    vsphere, vsphere_simulator, si, busy_host
):
    vsphere_simulator.inject_fault("RelocateVM_Task", "InvalidState", in_task=True)
    try:
        with pytest.raises(TaskError, match="not in maintenance mode"):
            vsphere.enter_maintenance("DC0_C0_H0")
    finally:
        vsphere_simulator.clear_faults()
    assert "EnterMaintenanceMode_Task" not in vsphere_simulator.call_counts()
    assert not busy_host.runtime.inMaintenanceMode


@pytest.fixture
def twin_hosts(si: Any) -> str:
    """Two standalone hosts of one name, in two folders of DC0's host folder. They stay, as
    test_folders' hosts do: the simulator (v0.56) removes no standalone host (Destroy_Task
    fails on the host, its compute resource and a folder holding it). They hold no VMs and
    are never put in maintenance mode."""
    (dc,) = all_objects(si, vim.Datacenter)
    name = f"twin-{next(_seq)}.example"
    for side in ("a", "b"):
        folder = dc.hostFolder.CreateFolder(f"{name}-{side}")
        spec = vim.host.ConnectSpec(hostName=name, userName="root", force=True)
        wait_task(folder.AddStandaloneHost_Task(spec=spec, addConnected=True))
    return name


def test_an_ambiguous_host_name_changes_nothing(vsphere, vsphere_simulator, si, twin_hosts):
    vsphere_simulator.reset_call_counts()
    with pytest.raises(AmbiguousNameError, match=twin_hosts):
        vsphere.enter_maintenance(twin_hosts)
    with pytest.raises(AmbiguousNameError, match=twin_hosts):
        vsphere.exit_maintenance(twin_hosts)
    assert sent(vsphere_simulator) == set()
    twins = [h for h in all_objects(si, vim.HostSystem) if h.name == twin_hosts]
    assert len(twins) == 2
    assert not any(h.runtime.inMaintenanceMode for h in twins)


# -- the simulator itself, as vCenter ---------------------------------------------------------


def test_the_simulator_refuses_maintenance_with_powered_on_vms_and_no_drs(si, busy_host):
    running = powered_on(busy_host)
    with pytest.raises(vim.fault.InvalidState):
        wait_task(busy_host.EnterMaintenanceMode_Task(timeout=0))
    assert not busy_host.runtime.inMaintenanceMode
    assert powered_on(busy_host) == running


def test_watchers_are_told_of_maintenance_mode(vsphere, si, busy_host):
    pc = vim.PropertyCollector
    collector = si.content.propertyCollector.CreatePropertyCollector()
    spec = pc.FilterSpec(
        objectSet=[pc.ObjectSpec(obj=busy_host)],
        propSet=[pc.PropertySpec(type=vim.HostSystem, pathSet=["runtime.inMaintenanceMode"])],
    )
    collector.CreateFilter(spec, True)
    try:
        options = pc.WaitOptions(maxWaitSeconds=5)
        version = collector.WaitForUpdatesEx("", options).version
        seen = []
        for change in (vsphere.enter_maintenance, vsphere.exit_maintenance):
            change("DC0_C0_H0")
            update = collector.WaitForUpdatesEx(version, options)
            assert update is not None  # told, not found out by polling
            version = update.version
            seen += [c.val for f in update.filterSet for o in f.objectSet for c in o.changeSet]
        assert seen == [True, False]
    finally:
        collector.DestroyPropertyCollector()
