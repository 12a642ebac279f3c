"""vmw guest: run programs in guests, copy files in and out."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ._command import VmwGroup
from ._core import Context, examples, obj
from .completion import complete_vm

F = TypeVar("F", bound=Callable[..., Any])


def with_credentials(f: F) -> F:
    """The guest's account, from options or the environment (never from shell history)."""
    f = click.option(
        "--guest-password",
        envvar="VMWARE_GUEST_PASSWORD",
        required=True,
        help="[VMWARE_GUEST_PASSWORD]",
    )(f)
    return click.option(
        "--guest-user", envvar="VMWARE_GUEST_USER", required=True, help="[VMWARE_GUEST_USER]"
    )(f)


def register(group: click.Group) -> None:
    group.add_command(guest)


@click.group(cls=VmwGroup)
def guest() -> None:
    """Inside guests, through VMware Tools."""


@guest.command(
    "run",
    context_settings={"ignore_unknown_options": True},
    epilog=examples(
        "vmw guest run web-07 --guest-user root --guest-password ... -- uname -a",
        "vmw guest run web-07 --shell -- 'systemctl is-active nginx || journalctl -n 20'",
    ),
)
@click.argument("vm", shell_complete=complete_vm)
@with_credentials
@click.option("--shell", is_flag=True, help="one command line for the guest's shell")
@click.option("--cwd", help="working directory in the guest")
@click.option("--timeout", type=float, help="kill the program after this many seconds")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def guest_run(
    ctx: click.Context,
    vm: str,
    guest_user: str,
    guest_password: str,
    shell: bool,
    cwd: str | None,
    timeout: float | None,
    command: tuple[str, ...],
) -> None:
    """Run a program in a guest; its output, and its exit status as vmw's."""
    cx: Context = obj(ctx)
    g = cx.vs.guest(vm, guest_user, guest_password)
    if shell:
        # The user asked for the guest's shell, on a guest they named.
        result = g.run(" ".join(command), shell=True, cwd=cwd, timeout=timeout)  # noqa: S604
    else:
        result = g.run(command[0], shlex.join(command[1:]), cwd=cwd, timeout=timeout)
    if cx.as_json:
        cx.emit(result)
    else:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
    raise SystemExit(result.exit_code)


def _pairs(args: tuple[str, ...], what: str) -> list[tuple[str, str]]:
    if len(args) < 2 or len(args) % 2:
        raise click.UsageError(f"give pairs: {what}")
    return [(args[i], args[i + 1]) for i in range(0, len(args), 2)]


@guest.command("upload", epilog=examples("vmw guest upload web-07 site.conf /etc/nginx/site.conf"))
@click.argument("vm", shell_complete=complete_vm)
@with_credentials
@click.argument("paths", nargs=-1, required=True)
@click.pass_context
def guest_upload(
    ctx: click.Context, vm: str, guest_user: str, guest_password: str, paths: tuple[str, ...]
) -> None:
    """Copy local files into a guest: LOCAL GUEST_PATH [LOCAL GUEST_PATH...]."""
    cx: Context = obj(ctx)
    g = cx.vs.guest(vm, guest_user, guest_password)
    for local, remote in _pairs(paths, "LOCAL GUEST_PATH"):
        g.upload(local, remote)


@guest.command("download", epilog=examples("vmw guest download web-07 /var/log/syslog syslog.txt"))
@click.argument("vm", shell_complete=complete_vm)
@with_credentials
@click.argument("paths", nargs=-1, required=True)
@click.pass_context
def guest_download(
    ctx: click.Context, vm: str, guest_user: str, guest_password: str, paths: tuple[str, ...]
) -> None:
    """Copy files out of a guest: GUEST_PATH LOCAL [GUEST_PATH LOCAL...] ('-': stdout)."""
    cx: Context = obj(ctx)
    g = cx.vs.guest(vm, guest_user, guest_password)
    for remote, local in _pairs(paths, "GUEST_PATH LOCAL"):
        if local == "-":
            sys.stdout.buffer.write(g.download(remote))
        else:
            g.download(remote, to=local)
