"""Resource pools: create, update, destroy; DRS rules of clusters.

vs.create_resource_pool("/DC0/host/DC0_C0/Resources/web/prod", cpu_shares="high")
vs.create_drs_rule("DC0_C0", "web-apart", ["web-1", "web-2"])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pyVmomi import vim

from .._base.models import DrsRuleInfo
from .._base.types import ClusterRef, ResourcePoolRef, VMRef
from .._operations import drs_rules as _drs_rules
from .._operations import resource_pools as _pools
from .base import Facade, operation

Shares = Literal["low", "normal", "high"] | int


class PoolsAndRules(Facade):
    @operation(_pools.create_resource_pool)
    def create_resource_pool(
        self,
        path: str,
        *,
        cpu_shares: Shares | None = None,
        cpu_reservation_mhz: int | None = None,
        cpu_limit_mhz: int | None = None,
        memory_shares: Shares | None = None,
        memory_reservation_mb: int | None = None,
        memory_limit_mb: int | None = None,
        expandable: bool = True,
    ) -> vim.ResourcePool:
        """The resource pool at ``path``, made with any missing parents, as ``mkdir -p`` does.

            pool = vs.create_resource_pool(
                "/DC0/host/DC0_C0/Resources/web/prod",
                cpu_shares="high", memory_reservation_mb=2048, memory_limit_mb=8192,
            )

        ``path`` runs through the cluster's (or standalone host's) root pool "Resources";
        "/DC0/host/DC0_C0/web/prod" (without it, as govc writes it) means the same. Missing
        parents get the default settings (normal shares, no reservation, no limit,
        expandable); the settings given are the last pool's. A pool already at ``path`` is
        returned as it is, its settings unchanged.

        Shares: "low", "normal", "high" or a number (custom); reservations: 0 or more (CPU in
        MHz, memory in MB); limits: -1 (none) or at least the reservation; ``expandable``:
        whether the reservation may grow into the parent's. A value out of range is refused
        (InvalidInputError naming it) before anything is sent.
        """

    @operation(_pools.update_resource_pool)
    def update_resource_pool(
        self,
        pool: ResourcePoolRef,
        *,
        cpu_shares: Shares | None = None,
        cpu_reservation_mhz: int | None = None,
        cpu_limit_mhz: int | None = None,
        memory_shares: Shares | None = None,
        memory_reservation_mb: int | None = None,
        memory_limit_mb: int | None = None,
        expandable: bool | None = None,
    ) -> None:
        """Change the settings given of a resource pool; the others stay as they are.

            vs.update_resource_pool("/DC0/host/DC0_C0/Resources/web", cpu_limit_mhz=-1)

        The values are those of create_resource_pool, checked alike (a limit also against
        the reservation the pool has); nothing given is refused.
        """

    @operation(_pools.destroy_resource_pool)
    def destroy_resource_pool(self, pool: ResourcePoolRef) -> None:
        """Destroy a resource pool; vSphere moves its VMs and child pools to its parent.

            vs.destroy_resource_pool("/DC0/host/DC0_C0/Resources/web")

        The log names the VMs moved. A bare name is confirmed with the server first; a name
        several pools have is refused (AmbiguousNameError), as are a cluster's or host's root
        pool ("Resources") and vApps.
        """

    @operation(_drs_rules.create_drs_rule)
    def create_drs_rule(
        self,
        cluster: ClusterRef,
        name: str,
        vms: Sequence[VMRef],
        *,
        affinity: bool = False,
    ) -> DrsRuleInfo:
        """Add a VM-VM DRS rule to a cluster; the new rule's DrsRuleInfo.

            vs.create_drs_rule("DC0_C0", "web-apart", ["web-1", "web-2"])

        The rule keeps its VMs apart (anti-affinity, the default) or, with
        ``affinity=True``, together on one host. Checked before anything is sent: at least 2
        VMs, each named unambiguously and running in the cluster, none twice, no template; no
        rule of that name in the cluster yet.
        """

    @operation(_drs_rules.list_drs_rules)
    def list_drs_rules(self, cluster: ClusterRef) -> list[DrsRuleInfo]:
        """A cluster's VM-VM DRS rules (affinity and anti-affinity).

            for rule in vs.list_drs_rules("DC0_C0"):
                print(rule.name, rule.affinity, rule.vms)

        VM-host rules are not listed.
        """

    @operation(_drs_rules.delete_drs_rule)
    def delete_drs_rule(self, cluster: ClusterRef, name: str) -> None:
        """Remove a cluster's DRS rule, by its name.

            vs.delete_drs_rule("DC0_C0", "web-apart")

        An unknown name: NotFoundError, which lists the cluster's rules.
        """
