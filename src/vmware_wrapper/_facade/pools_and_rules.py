"""Resource pools: create, update, destroy; DRS rules of clusters."""

from __future__ import annotations

from .base import Facade


class PoolsAndRules(Facade):
    pass
