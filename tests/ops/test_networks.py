"""Networks and port groups: listed, made and removed; read back through plain pyVmomi. Bad
input is refused before anything is sent; an ambiguous name changes nothing.

A host's port groups are read back from its network system (networkInfo): govmomi's simulator
does not update ``host.config.network`` when port groups change (vCenter keeps both alike).
"""

from __future__ import annotations

import contextlib
import fnmatch
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.helpers import all_objects, foreground_calls, name_or_none, wait_task
from vmware_wrapper import (
    AmbiguousNameError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    VSphere,
)
from vmware_wrapper.testing import Simulator

HOST = "DC0_H0"
_seq = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_seq)}"


def host_named(si: Any, name: str) -> Any:
    (host,) = [h for h in all_objects(si, vim.HostSystem) if h.name == name]
    return host


def host_portgroups(si: Any, host: str = HOST) -> dict[str, Any]:
    """name -> spec of each port group on the host, as its network system has them now."""
    system = host_named(si, host).configManager.networkSystem
    return {pg.spec.name: pg.spec for pg in system.networkInfo.portgroup}


def dv_portgroups(si: Any) -> dict[str, Any]:
    return {
        name: pg
        for pg in all_objects(si, vim.dvs.DistributedVirtualPortgroup)
        if (name := name_or_none(pg)) is not None
    }


@pytest.fixture
def switch(si: Any) -> Any:
    """The simulator's distributed switch."""
    return next(d for d in all_objects(si, vim.DistributedVirtualSwitch) if d.name == "DVS0")


@pytest.fixture
def standard_portgroups(si: Any) -> Iterator[list[str]]:
    """Names of standard port groups a test makes on HOST: removed after it."""
    made: list[str] = []
    yield made
    system = host_named(si, HOST).configManager.networkSystem
    for name in made:
        if name in host_portgroups(si):
            system.RemovePortGroup(pgName=name)


@pytest.fixture
def dv_made(si: Any) -> Iterator[list[Any]]:
    """Distributed port groups a test makes: destroyed after it."""
    made: list[Any] = []
    yield made
    for pg in made:
        with contextlib.suppress(vmodl.fault.ManagedObjectNotFound):  # the test destroyed it
            wait_task(pg.Destroy())


def add_dvportgroup(switch: Any, name: str, vlan: int = 0) -> Any:
    """A port group made with plain pyVmomi."""
    spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        name=name,
        type="earlyBinding",
        numPorts=1,
        defaultPortConfig=vim.dvs.VmwareDistributedVirtualSwitch.VmwarePortConfigPolicy(
            vlan=vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec(vlanId=vlan, inherited=False)
        ),
    )
    wait_task(switch.AddPortgroups([spec]))
    (pg,) = [pg for pg in switch.portgroup if pg.name == name]
    return pg


def changes(sim: Simulator, *methods: str) -> dict[str, int]:
    calls = foreground_calls(sim)
    return {m: calls[m] for m in methods if m in calls}


# -- listing -------------------------------------------------------------------------------


def expected_networks(si: Any) -> set[tuple[Any, ...]]:
    """What list_networks should say of every network, read with plain pyVmomi."""
    rows = set()
    for net in all_objects(si, vim.Network):
        if isinstance(net, vim.dvs.DistributedVirtualPortgroup):
            vlan = net.config.defaultPortConfig.vlan
            rows.add(
                (
                    net.name,
                    net._moId,
                    "distributed",
                    net.config.distributedVirtualSwitch.name,
                    vlan.vlanId
                    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec)
                    else None,
                    bool(net.config.uplink),
                )
            )
        elif isinstance(net, vim.OpaqueNetwork):
            rows.add((net.name, net._moId, "opaque", None, None, False))
        else:
            rows.add((net.name, net._moId, "standard", None, None, False))
    return rows


def rows(infos: list[Any]) -> set[tuple[Any, ...]]:
    return {(n.name, n.moid, n.kind, n.switch, n.vlan, n.uplink) for n in infos}


def test_list_networks_agrees_with_pyvmomi(
    vsphere: VSphere, si: Any, switch: Any, dv_made: list[Any]
) -> None:
    dv_made.append(add_dvportgroup(switch, unique("list-vlan"), vlan=301))
    wanted = expected_networks(si)
    assert any(r[4] == 301 for r in wanted)  # the VLAN read is put to the test
    assert any(r[5] for r in wanted)  # an uplink port group is among them
    infos = vsphere.list_networks()
    assert rows(infos) == wanted
    for info in infos:
        assert info.path.startswith("/DC0/network/")
        assert info.path.endswith(f"/{info.name}")


def test_list_networks_by_name_and_by_path(vsphere: VSphere, si: Any) -> None:
    everything = expected_networks(si)
    by_name = {r for r in everything if fnmatch.fnmatchcase(r[0], "DC0_*")}
    assert by_name
    assert rows(vsphere.list_networks("DC0_*")) == by_name
    assert rows(vsphere.list_networks("/DC0/network/**")) == everything
    assert rows(vsphere.list_networks("/DC0/network/DC0_*")) == by_name
    assert vsphere.list_networks("no-such-net*") == []


def test_list_networks_reads_only_the_portgroups_matched(
    vsphere: VSphere, vsphere_simulator: Simulator
) -> None:
    vsphere.list_networks()  # the index loaded
    vsphere_simulator.reset_call_counts()
    assert [n.kind for n in vsphere.list_networks("VM Network")] == ["standard"]
    assert changes(vsphere_simulator, "RetrievePropertiesEx", "RetrieveProperties") == {}
    assert len(vsphere.list_networks("*")) > 2
    assert changes(vsphere_simulator, "RetrievePropertiesEx", "RetrieveProperties") == {
        "RetrievePropertiesEx": 1
    }


def test_list_networks_refuses_a_pattern_that_is_no_string(vsphere: VSphere) -> None:
    with pytest.raises(InvalidInputError, match="pattern"):
        vsphere.list_networks(42)  # type: ignore[arg-type]


# -- standard port groups ------------------------------------------------------------------


def test_create_and_remove_a_standard_portgroup(
    vsphere: VSphere, si: Any, standard_portgroups: list[str]
) -> None:
    name = unique("pg")
    standard_portgroups.append(name)
    vsphere.create_portgroup(HOST, name, vlan=120)
    spec = host_portgroups(si)[name]
    assert (spec.vswitchName, spec.vlanId) == ("vSwitch0", 120)
    assert name in [n.name for n in all_objects(si, vim.Network)]
    assert [n.kind for n in vsphere.list_networks(name)] == ["standard"]  # found at once

    vsphere.remove_portgroup(HOST, name)
    assert name not in host_portgroups(si)


def test_a_standard_portgroup_may_pass_all_vlans(
    vsphere: VSphere, si: Any, standard_portgroups: list[str]
) -> None:
    name = unique("pg-trunk")
    standard_portgroups.append(name)
    vsphere.create_portgroup(HOST, name, vswitch="vSwitch0", vlan=4095)
    assert host_portgroups(si)[name].vlanId == 4095


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"name": "pg-x", "vlan": 5000}, r"vlan=5000: 0 \(none\) to 4094, or 4095 for all VLANs"),
        ({"name": "pg-x", "vlan": -1}, "vlan=-1"),
        ({"name": "pg-x", "vlan": "12"}, "vlan='12'"),
        ({"name": "pg-x", "vlan": True}, "vlan=True"),
        ({"name": "", "vlan": 0}, "port group name ''"),
        ({"name": "p" * 81, "vlan": 0}, "81 characters, at most 80"),
        ({"name": " pg", "vlan": 0}, "port group name ' pg'"),
        ({"name": "pg-x", "vswitch": "vSwitch9"}, "vswitch='vSwitch9'.*it has 'vSwitch0'"),
        ({"name": "pg-x", "vswitch": ""}, "vswitch=''"),
        ({"name": "VM Network"}, "port group name 'VM Network'.*already"),
    ],
)
def test_bad_standard_portgroups_are_refused_before_sending(
    vsphere: VSphere,
    si: Any,
    vsphere_simulator: Simulator,
    arguments: dict[str, Any],
    named: str,
) -> None:
    before = host_portgroups(si)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=named):
        vsphere.create_portgroup(HOST, **arguments)
    assert changes(vsphere_simulator, "AddPortGroup") == {}
    assert host_portgroups(si).keys() == before.keys()


def test_a_portgroup_on_a_host_that_does_not_exist(
    vsphere: VSphere, vsphere_simulator: Simulator
) -> None:
    vsphere_simulator.reset_call_counts()
    with pytest.raises(NotFoundError, match="no-such-host"):
        vsphere.create_portgroup("no-such-host", "pg-x")
    assert changes(vsphere_simulator, "AddPortGroup") == {}


def test_removing_an_unknown_portgroup_lists_the_hosts(
    vsphere: VSphere, vsphere_simulator: Simulator
) -> None:
    vsphere_simulator.reset_call_counts()
    with pytest.raises(NotFoundError, match=r"no-such-pg.*it has .*'VM Network'"):
        vsphere.remove_portgroup(HOST, "no-such-pg")
    assert changes(vsphere_simulator, "RemovePortGroup") == {}


def test_a_portgroup_in_use_is_not_removed(
    vsphere: VSphere,
    si: Any,
    vsphere_simulator: Simulator,
    standard_portgroups: list[str],
) -> None:
    name = unique("pg-used")
    standard_portgroups.append(name)
    vsphere.create_portgroup(HOST, name)
    # What vCenter answers while a VM's adapter is connected to it (the simulator does not
    # check that itself).
    vsphere_simulator.inject_fault(
        "RemovePortGroup", "ResourceInUse", message="The resource is in use."
    )
    with pytest.raises(InvalidStateError, match=f"remove port group '{name}'.*in use"):
        vsphere.remove_portgroup(HOST, name)
    assert name in host_portgroups(si)


# -- distributed port groups ---------------------------------------------------------------


def test_create_and_destroy_a_distributed_portgroup(
    vsphere: VSphere, si: Any, switch: Any, dv_made: list[Any]
) -> None:
    name = unique("dvpg")
    made = vsphere.create_dvportgroup(switch.name, name, vlan=42, ports=16)
    pg = dv_portgroups(si)[name]
    dv_made.append(pg)
    assert made._moId == pg._moId
    assert pg.config.numPorts == 16
    assert pg.config.type == "earlyBinding"
    assert pg.config.defaultPortConfig.vlan.vlanId == 42
    assert pg.config.distributedVirtualSwitch == switch
    (info,) = vsphere.list_networks(name)
    assert (info.kind, info.switch, info.vlan, info.uplink) == (
        "distributed",
        switch.name,
        42,
        False,
    )

    vsphere.destroy_dvportgroup(name)
    assert name not in dv_portgroups(si)


def test_a_distributed_portgroup_by_the_switchs_path(
    vsphere: VSphere, si: Any, switch: Any, dv_made: list[Any]
) -> None:
    name = unique("dvpg-path")
    vsphere.create_dvportgroup(f"/DC0/network/{switch.name}", name, ports=0)
    pg = dv_portgroups(si)[name]
    dv_made.append(pg)
    assert (pg.config.numPorts, pg.config.defaultPortConfig.vlan.vlanId) == (0, 0)
    vsphere.destroy_dvportgroup(f"/DC0/network/{name}")
    assert name not in dv_portgroups(si)


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"vlan": 5000}, "vlan=5000: 0 .none. to 4094"),
        ({"vlan": 4095}, "vlan=4095: .*trunk"),
        ({"vlan": -3}, "vlan=-3"),
        ({"vlan": 1.5}, "vlan=1.5"),
        ({"ports": 9000}, "ports=9000: a whole number, 0 to 8192"),
        ({"ports": -1}, "ports=-1"),
        ({"ports": "8"}, "ports='8'"),
        ({"name": ""}, "port group name ''"),
        ({"name": "DC0_DVPG0"}, "port group name 'DC0_DVPG0'.*already"),
    ],
)
def test_bad_distributed_portgroups_are_refused_before_sending(
    vsphere: VSphere,
    si: Any,
    switch: Any,
    vsphere_simulator: Simulator,
    arguments: dict[str, Any],
    named: str,
) -> None:
    before = set(dv_portgroups(si))
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=named):
        vsphere.create_dvportgroup(switch.name, **{"name": "dvpg-x", **arguments})
    assert changes(vsphere_simulator, "AddDVPortgroup_Task", "CreateDVPortgroup_Task") == {}
    assert set(dv_portgroups(si)) == before


def test_a_distributed_portgroup_on_a_switch_that_does_not_exist(
    vsphere: VSphere, vsphere_simulator: Simulator
) -> None:
    vsphere_simulator.reset_call_counts()
    with pytest.raises(NotFoundError, match="no-such-dvs"):
        vsphere.create_dvportgroup("no-such-dvs", "dvpg-x")
    assert changes(vsphere_simulator, "AddDVPortgroup_Task", "CreateDVPortgroup_Task") == {}


def test_an_uplink_portgroup_is_not_destroyed(
    vsphere: VSphere, si: Any, vsphere_simulator: Simulator
) -> None:
    uplink = next(pg for pg in dv_portgroups(si).values() if pg.config.uplink)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match="uplinks"):
        vsphere.destroy_dvportgroup(uplink.name)
    assert changes(vsphere_simulator, "Destroy_Task") == {}
    assert uplink.name in dv_portgroups(si)


def test_a_standard_network_is_not_destroyed_as_a_distributed_portgroup(
    vsphere: VSphere, vsphere_simulator: Simulator
) -> None:
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=r"standard network.*remove_portgroup"):
        vsphere.destroy_dvportgroup("VM Network")
    assert changes(vsphere_simulator, "Destroy_Task") == {}


def test_a_distributed_portgroup_in_use_is_not_destroyed(
    vsphere: VSphere,
    si: Any,
    switch: Any,
    vsphere_simulator: Simulator,
    dv_made: list[Any],
) -> None:
    name = unique("dvpg-used")
    dv_made.append(add_dvportgroup(switch, name))
    # What vCenter's task answers while VMs are connected to it (the simulator does not
    # check that itself).
    vsphere_simulator.inject_fault(
        "Destroy_Task", "ResourceInUse", message="The resource is in use.", in_task=True
    )
    with pytest.raises(InvalidStateError, match=f"destroy port group '.*{name}'.*in use"):
        vsphere.destroy_dvportgroup(name)
    assert name in dv_portgroups(si)


@pytest.fixture
def twin_portgroups(si: Any, switch: Any) -> Iterator[tuple[str, list[Any]]]:
    """Two distributed port groups of one name: one on the simulator's switch, one on a
    switch of a network folder below; both, the switch and the folder removed after."""
    name = unique("twin")
    folder = si.content.rootFolder.childEntity[0].networkFolder.CreateFolder(unique("nets"))
    other = wait_task(
        folder.CreateDVS_Task(
            vim.DistributedVirtualSwitch.CreateSpec(
                configSpec=vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(name=unique("dvs"))
            )
        )
    )
    twins = [add_dvportgroup(switch, name), add_dvportgroup(other, name)]
    try:
        yield name, twins
    finally:
        # Port groups first (the new switch's uplinks too): govmomi's simulator leaves them
        # behind when their switch goes, and fails on them when the folder goes after.
        for pg in [twins[0], *other.portgroup]:
            with contextlib.suppress(vmodl.fault.ManagedObjectNotFound):
                wait_task(pg.Destroy())
        wait_task(other.Destroy())
        wait_task(folder.Destroy())


def test_an_ambiguous_name_destroys_nothing(
    vsphere: VSphere,
    si: Any,
    vsphere_simulator: Simulator,
    twin_portgroups: tuple[str, list[Any]],
) -> None:
    name, twins = twin_portgroups
    vsphere_simulator.reset_call_counts()
    with pytest.raises(AmbiguousNameError, match=name):
        vsphere.destroy_dvportgroup(name)
    assert changes(vsphere_simulator, "Destroy_Task") == {}
    assert all(name_or_none(pg) == name for pg in twins)
