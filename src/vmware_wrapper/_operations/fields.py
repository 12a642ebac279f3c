"""Custom fields (custom attributes) and notes.

set_custom_field(ops, "web-07", "owner", "team-web")   # the field is made if missing
get_custom_fields(ops, "web-07")                        # {"owner": "team-web"}
"""

from __future__ import annotations

from typing import Any

from .._base.vmomi import vim
from .._inventory.tree import KINDS
from .._transport.faults import describing
from ..errors import InvalidInputError
from .checks import check_text
from .context import Ops, vm_operation


def _field_defs(ops: Ops) -> list[Any]:
    return list(ops.content.customFieldsManager.field or [])


def set_custom_field(ops: Ops, *, obj: Any, field: str, value: str) -> None:
    # Both checked before anything is sent: a new field is defined (AddCustomFieldDef)
    # before its value is set (SetField), and a value refused then would leave it defined.
    if not isinstance(field, str) or not field.strip():
        raise InvalidInputError(f"field {field!r}: a non-empty string")
    check_text(field, "field")
    check_text(value, f"field {field!r}: value")
    entry, target = ops.resolve(KINDS["entity"], obj, confirm=True)
    description = f"set {field!r} of {ops.name(entry)} to {value!r}"
    manager = ops.content.customFieldsManager
    with describing(description):
        # A field of this object's type (as the vSphere client makes them) or a global one.
        key = next(
            (
                d.key
                for d in _field_defs(ops)
                if d.name == field and d.managedObjectType in (None, type(target))
            ),
            None,
        )
        defined = key is None
        if key is None:
            key = manager.AddCustomFieldDef(name=field, moType=type(target)).key
            ops.logger.info("custom field %r defined", field)
        try:
            manager.SetField(entity=target, key=key, value=value)
        except Exception:
            if defined:
                # Defined for this value only: a refused call leaves no field behind.
                _remove_field(ops, key, field)
            raise
    ops.logger.info("%s", description)


def _remove_field(ops: Ops, key: int, field: str) -> None:
    try:
        ops.content.customFieldsManager.RemoveCustomFieldDef(key=key)
    except Exception as e:  # the error that matters is SetField's, raised by the caller
        ops.logger.warning("custom field %r was defined, but could not be removed: %s", field, e)
    else:
        ops.logger.info("custom field %r removed again", field)


def get_custom_fields(ops: Ops, *, obj: Any) -> dict[str, str]:
    entry, target = ops.resolve(KINDS["entity"], obj)
    values = ops.read(target, ["customValue"], f"read the custom fields of {ops.name(entry)}")
    with describing("read the custom field definitions"):
        names = {d.key: d.name for d in _field_defs(ops)}
    return {
        names.get(v.key, str(v.key)): str(getattr(v, "value", ""))
        for v in values["customValue"] or []
    }


@vm_operation()
def set_notes(ops: Ops, *, vm: Any, text: str, wait: bool, timeout: float | None) -> Any:
    check_text(text, "notes")
    entry, obj = ops.vm(vm, confirm=True)
    spec = vim.vm.ConfigSpec(annotation=text)
    return ops.run(
        lambda: obj.ReconfigVM_Task(spec), f"set the notes of {ops.name(entry)}", wait, timeout
    )


def get_notes(ops: Ops, *, vm: Any) -> str:
    entry, obj = ops.vm(vm)
    values = ops.read(obj, ["config.annotation"], f"read the notes of {ops.name(entry)}")
    return str(values["config.annotation"] or "")
