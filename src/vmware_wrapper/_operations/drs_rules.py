"""DRS rules of clusters: VM-VM affinity (keep together) and anti-affinity (keep apart).

    create_drs_rule(ops, cluster="DC0_C0", name="web-apart", vms=["web-1", "web-2"],
                    affinity=False)
    [r.name for r in list_drs_rules(ops, cluster="DC0_C0")]
    delete_drs_rule(ops, cluster="DC0_C0", name="web-apart")

A rule is added and removed by ClusterComputeResource.ReconfigureComputeResource_Task with a
ClusterConfigSpecEx whose rulesSpec adds a rule or removes one by its key. Checked before
anything is sent: the rule's name, free in the cluster; at least two VMs, each named
unambiguously, none twice, each running in that cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._base.models import DrsRuleInfo
from .._base.names import unescape_name
from .._base.vmomi import vim
from .._inventory.tree import KINDS, Entry
from ..errors import AmbiguousNameError, InvalidInputError, NotFoundError, VSphereError
from .checks import check_name
from .context import Ops


def _rules(ops: Ops, cluster: Any, context: str) -> list[Any]:
    """The cluster's rules of every kind, as the server has them now."""
    config = ops.read(cluster, ["configurationEx"], context)["configurationEx"]
    return list(getattr(config, "rule", None) or [])


def _is_vm_vm(rule: Any) -> bool:
    return isinstance(rule, (vim.cluster.AffinityRuleSpec, vim.cluster.AntiAffinityRuleSpec))


def _info(ops: Ops, rule: Any, cluster_name: str, context: str) -> DrsRuleInfo:
    return DrsRuleInfo(
        name=unescape_name(rule.name or ""),
        cluster=cluster_name,
        key=int(rule.key),
        affinity=isinstance(rule, vim.cluster.AffinityRuleSpec),
        vms=tuple(_vm_name(ops, vm, context) for vm in rule.vm or []),
        enabled=bool(rule.enabled),
    )


def _vm_name(ops: Ops, vm: Any, context: str) -> str:
    entry = ops.index.inventory.get(vm._moId)
    if entry is not None:
        return entry.display_name
    return unescape_name(ops.read(vm, ["name"], context)["name"] or vm._moId)


def list_drs_rules(ops: Ops, *, cluster: Any) -> list[DrsRuleInfo]:
    """The cluster's VM-VM rules (VM-host rules are not listed)."""
    entry, obj = ops.resolve(KINDS["cluster"], cluster)
    context = f"list the DRS rules of cluster {ops.resolver.path(entry)!r}"
    return [
        _info(ops, rule, entry.display_name, context)
        for rule in _rules(ops, obj, context)
        if _is_vm_vm(rule)
    ]


def _named_rules(rules: list[Any]) -> str:
    return ", ".join(repr(unescape_name(r.name or "")) for r in rules) or "none"


def create_drs_rule(ops: Ops, *, cluster: Any, name: Any, vms: Any, affinity: Any) -> DrsRuleInfo:
    """Add a VM-VM rule to a cluster: keep its VMs together (affinity) or apart."""
    check_name(name, "rule name")
    if not isinstance(affinity, bool):
        raise InvalidInputError(f"affinity={affinity!r}: True (keep together) or False (apart)")
    if isinstance(vms, str) or not isinstance(vms, Sequence):
        raise InvalidInputError(f"vms={vms!r}: a list of at least 2 VMs")
    if len(vms) < 2:
        raise InvalidInputError(f"vms={list(vms)!r}: a rule is about at least 2 VMs")
    cluster_entry, cluster_obj = ops.resolve(KINDS["cluster"], cluster, confirm=True)
    kind = "affinity" if affinity else "anti-affinity"
    context = f"create DRS {kind} rule {name!r} in cluster {ops.resolver.path(cluster_entry)!r}"
    entries = _confirmed_vms(ops, list(vms), context)
    objs = [ops.resolver.obj(e) for e in entries]
    _check_in_cluster(ops, cluster_obj, entries, objs, context)
    rules = _rules(ops, cluster_obj, context)
    if any(unescape_name(r.name or "") == name for r in rules):
        raise InvalidInputError(f"{context}: the cluster already has a rule named {name!r}")
    rule_type = vim.cluster.AffinityRuleSpec if affinity else vim.cluster.AntiAffinityRuleSpec
    spec = vim.cluster.ConfigSpecEx(
        rulesSpec=[
            vim.cluster.RuleSpec(operation="add", info=rule_type(name=name, enabled=True, vm=objs))
        ]
    )
    ops.run(lambda: cluster_obj.ReconfigureComputeResource_Task(spec, True), context, True, None)
    for rule in _rules(ops, cluster_obj, context):
        if _is_vm_vm(rule) and unescape_name(rule.name or "") == name:
            return _info(ops, rule, cluster_entry.display_name, context)
    raise NotFoundError(f"{context}: the cluster took the rule, yet does not list it")


def _confirmed_vms(ops: Ops, vms: list[Any], context: str) -> list[Entry]:
    """The VMs named, each confirmed with the server (one check for all); none twice, no
    templates."""
    found = ops.resolver.confirmed_many(KINDS["vm"], vms)
    for entry in found:
        if isinstance(entry, AmbiguousNameError):
            raise AmbiguousNameError(f"{context}: {entry}", candidates=entry.candidates) from entry
        if isinstance(entry, NotFoundError):
            raise NotFoundError(f"{context}: {entry}") from entry
        if isinstance(entry, VSphereError):
            raise entry
    entries = [e for e in found if isinstance(e, Entry)]
    seen: dict[str, Any] = {}
    for ref, entry in zip(vms, entries, strict=True):
        if entry.moid in seen:
            raise InvalidInputError(
                f"{context}: {seen[entry.moid]!r} and {ref!r} are the same VM "
                f"({ops.resolver.path(entry)})"
            )
        seen[entry.moid] = ref
        if entry.template:
            raise InvalidInputError(f"{context}: {ref!r} is a template, which DRS never places")
    return entries


def _check_in_cluster(
    ops: Ops, cluster: Any, entries: list[Entry], objs: list[Any], context: str
) -> None:
    """Every VM runs on one of the cluster's hosts (as the server has it now)."""
    hosts = {h._moId for h in ops.read(cluster, ["host"], context)["host"] or []}
    outside = []
    for entry, obj in zip(entries, objs, strict=True):
        host = ops.read(obj, ["runtime.host"], context)["runtime.host"]
        if host is None or host._moId not in hosts:
            outside.append(ops.resolver.path(entry))
    if outside:
        raise InvalidInputError(f"{context}: not in the cluster: {', '.join(outside)}")


def delete_drs_rule(ops: Ops, *, cluster: Any, name: Any) -> None:
    """Remove a cluster's rule by its name."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"rule name {name!r}: a non-empty string")
    cluster_entry, cluster_obj = ops.resolve(KINDS["cluster"], cluster, confirm=True)
    context = f"delete DRS rule {name!r} of cluster {ops.resolver.path(cluster_entry)!r}"
    rules = _rules(ops, cluster_obj, context)
    named = [r for r in rules if unescape_name(r.name or "") == name]
    if not named:
        raise NotFoundError(f"{context}: no such rule; the cluster has {_named_rules(rules)}")
    if len(named) > 1:
        keys = sorted(str(r.key) for r in named)
        raise AmbiguousNameError(
            f"{context}: {len(named)} rules have that name (keys {', '.join(keys)})",
            candidates=keys,
        )
    # removeKey is an xsd:int: the key as a plain int (pyVmomi sends it as one).
    spec = vim.cluster.ConfigSpecEx(
        rulesSpec=[vim.cluster.RuleSpec(operation="remove", removeKey=int(named[0].key))]
    )
    ops.run(lambda: cluster_obj.ReconfigureComputeResource_Task(spec, True), context, True, None)
    ops.logger.info("%s: done", context)
