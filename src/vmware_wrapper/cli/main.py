"""vmw: the command line. Global options, the command groups, and errors as exit codes.

vmw vm ls 'web-*'
vmw --json vm info web-07
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import click

from .. import __version__, errors
from . import (
    datastore,
    devices,
    guest,
    hosts,
    inventory,
    library,
    networks,
    ovf,
    pools,
    snapshot,
    tag,
    vm,
)
from . import sim as sim_command
from ._command import CommandFailed, VmwGroup, global_options
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


@click.group(cls=VmwGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vmw")
@click.pass_context
def vmw(ctx: click.Context, /, **given: Any) -> None:
    """vSphere by name: inventory, VMs, snapshots, guests, tags, events.

    Global options go before or after the command (vmw vm ls --json).
    """
    cx = Context(given)
    ctx.obj = cx
    ctx.call_on_close(cx.close)


vmw.params[:0] = global_options()
for module in (
    inventory,
    vm,
    ovf,
    library,
    snapshot,
    devices,
    hosts,
    datastore,
    pools,
    networks,
    guest,
    tag,
    sim_command,
):
    module.register(vmw)


def main(argv: list[str] | None = None) -> None:
    """The console script: errors become one line on stderr and an exit status by family."""
    args = sys.argv[1:] if argv is None else argv
    # --debug anywhere before "--" (after it come a guest program's own arguments).
    debug = "--debug" in (args[: args.index("--")] if "--" in args else args)
    _log_to_stderr(debug)
    try:
        vmw.main(args=args, prog_name="vmw", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except CommandFailed as e:
        if debug:
            traceback.print_exception(e.__cause__ or e)
        click.echo(f"vmw: {e.message}", err=True)
        sys.exit(e.code)
    except click.exceptions.NoArgsIsHelpError as e:  # "vmw vm": the group's help
        click.echo(e.format_message(), err=True)
        sys.exit(e.exit_code)
    except click.UsageError as e:
        # One line, as every other error: what was wrong, and where the help is.
        where = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
        click.echo(f"vmw: {e.format_message()}{where}", err=True)
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


def _log_to_stderr(debug: bool) -> None:
    """The library's warnings (insecure=True, a server lost and retried) as vmw's own lines;
    with --debug, everything it logs."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("vmw: %(levelname)s: %(message)s"))
    logger = logging.getLogger("vmware_wrapper")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
