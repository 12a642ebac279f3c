"""vmw import, vmw export: OVF packages in and out."""

from __future__ import annotations

import click

from ._command import VmwCommand
from ._core import Context, examples, key_values, obj, percent_bar
from ._options import ovf_network_option, placement_options
from .completion import (
    complete_vm,
)


def register(group: click.Group) -> None:
    group.add_command(import_command)
    group.add_command(export_command)


@click.command(
    "import",
    cls=VmwCommand,
    epilog=examples(
        "vmw import appliance.ova web-07 --cluster C1 --net 'VM Network=dvpg-web'",
        "vmw import https://example.com/app.ova app-01 --host esx-01 \\",
        "    --prop hostname=app-01 --prop ip=10.0.0.7 --thick --power-on",
    )
    + "\n\nFILE is an .ova, an .ovf with its files beside it, or an http(s) URL of either.",
)
@click.argument("file")
@click.argument("name")
@ovf_network_option
@click.option(
    "--prop", "props", multiple=True, metavar="KEY=VALUE", help="an OVF property (repeatable)"
)
@placement_options("the datacenter's VM folder")
@click.option("--thick", is_flag=True, help="thick disks (default: thin)")
@click.option("--power-on", is_flag=True)
@click.pass_context
def import_command(
    ctx: click.Context,
    file: str,
    name: str,
    nets: tuple[str, ...],
    props: tuple[str, ...],
    folder: str | None,
    host: str | None,
    cluster: str | None,
    pool: str | None,
    datastore: str | None,
    thick: bool,
    power_on: bool,
) -> None:
    """Deploy an OVF package (.ova or .ovf) as a new VM."""
    cx: Context = obj(ctx)
    networks = key_values("--net", nets)
    properties = key_values("--prop", props)
    with percent_bar(cx, f"import {name}") as progress:
        vm = cx.vs.deploy_ovf(
            file,
            name,
            folder=folder,
            host=host,
            cluster=cluster,
            resource_pool=pool,
            datastore=datastore,
            networks=networks,
            properties=properties,
            disk_provisioning="thick" if thick else "thin",
            power_on=power_on,
            on_progress=progress,
        )
    info = cx.vs.vm_info(vm)
    if cx.as_json:
        cx.emit(info)
    else:
        click.echo(info.path)


@click.command(
    "export",
    cls=VmwCommand,
    epilog=examples("vmw export web-07 exports/", "vmw export web-07 exports/ --ova"),
)
@click.argument("vm_name", metavar="VM", shell_complete=complete_vm)
@click.argument("directory", metavar="DIR")
@click.option("--ova", is_flag=True, help="one .ova file (default: an .ovf and its disks)")
@click.pass_context
def export_command(ctx: click.Context, vm_name: str, directory: str, ova: bool) -> None:
    """Export a powered-off VM as an OVF package into DIR; prints the path written."""
    cx: Context = obj(ctx)
    with percent_bar(cx, f"export {vm_name}") as progress:
        path = cx.vs.export_ovf(vm_name, directory, ova=ova, on_progress=progress)
    if cx.as_json:
        cx.emit({"path": path})
    else:
        click.echo(path)
