"""Networks: listed in bulk; standard port groups on a host's standard switch; distributed port
groups on a distributed switch.

list_networks(ops, pattern="prod-*")                                   # index + one bulk read
create_portgroup(ops, host="esx-01", name="web", vswitch="vSwitch0", vlan=120)
remove_portgroup(ops, host="esx-01", name="web")
create_dvportgroup(ops, dvs="dvs-prod", name="web", vlan=120, ports=8)  # the port group
destroy_dvportgroup(ops, portgroup="/DC1/network/web")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._base.models import NetworkInfo
from .._base.names import escape_name, unescape_name
from .._base.vmomi import vim, vmodl
from .._inventory.tree import KINDS, Entry
from .._transport.faults import describing, fault_message, is_fault
from .._transport.retrieve import ObjectSource, Ref, retrieve
from ..errors import InvalidInputError, InvalidStateError, NotFoundError, VSphereError
from .checks import check_name
from .context import Ops

# vSphere type -> NetworkInfo.kind
_KINDS = {
    "Network": "standard",
    "DistributedVirtualPortgroup": "distributed",
    "OpaqueNetwork": "opaque",
}
# What a listing reads of each distributed port group (standard and opaque networks: the
# index has all it needs). defaultPortConfig is read whole: its declared type (DVPortSetting)
# has no ``vlan``, which only VMwareDVSPortSetting adds, so "config.defaultPortConfig.vlan"
# is not a path every server accepts.
_PORTGROUP_PATHS = ("config.distributedVirtualSwitch", "config.defaultPortConfig", "config.uplink")
# Distributed port groups read per page of a listing.
_PAGE = 500

# VLAN ids: 0 is none (untagged), 1..4094 a VLAN; on a standard port group 4095 passes every
# VLAN to the guest (vSphere's "virtual guest tagging", a trunk).
MAX_VLAN = 4094
ALL_VLANS = 4095
# The most ports the vSphere Client offers for a distributed port group ("Number of ports").
MAX_PORTS = 8192


def list_networks(ops: Ops, *, pattern: str) -> list[NetworkInfo]:
    """NetworkInfo of every network whose name (or path) matches: the index finds them, then
    one paged read of the distributed port groups among them."""
    if not isinstance(pattern, str):
        raise InvalidInputError(f"a pattern is a string, not {pattern!r}")
    entries = ops.index.find(KINDS["network"], pattern)
    portgroups = [e for e in entries if e.type == "DistributedVirtualPortgroup"]
    details = _read_portgroups(ops, portgroups, f"list networks {pattern!r}")
    inventory = ops.index.inventory
    infos = []
    for entry in entries:
        switch, vlan, uplink = None, None, False
        if entry.type == "DistributedVirtualPortgroup":
            if entry.moid not in details:
                continue  # destroyed meanwhile
            switch_moid, vlan, uplink = details[entry.moid]
            switch_entry = inventory.get(switch_moid) if switch_moid else None
            switch = switch_entry.display_name if switch_entry is not None else None
        infos.append(
            NetworkInfo(
                name=entry.display_name,
                path=inventory.path(entry.moid),
                moid=entry.moid,
                kind=_KINDS.get(entry.type, entry.type),
                switch=switch,
                vlan=vlan,
                uplink=uplink,
            )
        )
    return infos


def _read_portgroups(
    ops: Ops, entries: Sequence[Entry], context: str
) -> dict[str, tuple[str | None, int | None, bool]]:
    """moid -> (switch moid, VLAN id, uplink) of each distributed port group that still exists;
    one RetrievePropertiesEx (and its continuations) for all. Through pyVmomi: the VLAN sits
    in a data object, which the wire-level reader does not decode."""
    if not entries:
        return {}
    pc = vmodl.query.PropertyCollector
    spec = pc.FilterSpec(
        objectSet=[
            pc.ObjectSpec(obj=vim.dvs.DistributedVirtualPortgroup(e.moid, ops.session.stub))
            for e in entries
        ],
        propSet=[
            pc.PropertySpec(
                type=vim.dvs.DistributedVirtualPortgroup, pathSet=list(_PORTGROUP_PATHS)
            )
        ],
        # A port group destroyed meanwhile is left out, instead of failing the listing.
        reportMissingObjectsInResults=True,
    )
    collector = ops.content.propertyCollector
    found: dict[str, tuple[str | None, int | None, bool]] = {}
    with describing(context):
        result = collector.RetrievePropertiesEx([spec], pc.RetrieveOptions(maxObjects=_PAGE))
        while result is not None:
            for content in result.objects or []:
                if not content.propSet and content.missingSet:
                    continue
                values = {p.name: p.val for p in content.propSet}
                switch = values.get("config.distributedVirtualSwitch")
                found[content.obj._moId] = (
                    switch._moId if switch is not None else None,
                    vlan_id(values.get("config.defaultPortConfig")),
                    bool(values.get("config.uplink")),
                )
            if not result.token:
                break
            result = collector.ContinueRetrievePropertiesEx(result.token)
    return found


def vlan_id(port_setting: Any) -> int | None:
    """The VLAN id of a distributed port setting when it is one VLAN (0: none); None for a
    trunk, a private VLAN, or no setting."""
    vlan = getattr(port_setting, "vlan", None)
    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec):
        return int(vlan.vlanId)
    return None


# -- standard port groups ------------------------------------------------------------------


def _check_vlan(vlan: Any, *, standard: bool) -> int:
    if isinstance(vlan, bool) or not isinstance(vlan, int):
        raise InvalidInputError(f"vlan={vlan!r}: a whole number, 0 (none) to {MAX_VLAN}")
    if standard and vlan == ALL_VLANS:
        return vlan
    if not 0 <= vlan <= MAX_VLAN:
        if standard:
            raise InvalidInputError(
                f"vlan={vlan!r}: 0 (none) to {MAX_VLAN}, or {ALL_VLANS} for all VLANs "
                "(the guest tags its own traffic)"
            )
        raise InvalidInputError(
            f"vlan={vlan!r}: 0 (none) to {MAX_VLAN} (a distributed port group passes all "
            f"VLANs with a trunk range, not with {ALL_VLANS})"
        )
    return vlan


def _host_network(ops: Ops, host_obj: Any, context: str) -> tuple[Any, list[Any], list[Any]]:
    """A host's network system, its standard switches and its port groups, read now. (From
    the network system, which every server keeps current; govmomi's simulator does not
    update ``host.config.network`` when port groups change.)"""
    system = ops.read(host_obj, ["configManager.networkSystem"], context)[
        "configManager.networkSystem"
    ]
    if system is None:
        raise InvalidStateError(f"{context}: the host has no network system (not connected?)")
    info = ops.read(system, ["networkInfo.vswitch", "networkInfo.portgroup"], context)
    return (
        system,
        list(info["networkInfo.vswitch"] or []),
        list(info["networkInfo.portgroup"] or []),
    )


def _names(items: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in sorted(items)) if items else "none"


def create_portgroup(ops: Ops, *, host: Any, name: str, vswitch: str, vlan: int) -> None:
    """Add a port group to a standard switch of a host."""
    name = check_name(name, "port group name")
    if not isinstance(vswitch, str) or not vswitch.strip():
        raise InvalidInputError(f"vswitch={vswitch!r}: the name of a standard switch")
    vlan = _check_vlan(vlan, standard=True)
    entry, host_obj = ops.resolve(KINDS["host"], host)
    description = f"create port group {name!r} on host {entry.display_name!r}"
    system, switches, portgroups = _host_network(ops, host_obj, description)
    switch_names = [s.name for s in switches]
    if vswitch not in switch_names:
        raise InvalidInputError(
            f"{description}: vswitch={vswitch!r}: the host has no such standard switch; "
            f"it has {_names(switch_names)}"
        )
    if name in (pg.spec.name for pg in portgroups):
        raise InvalidInputError(
            f"{description}: port group name {name!r}: the host has a port group of that "
            "name already"
        )
    spec = vim.host.PortGroup.Specification(
        name=name, vlanId=vlan, vswitchName=vswitch, policy=vim.host.NetworkPolicy()
    )
    with describing(description):
        system.AddPortGroup(portgrp=spec)
    # The host's network of that name is new (or has one host more): in the index at once,
    # so that the caller finds it by name now.
    _refresh_networks(ops, host_obj, description)
    ops.logger.info("%s (vlan %d)", description, vlan)


def remove_portgroup(ops: Ops, *, host: Any, name: str) -> None:
    """Remove a port group from a host's standard switch."""
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"port group name {name!r}: a non-empty string")
    entry, host_obj = ops.resolve(KINDS["host"], host, confirm=True)
    description = f"remove port group {name!r} from host {entry.display_name!r}"
    system, _, portgroups = _host_network(ops, host_obj, description)
    names = [pg.spec.name for pg in portgroups]
    if name not in names:
        raise NotFoundError(
            f"{description}: the host has no port group of that name; it has {_names(names)}"
        )
    try:
        with describing(description):
            system.RemovePortGroup(pgName=name)
    except VSphereError as e:
        if is_fault(e, "ResourceInUse"):
            raise InvalidStateError(
                f"{description}: it is in use (VMs or VMkernel adapters on the host are "
                "connected to it; connect them to another network first): "
                f"{fault_message(e.fault)}",
                fault=e.fault,
            ) from e
        raise
    # The network goes with its last port group: forgotten at once, not when the watch says.
    ops.index.refresh_many(
        [Ref(e.type, e.moid) for e in ops.index.inventory.matches(KINDS["network"], name)]
    )
    ops.logger.info("%s", description)


def _refresh_networks(ops: Ops, host_obj: Any, context: str) -> None:
    """Read into the index the host's networks that it does not know yet."""
    with describing(context):
        found = list(
            retrieve(
                ops.session.stub,
                ops.content.propertyCollector._moId,
                {"HostSystem": ("network",)},
                ObjectSource.objects([Ref("HostSystem", host_obj._moId)]),
            )
        )
        refs = found[0].props.get("network") if found else None
        inventory = ops.index.inventory
        new = [
            r
            for r in (refs if isinstance(refs, list) else [])
            if isinstance(r, Ref) and inventory.get(r.value) is None
        ]
        if new:
            ops.index.refresh_many(new)


# -- distributed port groups ---------------------------------------------------------------


def create_dvportgroup(ops: Ops, *, dvs: Any, name: str, vlan: int, ports: int) -> Any:
    """Add a distributed port group (static binding, ``ports`` ports, one VLAN) to a switch;
    the port group."""
    name = check_name(name, "port group name")
    vlan = _check_vlan(vlan, standard=False)
    if isinstance(ports, bool) or not isinstance(ports, int) or not 0 <= ports <= MAX_PORTS:
        raise InvalidInputError(f"ports={ports!r}: a whole number, 0 to {MAX_PORTS}")
    entry, switch = ops.resolve(KINDS["dvs"], dvs)
    description = f"create port group {name!r} on distributed switch {entry.display_name!r}"
    taken = ops.read(switch, ["summary.portgroupName"], description)["summary.portgroupName"]
    if name in {unescape_name(n) for n in taken or []}:
        raise InvalidInputError(
            f"{description}: port group name {name!r}: the switch has a port group of that "
            "name already"
        )
    spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        name=escape_name(name),
        type="earlyBinding",  # static binding: a port is kept for each VM connected
        numPorts=ports,
        defaultPortConfig=vim.dvs.VmwareDistributedVirtualSwitch.VmwarePortConfigPolicy(
            vlan=vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec(vlanId=vlan, inherited=False)
        ),
    )
    # AddDVPortgroup_Task, not CreateDVPortgroup_Task: the same change on vCenter (govc's
    # dvs.portgroup.add sends it too), and the one govmomi's simulator implements.
    ops.run(lambda: switch.AddDVPortgroup_Task(spec=[spec]), description, True, None)
    made = _new_portgroup(ops, switch, name, description)
    ops.index.refresh_many([made])
    ops.logger.info("%s: %s (vlan %d, %d ports)", description, made.value, vlan, ports)
    return vim.dvs.DistributedVirtualPortgroup(made.value, ops.session.stub)


def _new_portgroup(ops: Ops, switch: Any, name: str, context: str) -> Ref:
    """The port group of that name on the switch (the task that made it names none)."""
    with describing(context):
        found = list(
            retrieve(
                ops.session.stub,
                ops.content.propertyCollector._moId,
                {"DistributedVirtualSwitch": ("portgroup",)},
                ObjectSource.objects([Ref(str(type(switch)._wsdlName), switch._moId)]),
            )
        )
        refs = found[0].props.get("portgroup") if found else None
        portgroups = [r for r in refs or [] if isinstance(r, Ref)]
        named = [
            Ref(o.type, o.moid)
            for o in retrieve(
                ops.session.stub,
                ops.content.propertyCollector._moId,
                {"DistributedVirtualPortgroup": ("name",)},
                ObjectSource.objects(portgroups),
            )
            if unescape_name(o.props.get("name") or "") == name
        ]
    if len(named) != 1:
        raise NotFoundError(
            f"{context}: done, but the switch has {len(named)} port groups of that name"
        )
    return named[0]


def destroy_dvportgroup(ops: Ops, *, portgroup: Any) -> None:
    """Destroy a distributed port group that no VM is connected to."""
    entry, obj = ops.resolve(KINDS["network"], portgroup, confirm=True)
    where = ops.resolver.path(entry)
    if entry.type != "DistributedVirtualPortgroup":
        hint = (
            " (a standard port group is removed from its host: remove_portgroup)"
            if entry.type == "Network"
            else ""
        )
        raise InvalidInputError(
            f"{where} is a {_KINDS.get(entry.type, entry.type)} network, "
            f"not a distributed port group{hint}"
        )
    description = f"destroy port group {where!r}"
    if ops.read(obj, ["config.uplink"], description)["config.uplink"]:
        raise InvalidInputError(
            f"{description}: it holds its switch's uplinks, which go only with the switch"
        )
    # VMs still connected: vCenter refuses (ResourceInUse), and that is the check (the
    # port group's ``vm`` list, read first, could be out of date by the time it is sent).
    try:
        ops.run(obj.Destroy_Task, description, True, None)
    except VSphereError as e:
        if is_fault(e, "ResourceInUse"):
            raise InvalidStateError(
                f"{description}: it is in use (VMs are connected to it; connect them to "
                f"another network first): {fault_message(e.fault)}",
                fault=e.fault,
            ) from e
        raise
