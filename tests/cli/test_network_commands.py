"""vmw network and vmw portgroup, read back through plain pyVmomi.

A host's port groups are read from its network system: govmomi's simulator does not update
``host.config.network`` when port groups change.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.cli.conftest import records
from tests.helpers import all_objects, name_or_none, wait_task

HOST = "DC0_H0"
_seq = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_seq)}"


def host_portgroups(si: Any) -> dict[str, Any]:
    (host,) = [h for h in all_objects(si, vim.HostSystem) if h.name == HOST]
    return {pg.spec.name: pg.spec for pg in host.configManager.networkSystem.networkInfo.portgroup}


def dv_portgroups(si: Any) -> dict[str, Any]:
    return {
        name: pg
        for pg in all_objects(si, vim.dvs.DistributedVirtualPortgroup)
        if (name := name_or_none(pg)) is not None
    }


@pytest.fixture
def switch(cli_si: Any) -> Any:
    return next(d for d in all_objects(cli_si, vim.DistributedVirtualSwitch) if d.name == "DVS0")


@pytest.fixture
def cleanup(cli_si: Any) -> Iterator[list[str]]:
    """Names of port groups a test makes (standard ones on HOST, or distributed): removed
    after it."""
    made: list[str] = []
    yield made
    (host,) = [h for h in all_objects(cli_si, vim.HostSystem) if h.name == HOST]
    for name in made:
        if name in host_portgroups(cli_si):
            host.configManager.networkSystem.RemovePortGroup(pgName=name)
        pg = dv_portgroups(cli_si).get(name)
        if pg is not None:
            with contextlib.suppress(vmodl.fault.ManagedObjectNotFound):
                wait_task(pg.Destroy())


def test_network_ls(vmw: Any, cli_vs: Any, cli_si: Any) -> None:
    listing = vmw("--json", "network", "ls")
    assert listing.code == 0, listing.err
    assert listing.json() == records(cli_vs.list_networks())
    assert {n["name"] for n in listing.json()} == {n.name for n in all_objects(cli_si, vim.Network)}

    table = vmw("network", "ls").out.splitlines()
    assert table[0].split() == ["NAME", "KIND", "SWITCH", "VLAN"]
    rows = {line.split()[0]: line.split()[1:] for line in table[1:] if line.startswith("DC0_")}
    assert rows["DC0_DVPG0"][:1] == ["distributed"]
    assert any(line.split()[1:2] == ["uplink"] for line in table[1:])

    only = vmw("--json", "network", "ls", "VM*")
    assert [n["name"] for n in only.json()] == ["VM Network"]


def test_standard_portgroup_create_and_rm(vmw: Any, cli_si: Any, cleanup: list[str]) -> None:
    name = unique("cli-pg")
    cleanup.append(name)
    made = vmw("portgroup", "create", name, "--host", HOST, "--vlan", "120")
    assert made.code == 0, made.err
    assert f"created port group {name} on host {HOST} (vSwitch0, VLAN 120)" in made.err
    spec = host_portgroups(cli_si)[name]
    assert (spec.vswitchName, spec.vlanId) == ("vSwitch0", 120)

    # Destructive: refused without a terminal or --yes; nothing changes.
    refused = vmw("portgroup", "rm", name, "--host", HOST)
    assert refused.code == 2
    assert "pass --yes" in refused.err
    assert name in host_portgroups(cli_si)

    removed = vmw("portgroup", "rm", name, "--host", HOST, "--yes")
    assert removed.code == 0, removed.err
    assert f"removed port group {name} from host {HOST}" in removed.err
    assert name not in host_portgroups(cli_si)

    missing = vmw("portgroup", "rm", name, "--host", HOST, "--yes")
    assert missing.code == 3
    assert "VM Network" in missing.err


def test_bad_portgroups_are_refused(vmw: Any, cli_si: Any, switch: Any) -> None:
    before = (set(host_portgroups(cli_si)), set(dv_portgroups(cli_si)))
    result = vmw("portgroup", "create", "cli-bad", "--host", HOST, "--vlan", "5000")
    assert result.code == 2
    assert "--vlan 5000: 0 (none) to 4094" in result.err
    result = vmw("portgroup", "create", "cli-bad", "--host", HOST, "--vswitch", "vSwitch7")
    assert (result.code, "--vswitch vSwitch7" in result.err) == (2, True)
    result = vmw("portgroup", "create", "cli-bad", "--dvs", switch.name, "--ports", "9000")
    assert (result.code, "--ports 9000" in result.err) == (2, True)
    # One of --host and --dvs, and each with its own options.
    assert vmw("portgroup", "create", "cli-bad").code == 2
    assert vmw("portgroup", "create", "cli-bad", "--host", HOST, "--dvs", switch.name).code == 2
    assert vmw("portgroup", "create", "cli-bad", "--host", HOST, "--ports", "4").code == 2
    assert (set(host_portgroups(cli_si)), set(dv_portgroups(cli_si))) == before


def test_distributed_portgroup_create_and_rm(
    vmw: Any, cli_si: Any, switch: Any, cleanup: list[str]
) -> None:
    name = unique("cli-dvpg")
    cleanup.append(name)
    made = vmw(
        "--json", "portgroup", "create", name, "--dvs", switch.name, "--vlan", "7", "--ports", "4"
    )
    assert made.code == 0, made.err
    assert made.json()["vlan"] == 7
    assert f"created distributed port group {name} on {switch.name} (VLAN 7, 4 ports)" in made.err
    pg = dv_portgroups(cli_si)[name]
    assert (pg.config.numPorts, pg.config.defaultPortConfig.vlan.vlanId) == (4, 7)
    assert made.json()["moid"] == pg._moId

    refused = vmw("portgroup", "rm", name)
    assert refused.code == 2
    assert name in dv_portgroups(cli_si)

    removed = vmw("portgroup", "rm", name, "--yes")
    assert removed.code == 0, removed.err
    assert f"destroyed distributed port group /DC0/network/{name}" in removed.err
    assert name not in dv_portgroups(cli_si)


def test_rm_refuses_what_is_no_distributed_portgroup(vmw: Any, cli_si: Any) -> None:
    standard = vmw("portgroup", "rm", "VM Network", "--yes")
    assert standard.code == 2
    assert "--host" in standard.err
    uplink = next(pg for pg in dv_portgroups(cli_si).values() if pg.config.uplink)
    result = vmw("portgroup", "rm", uplink.name, "--yes")
    assert result.code == 2
    assert "uplinks" in result.err
    assert uplink.name in dv_portgroups(cli_si)
    assert vmw("portgroup", "rm", "no-such-pg", "--yes").code == 3
