"""vmw sim: a local vCenter simulator to try vmw on."""

from __future__ import annotations

import contextlib
import signal
import threading

import click

from ._core import examples


def register(group: click.Group) -> None:
    group.add_command(sim)


@click.command(
    epilog=examples("vmw sim --vms-per-pool 10   # then, in another shell: paste the exports")
)
@click.option("--vms-per-pool", default=2, show_default=True)
@click.option(
    "--load",
    "load",
    type=click.Path(exists=True, file_okay=False),
    help="an inventory saved with 'govc object.save'",
)
def sim(vms_per_pool: int, load: str | None) -> None:
    """Start the bundled vCenter simulator (TLS); print how to connect; run until Ctrl-C.

    TEST USE ONLY: guest operations run programs on this machine.
    """
    from ..testing import Simulator

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Simulator(vms_per_pool=vms_per_pool, load=load, tls=True) as simulator:
        for key, value in simulator.env.items():
            click.echo(f"export {key}='{value}'")
        click.echo(f"# {simulator.url}; {simulator.vm_count} VMs; Ctrl-C stops it", err=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
