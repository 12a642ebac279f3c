"""The outcome of a guest customization, which vSphere reports as an event, not a task:
shared by the operations that customize a new VM (a clone of a VM, a library item deployed).

    wait_for_customization_outcome(ops, vm, "'web-07'", deadline)  # or CustomizationError
"""

from __future__ import annotations

from typing import Any

from .._base.vmomi import vim
from ..errors import CustomizationError, VSphereError
from .context import Ops

# The events that end a guest customization (CustomizationFailed and the kinds of it).
CUSTOMIZATION_OUTCOMES = (
    "CustomizationSucceeded",
    "CustomizationFailed",
    "CustomizationLinuxIdentityFailed",
    "CustomizationNetworkSetupFailed",
    "CustomizationSysprepFailed",
    "CustomizationUnknownFailure",
)


def wait_for_customization_outcome(ops: Ops, vm: Any, name: str, deadline: float | None) -> None:
    """Until vSphere posts the outcome of the VM's guest customization: CustomizationSucceeded,
    or CustomizationFailed (or a kind of it), which raises CustomizationError.

    The outcome is an event, not a task: vCenter's clone task ends before the guest even
    starts. An event collector for the VM and these events alone is followed through its
    latestPage (which lists the events already posted too, so an outcome posted before the
    collector existed is not missed)."""
    description = f"wait for the guest customization of {name}"
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self"),
        eventTypeId=list(CUSTOMIZATION_OUTCOMES),
    )
    collector = ops.content.eventManager.CreateCollectorForEvents(spec)
    outcome: list[Any] = []

    def ended(values: dict[str, Any]) -> bool:
        for event in values["latestPage"] or []:
            if isinstance(event, (vim.event.CustomizationSucceeded, vim.event.CustomizationFailed)):
                outcome.append(event)
                return True
        return False

    try:
        ops.tasks.watch(collector, ["latestPage"], ended, deadline, description)
    finally:
        try:
            collector.DestroyCollector()
        except VSphereError as e:  # the session may be gone, and the collector with it
            ops.logger.debug("%s: destroying the event collector: %s", description, e)
    event = outcome[-1]
    if isinstance(event, vim.event.CustomizationFailed):
        reason = getattr(event, "reason", None) or event.fullFormattedMessage or ""
        kind = type(event).__name__.rsplit(".", 1)[-1]
        raise CustomizationError(
            f"customize the guest of {name}: {kind}" + (f": {reason}" if reason else ""),
            reason=reason,
            event=event,
        )
    ops.logger.info("%s: succeeded", description)
