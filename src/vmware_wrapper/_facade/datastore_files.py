"""Files on datastores: list, upload, download, delete, make folders."""

from __future__ import annotations

from .base import Facade


class DatastoreFiles(Facade):
    pass
