"""Options several commands share, declared once: where a new VM goes, and OVF network maps."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from .completion import (
    complete_cluster,
    complete_datastore,
    complete_folder,
    complete_host,
    complete_pool,
)

F = TypeVar("F", bound=Callable[..., object])


def placement_options(
    folder_default: str, datastore_default: str | None = None
) -> Callable[[F], F]:
    """--folder, --host, --cluster, --pool and --datastore of a command that makes a VM; the
    defaults differ (a clone's are its source's), so each command says its own."""
    options = [
        click.option(
            "--folder",
            help=f"folder path (default: {folder_default})",
            shell_complete=complete_folder,
        ),
        click.option("--host", shell_complete=complete_host),
        click.option("--cluster", shell_complete=complete_cluster),
        click.option("--pool", help="resource pool", shell_complete=complete_pool),
        click.option(
            "--datastore",
            help=f"(default: {datastore_default})" if datastore_default else None,
            shell_complete=complete_datastore,
        ),
    ]

    def apply(command: F) -> F:
        for option in reversed(options):  # click lists options in decorator order
            command = option(command)
        return command

    return apply


ovf_network_option = click.option(
    "--net",
    "nets",
    multiple=True,
    metavar="OVF=VSPHERE",
    help="map an OVF network to a vSphere network (repeatable)",
)
