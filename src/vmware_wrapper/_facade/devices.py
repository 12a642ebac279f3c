"""A VM's devices: list them, CD-ROM ISOs, removing disks and NICs."""

from __future__ import annotations

from .base import Facade


class Devices(Facade):
    pass
