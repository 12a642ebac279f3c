"""vmw: the command line. Global options, the command groups, and errors as exit codes.

vmw vm ls 'web-*'
vmw --json vm info web-07
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from .. import __version__, errors
from . import guest, inventory, snapshot, tag, vm
from . import sim as sim_command
from ._core import ENVIRONMENT_HELP, Context, exit_code

EPILOG = (
    """\b
Examples:
  vmw vm ls 'web-*'
  vmw vm clone tmpl-ubuntu web-07 --cluster C1 --cpus 4 --power-on
  vmw vm shutdown web-07 web-08
  vmw --json vm info web-07
  vmw guest run web-07 --guest-user root --guest-password ... -- uname -a
  vmw sim            # a local vCenter simulator to try all this on

Exit status: 0 done; 1 failed (or some targets failed); 2 bad input; 3 not found;
4 ambiguous name; 5 credentials or permissions; 6 cannot connect; 7 wrong state;
8 task failed; 9 timed out; 10 guest operation failed.

Shell completion: eval "$(_VMW_COMPLETE=bash_source vmw)" (or zsh_source, fish_source).

"""
    + ENVIRONMENT_HELP
)


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", help="vCenter or ESXi host [VMWARE_HOST]")
@click.option("--user", help="username [VMWARE_USER]")
@click.option("--password", help="password [VMWARE_PASSWORD]")
@click.option("--port", type=int, help="port [VMWARE_PORT, 443]")
@click.option("--insecure", is_flag=True, default=None, help="skip certificate checks")
@click.option("--thumbprint", help="pin the server certificate [VMWARE_THUMBPRINT]")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--debug", is_flag=True, help="tracebacks for errors")
@click.version_option(__version__, prog_name="vmw")
@click.pass_context
def vmw(
    ctx: click.Context,
    host: str | None,
    user: str | None,
    password: str | None,
    port: int | None,
    insecure: bool | None,
    thumbprint: str | None,
    as_json: bool,
    debug: bool,
) -> None:
    """vSphere by name: inventory, VMs, snapshots, guests, tags, events."""
    options: dict[str, Any] = {
        "host": host,
        "username": user,
        "password": password,
        "port": port,
        "insecure": insecure,
        "thumbprint": thumbprint,
    }
    cx = Context(options, as_json, debug)
    ctx.obj = cx
    ctx.call_on_close(cx.close)


for module in (inventory, vm, snapshot, guest, tag, sim_command):
    module.register(vmw)


def main(argv: list[str] | None = None) -> None:
    """The console script: errors become one line on stderr and an exit status by family."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        vmw.main(args=args, prog_name="vmw", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.Abort:
        click.echo("vmw: aborted", err=True)
        sys.exit(1)
    except errors.VSphereError as e:
        if debug:
            traceback.print_exc()
        click.echo(f"vmw: {e}", err=True)
        sys.exit(exit_code(e))
    except KeyboardInterrupt:
        click.echo("vmw: interrupted", err=True)
        sys.exit(130)
