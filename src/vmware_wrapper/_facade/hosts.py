"""Hosts: list and read them, maintenance mode.

vs.list_hosts("DC0_C0_*")
vs.enter_maintenance("esx-01")      # its powered-on VMs move to the other hosts of its cluster
vs.exit_maintenance("esx-01")
"""

from __future__ import annotations

from typing import Literal, overload

from .._base.models import HostInfo
from .._base.types import HostRef
from .._operations import hosts as _hosts
from .._tasks.handles import Handle
from .base import Facade, operation


class Hosts(Facade):
    @operation(_hosts.list_hosts)
    def list_hosts(self, pattern: str = "*") -> list[HostInfo]:
        """HostInfo for every ESXi host whose name (or path) matches; one bulk read.

            busy = [h.name for h in vs.list_hosts() if h.cpu_usage_mhz > h.cpu_mhz * 0.8]

        Over paths (a pattern with a "/"), ``*`` stays within one level and ``**`` spans any:
        ``vs.list_hosts("/DC0/host/DC0_C0/*")`` lists a cluster's hosts.
        """

    @operation(_hosts.host_info)
    def host_info(self, host: HostRef) -> HostInfo:
        """A fresh HostInfo of one host (by name, path or id), read from the server.

            vs.host_info("esx-01").in_maintenance

        Read whenever asked (its state, load and VMs change), in one call.
        """

    @overload
    def enter_maintenance(
        self,
        host: HostRef,
        *,
        evacuate: bool = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> list[tuple[str, str]]: ...
    @overload
    def enter_maintenance(
        self,
        host: HostRef,
        *,
        evacuate: bool = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[list[tuple[str, str]]]: ...
    @operation(_hosts.enter_maintenance)
    def enter_maintenance(
        self,
        host: HostRef,
        *,
        evacuate: bool = True,
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[tuple[str, str]] | Handle[list[tuple[str, str]]]:
        """Put a host in maintenance mode; returns (VM, host) for each VM that moved off it.

            for vm, host in vs.enter_maintenance("esx-01"):
                print(f"{vm} moved to {host}")

        Its powered-on VMs must go first. In a cluster whose DRS is fully automated, vCenter
        moves them during the task (and, with ``evacuate``, the powered-off ones too);
        otherwise, with ``evacuate``, they are moved here to the other hosts of its cluster
        (connected, not in maintenance mode; the one with the most memory free first), one
        relocation each, all at once, and the host enters maintenance mode once they are
        all gone. A standalone host, a cluster with no other host to take them, or
        ``evacuate=False`` with powered-on VMs: InvalidStateError naming them, before
        anything is sent. A host already in maintenance mode: nothing to do.
        """

    @overload
    def exit_maintenance(
        self, host: HostRef, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> None: ...
    @overload
    def exit_maintenance(
        self, host: HostRef, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[None]: ...
    @operation(_hosts.exit_maintenance)
    def exit_maintenance(
        self, host: HostRef, *, wait: bool = True, timeout: float | None = None
    ) -> Handle[None] | None:
        """Take a host out of maintenance mode; nothing to do if it is not in it.

            vs.exit_maintenance("esx-01")

        The VMs moved off it stay where they are (DRS may bring some back).
        """
