"""vmw snapshot: list, take, revert, remove."""

from __future__ import annotations

import click

from ..errors import NotFoundError
from ._command import VmwGroup
from ._core import Context, confirm, examples, obj
from .completion import complete_snapshot, complete_vm


def register(group: click.Group) -> None:
    group.add_command(snapshot)


@click.group(cls=VmwGroup)
def snapshot() -> None:
    """VM snapshots."""


@snapshot.command("ls")
@click.argument("vm", shell_complete=complete_vm)
@click.pass_context
def snapshot_ls(ctx: click.Context, vm: str) -> None:
    """A VM's snapshots, as a tree of paths."""
    cx: Context = obj(ctx)
    cx.table(
        cx.vs.list_snapshots(vm),
        (
            ("PATH", "path"),
            ("CURRENT", "is_current"),
            ("CREATED", "created"),
            ("DESCRIPTION", "description"),
        ),
    )


@snapshot.command("create", epilog=examples("vmw snapshot create web-07 before-upgrade --memory"))
@click.argument("vm", shell_complete=complete_vm)
@click.argument("name")
@click.option("--description", default="")
@click.option("--memory", is_flag=True, help="with the VM's memory")
@click.option("--quiesce", is_flag=True, help="quiesce the guest's file systems")
@click.pass_context
def snapshot_create(
    ctx: click.Context, vm: str, name: str, description: str, memory: bool, quiesce: bool
) -> None:
    """Take a snapshot."""
    cx: Context = obj(ctx)
    with cx.working(f"snapshot {vm}"):
        info = cx.vs.create_snapshot(
            vm, name, description=description, memory=memory, quiesce=quiesce
        )
    if cx.as_json:
        cx.emit(info)
    else:
        click.echo(info.path)


@snapshot.command("revert")
@click.argument("vm", shell_complete=complete_vm)
@click.argument("name", required=False, shell_complete=complete_snapshot)
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def snapshot_revert(ctx: click.Context, vm: str, name: str | None, yes: bool) -> None:
    """Revert a VM to a snapshot (by name or path; default: the current one)."""
    cx: Context = obj(ctx)
    target = _existing(cx, vm, name)
    plan = [f"revert {vm} to snapshot {target}: its current state is lost"]
    if confirm(cx, plan, f"revert {vm}", yes):
        with cx.working(f"revert {vm}"):
            cx.vs.revert_to_snapshot(vm, name)
        cx.err.print(f"reverted {vm} to snapshot {target}", markup=False)


def _existing(cx: Context, vm: str, name: str | None) -> str:
    """The path of the snapshot a name (or None: the current one) means; checked before
    asking anything, so that nobody confirms what cannot be done."""
    snapshots = cx.vs.list_snapshots(vm)
    if name is None:
        current = [s.path for s in snapshots if s.is_current]
        if not current:
            raise NotFoundError(f"{vm} has no current snapshot")
        return current[0]
    if not any(name in (s.name, s.path) for s in snapshots):
        raise NotFoundError(f"{vm} has no snapshot {name!r}")
    return name


@snapshot.command("rm")
@click.argument("vm", shell_complete=complete_vm)
@click.argument("name", shell_complete=complete_snapshot)
@click.option("--children", is_flag=True, help="and the snapshots below it")
@click.option("--yes", is_flag=True, help="do not ask")
@click.pass_context
def snapshot_rm(ctx: click.Context, vm: str, name: str, children: bool, yes: bool) -> None:
    """Remove a snapshot."""
    cx: Context = obj(ctx)
    _existing(cx, vm, name)
    what = f"remove snapshot {name} of {vm}" + (" and its children" if children else "")
    if confirm(cx, [what], what, yes):
        with cx.working(f"remove snapshot {name} of {vm}"):
            cx.vs.remove_snapshot(vm, name, children=children)
        cx.err.print(what.replace("remove", "removed", 1), markup=False)
