"""What makes a vmw command: global options anywhere on the line, errors in its own words.

    @click.group(cls=VmwGroup)
    def vm() -> None: ...          # its commands are VmwCommands

``vmw vm ls --json`` means ``vmw --json vm ls``: every command also takes the global options
(hidden from its own help), unless it has an option of the same spelling itself (``vm clone
--host`` places the clone on a host; the connection's host then goes before ``vm``).
"""

from __future__ import annotations

from typing import Any

import click

from .. import errors
from ._core import Context, exit_code
from ._words import in_cli_words

LATE_PREFIX = "global_"  # the parameter names of global options given after the command


def global_options(*, hidden: bool = False, prefix: str = "") -> list[click.Option]:
    """The connection and output options: the top-level group's own, or (hidden, with
    ``prefix`` on their names) the copies each command takes after its name."""

    def option(*decls: str, name: str, **kwargs: Any) -> click.Option:
        return click.Option([*decls, prefix + name], hidden=hidden, expose_value=True, **kwargs)

    return [
        option(
            "--host",
            name="host",
            multiple=True,
            help="vCenter or ESXi host [VMWARE_HOST]; several vCenters at once: repeat it or "
            "give a comma list (vc1,vc2:8443), then names may say which (vc2:web-07)",
        ),
        option("--user", name="user", help="username [VMWARE_USER]"),
        option(
            "--password",
            name="password",
            help="password [VMWARE_PASSWORD]; on the command line it is visible to every "
            "local user (ps): prefer --password-file, VMWARE_PASSWORD_FILE or the prompt",
        ),
        option(
            "--password-file",
            name="password_file",
            type=click.Path(dir_okay=False),
            help="read the password from this file [VMWARE_PASSWORD_FILE]",
        ),
        option(
            "--port", name="port", type=click.IntRange(1, 65535), help="port [VMWARE_PORT, 443]"
        ),
        option(
            "--insecure",
            name="insecure",
            is_flag=True,
            default=None,
            help="skip certificate checks",
        ),
        option(
            "--thumbprint", name="thumbprint", help="pin the server certificate [VMWARE_THUMBPRINT]"
        ),
        option(
            "--ca-file",
            name="ca_file",
            type=click.Path(exists=True, dir_okay=False),
            help="trust the CAs in this PEM file",
        ),
        option(
            "--retry-timeout",
            name="retry_timeout",
            type=click.FloatRange(0),
            help="seconds to wait for an unreachable server [2 s at first, then 30 s]",
        ),
        option(
            "--json", name="as_json", is_flag=True, default=None, help="machine-readable output"
        ),
        option("--debug", name="debug", is_flag=True, default=None, help="tracebacks for errors"),
    ]


LATE_PREFIX_OPTIONS = global_options(hidden=True, prefix=LATE_PREFIX)


class CommandFailed(Exception):
    """A library error, worded for the command line, with the exit status of its family."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class VmwCommand(click.Command):
    """A leaf command: takes the global options after its name too; library errors leave it
    worded in its options (``--memory-mb``, not ``memory_mb=``)."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        taken = {spelling for p in params for spelling in (*p.opts, *p.secondary_opts)}
        return params + [o for o in LATE_PREFIX_OPTIONS if not taken & set(o.opts)]

    def invoke(self, ctx: click.Context) -> Any:
        late = {
            key[len(LATE_PREFIX) :]: ctx.params.pop(key)
            for key in list(ctx.params)
            if key.startswith(LATE_PREFIX)
        }
        cx = ctx.find_object(Context)
        if cx is not None:
            cx.apply({k: v for k, v in late.items() if v is not None})
        try:
            return super().invoke(ctx)
        except errors.VSphereError as e:
            raise CommandFailed(in_cli_words(str(e), self), exit_code(e)) from e


class VmwGroup(click.Group):
    """A group whose commands and subgroups are vmw commands."""

    command_class = VmwCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except errors.VSphereError as e:  # a group's own callback; rare
            raise CommandFailed(in_cli_words(str(e)), exit_code(e)) from e


VmwGroup.group_class = VmwGroup
