"""vmw pool, drs: resource pools and DRS rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from .. import DrsRuleInfo
from ..errors import NotFoundError
from ._command import VmwGroup
from ._core import Context, confirm, examples, obj, plural
from .completion import complete_cluster, complete_pool, complete_vm

F = TypeVar("F", bound=Callable[..., Any])
SHARE_LEVELS = ("low", "normal", "high")


def register(group: click.Group) -> None:
    """Adds this module's commands to vmw."""
    group.add_command(pool)
    group.add_command(drs)


def _shares(ctx: click.Context, param: click.Parameter, value: str | None) -> str | int | None:
    """low, normal, high, or a number of shares (custom). A callback, not a ParamType: click
    8.1's ParamType is not generic, later ones' is."""
    if value is None or value in SHARE_LEVELS:
        return value
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: low, normal, high or a number of shares") from None


# The library's keyword of each setting -> how its value reads in messages.
SETTINGS = {
    "cpu_shares": "CPU shares {}",
    "cpu_reservation_mhz": "CPU reservation {} MHz",
    "cpu_limit_mhz": "CPU limit {} MHz",
    "memory_shares": "memory shares {}",
    "memory_reservation_mb": "memory reservation {} MB",
    "memory_limit_mb": "memory limit {} MB",
    "expandable": "expandable reservation {}",
}


def pool_settings(function: F) -> F:
    """The options of ``pool create`` and ``pool set``: each left out is not changed (and a
    new pool has the default: normal shares, no reservation, no limit, expandable)."""
    options = [
        click.option("--cpu-shares", "cpu_shares", callback=_shares, metavar="low|normal|high|N"),
        click.option("--cpu-reservation", "cpu_reservation_mhz", type=int, metavar="MHZ"),
        click.option("--cpu-limit", "cpu_limit_mhz", type=int, metavar="MHZ", help="-1: no limit"),
        click.option(
            "--memory-shares", "memory_shares", callback=_shares, metavar="low|normal|high|N"
        ),
        click.option("--memory-reservation", "memory_reservation_mb", type=int, metavar="MB"),
        click.option(
            "--memory-limit", "memory_limit_mb", type=int, metavar="MB", help="-1: no limit"
        ),
        click.option(
            "--expandable/--no-expandable",
            "expandable",
            default=None,
            help="whether the reservation may grow into the parent's",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _given(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if v is not None}


def _described(settings: dict[str, Any]) -> str:
    words = []
    for keyword, value in settings.items():
        if isinstance(value, bool):
            words.append(SETTINGS[keyword].format("on" if value else "off"))
        elif value == -1 and "limit" in keyword:
            words.append(SETTINGS[keyword].format("none").removesuffix(" MHz").removesuffix(" MB"))
        else:
            words.append(SETTINGS[keyword].format(value))
    return ", ".join(words)


@click.group(cls=VmwGroup)
def pool() -> None:
    """Resource pools."""


@pool.command(
    "create",
    epilog=examples(
        "vmw pool create /DC1/host/cluster1/Resources/web/prod --cpu-shares high",
        "vmw pool create /DC1/host/cluster1/web --memory-reservation 2048 --memory-limit 8192",
    ),
)
@click.argument("path", shell_complete=complete_pool)
@pool_settings
@click.pass_context
def pool_create(ctx: click.Context, /, path: str, **settings: Any) -> None:
    """Make a resource pool and any missing parents (no error if it exists).

    PATH runs through the cluster's root pool "Resources", which may be left out (as govc
    does). The settings are the new pool's; parents made on the way get the defaults.
    """
    cx: Context = obj(ctx)
    given = _given(settings)
    before = {item.moid for item in cx.vs.find_items("pool", "*")}
    with cx.working(f"create resource pool {path}"):
        made = cx.vs.create_resource_pool(path, **given)
    item = cx.vs.find_items("pool", cx.vs.path_of(made))[0]
    if cx.as_json:
        cx.emit(item)
    else:
        click.echo(item.path)
    new = [
        i.path
        for i in cx.vs.find_items("pool", "*")
        if i.moid not in before and (item.path + "/").startswith(i.path + "/")
    ]
    if item.moid not in before:
        detail = f" ({_described(given)})" if given else ""
        cx.err.print(
            f"made {plural(len(new), 'resource pool')}: {', '.join(sorted(new))}{detail}",
            markup=False,
        )
    else:
        cx.err.print(f"{item.path}: already there, its settings left as they are", markup=False)


@pool.command(
    "set",
    epilog=examples(
        "vmw pool set /DC1/host/cluster1/Resources/web --cpu-limit -1 --memory-shares high"
    ),
)
@click.argument("pool_ref", metavar="POOL", shell_complete=complete_pool)
@pool_settings
@click.pass_context
def pool_set(ctx: click.Context, /, pool_ref: str, **settings: Any) -> None:
    """Change a resource pool's settings; those not given stay as they are."""
    cx: Context = obj(ctx)
    given = _given(settings)
    if not given:
        raise click.UsageError(
            "nothing to change: give at least one of --cpu-shares, --cpu-reservation, "
            "--cpu-limit, --memory-shares, --memory-reservation, --memory-limit, "
            "--expandable/--no-expandable"
        )
    path = cx.vs.path_of(cx.vs.get_resource_pool(pool_ref))
    with cx.working(f"update resource pool {path}"):
        cx.vs.update_resource_pool(pool_ref, **given)
    cx.err.print(f"changed resource pool {path}: {_described(given)}", markup=False)


@pool.command(
    "rm",
    epilog=examples(
        "vmw pool rm /DC1/host/cluster1/Resources/web    # its VMs move to its parent; asks"
    ),
)
@click.argument("pool_ref", metavar="POOL", shell_complete=complete_pool)
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def pool_rm(ctx: click.Context, pool_ref: str, yes: bool) -> None:
    """Destroy a resource pool; vSphere moves its VMs and child pools to its parent."""
    cx: Context = obj(ctx)
    found = cx.vs.get_resource_pool(pool_ref)
    path = cx.vs.path_of(found)
    parent = path.rsplit("/", 1)[0]
    vms = sorted(cx.vs.path_of(vm) for vm in found.vm)
    children = sorted(cx.vs.path_of(p) for p in found.resourcePool)
    plan = [f"destroy resource pool {path}"]
    plan += [f"move VM {vm} to {parent}" for vm in vms]
    plan += [f"move pool {child} to {parent}" for child in children]
    if confirm(cx, plan, f"destroy resource pool {path}", yes):
        with cx.working(f"destroy resource pool {path}"):
            cx.vs.destroy_resource_pool(pool_ref)
        moved = [plural(len(vms), "VM")] if vms else []
        moved += [plural(len(children), "child pool")] if children else []
        cx.err.print(
            f"destroyed resource pool {path}"
            + (f"; moved {' and '.join(moved)} to {parent}" if moved else ""),
            markup=False,
        )


@click.group(cls=VmwGroup)
def drs() -> None:
    """DRS of clusters."""


@drs.group("rule", cls=VmwGroup)
def drs_rule() -> None:
    """VM-VM DRS rules: keep VMs apart (anti-affinity) or together (affinity)."""


def _kind(rule: DrsRuleInfo) -> str:
    return "affinity" if rule.affinity else "anti-affinity"


@drs_rule.command(
    "create",
    epilog=examples(
        "vmw drs rule create cluster1 web-apart web-1 web-2 web-3",
        "vmw drs rule create cluster1 app-with-db app-1 db-1 --affinity",
    ),
)
@click.argument("cluster", shell_complete=complete_cluster)
@click.argument("name")
@click.argument("vms", metavar="VM VM...", nargs=-1, required=True, shell_complete=complete_vm)
@click.option("--affinity", is_flag=True, help="keep the VMs together (default: apart)")
@click.pass_context
def drs_rule_create(
    ctx: click.Context, cluster: str, name: str, vms: tuple[str, ...], affinity: bool
) -> None:
    """Add a rule keeping VMs apart (or together, with --affinity) to a cluster."""
    cx: Context = obj(ctx)
    with cx.working(f"create DRS rule {name}"):
        rule = cx.vs.create_drs_rule(cluster, name, list(vms), affinity=affinity)
    if cx.as_json:
        cx.emit(rule)
    cx.err.print(
        f"made DRS {_kind(rule)} rule {rule.name} in cluster {rule.cluster}: {', '.join(rule.vms)}",
        markup=False,
    )


@drs_rule.command("ls", epilog=examples("vmw drs rule ls cluster1"))
@click.argument("cluster", shell_complete=complete_cluster)
@click.pass_context
def drs_rule_ls(ctx: click.Context, cluster: str) -> None:
    """A cluster's VM-VM DRS rules."""
    cx: Context = obj(ctx)
    cx.table(
        cx.vs.list_drs_rules(cluster),
        (
            ("NAME", "name"),
            ("TYPE", _kind),
            ("ENABLED", "enabled"),
            ("VMS", lambda r: ", ".join(r.vms)),
        ),
    )


@drs_rule.command("rm", epilog=examples("vmw drs rule rm cluster1 web-apart"))
@click.argument("cluster", shell_complete=complete_cluster)
@click.argument("name")
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def drs_rule_rm(ctx: click.Context, cluster: str, name: str, yes: bool) -> None:
    """Remove a cluster's DRS rule (asks first)."""
    cx: Context = obj(ctx)
    rules = cx.vs.list_drs_rules(cluster)
    # Checked before asking, so that nobody confirms what cannot be done.
    if not any(rule.name == name for rule in rules):
        has = ", ".join(repr(rule.name) for rule in rules) or "none"
        raise NotFoundError(f"cluster {cluster} has no DRS rule {name!r}; it has {has}")
    what = f"remove DRS rule {name} from cluster {cluster}"
    if confirm(cx, [what], what, yes):
        with cx.working(what):
            cx.vs.delete_drs_rule(cluster, name)
        cx.err.print(f"removed DRS rule {name} from cluster {cluster}", markup=False)
