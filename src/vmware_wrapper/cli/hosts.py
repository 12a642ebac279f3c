"""vmw host: list, inspect, maintenance mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ._command import VmwGroup
from ._core import Context, confirm, examples, obj, plural
from .completion import complete_host


def register(group: click.Group) -> None:
    """Adds this module's commands to vmw."""
    group.add_command(host)


def _percent(used: int, capacity: int) -> str:
    return f"{round(100 * used / capacity)}" if capacity else ""


HOST_COLUMNS: tuple[tuple[str, str | Callable[[Any], Any]], ...] = (
    ("NAME", "name"),
    ("CLUSTER", "cluster"),
    ("STATE", "connection_state"),
    ("MAINTENANCE", "in_maintenance"),
    ("CPU%", lambda h: _percent(h.cpu_usage_mhz, h.cpu_mhz)),
    ("MEM%", lambda h: _percent(h.memory_usage_mb, h.memory_mb)),
    ("VMS", "vm_count"),
    ("VERSION", "version"),
)


@click.group(cls=VmwGroup)
def host() -> None:
    """ESXi hosts: list, inspect, maintenance mode."""


@host.command(
    "ls",
    epilog=examples("vmw host ls", "vmw host ls 'DC0_C0_*'", "vmw --json host ls '/DC0/host/C1/*'"),
)
@click.argument("pattern", default="*", shell_complete=complete_host)
@click.pass_context
def host_ls(ctx: click.Context, pattern: str) -> None:
    """List hosts: a glob over names, or over paths with a '/'. CPU% and MEM% are the use of
    the host's capacity now."""
    cx: Context = obj(ctx)
    cx.listing(lambda vs, pattern: vs.list_hosts(pattern), pattern, HOST_COLUMNS)


@host.command("info", epilog=examples("vmw host info esx-01", "vmw --json host info esx-01"))
@click.argument("host_name", metavar="HOST", shell_complete=complete_host)
@click.pass_context
def host_info(ctx: click.Context, host_name: str) -> None:
    """Everything about a host: state, capacity, use, VMs, version."""
    cx: Context = obj(ctx)
    info = cx.vs.host_info(host_name)
    if cx.as_json:
        cx.emit(info)
        return
    for key, value in vars(info).items():
        click.echo(f"{key + ':':18}{'' if value is None else value}")


@host.group(cls=VmwGroup)
def maintenance() -> None:
    """Put a host in maintenance mode, or take it out."""


@maintenance.command(
    "enter",
    epilog=examples(
        "vmw host maintenance enter esx-01",
        "vmw host maintenance enter esx-01 --yes",
        "vmw host maintenance enter esx-01 --no-evacuate --yes",
    ),
)
@click.argument("host_name", metavar="HOST", shell_complete=complete_host)
@click.option(
    "--no-evacuate",
    is_flag=True,
    help="move no VM: refused if any is powered on (and powered-off VMs stay on it)",
)
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def maintenance_enter(ctx: click.Context, host_name: str, no_evacuate: bool, yes: bool) -> None:
    """Put a host in maintenance mode. Its powered-on VMs move to the other hosts of its
    cluster first (by DRS, if fully automated, else one by one); refused, with nothing done,
    for a standalone host or a cluster with no other host to take them. Asks first."""
    cx: Context = obj(ctx)
    info = cx.vs.host_info(host_name)
    if info.in_maintenance:
        _say(cx, host_name, [], f"host {info.name} is in maintenance mode already: nothing done")
        return
    where = f"cluster {info.cluster}" if info.cluster else "no cluster (a standalone host)"
    plan = [f"put host {info.name} ({where}, {plural(info.vm_count, 'VM')}) in maintenance mode"]
    if no_evacuate:
        plan.append("move no VM: refused if any is powered on")
    elif info.vm_count:
        plan.append("move its powered-on VMs to other hosts of its cluster first")
    if not confirm(cx, plan, f"put host {info.name} in maintenance mode", yes):
        return
    with cx.working(f"put host {info.name} in maintenance mode"):
        moves = cx.vs.enter_maintenance(host_name, evacuate=not no_evacuate)
    for vm, target in moves:
        cx.err.print(f"moved {vm} to host {target}", markup=False)
    stayed = info.vm_count - len(moves)
    rest = f"; {plural(stayed, 'VM')} (not powered on) stayed on it" if stayed > 0 else ""
    _say(
        cx,
        host_name,
        moves,
        f"host {info.name} is in maintenance mode; moved {plural(len(moves), 'VM')}{rest}",
    )


@maintenance.command("exit", epilog=examples("vmw host maintenance exit esx-01"))
@click.argument("host_name", metavar="HOST", shell_complete=complete_host)
@click.pass_context
def maintenance_exit(ctx: click.Context, host_name: str) -> None:
    """Take a host out of maintenance mode. VMs moved off it stay where they are."""
    cx: Context = obj(ctx)
    info = cx.vs.host_info(host_name)
    if not info.in_maintenance:
        _say(cx, host_name, None, f"host {info.name} is not in maintenance mode: nothing done")
        return
    with cx.working(f"take host {info.name} out of maintenance mode"):
        cx.vs.exit_maintenance(host_name)
    _say(
        cx,
        host_name,
        None,
        f"host {info.name} is out of maintenance mode; no VM moved back to it",
    )


def _say(cx: Context, host_name: str, moves: list[tuple[str, str]] | None, message: str) -> None:
    """The outcome: the host's record (and the moves) with --json, else the message."""
    if cx.as_json:
        record: dict[str, Any] = {"host": cx.vs.host_info(host_name)}
        if moves is not None:
            record["moved"] = [{"vm": vm, "host": target} for vm, target in moves]
        cx.emit(record)
    else:
        cx.err.print(message, markup=False)
