"""Hosts: list and read them, maintenance mode."""

from __future__ import annotations

from .base import Facade


class Hosts(Facade):
    pass
