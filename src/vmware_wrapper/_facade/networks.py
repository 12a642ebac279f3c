"""Networks: list them; standard and distributed port groups.

vs.list_networks("prod-*")
vs.create_portgroup("esx-01", "web", vlan=120); vs.remove_portgroup("esx-01", "web")
vs.create_dvportgroup("dvs-prod", "web", vlan=120); vs.destroy_dvportgroup("web")
"""

from __future__ import annotations

from pyVmomi import vim

from .._base.models import NetworkInfo
from .._base.types import HostRef, NetworkRef
from .._operations import networks as _networks
from .base import Facade, operation


class Networks(Facade):
    @operation(_networks.list_networks)
    def list_networks(self, pattern: str = "*") -> list[NetworkInfo]:
        """NetworkInfo for every network whose name (or path) matches; one bulk read.

            vlans = {n.name: n.vlan for n in vs.list_networks() if n.kind == "distributed"}

        Standard networks, distributed port groups (with their switch and VLAN id) and opaque
        networks; a distributed switch's uplink port groups come with ``uplink=True`` (no VM
        can join them). Over paths (a pattern with a "/"), ``*`` stays within one level and
        ``**`` spans any.
        """

    @operation(_networks.create_portgroup)
    def create_portgroup(
        self, host: HostRef, name: str, *, vswitch: str = "vSwitch0", vlan: int = 0
    ) -> None:
        """Add a port group to a standard switch of one host.

            vs.create_portgroup("esx-01", "web", vlan=120)

        ``vlan``: 0 (none) to 4094, or 4095 for all VLANs (the guest tags its own traffic).
        Checked first: the name is free on the host and the switch is one of the host's.
        """

    @operation(_networks.remove_portgroup)
    def remove_portgroup(self, host: HostRef, name: str) -> None:
        """Remove a port group from a host's standard switch.

            vs.remove_portgroup("esx-01", "web")

        vSphere refuses while VMs (or VMkernel adapters) use it: InvalidStateError.
        """

    @operation(_networks.create_dvportgroup)
    def create_dvportgroup(
        self,
        dvs: str | vim.DistributedVirtualSwitch,
        name: str,
        *,
        vlan: int = 0,
        ports: int = 8,
    ) -> vim.dvs.DistributedVirtualPortgroup:
        """Add a port group to a distributed switch; the port group.

            pg = vs.create_dvportgroup("dvs-prod", "web", vlan=120, ports=16)

        Static binding, ``ports`` ports (0 to 8192), one VLAN (0: none, to 4094).
        """

    @operation(_networks.destroy_dvportgroup)
    def destroy_dvportgroup(self, portgroup: NetworkRef) -> None:
        """Destroy a distributed port group.

            vs.destroy_dvportgroup("/DC1/network/web")

        Refused: an uplink port group (it goes with its switch), and one that VMs are
        connected to (InvalidStateError).
        """
