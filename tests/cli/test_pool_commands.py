"""vmw pool and vmw drs rule, read back through plain pyVmomi."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.helpers import all_objects, find_vm, wait_task

CLUSTER = "/DC0/host/DC0_C0"
VM0, VM1, VM2 = "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_C0_RP0_VM2"
_seq = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_seq)}"


def cluster_of(si: Any) -> Any:
    return next(c for c in all_objects(si, vim.ClusterComputeResource) if c.name == "DC0_C0")


def children(pool: Any) -> dict[str, Any]:
    return {p.name: p for p in pool.resourcePool}


def exists(obj: Any) -> bool:
    try:
        obj.name  # noqa: B018 (a read of the server)
    except vmodl.fault.ManagedObjectNotFound:
        return False
    return True


@pytest.fixture
def pools(cli_si: Any) -> Iterator[list[Any]]:
    """Pools destroyed after the test, with everything below them (children first)."""
    made: list[Any] = []

    def destroy(pool: Any) -> None:
        if exists(pool):
            for below in list(pool.resourcePool):
                destroy(below)
            wait_task(pool.Destroy())

    yield made
    for pool in made:
        destroy(pool)


@pytest.fixture
def cluster(cli_si: Any) -> Iterator[Any]:
    """DC0_C0; the DRS rules a test adds are removed after it."""
    found = cluster_of(cli_si)
    before = {r.key for r in found.configurationEx.rule}
    yield found
    added = [r.key for r in found.configurationEx.rule if r.key not in before]
    if added:
        spec = vim.cluster.ConfigSpecEx(
            rulesSpec=[vim.cluster.RuleSpec(operation="remove", removeKey=k) for k in added]
        )
        wait_task(found.ReconfigureEx(spec, True))


def test_pool_create_makes_parents_and_applies_the_settings(vmw, cli_si, pools):
    name = unique("clipool")
    result = vmw(
        "pool", "create", f"{CLUSTER}/{name}/prod",
        "--cpu-shares", "high", "--cpu-reservation", "200", "--cpu-limit", "-1",
        "--memory-shares", "500", "--memory-limit", "1024", "--no-expandable",
    )  # fmt: skip
    assert result.code == 0, result.err
    root = cluster_of(cli_si).resourcePool
    parent = children(root)[name]
    pools.append(parent)
    prod = children(parent)["prod"]
    assert result.out.strip() == f"{CLUSTER}/Resources/{name}/prod"
    assert "made 2 resource pools" in result.err
    assert "CPU shares high" in result.err
    cpu, memory = prod.config.cpuAllocation, prod.config.memoryAllocation
    assert (cpu.shares.level, cpu.reservation, cpu.limit) == ("high", 200, -1)
    assert (memory.shares.level, memory.shares.shares, memory.limit) == ("custom", 500, 1024)
    assert cpu.expandableReservation is False
    assert memory.expandableReservation is False
    again = vmw("pool", "create", f"{CLUSTER}/Resources/{name}/prod")
    assert again.code == 0
    assert "already there" in again.err
    assert list(children(parent)) == ["prod"]


def test_pool_create_refuses_bad_values_and_makes_nothing(vmw, cli_si):
    name = unique("clipool")
    bad = vmw("pool", "create", f"{CLUSTER}/{name}", "--memory-reservation", "-10")
    assert bad.code == 2
    assert "--memory-reservation -10" in bad.err
    shares = vmw("pool", "create", f"{CLUSTER}/{name}", "--cpu-shares", "lots")
    assert shares.code == 2
    assert "lots" in shares.err
    assert name not in children(cluster_of(cli_si).resourcePool)


def test_pool_set_changes_only_what_is_given(vmw, cli_si, pools):
    name = unique("clipool")
    assert vmw("pool", "create", f"{CLUSTER}/{name}", "--cpu-reservation", "100").code == 0
    pool = children(cluster_of(cli_si).resourcePool)[name]
    pools.append(pool)
    result = vmw("pool", "set", f"{CLUSTER}/Resources/{name}", "--memory-limit", "2048")
    assert result.code == 0, result.err
    assert "memory limit 2048 MB" in result.err
    assert pool.config.memoryAllocation.limit == 2048
    assert pool.config.cpuAllocation.reservation == 100
    nothing = vmw("pool", "set", f"{CLUSTER}/Resources/{name}")
    assert nothing.code == 2
    assert "nothing to change" in nothing.err


def test_pool_rm_asks_then_moves_the_vms_to_the_parent(vmw, cli_si, pools):
    name = unique("clipool")
    assert vmw("pool", "create", f"{CLUSTER}/{name}/doomed").code == 0
    parent = children(cluster_of(cli_si).resourcePool)[name]
    pools.append(parent)
    doomed = children(parent)["doomed"]
    source = find_vm(cli_si, VM0)
    vm_name = unique("clipool-vm")
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=doomed))
    vm = wait_task(source.Clone(source.parent, vm_name, spec))
    try:
        path = f"{CLUSTER}/Resources/{name}/doomed"
        refused = vmw("pool", "rm", path)  # no terminal to ask on
        assert refused.code == 2
        assert "--yes" in refused.err
        assert vm_name in refused.err
        assert exists(doomed)
        result = vmw("pool", "rm", path, "--yes")
        assert result.code == 0, result.err
        assert "destroyed resource pool" in result.err
        assert "moved 1 VM" in result.err
        assert not exists(doomed)
        assert vm.resourcePool._moId == parent._moId
    finally:
        wait_task(vm.Destroy())


def test_pool_rm_of_the_root_pool_is_refused(vmw, cli_si):
    result = vmw("pool", "rm", f"{CLUSTER}/Resources", "--yes")
    assert result.code == 2
    assert "root pool" in result.err
    assert exists(cluster_of(cli_si).resourcePool)


def rule_names(cluster: Any) -> dict[str, str]:
    return {r.name: type(r).__name__ for r in cluster.configurationEx.rule}


def test_drs_rule_create_ls_rm(vmw, cluster):
    name = unique("clirule")
    result = vmw("drs", "rule", "create", "DC0_C0", name, VM0, VM1, VM2)
    assert result.code == 0, result.err
    assert f"made DRS anti-affinity rule {name}" in result.err
    assert rule_names(cluster)[name] == "vim.cluster.AntiAffinityRuleSpec"
    (rule,) = [r for r in cluster.configurationEx.rule if r.name == name]
    assert sorted(vm.name for vm in rule.vm) == [VM0, VM1, VM2]

    together = unique("clirule")
    made = vmw("--json", "drs", "rule", "create", "DC0_C0", together, VM0, VM1, "--affinity")
    assert made.code == 0, made.err
    assert made.json()["affinity"] is True
    assert made.json()["name"] == together
    assert rule_names(cluster)[together] == "vim.cluster.AffinityRuleSpec"

    listed = vmw("--json", "drs", "rule", "ls", "DC0_C0")
    assert listed.code == 0, listed.err
    by_name = {r["name"]: r for r in listed.json()}
    assert by_name[name]["affinity"] is False
    assert by_name[together]["affinity"] is True
    assert sorted(by_name[name]["vms"]) == [VM0, VM1, VM2]
    table = vmw("drs", "rule", "ls", "DC0_C0").out
    assert any(line.startswith(name) and "anti-affinity" in line for line in table.splitlines())

    refused = vmw("drs", "rule", "rm", "DC0_C0", name)  # no terminal to ask on
    assert refused.code == 2
    assert name in rule_names(cluster)
    removed = vmw("drs", "rule", "rm", "DC0_C0", name, "--yes")
    assert removed.code == 0, removed.err
    assert f"removed DRS rule {name}" in removed.err
    assert name not in rule_names(cluster)
    assert together in rule_names(cluster)


def test_drs_rule_bad_input_changes_nothing(vmw, cluster):
    before = rule_names(cluster)
    one = vmw("drs", "rule", "create", "DC0_C0", unique("clirule"), VM0)
    assert one.code == 2
    assert "at least 2" in one.err
    outside = vmw("drs", "rule", "create", "DC0_C0", unique("clirule"), VM0, "DC0_H0_VM0")
    assert outside.code == 2
    assert "DC0_H0_VM0" in outside.err
    unknown = vmw("drs", "rule", "rm", "DC0_C0", "no-such-rule", "--yes")
    assert unknown.code == 3
    assert "no-such-rule" in unknown.err
    assert rule_names(cluster) == before
