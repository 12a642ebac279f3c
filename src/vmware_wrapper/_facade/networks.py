"""Networks: list them; standard and distributed port groups."""

from __future__ import annotations

from .base import Facade


class Networks(Facade):
    pass
