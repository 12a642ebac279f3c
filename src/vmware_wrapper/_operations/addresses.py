"""The guest's IP addresses, as VMware Tools report them.

address = wait_for_ip(ops, vm="web-07", timeout=300)
"""

from __future__ import annotations

from typing import Any

from .._base.vmomi import vim
from ..errors import InvalidStateError
from .checks import ON, TOOLS_RUNNING, deadline_of
from .context import Ops


def wait_for_ip(ops: Ops, *, vm: Any, timeout: float | None) -> str:
    entry, obj = ops.vm(vm)
    description = f"wait for an IP address of {ops.name(entry)}"
    found: list[str] = []

    def reported(values: dict[str, Any]) -> bool:
        state = values["runtime.powerState"]
        if state not in (None, ON):
            raise InvalidStateError(f"{description}: the VM is {state}")
        devices = values["config.hardware.device"] or []
        if not any(isinstance(d, vim.vm.device.VirtualEthernetCard) for d in devices):
            # Without a network adapter no address will ever come: waiting would never end.
            raise InvalidStateError(f"{description}: the VM has no network adapter")
        # What tools reported before they stopped may linger: only running tools say what
        # the guest has now.
        if values["guest.toolsRunningStatus"] != TOOLS_RUNNING:
            return False
        address = _first_address(values["guest.ipAddress"], values["guest.net"])
        if address is not None:
            found.append(address)
        return address is not None

    ops.tasks.watch(
        obj,
        [
            "guest.ipAddress",
            "guest.net",
            "guest.toolsRunningStatus",
            "runtime.powerState",
            "config.hardware.device",
        ],
        reported,
        deadline_of(timeout),
        description,
    )
    return found[-1]


def _first_address(primary: str | None, nics: Any) -> str | None:
    """The guest's primary address, else the first one of its NICs that is not link-local
    (an IPv6 fe80:: address is no way to reach the guest from elsewhere)."""
    if primary:
        return primary
    for nic in nics or []:
        for address in nic.ipAddress or []:
            if not address.lower().startswith("fe80:"):
                return str(address)
    return None
