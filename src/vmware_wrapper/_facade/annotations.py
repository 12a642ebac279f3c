"""What people write on objects: custom fields (custom attributes) and a VM's notes.

vs.set_custom_field("web-07", "owner", "team-web")
vs.set_notes("web-07", "patched 2026-12-01")
"""

from __future__ import annotations

from typing import Literal, overload

from .._base.types import EntityRef, VMRef
from .._operations import fields as _fields
from .._tasks.handles import Handle
from .base import Facade, operation


class Annotations(Facade):
    @operation(_fields.set_custom_field)
    def set_custom_field(self, obj: EntityRef, field: str, value: str) -> None:
        """Set a custom field, defining it first if it does not exist.

            vs.set_custom_field("web-07", "owner", "team-web")

        ``obj`` is any inventory object (VM, host, datastore, ...).
        """

    @operation(_fields.get_custom_fields)
    def get_custom_fields(self, obj: EntityRef) -> dict[str, str]:
        """Custom fields by name.

            owner = vs.get_custom_fields("web-07").get("owner")

        Fields that are defined but not set on the object are left out.
        """

    @overload
    def set_notes(
        self, vm: VMRef, text: str, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> None: ...
    @overload
    def set_notes(
        self, vm: VMRef, text: str, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[None]: ...
    @operation(_fields.set_notes)
    def set_notes(
        self, vm: VMRef, text: str, *, wait: bool = True, timeout: float | None = None
    ) -> Handle[None] | None:
        """Set a VM's notes (its annotation), replacing what was there.

            vs.set_notes("web-07", "patched 2026-12-01")

        ``text`` may be empty, which clears the notes.
        """

    @operation(_fields.get_notes)
    def get_notes(self, vm: VMRef) -> str:
        """A VM's notes ("" when there are none).

            text = vs.get_notes("web-07")

        Read from the server, not from the inventory index.
        """
