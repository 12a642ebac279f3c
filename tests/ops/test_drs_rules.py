"""DRS rules (VM-VM affinity and anti-affinity): made, listed and removed; read back through
plain pyVmomi (cluster.configurationEx.rule). A bad rule is refused before anything is sent."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from tests.helpers import all_objects, find_vm, wait_task
from vmware_wrapper import AmbiguousNameError, InvalidInputError, NotFoundError

RECONFIGURE = "ReconfigureComputeResource_Task"
VM0, VM1 = "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"
_seq = itertools.count()


def unique(prefix: str = "rule") -> str:
    return f"{prefix}-{next(_seq)}"


@pytest.fixture
def cluster(si: Any) -> Iterator[Any]:
    """DC0_C0, read through plain pyVmomi; the rules a test adds are removed after it."""
    found = next(c for c in all_objects(si, vim.ClusterComputeResource) if c.name == "DC0_C0")
    before = {r.key for r in found.configurationEx.rule}
    yield found
    added = [r.key for r in found.configurationEx.rule if r.key not in before]
    if added:
        spec = vim.cluster.ConfigSpecEx(
            rulesSpec=[vim.cluster.RuleSpec(operation="remove", removeKey=k) for k in added]
        )
        wait_task(found.ReconfigureEx(spec, True))


def rules(cluster: Any) -> dict[str, tuple[str, list[str], bool]]:
    """name -> (type, VM names, enabled), as the server has them."""
    return {
        r.name: (type(r).__name__, sorted(vm.name for vm in r.vm), r.enabled)
        for r in cluster.configurationEx.rule
    }


def test_an_anti_affinity_rule_is_made_listed_and_removed(vsphere, si, cluster):
    name = unique()
    info = vsphere.create_drs_rule("DC0_C0", name, [VM0, VM1])
    assert rules(cluster)[name] == ("vim.cluster.AntiAffinityRuleSpec", [VM0, VM1], True)
    (key,) = [r.key for r in cluster.configurationEx.rule if r.name == name]
    assert (info.name, info.cluster, info.key, info.affinity, info.enabled) == (
        name,
        "DC0_C0",
        key,
        False,
        True,
    )
    assert sorted(info.vms) == [VM0, VM1]
    listed = [r for r in vsphere.list_drs_rules("/DC0/host/DC0_C0") if r.name == name]
    assert listed == [info]
    vsphere.delete_drs_rule("DC0_C0", name)
    assert name not in rules(cluster)


def test_an_affinity_rule_keeps_vms_together(vsphere, si, cluster):
    name = unique()
    vms = [find_vm(si, VM0), find_vm(si, VM1)]
    info = vsphere.create_drs_rule(cluster._moId, name, [vm._moId for vm in vms], affinity=True)
    assert rules(cluster)[name] == ("vim.cluster.AffinityRuleSpec", [VM0, VM1], True)
    assert info.affinity is True
    assert [r.affinity for r in vsphere.list_drs_rules("DC0_C0") if r.name == name] == [True]


def test_watchers_learn_of_rules_added_and_removed(vsphere, si, cluster):
    """What the simulator adds (sim/drs_rules.go): vCenter reports a cluster's new rules to
    property collectors; v0.56 changed them without a word."""
    pc = vmodl.query.PropertyCollector
    collector = si.content.propertyCollector.CreatePropertyCollector()
    try:
        collector.CreateFilter(
            pc.FilterSpec(
                objectSet=[pc.ObjectSpec(obj=cluster)],
                propSet=[
                    pc.PropertySpec(type=vim.ClusterComputeResource, pathSet=["configurationEx"])
                ],
            ),
            False,
        )
        options = pc.WaitOptions(maxWaitSeconds=5)
        version = collector.WaitForUpdatesEx("", options).version  # the current state

        def announced() -> list[str]:
            nonlocal version
            update = collector.WaitForUpdatesEx(version, options)
            assert update is not None, "no update within 5 s"
            version = update.version
            (change,) = update.filterSet[0].objectSet[0].changeSet
            return [r.name for r in change.val.rule]

        name = unique()
        vsphere.create_drs_rule("DC0_C0", name, [VM0, VM1])
        assert name in announced()
        vsphere.delete_drs_rule("DC0_C0", name)
        assert name not in announced()
    finally:
        collector.Destroy()


def test_deleting_an_unknown_rule_names_it_and_lists_the_rules(
    vsphere, si, cluster, vsphere_simulator
):
    kept = unique()
    vsphere.create_drs_rule("DC0_C0", kept, [VM0, VM1])
    vsphere_simulator.reset_call_counts()
    with pytest.raises(NotFoundError) as raised:
        vsphere.delete_drs_rule("DC0_C0", "no-such-rule")
    assert "no-such-rule" in str(raised.value)
    assert kept in str(raised.value)
    assert RECONFIGURE not in vsphere_simulator.call_counts()
    assert kept in rules(cluster)


@pytest.fixture
def twin_vm(si: Any) -> Iterator[str]:
    """A second VM named like DC0_C0_RP0_VM0's clone, in another folder: a name two VMs have."""
    source = find_vm(si, VM0)
    name = unique("twin")
    folder = source.parent.CreateFolder(unique("twins"))
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
    made = [wait_task(source.Clone(source.parent, name, spec))]
    made.append(wait_task(source.Clone(folder, name, spec)))
    yield name
    for vm in made:
        wait_task(vm.Destroy())
    wait_task(folder.Destroy())


BAD_RULES = {
    "one VM": ([VM0], {}, InvalidInputError, "at least 2"),
    "a VM twice": ([VM0, VM0], {}, InvalidInputError, "same VM"),
    "a VM outside the cluster": ([VM0, "DC0_H0_VM0"], {}, InvalidInputError, "DC0_H0_VM0"),
    "an unknown VM": ([VM0, "no-such-vm"], {}, NotFoundError, "no-such-vm"),
    "a string for vms": (VM0, {}, InvalidInputError, "vms="),
    "affinity not a bool": ([VM0, VM1], {"affinity": "yes"}, InvalidInputError, "affinity="),
}


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_a_bad_rule_is_refused_before_sending(vsphere, si, cluster, vsphere_simulator, case):
    vms, options, error, words = BAD_RULES[case]
    name = unique()
    before = rules(cluster)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(error) as raised:
        vsphere.create_drs_rule("DC0_C0", name, vms, **options)
    assert words in str(raised.value)
    assert RECONFIGURE not in vsphere_simulator.call_counts()
    assert rules(cluster) == before


def test_a_rule_name_the_cluster_has_is_refused(vsphere, si, cluster, vsphere_simulator):
    name = unique()
    vsphere.create_drs_rule("DC0_C0", name, [VM0, VM1])
    before = rules(cluster)
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidInputError, match=f"already has a rule named '{name}'"):
        vsphere.create_drs_rule("DC0_C0", name, [VM1, VM0], affinity=True)
    assert RECONFIGURE not in vsphere_simulator.call_counts()
    assert rules(cluster) == before


def test_an_ambiguous_vm_name_makes_no_rule(vsphere, si, cluster, vsphere_simulator, twin_vm):
    name = unique()
    vsphere_simulator.reset_call_counts()
    with pytest.raises(AmbiguousNameError) as raised:
        vsphere.create_drs_rule("DC0_C0", name, [VM0, twin_vm])
    assert len(raised.value.candidates) == 2
    assert RECONFIGURE not in vsphere_simulator.call_counts()
    assert name not in rules(cluster)
