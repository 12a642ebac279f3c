"""vmw vm: list, inspect, power, create, clone, resize, rename, move and destroy VMs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .. import Fleet, InvalidInputError, LinuxCustomization, NicSettings, VSphere, VSphereError
from ._command import VmwGroup
from ._core import Context, confirm, examples, obj, plural, report
from ._options import placement_options
from .completion import (
    complete_datastore,
    complete_host,
    complete_network,
    complete_pool,
    complete_vm,
    complete_vm_or_folder,
)

VM_COLUMNS: tuple[tuple[str, str | Callable[[Any], Any]], ...] = (
    ("NAME", "name"),
    ("POWER", lambda info: "template" if info.is_template else info.power_state),
    ("CPUS", "cpus"),
    ("MEMORY MB", "memory_mb"),
    ("IP", "ip_address"),
    ("HOST", "host"),
    ("PATH", "path"),
)


SECONDS = click.FloatRange(0, min_open=True)


def register(group: click.Group) -> None:
    group.add_command(vm)


@click.group(cls=VmwGroup)
def vm() -> None:
    """Virtual machines."""


def targets(cx: Context, names: tuple[str, ...]) -> list[str]:
    """The VMs several arguments name: names, paths, ids, globs, folders (on a fleet, each
    qualified with its vCenter)."""
    out: list[str] = []
    for name in names:
        chosen = _select(cx.vs, name)
        if not chosen:  # a glob or an empty folder: acting on nothing is not success
            cx.fail(f"no VM matches {name!r}; nothing done", 3)
        out += chosen
    return out


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _select(vs: VSphere | Fleet, name: str) -> list[str]:
    """What one argument names. On a fleet: a glob is matched in every vCenter; a name, path
    or folder must be in one (qualified, or found in one alone: AmbiguousNameError lists
    each vCenter's)."""
    if not isinstance(vs, Fleet):
        return vs.select_vms(name)
    member, rest = vs.split(name)
    if member is None and _is_glob(name):
        found = vs.each(lambda one: one.select_vms(name))
        for outcome in found.values():
            if isinstance(outcome, VSphereError):
                raise outcome
        return [f"{at}:{label}" for at, labels in found.items() for label in labels]
    if member is None:
        member, rest = vs.locate(name, "entity" if "/" in name else "vm")
    return [f"{member}:{label}" for label in vs[member].select_vms(rest)]


@vm.command(
    "ls",
    epilog=examples(
        "vmw vm ls",
        "vmw vm ls 'web-*'",
        "vmw --json vm ls '/DC1/vm/web/*'",
        "vmw --host vc1,vc2 vm ls 'web-*'      # every vCenter's, under VCENTER",
    ),
)
@click.argument("pattern", default="*", shell_complete=complete_vm)
@click.pass_context
def vm_ls(ctx: click.Context, pattern: str) -> None:
    """List VMs and templates: a glob over names, or over paths with a '/'; a folder's path
    lists the VMs in it and below it. Templates show as "template" under POWER. On several
    vCenters: every vCenter's (or one's: 'vc2:web-*'), with a VCENTER column."""

    def read(vs: VSphere, pattern: str) -> list[Any]:
        if "/" in pattern and not _is_glob(pattern) and vs.find_items("folder", pattern):
            return vs.vm_infos(vs.select_vms(pattern))
        return vs.list_vms(pattern)

    obj(ctx).listing(read, pattern, VM_COLUMNS)


@vm.command("info")
@click.argument("vms", nargs=-1, required=True, shell_complete=complete_vm)
@click.pass_context
def vm_info(ctx: click.Context, vms: tuple[str, ...]) -> None:
    """Everything about some VMs."""
    cx: Context = obj(ctx)
    infos = cx.per_vcenter(targets(cx, vms), lambda vs, refs: vs.vm_infos(refs))
    if cx.as_json:
        cx.emit(infos)
        return
    for i, info in enumerate(infos):
        if i:
            click.echo()
        for key, value in vars(info).items():
            click.echo(f"{key + ':':22}{'' if value is None else value}")


def _bulk(
    cx: Context, operation: str, names: tuple[str, ...], concurrency: int, **kwargs: Any
) -> None:
    chosen = targets(cx, names)
    with cx.progress(operation.replace("_", " "), len(chosen)) as progress:
        results = cx.vs.bulk(
            operation, chosen, concurrency=concurrency, on_progress=progress, **kwargs
        )
    report(cx, results, operation.replace("_", " "))


def power_command(name: str, operation: str, summary: str, **extra: Any) -> click.Command:
    @click.argument("vms", nargs=-1, required=True, shell_complete=complete_vm)
    @click.option("--timeout", type=SECONDS, help="seconds, for each VM")
    @click.option(
        "--concurrency", default=10, type=click.IntRange(1), show_default=True, help="VMs at a time"
    )
    @click.pass_context
    def command(
        ctx: click.Context,
        /,
        vms: tuple[str, ...],
        timeout: float | None,
        concurrency: int,
        **options: Any,
    ) -> None:
        _bulk(obj(ctx), operation, vms, concurrency, timeout=timeout, **options)

    command.__doc__ = summary
    decorated: Any = command
    for option in extra.get("options", []):
        decorated = option(decorated)
    return vm.command(
        name, epilog=examples(f"vmw vm {name} web-07", f"vmw vm {name} 'web-*' --concurrency 20")
    )(decorated)


power_command(
    "on",
    "power_on",
    "Power VMs on.",
    options=[click.option("--wait-for-tools", is_flag=True, help="until VMware Tools run")],
)
power_command("off", "power_off", "Power VMs off (hard).")
power_command(
    "shutdown",
    "shutdown",
    "Shut the guests down; wait until the VMs are off.",
    options=[click.option("--force-after", type=SECONDS, help="then power off hard, seconds")],
)
power_command("reboot", "reboot", "Reboot the guests; wait until their tools are back.")
power_command("reset", "reset", "Reset VMs (hard).")
power_command("suspend", "suspend", "Suspend VMs.")


@vm.command(
    "clone",
    epilog=examples(
        "vmw vm clone tmpl-ubuntu web-07 --folder /DC1/vm/web --cluster C1 --cpus 4 --power-on",
        "vmw vm clone tmpl-ubuntu web-08 --hostname web-08 --domain example.com \\",
        "    --ip 10.0.0.8 --netmask 255.255.255.0 --gateway 10.0.0.1 --dns 10.0.0.2 --power-on",
        "vmw vm clone tmpl-ubuntu web-10 --hostname web-10 --domain example.com \\",
        "    --nic 10.0.0.10/24,gw=10.0.0.1,ipv6=fd00::10/64 --nic dhcp,dhcpv6 --power-on",
        "vmw vm clone tmpl-ubuntu web-09 --linked --snapshot base",
        "vmw vm clone golden/ubuntu-24.04 web-11 --cluster C1 --cpus 2 --power-on",
    )
    + "\n\nSOURCE is a VM or template, or a content library item as LIBRARY/ITEM (deployed,"
    + " then sized and customized before it starts; a name that fits both is refused)."
    + "\n\nWith --hostname, the clone's Linux guest is customized (--ip: static, else DHCP)."
    + "\n--nic gives each NIC's addresses in order, instead of --ip/--netmask/--gateway:"
    + " 'dhcp' or an IPv4 address with its prefix, then any of ',gw=GATEWAY',"
    + " ',ipv6=ADDRESS/PREFIX', ',gw6=GATEWAY', ',dhcpv6', ',dns=SERVER'; NICs after those"
    + " given use DHCP.",
)
@click.argument("source", shell_complete=complete_vm)
@click.argument("name")
@placement_options("the source's")
@click.option("--cpus", type=int)
@click.option("--memory-mb", type=int)
@click.option("--power-on", is_flag=True)
@click.option("--template", is_flag=True, help="make the clone a template")
@click.option("--linked", is_flag=True, help="a linked clone: child disks of the source's snapshot")
@click.option("--snapshot", help="with --linked: this snapshot (default: the current one)")
@click.option("--hostname", help="customize the guest (Linux): its host name")
@click.option("--domain", help="its DNS domain")
@click.option("--ip", help="a static IPv4 address for the first NIC (default: DHCP)")
@click.option("--netmask", help="with --ip")
@click.option("--gateway")
@click.option(
    "--nic",
    "nics",
    multiple=True,
    metavar="SPEC",
    help="one NIC's addresses, in the order of its NICs (repeatable): "
    "'dhcp' or '10.0.0.5/24,gw=10.0.0.1' (see below)",
)
@click.option("--dns", multiple=True, help="a DNS server (repeatable, or comma-separated)")
@click.option(
    "--wait-for-customization/--no-wait-for-customization",
    default=True,
    show_default=True,
    help="with --hostname and --power-on: wait until its customization ends (exit 8: it failed)",
)
@click.pass_context
def vm_clone(
    ctx: click.Context,
    source: str,
    name: str,
    folder: str | None,
    host: str | None,
    cluster: str | None,
    pool: str | None,
    datastore: str | None,
    cpus: int | None,
    memory_mb: int | None,
    power_on: bool,
    template: bool,
    linked: bool,
    snapshot: str | None,
    hostname: str | None,
    domain: str | None,
    ip: str | None,
    netmask: str | None,
    gateway: str | None,
    nics: tuple[str, ...],
    dns: tuple[str, ...],
    wait_for_customization: bool,
) -> None:
    """Clone a VM or template (optionally customizing its guest)."""
    cx: Context = obj(ctx)
    customization = None
    network = {
        "domain": domain,
        "ip": ip,
        "netmask": netmask,
        "gateway": gateway,
        "nic": nics,
        "dns": dns,
    }
    if nics and (ip or netmask or gateway):
        raise click.UsageError(
            "--ip, --netmask and --gateway set the first NIC; with --nic, give it there"
        )
    if hostname is not None:
        customization = LinuxCustomization(
            hostname=hostname,
            domain=domain or "",
            ip=ip,
            netmask=netmask,
            gateway=gateway,
            dns_servers=tuple(d.strip() for entry in dns for d in entry.split(",") if d.strip()),
            nics=tuple(_nic_settings(n, spec) for n, spec in enumerate(nics, 1)),
        )
    elif any(network.values()):
        given = ", ".join("--" + k for k, v in network.items() if v)
        raise click.UsageError(f"{given}: customizing a guest needs --hostname too")
    with cx.working(f"clone {source} as {name}"):
        clone = cx.vs.clone_vm(
            source,
            name,
            folder=folder,
            host=host,
            cluster=cluster,
            resource_pool=pool,
            datastore=datastore,
            cpus=cpus,
            memory_mb=memory_mb,
            power_on=power_on,
            template=template,
            customization=customization,
            linked=linked,
            snapshot=snapshot,
            wait_for_customization=wait_for_customization,
        )
    info = cx.vs.vm_info(clone)
    done = []
    if linked:
        done.append("linked to " + (f"snapshot {snapshot}" if snapshot else "the current snapshot"))
    if customization is not None:
        done.append(f"customized as {customization.hostname}")
    if template:
        done.append("a template")
    else:
        done.append("powered on" if info.power_state == "poweredOn" else "powered off")
    cx.err.print(f"cloned {source} as {info.path}: {', '.join(done)}", markup=False)
    if cx.as_json:
        cx.emit(info)
    else:
        click.echo(info.path)


_NIC_KEYS = {"gw": "gateway", "ipv6": "ipv6", "gw6": "ipv6_gateway", "dns": "dns_servers"}


def _nic_settings(n: int, spec: str) -> NicSettings:
    """--nic's SPEC: 'dhcp' or 'ADDRESS/PREFIX', then ',gw=...', ',ipv6=...', ',gw6=...',
    ',dhcpv6', ',dns=...' (repeatable)."""
    hint = f"--nic #{n}"
    first, *rest = [part.strip() for part in spec.split(",")]
    settings: dict[str, Any] = {"dns_servers": []}
    if first.lower() != "dhcp":
        if "/" not in first:
            raise click.BadParameter(
                f"{spec!r}: 'dhcp' or an address with its prefix, e.g. '10.0.0.5/24'",
                param_hint=hint,
            )
        settings["ip"] = first
    for part in rest:
        key, has_value, value = part.partition("=")
        if key == "dhcpv6" and not has_value:
            settings["dhcpv6"] = True
        elif key in _NIC_KEYS and value:
            if key == "dns":
                settings["dns_servers"].append(value)
            elif _NIC_KEYS[key] in settings:
                raise click.BadParameter(f"{spec!r}: {key}= given twice", param_hint=hint)
            else:
                settings[_NIC_KEYS[key]] = value
        else:
            raise click.BadParameter(
                f"{spec!r}: {part!r} is none of gw=, ipv6=, gw6=, dhcpv6, dns=",
                param_hint=hint,
            )
    settings["dns_servers"] = tuple(settings["dns_servers"])
    try:
        return NicSettings(**settings)
    except InvalidInputError as e:
        raise click.BadParameter(f"{spec!r}: {e}", param_hint=hint) from None


@vm.command(
    "create",
    epilog=examples(
        "vmw vm create web-09 --cluster C1 --cpus 2 --memory-mb 4096 --disk-gb 40 \\",
        "    --net 'VM Network' --guest-id ubuntu64Guest --firmware efi --power-on",
        "vmw vm create pxe-01 --host esx-01 --disk-gb 20 --disk-gb 100 --net prod --net backup \\",
        "    --iso '[datastore1] iso/ubuntu-24.04.iso'",
    ),
)
@click.argument("name")
@placement_options("the datacenter's VM folder", "the one with the most free space")
@click.option("--cpus", type=int, default=1, show_default=True)
@click.option("--memory-mb", type=int, default=1024, show_default=True)
@click.option(
    "--disk-gb",
    type=float,
    multiple=True,
    help="a thin disk of this size (repeatable; default: one of 16 GB)",
)
@click.option(
    "--net",
    multiple=True,
    help="a vmxnet3 NIC on this network (repeatable)",
    shell_complete=complete_network,
)
@click.option("--iso", help="an ISO image on a CD-ROM: '[datastore] path/image.iso'")
@click.option("--guest-id", default="otherGuest64", show_default=True, help="guest OS id")
@click.option("--firmware", type=click.Choice(["bios", "efi"]), default="bios", show_default=True)
@click.option("--power-on", is_flag=True)
@click.pass_context
def vm_create(
    ctx: click.Context,
    name: str,
    folder: str | None,
    host: str | None,
    cluster: str | None,
    pool: str | None,
    datastore: str | None,
    cpus: int,
    memory_mb: int,
    disk_gb: tuple[float, ...],
    net: tuple[str, ...],
    iso: str | None,
    guest_id: str,
    firmware: str,
    power_on: bool,
) -> None:
    """Create a VM from nothing: CPUs, memory, thin disks, NICs, an ISO image."""
    cx: Context = obj(ctx)
    disks = disk_gb or (16,)
    with cx.working(f"create {name}"):
        created = cx.vs.create_vm(
            name,
            folder=folder,
            host=host,
            cluster=cluster,
            resource_pool=pool,
            datastore=datastore,
            guest_id=guest_id,
            cpus=cpus,
            memory_mb=memory_mb,
            firmware=firmware,
            disks_gb=disks,
            networks=net,
            iso=iso,
            power_on=power_on,
        )
    info = cx.vs.vm_info(created)
    if cx.as_json:
        cx.emit(info)
        return
    parts = [
        plural(cpus, "CPU"),
        f"{memory_mb} MB",
        f"{plural(len(disks), 'disk')} ({' + '.join(f'{gb:g}' for gb in disks)} GB)",
        plural(len(net), "NIC"),
    ]
    if iso:
        parts.append(f"ISO {iso}")
    state = "powered on" if power_on else "powered off"
    cx.err.print(f"created {info.path} ({', '.join(parts)}), {state}", markup=False)
    click.echo(info.path)


@vm.command(
    "ip",
    epilog=examples("vmw vm ip web-07", "vmw vm ip web-07 --wait --timeout 300"),
)
@click.argument("vm_name", metavar="VM", shell_complete=complete_vm)
@click.option("--wait", is_flag=True, help="until the guest reports one")
@click.option("--timeout", type=SECONDS, help="seconds, with --wait")
@click.pass_context
def vm_ip(ctx: click.Context, vm_name: str, wait: bool, timeout: float | None) -> None:
    """The IP address a VM's guest reports (VMware Tools must run in it)."""
    cx: Context = obj(ctx)
    if timeout is not None and not wait:
        raise click.UsageError("--timeout: only with --wait")
    address: str | None
    if wait:
        with cx.working(f"wait for an IP address of {vm_name}"):
            address = cx.vs.wait_for_ip(vm_name, timeout=timeout)
    else:
        address = cx.vs.vm_info(vm_name).ip_address
        if not address:
            cx.fail(f"{vm_name} reports no IP address (yet); --wait waits for one", 7)
    if cx.as_json:
        cx.emit({"vm": vm_name, "ip_address": address})
    else:
        click.echo(address)


@vm.command(
    "reconfig", epilog=examples("vmw vm reconfig web-07 --cpus 4 --memory-mb 8192 --disk-gb 80")
)
@click.argument("vm_name", metavar="VM", shell_complete=complete_vm)
@click.option("--cpus", type=int)
@click.option("--memory-mb", type=int)
@click.option("--cores-per-socket", type=int)
@click.option("--disk-gb", type=float, help="grow the first disk to this size")
@click.option(
    "--network",
    help="connect the first NIC to this port group",
    shell_complete=complete_network,
)
@click.pass_context
def vm_reconfig(
    ctx: click.Context,
    vm_name: str,
    cpus: int | None,
    memory_mb: int | None,
    cores_per_socket: int | None,
    disk_gb: float | None,
    network: str | None,
) -> None:
    """Change a VM's CPUs, memory, disk size or network."""
    cx: Context = obj(ctx)
    changes = {
        "--cpus": cpus,
        "--memory-mb": memory_mb,
        "--cores-per-socket": cores_per_socket,
        "--disk-gb": disk_gb,
        "--network": network,
    }
    if all(value is None for value in changes.values()):
        cx.fail("nothing to change: give " + ", ".join(changes) + "; nothing done", 2)
    with cx.working(f"reconfigure {vm_name}"):
        cx.vs.reconfigure_vm(
            vm_name,
            cpus=cpus,
            memory_mb=memory_mb,
            cores_per_socket=cores_per_socket,
            disk_gb=disk_gb,
            network=network,
        )
    if cx.as_json:
        cx.emit(cx.vs.vm_info(vm_name))
    else:
        given = " ".join(f"{k} {v}" for k, v in changes.items() if v is not None)
        cx.err.print(f"reconfigured {vm_name}: {given}", markup=False)


@vm.command("destroy", epilog=examples("vmw vm destroy web-07", "vmw vm destroy 'test-*' --yes"))
@click.argument("vms", nargs=-1, required=True, shell_complete=complete_vm)
@click.option("--yes", is_flag=True, help="do not ask")
@click.option("--dry-run", is_flag=True, help="only show what would be destroyed")
@click.option("--allow-template", is_flag=True, help="templates too")
@click.option("--concurrency", default=10, type=click.IntRange(1), show_default=True)
@click.pass_context
def vm_destroy(
    ctx: click.Context,
    vms: tuple[str, ...],
    yes: bool,
    dry_run: bool,
    allow_template: bool,
    concurrency: int,
) -> None:
    """Destroy VMs (powered off first). Asks first, unless --yes."""
    cx: Context = obj(ctx)
    chosen = targets(cx, vms)
    infos = cx.per_vcenter(chosen, lambda vs, refs: vs.vm_infos(refs))
    templates = [info.path for info in infos if info.is_template]
    if templates and not allow_template:
        cx.fail(
            f"{', '.join(templates)}: {'a template' if len(templates) == 1 else 'templates'}; "
            "pass --allow-template to destroy templates too; nothing done",
            2,
        )
    plan = [
        f"destroy {info.path} ({'template' if info.is_template else info.power_state})"
        for info in infos
    ]
    if not confirm(cx, plan, f"destroy {plural(len(chosen), 'VM')}", yes, dry_run):
        return
    with cx.progress("destroy", len(chosen)) as progress:
        results = cx.vs.bulk(
            "destroy_vm",
            chosen,
            concurrency=concurrency,
            on_progress=progress,
            allow_template=allow_template,
        )
    report(cx, results, "destroy")


@vm.command("rename")
@click.argument("vm_name", metavar="VM", shell_complete=complete_vm)
@click.argument("new_name")
@click.pass_context
def vm_rename(ctx: click.Context, vm_name: str, new_name: str) -> None:
    """Rename a VM."""
    cx: Context = obj(ctx)
    vm = cx.vs.get_vm(vm_name)  # so that the record below is of this VM, whatever its name
    cx.vs.rename(vm_name, new_name)
    if cx.as_json:
        cx.emit(cx.vs.vm_info(vm))
    else:
        cx.err.print(f"renamed {vm_name} to {new_name}", markup=False)


@vm.command("move", epilog=examples("vmw vm move web-07 web-08 /DC1/vm/web/prod"))
@click.argument("args", nargs=-1, required=True, shell_complete=complete_vm_or_folder)
@click.pass_context
def vm_move(ctx: click.Context, args: tuple[str, ...]) -> None:
    """Move VMs into a folder: VM... FOLDER."""
    cx: Context = obj(ctx)
    if len(args) < 2:
        raise click.UsageError("give one or more VMs, then a folder")
    chosen = targets(cx, args[:-1])
    vs = cx.vs
    folder_at, folder = vs.split(args[-1]) if isinstance(vs, Fleet) else (None, args[-1])

    def move(member: VSphere, refs: list[str]) -> list[str]:
        if folder_at not in (None, member.vcenter):
            raise InvalidInputError(f"{args[-1]} is on {folder_at}: a VM moves within its vCenter")
        member.move(refs, folder)
        return refs

    cx.per_vcenter(chosen, move)
    if cx.as_json:
        cx.emit(cx.per_vcenter(chosen, lambda vs, refs: vs.vm_infos(refs)))
    else:
        cx.err.print(f"moved {plural(len(chosen), 'VM')} into {args[-1]}", markup=False)


@vm.command(
    "migrate",
    epilog=examples(
        "vmw vm migrate web-07 --host esx-02",
        "vmw vm migrate web-07 --datastore fast-ds --pool /DC0/host/C1/Resources/web",
    ),
)
@click.argument("vm_name", metavar="VM", shell_complete=complete_vm)
@click.option("--host", help="host to run it on", shell_complete=complete_host)
@click.option("--datastore", help="datastore for its files", shell_complete=complete_datastore)
@click.option("--pool", help="resource pool for it", shell_complete=complete_pool)
@click.pass_context
def vm_migrate(
    ctx: click.Context, vm_name: str, host: str | None, datastore: str | None, pool: str | None
) -> None:
    """Move a VM to another host, datastore or resource pool (powered on or off), within
    its datacenter. Checked first: the host is usable, the datastore has room."""
    cx: Context = obj(ctx)
    if host is None and datastore is None and pool is None:
        raise click.UsageError("migrate to what: give --host, --datastore or --pool")
    vm = cx.vs.get_vm(vm_name)
    targets = [
        f"{what} {value}"
        for what, value in (("host", host), ("datastore", datastore), ("pool", pool))
        if value is not None
    ]
    with cx.working(f"migrate {vm_name}"):
        cx.vs.relocate_vm(vm_name, host=host, datastore=datastore, resource_pool=pool)
    _said(cx, vm, f"moved {vm_name} to {', '.join(targets)}")


@vm.command(
    "mark-template",
    epilog=examples("vmw vm mark-template tmpl-ubuntu", "vmw vm mark-vm tmpl-ubuntu"),
)
@click.argument("vm_name", metavar="VM", shell_complete=complete_vm)
@click.pass_context
def vm_mark_template(ctx: click.Context, vm_name: str) -> None:
    """Turn a powered-off VM into a template."""
    cx: Context = obj(ctx)
    vm = cx.vs.get_vm(vm_name)
    cx.vs.mark_as_template(vm_name)
    _said(cx, vm, f"{vm_name} is now a template")


@vm.command(
    "mark-vm",
    epilog=examples("vmw vm mark-vm tmpl-ubuntu --pool /DC0/host/DC0_C0/Resources"),
)
@click.argument("vm_name", metavar="VM", shell_complete=complete_vm)
@click.option(
    "--pool",
    help="resource pool for it (default: its host's root pool)",
    shell_complete=complete_pool,
)
@click.option("--host", help="host to register it on", shell_complete=complete_host)
@click.pass_context
def vm_mark_vm(ctx: click.Context, vm_name: str, pool: str | None, host: str | None) -> None:
    """Turn a template back into a VM (powered off)."""
    cx: Context = obj(ctx)
    vm = cx.vs.get_vm(vm_name)
    cx.vs.mark_as_vm(vm_name, resource_pool=pool, host=host)
    _said(cx, vm, f"{vm_name} is now a VM")


def _said(cx: Context, vm: Any, message: str) -> None:
    if cx.as_json:
        cx.emit(cx.vs.vm_info(vm))
    else:
        cx.err.print(message, markup=False)
