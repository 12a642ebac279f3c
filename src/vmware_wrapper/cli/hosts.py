"""vmw host: list, inspect, maintenance mode."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Adds this module's commands to vmw."""
