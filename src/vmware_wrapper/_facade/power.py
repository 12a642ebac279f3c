"""Power: on, off, reset, suspend, and the guest's own shutdown and reboot.

vs.power_on("web-07", wait_for_tools=True)
vs.shutdown("web-07", force_after=120)
"""

from __future__ import annotations

from typing import Literal, overload

from .._base.types import VMRef
from .._operations import power as _power
from .._tasks.handles import Handle
from .base import Facade, operation


class Power(Facade):
    @operation(_power.power_state)
    def power_state(self, vm: VMRef) -> str:
        """ "poweredOn", "poweredOff" or "suspended", read from the server.

            state = vs.power_state("web-07")

        One read, however large the inventory.
        """

    @overload
    def power_on(
        self,
        vm: VMRef,
        *,
        wait_for_tools: bool = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def power_on(
        self,
        vm: VMRef,
        *,
        wait_for_tools: bool = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_power.power_on)
    def power_on(
        self,
        vm: VMRef,
        *,
        wait_for_tools: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Power on; nothing if it is on. ``wait_for_tools``: until VMware Tools run, too.

            vs.power_on("web-07", wait_for_tools=True, timeout=300)

        A template cannot be powered on (InvalidStateError).
        """

    @overload
    def power_off(
        self, vm: VMRef, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> None: ...
    @overload
    def power_off(
        self, vm: VMRef, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[None]: ...
    @operation(_power.power_off)
    def power_off(
        self, vm: VMRef, *, wait: bool = True, timeout: float | None = None
    ) -> Handle[None] | None:
        """Hard power off; nothing if it is off.

            vs.power_off("web-07")

        No guest shutdown: for that, ``shutdown``.
        """

    @overload
    def shutdown(
        self,
        vm: VMRef,
        *,
        force_after: float | None = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def shutdown(
        self,
        vm: VMRef,
        *,
        force_after: float | None = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_power.shutdown)
    def shutdown(
        self,
        vm: VMRef,
        *,
        force_after: float | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Shut the guest down; waits until the VM is off.

            vs.shutdown("web-07", force_after=120)

        ``force_after`` seconds without that: power off hard.
        """

    @overload
    def reboot(
        self, vm: VMRef, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> None: ...
    @overload
    def reboot(
        self, vm: VMRef, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[None]: ...
    @operation(_power.reboot)
    def reboot(
        self, vm: VMRef, *, wait: bool = True, timeout: float | None = None
    ) -> Handle[None] | None:
        """Reboot the guest; waits until VMware Tools are back.

            vs.reboot("web-07", timeout=600)

        Needs VMware Tools in the guest; for a hard reset, ``reset``.
        """

    @overload
    def reset(
        self, vm: VMRef, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> None: ...
    @overload
    def reset(
        self, vm: VMRef, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[None]: ...
    @operation(_power.reset)
    def reset(
        self, vm: VMRef, *, wait: bool = True, timeout: float | None = None
    ) -> Handle[None] | None:
        """Hard reset of a powered-on VM.

            vs.reset("web-07")

        Refused for a VM that is not powered on (InvalidStateError).
        """

    @overload
    def suspend(
        self, vm: VMRef, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> None: ...
    @overload
    def suspend(
        self, vm: VMRef, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[None]: ...
    @operation(_power.suspend)
    def suspend(
        self, vm: VMRef, *, wait: bool = True, timeout: float | None = None
    ) -> Handle[None] | None:
        """Suspend a powered-on VM; nothing if it is suspended.

            vs.suspend("web-07")

        Refused for a VM that is off (InvalidStateError).
        """

    @operation(_power.wait_for_tools)
    def wait_for_tools(self, vm: VMRef, *, timeout: float | None = None) -> None:
        """Until VMware Tools run in the (powered-on) VM.

            vs.wait_for_tools("web-07", timeout=300)

        InvalidStateError if the VM is (or goes) off meanwhile.
        """
