"""vmw pool, drs: resource pools and DRS rules."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Adds this module's commands to vmw."""
