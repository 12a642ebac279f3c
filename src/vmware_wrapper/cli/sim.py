"""vmw sim: a local vCenter simulator to try vmw on."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any

import click

from ._command import CommandFailed, VmwCommand
from ._core import examples, read_password_file


def register(group: click.Group) -> None:
    group.add_command(sim)


@click.command(
    cls=VmwCommand,
    epilog=examples(
        "vmw sim                                  # then, in another shell: paste the exports",
        "vmw sim --username admin --password-file pw.txt --vms-per-pool 10",
        "vmw sim --load saved-inventory/          # a 'govc object.save' directory",
    )
    + """

\b
The generated inventory (names as vcsim makes them; N counts from 0):
  /DC0                              datacenter (DC1, ... with --datacenters)
  /DC0/host/DC0_C0                  cluster, with hosts DC0_C0_H0, DC0_C0_H1, DC0_C0_H2
  /DC0/host/DC0_H0/DC0_H0           a standalone host
  /DC0/vm/DC0_H0_VM0, DC0_H0_VM1    VMs on the standalone host
  /DC0/vm/DC0_C0_RP0_VM0, ...       VMs in the cluster's resource pool
  /DC0/datastore/LocalDS_0          datastore
  /DC0/network/DC0_DVPG0            port group (and "VM Network")
""",
)
@click.option(
    "--vms-per-pool",
    default=2,
    type=click.IntRange(0),
    show_default=True,
    help="VMs in each host's and cluster's resource pool",
)
@click.option("--datacenters", default=1, type=click.IntRange(1), show_default=True)
@click.option(
    "--clusters",
    default=1,
    type=click.IntRange(0),
    show_default=True,
    help="clusters per datacenter",
)
@click.option("--hosts-per-cluster", default=3, type=click.IntRange(1), show_default=True)
@click.option(
    "--standalone-hosts",
    default=1,
    type=click.IntRange(0),
    show_default=True,
    help="hosts outside clusters, per datacenter",
)
@click.option(
    "--folders",
    default=0,
    type=click.IntRange(0),
    show_default=True,
    help="folders to put the datacenters in",
)
@click.option(
    "--pools",
    default=0,
    type=click.IntRange(0),
    show_default=True,
    help="empty child resource pools per cluster",
)
@click.option("--datastores", default=1, type=click.IntRange(1), show_default=True)
@click.option(
    "--portgroups",
    default=1,
    type=click.IntRange(0),
    show_default=True,
    help="distributed port groups per datacenter",
)
@click.option(
    "--load",
    type=click.Path(exists=True, file_okay=False),
    help="an inventory saved with 'govc object.save' instead of a generated one",
)
@click.option(
    "--username",
    help="require this username (without --username and --password any pair logs in)",
)
@click.option(
    "--password",
    help="require this password; on the command line it is visible to every local user "
    "(ps): prefer --password-file",
)
@click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False),
    help="require the password on the first line of this file",
)
@click.option(
    "--tls/--no-tls",
    default=True,
    show_default=True,
    help="https with a certificate made at start (pinned in the exports)",
)
@click.option(
    "--tools-delay",
    type=click.FloatRange(0),
    help="seconds VMware Tools take to start after a power-on [default: 0.3; 30 with --realistic]",
)
@click.option(
    "--guest-delay",
    type=click.FloatRange(0),
    help="seconds a guest takes to act on a shutdown or reboot [default: 0.1; 5 with --realistic]",
)
@click.option(
    "--realistic",
    is_flag=True,
    help="a real guest's delays: tools start 30 s after a power-on, a shutdown or reboot "
    "takes 5 s (--tools-delay and --guest-delay still win)",
)
@click.option(
    "--api-version",
    type=click.Choice(["8.0.3.0", "7.0.3.0", "6.7.3", "6.5"]),
    help="the vSphere API version to pass for [8.0.3.0; a loaded inventory keeps its own]",
)
def sim(
    username: str | None,
    password: str | None,
    password_file: str | None,
    load: str | None,
    **shape: Any,
) -> None:
    """Start the bundled vCenter simulator; print how to connect; run until Ctrl-C.

    It prints shell 'export' lines for VMWARE_* (vmw, this library) and GOVC_* (govc);
    paste them into another shell. Without --username and --password, the simulator lets
    any username and password log in (as VMware's vcsim does): the exported pair is only
    a placeholder; give --username and --password to require one pair.

    Guest operations are not open: they require the guest username and password made at
    start, exported as VMWARE_GUEST_USER and VMWARE_GUEST_PASSWORD (which 'vmw guest'
    reads) and shown on standard error.

    TEST USE ONLY: guest operations run programs on this machine as the user who started
    the simulator.
    """
    from ..testing import Simulator, SimulatorError

    if password_file is not None:
        if password is not None:
            raise click.UsageError("give --password or --password-file, not both")
        password = read_password_file(password_file)
    if (username is None) != (password is None):
        raise click.UsageError("--username and --password (or --password-file) go together")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        simulator = Simulator(load=load, username=username, password=password, **shape)
    except ValueError as e:  # the options, refused before starting
        raise click.UsageError(str(e).replace("load=", "--load ")) from e
    try:
        simulator.start()
    except SimulatorError as e:
        lines = [line for line in str(e).splitlines() if line.strip()]
        why = lines[0] if len(lines) < 2 else f"{lines[0]} ... {lines[-1].strip()}"
        raise CommandFailed(f"the simulator did not start: {why}", 1) from e
    with simulator:
        for key, value in simulator.env.items():
            click.echo(f"export {key}='{value}'")
        # The names 'vmw guest' reads its credentials from.
        click.echo(f"export VMWARE_GUEST_USER='{simulator.guest_username}'")
        click.echo(f"export VMWARE_GUEST_PASSWORD='{simulator.guest_password}'")
        click.echo(
            f"# {simulator.url}: {simulator.vm_count} VMs; try 'vmw vm ls'. Ctrl-C stops it.",
            err=True,
        )
        if username is None:
            click.echo(
                "# any username and password log in (--username and --password require one)",
                err=True,
            )
        click.echo(
            f"# guest operations require guest user '{simulator.guest_username}' and guest "
            f"password '{simulator.guest_password}' (VMWARE_GUEST_USER, VMWARE_GUEST_PASSWORD)",
            err=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
