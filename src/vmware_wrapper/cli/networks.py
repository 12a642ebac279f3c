"""vmw network, vmw portgroup: networks listed; standard and distributed port groups made and
removed."""

from __future__ import annotations

import click

from ..errors import AmbiguousNameError, InvalidInputError, NotFoundError
from ._command import VmwGroup
from ._core import Context, confirm, examples, obj
from .completion import complete_host, complete_network, complete_object

NETWORK_COLUMNS = (
    ("NAME", "name"),
    ("KIND", lambda n: "uplink" if n.uplink else n.kind),
    ("SWITCH", "switch"),
    ("VLAN", "vlan"),
)


def register(group: click.Group) -> None:
    """Adds this module's commands to vmw."""
    group.add_command(network)
    group.add_command(portgroup)


@click.group(cls=VmwGroup)
def network() -> None:
    """Networks VMs can join."""


@network.command(
    "ls",
    epilog=examples("vmw network ls", "vmw network ls 'prod-*'", "vmw --json network ls"),
)
@click.argument("pattern", default="*", shell_complete=complete_network)
@click.pass_context
def network_ls(ctx: click.Context, pattern: str) -> None:
    """List networks: standard networks, distributed port groups (with their switch and
    VLAN) and opaque networks; a glob over names, or over paths with a '/'. A distributed
    switch's uplink port groups show as "uplink" under KIND."""
    cx: Context = obj(ctx)
    cx.listing(lambda vs, pattern: vs.list_networks(pattern), pattern, NETWORK_COLUMNS)


@click.group(cls=VmwGroup)
def portgroup() -> None:
    """Port groups: on a host's standard switch, or on a distributed switch."""


@portgroup.command(
    "create",
    epilog=examples(
        "vmw portgroup create web --host esx-01 --vlan 120",
        "vmw portgroup create backup --host esx-01 --vswitch vSwitch1",
        "vmw portgroup create web --dvs dvs-prod --vlan 120 --ports 16",
    ),
)
@click.argument("name")
@click.option("--host", help="on this host's standard switch", shell_complete=complete_host)
@click.option("--dvs", help="on this distributed switch", shell_complete=complete_object)
@click.option(
    "--vswitch",
    default=None,
    help="the host's standard switch  [default: vSwitch0]",
)
@click.option(
    "--vlan",
    type=int,
    default=0,
    show_default=True,
    help="VLAN id: 0 (none) to 4094; 4095: all VLANs (standard only)",
)
@click.option("--ports", type=int, default=None, help="ports (distributed only)  [default: 8]")
@click.pass_context
def portgroup_create(
    ctx: click.Context,
    name: str,
    host: str | None,
    dvs: str | None,
    vswitch: str | None,
    vlan: int,
    ports: int | None,
) -> None:
    """Create a port group: on a host's standard switch (--host) or on a distributed switch
    (--dvs)."""
    cx: Context = obj(ctx)
    if (host is None) == (dvs is None):
        raise click.UsageError("give one of --host HOST (standard) or --dvs DVS (distributed)")
    if host is not None:
        if ports is not None:
            raise click.UsageError("--ports is for a distributed port group (--dvs)")
        switch = vswitch or "vSwitch0"
        with cx.working(f"create port group {name}"):
            cx.vs.create_portgroup(host, name, vswitch=switch, vlan=vlan)
        if cx.as_json:
            cx.emit({"name": name, "host": host, "vswitch": switch, "vlan": vlan})
        cx.err.print(
            f"created port group {name} on host {host} ({switch}, VLAN {vlan})", markup=False
        )
        return
    assert dvs is not None
    if vswitch is not None:
        raise click.UsageError("--vswitch is for a standard port group (--host)")
    count = 8 if ports is None else ports
    with cx.working(f"create port group {name}"):
        made = cx.vs.create_dvportgroup(dvs, name, vlan=vlan, ports=count)
    (info,) = cx.vs.list_networks(made._moId)
    if cx.as_json:
        cx.emit(info)
    else:
        click.echo(info.path)
    cx.err.print(
        f"created distributed port group {name} on {info.switch or dvs} "
        f"(VLAN {vlan}, {count} ports)",
        markup=False,
    )


@portgroup.command(
    "rm",
    epilog=examples(
        "vmw portgroup rm web --host esx-01",
        "vmw portgroup rm web --yes",
        "vmw portgroup rm /DC1/network/web",
    ),
)
@click.argument("name", shell_complete=complete_network)
@click.option(
    "--host", help="a standard port group: remove it from this host", shell_complete=complete_host
)
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def portgroup_rm(ctx: click.Context, name: str, host: str | None, yes: bool) -> None:
    """Remove a port group: a standard one from a host (--host), else a distributed one
    (destroyed)."""
    cx: Context = obj(ctx)
    if host is not None:
        what = f"remove port group {name} from host {host}"
        if confirm(cx, [what], what, yes):
            with cx.working(what):
                cx.vs.remove_portgroup(host, name)
            cx.err.print(f"removed port group {name} from host {host}", markup=False)
        return
    path = _distributed(cx, name)
    what = f"destroy distributed port group {path}"
    if confirm(cx, [what], what, yes):
        with cx.working(what):
            cx.vs.destroy_dvportgroup(name)
        cx.err.print(f"destroyed distributed port group {path}", markup=False)


def _distributed(cx: Context, name: str) -> str:
    """The path of the distributed port group a name means; checked before asking anything,
    so that nobody confirms what cannot be done."""
    found = [n for n in cx.vs.list_networks(name)]
    if not found:
        raise NotFoundError(f"no network named {name!r}")
    if len(found) > 1:
        paths = sorted(n.path for n in found)
        raise AmbiguousNameError(
            f"{len(found)} networks are named {name!r}: {', '.join(paths)}; give a path",
            candidates=paths,
        )
    (info,) = found
    if info.kind != "distributed":
        raise InvalidInputError(
            f"{info.path} is a {info.kind} network, not a distributed port group "
            "(a standard port group is removed from its host: --host HOST)"
        )
    if info.uplink:
        raise InvalidInputError(
            f"{info.path} holds its switch's uplinks, which go only with the switch"
        )
    return info.path
