"""vmw host (ls, info, maintenance enter/exit) and vmw vm migrate, read back through plain
pyVmomi."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim

from tests.cli.conftest import records
from tests.helpers import all_objects, wait_task


def host_named(si: Any, name: str) -> Any:
    (host,) = [h for h in all_objects(si, vim.HostSystem) if h.name == name]
    return host


def powered_on(host: Any) -> list[str]:
    return sorted(vm.name for vm in host.vm if vm.runtime.powerState == "poweredOn")


def busy_cluster_host(si: Any) -> Any:
    """A host of cluster DC0_C0 with powered-on VMs (the simulator spreads them)."""
    (cluster,) = [c for c in all_objects(si, vim.ClusterComputeResource) if c.name == "DC0_C0"]
    return next(h for h in cluster.host if powered_on(h))


@pytest.fixture
def hosts_restored(cli_si: Any) -> Iterator[None]:
    """Hosts out of maintenance mode and VMs back on their hosts after the test."""
    before = {vm._moId: vm.runtime.host for vm in all_objects(cli_si, vim.VirtualMachine)}
    yield
    for host in all_objects(cli_si, vim.HostSystem):
        if host.runtime.inMaintenanceMode:
            wait_task(host.ExitMaintenanceMode_Task(timeout=0))
    for vm in all_objects(cli_si, vim.VirtualMachine):
        home = before.get(vm._moId)
        if home is not None and vm.runtime.host._moId != home._moId:
            wait_task(vm.RelocateVM_Task(vim.vm.RelocateSpec(host=home)))


def test_host_ls_and_info(vmw, cli_vs, cli_si):
    hosts = all_objects(cli_si, vim.HostSystem)
    listing = vmw("--json", "host", "ls")
    assert listing.code == 0, listing.err
    assert listing.json() == records(cli_vs.list_hosts())
    assert sorted(h["moid"] for h in listing.json()) == sorted(h._moId for h in hosts)

    table = vmw("host", "ls", "DC0_C0_*").out.splitlines()
    assert table[0].split() == [
        "NAME", "CLUSTER", "STATE", "MAINTENANCE", "CPU%", "MEM%", "VMS", "VERSION",
    ]  # fmt: skip
    assert sorted(line.split()[0] for line in table[1:]) == ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
    row = next(line.split() for line in table[1:] if line.startswith("DC0_C0_H1 "))
    host = host_named(cli_si, "DC0_C0_H1")
    assert row[1:3] == ["DC0_C0", "connected"]
    assert row[5] == str(len(host.vm))  # MAINTENANCE is blank: not in it
    memory = host.summary.hardware.memorySize // (1024 * 1024)
    assert row[4] == str(round(100 * host.summary.quickStats.overallMemoryUsage / memory))

    info = vmw("--json", "host", "info", "DC0_H0")
    assert info.code == 0, info.err
    assert info.json()["moid"] == host_named(cli_si, "DC0_H0")._moId
    assert info.json()["cluster"] is None
    text = vmw("host", "info", "/DC0/host/DC0_C0/DC0_C0_H1")
    assert "in_maintenance:   False" in text.out
    assert "cluster:          DC0_C0" in text.out


def test_host_errors_name_the_input(vmw):
    missing = vmw("host", "info", "no-such-esx")
    assert missing.code == 3
    assert "no-such-esx" in missing.err
    assert vmw("host", "maintenance", "enter", "no-such-esx", "--yes").code == 3
    assert vmw("host", "maintenance", "exit", "no-such-esx").code == 3


def test_maintenance_enter_moves_vms_and_exit(vmw, cli_si, hosts_restored):
    host = busy_cluster_host(cli_si)
    name = host.name
    running = powered_on(host)

    refused = vmw("host", "maintenance", "enter", name)  # no terminal, no --yes
    assert refused.code == 2
    assert f"put host {name} (cluster DC0_C0" in refused.err
    assert not host.runtime.inMaintenanceMode
    assert powered_on(host) == running

    entered = vmw("host", "maintenance", "enter", name, "--yes")
    assert entered.code == 0, entered.err
    assert host.runtime.inMaintenanceMode
    assert powered_on(host) == []
    for vm in all_objects(cli_si, vim.VirtualMachine):
        if vm.name in running:
            assert f"moved {vm.name} to host {vm.runtime.host.name}" in entered.err
            assert vm.runtime.host.name != name
    assert f"host {name} is in maintenance mode" in entered.err

    again = vmw("host", "maintenance", "enter", name, "--yes")
    assert again.code == 0
    assert "nothing done" in again.err

    left = vmw("--json", "host", "maintenance", "exit", name)
    assert left.code == 0, left.err
    assert left.json()["host"]["in_maintenance"] is False
    assert not host.runtime.inMaintenanceMode
    assert "nothing done" in vmw("host", "maintenance", "exit", name).err


def test_maintenance_enter_json_lists_the_moves(vmw, cli_si, hosts_restored):
    host = busy_cluster_host(cli_si)
    running = powered_on(host)
    entered = vmw("--json", "host", "maintenance", "enter", host.name, "--yes")
    assert entered.code == 0, entered.err
    moved = entered.json()["moved"]
    assert sorted(m["vm"] for m in moved) == running
    assert entered.json()["host"]["in_maintenance"] is True
    assert host.runtime.inMaintenanceMode


def test_maintenance_refused_changes_nothing(vmw, cli_si, hosts_restored):
    standalone = host_named(cli_si, "DC0_H0")
    running = powered_on(standalone)
    refused = vmw("host", "maintenance", "enter", "DC0_H0", "--yes")
    assert refused.code == 7
    assert "standalone" in refused.err
    assert all(repr(name) in refused.err for name in running)
    assert not standalone.runtime.inMaintenanceMode
    assert powered_on(standalone) == running

    clustered = busy_cluster_host(cli_si)
    kept = powered_on(clustered)
    no_evacuate = vmw("host", "maintenance", "enter", clustered.name, "--no-evacuate", "--yes")
    assert no_evacuate.code == 7
    assert repr(kept[0]) in no_evacuate.err
    assert not clustered.runtime.inMaintenanceMode
    assert powered_on(clustered) == kept


def test_vm_migrate(vmw, cli_si, make_vm):
    vm = make_vm("migrate")
    moved = vmw(
        "vm", "migrate", vm.name, "--host", "DC0_C0_H2", "--pool", "/DC0/host/DC0_C0/Resources"
    )
    assert moved.code == 0, moved.err
    assert vm.runtime.host.name == "DC0_C0_H2"
    assert vm.resourcePool.owner.name == "DC0_C0"
    assert f"moved {vm.name} to host DC0_C0_H2, pool /DC0/host/DC0_C0/Resources" in moved.err

    as_json = vmw("--json", "vm", "migrate", vm.name, "--datastore", "LocalDS_0")
    assert as_json.code == 0, as_json.err
    assert as_json.json()["host"] == "DC0_C0_H2"
    assert [ds.name for ds in vm.datastore] == ["LocalDS_0"]

    nothing = vmw("vm", "migrate", vm.name)
    assert nothing.code == 2
    assert "give --host, --datastore or --pool" in nothing.err
    unknown = vmw("vm", "migrate", vm.name, "--host", "no-such-esx")
    assert unknown.code == 3
    assert "no-such-esx" in unknown.err
    assert vm.runtime.host.name == "DC0_C0_H2"
