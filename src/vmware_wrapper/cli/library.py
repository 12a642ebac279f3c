"""vmw library: content libraries, their OVF items, and VMs deployed from them."""

from __future__ import annotations

import click

from ._command import VmwGroup
from ._core import Context, confirm, examples, key_values, obj, percent_bar, plural
from ._options import ovf_network_option, placement_options
from .completion import (
    complete_datastore,
)


def register(group: click.Group) -> None:
    group.add_command(library)


@click.group(cls=VmwGroup)
def library() -> None:
    """Content libraries: OVF packages kept on vCenter, deployed by name (LIBRARY/ITEM)."""


@library.command(
    "ls", epilog=examples("vmw library ls", "vmw library ls golden", "vmw --json library ls")
)
@click.argument("name", metavar="[LIBRARY]", required=False)
@click.pass_context
def library_ls(ctx: click.Context, name: str | None) -> None:
    """The libraries, or the items of one."""
    cx: Context = obj(ctx)
    if name is None:
        cx.table(
            cx.vs.library.list(),
            [("LIBRARY", "name"), ("TYPE", "type"), ("DATASTORE", "datastore"), ("ID", "id")],
        )
        return
    cx.table(
        cx.vs.library.items(name),
        [("ITEM", "path"), ("TYPE", "type"), ("SIZE", lambda i: _size(i.size)), ("ID", "id")],
    )


@library.command(
    "create",
    epilog=examples("vmw library create golden --datastore ds-01 --description 'approved'"),
)
@click.argument("name")
@click.option(
    "--datastore", required=True, help="where its files go", shell_complete=complete_datastore
)
@click.option("--description", default="")
@click.pass_context
def library_create(ctx: click.Context, name: str, datastore: str, description: str) -> None:
    """Create a local content library on a datastore."""
    cx: Context = obj(ctx)
    info = cx.vs.library.create(name, datastore, description=description)
    if cx.as_json:
        cx.emit(info)
    else:
        cx.err.print(f"created library {info.name} on {info.datastore}", markup=False)


@library.command(
    "import",
    epilog=examples(
        "vmw library import golden ubuntu-24.04 ubuntu.ova",
        "vmw library import golden app https://example.com/app.ova",
    )
    + "\n\nFILE is an .ova, an .ovf with its files beside it, or an http(s) URL of either.",
)
@click.argument("name", metavar="LIBRARY")
@click.argument("item")
@click.argument("file")
@click.pass_context
def library_import(ctx: click.Context, name: str, item: str, file: str) -> None:
    """Import an OVF package into a library as a new item."""
    cx: Context = obj(ctx)
    with percent_bar(cx, f"import {item}") as progress:
        info = cx.vs.library.import_ovf(name, item, file, on_progress=progress)
    if cx.as_json:
        cx.emit(info)
    else:
        cx.err.print(f"imported {file} as {info.path} ({_size(info.size)})", markup=False)


@library.command(
    "deploy",
    epilog=examples(
        "vmw library deploy golden/ubuntu-24.04 web-07 --cluster C1 --net 'VM Network=web'",
        "vmw library deploy golden/app app-01 --host esx-01 --power-on",
    ),
)
@click.argument("item", metavar="LIBRARY/ITEM")
@click.argument("name")
@ovf_network_option
@placement_options("the datacenter's VM folder")
@click.option("--power-on", is_flag=True)
@click.pass_context
def library_deploy(
    ctx: click.Context,
    item: str,
    name: str,
    nets: tuple[str, ...],
    folder: str | None,
    host: str | None,
    cluster: str | None,
    pool: str | None,
    datastore: str | None,
    power_on: bool,
) -> None:
    """Deploy an OVF item of a library as a new VM; prints its path."""
    cx: Context = obj(ctx)
    networks = key_values("--net", nets)
    with cx.working(f"deploy {item} as {name}"):
        vm = cx.vs.library.deploy(
            item,
            name,
            folder=folder,
            host=host,
            cluster=cluster,
            resource_pool=pool,
            datastore=datastore,
            networks=networks,
            power_on=power_on,
        )
    info = cx.vs.vm_info(vm)
    if cx.as_json:
        cx.emit(info)
        return
    state = "powered on" if power_on else "powered off"
    cx.err.print(f"deployed {item} as {info.path}, {state}", markup=False)
    click.echo(info.path)


@library.command(
    "rm",
    epilog=examples("vmw library rm golden/ubuntu-22.04", "vmw library rm scratch --yes"),
)
@click.argument("target", metavar="LIBRARY[/ITEM]")
@click.option("--yes", is_flag=True, help="do not ask first")
@click.pass_context
def library_rm(ctx: click.Context, target: str, yes: bool) -> None:
    """Delete an item, or a whole library with its items (asks first, unless --yes)."""
    cx: Context = obj(ctx)
    if "/" in target.strip("/"):
        what = f"item {target}"
        plan = [f"delete {what}"]
    else:
        what = f"library {target}"
        items = cx.vs.library.items(target)
        plan = [f"delete {what} and its {plural(len(items), 'item')}"]
    confirm(cx, plan, f"delete {what}", yes)
    cx.vs.library.delete(target)
    cx.err.print(f"deleted {what}", markup=False)


def _size(size: int) -> str:
    """Bytes as people read them: "512 B", "4.0 MB"."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"
