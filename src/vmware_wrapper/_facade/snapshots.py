"""Snapshots: take, list, revert, remove.

vs.create_snapshot("web-07", "before-upgrade")
vs.revert_to_snapshot("web-07", "before-upgrade")
"""

from __future__ import annotations

from typing import Literal, overload

from .._base.models import SnapshotInfo
from .._base.types import VMRef
from .._operations import snapshots as _snapshots
from .._tasks.handles import Handle
from .base import Facade, operation


class Snapshots(Facade):
    @overload
    def create_snapshot(
        self,
        vm: VMRef,
        name: str,
        *,
        description: str = ...,
        memory: bool = ...,
        quiesce: bool = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> SnapshotInfo: ...
    @overload
    def create_snapshot(
        self,
        vm: VMRef,
        name: str,
        *,
        description: str = ...,
        memory: bool = ...,
        quiesce: bool = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[SnapshotInfo]: ...
    @operation(_snapshots.create_snapshot)
    def create_snapshot(
        self,
        vm: VMRef,
        name: str,
        *,
        description: str = "",
        memory: bool = False,
        quiesce: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> SnapshotInfo | Handle[SnapshotInfo]:
        """Take a snapshot; its SnapshotInfo.

            info = vs.create_snapshot("web-07", "before-upgrade", memory=True)

        ``memory``: with the VM's memory (a powered-on VM resumes as it was);
        ``quiesce``: let VMware Tools quiesce the guest's file systems first.
        """

    @operation(_snapshots.list_snapshots)
    def list_snapshots(self, vm: VMRef) -> list[SnapshotInfo]:
        """The snapshot tree, parents before children, with "parent/child" paths.

            current = [s.path for s in vs.list_snapshots("web-07") if s.is_current]

        An empty list for a VM without snapshots.
        """

    @overload
    def revert_to_snapshot(
        self,
        vm: VMRef,
        snapshot: str | None = ...,
        *,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def revert_to_snapshot(
        self,
        vm: VMRef,
        snapshot: str | None = ...,
        *,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_snapshots.revert_to_snapshot)
    def revert_to_snapshot(
        self,
        vm: VMRef,
        snapshot: str | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Revert to a snapshot (by name, or by path when names repeat), or to the current one.

            vs.revert_to_snapshot("web-07", "before-upgrade")

        A powered-on VM reverted to a snapshot without memory ends up off.
        """

    @overload
    def remove_snapshot(
        self,
        vm: VMRef,
        snapshot: str,
        *,
        children: bool = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def remove_snapshot(
        self,
        vm: VMRef,
        snapshot: str,
        *,
        children: bool = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_snapshots.remove_snapshot)
    def remove_snapshot(
        self,
        vm: VMRef,
        snapshot: str,
        *,
        children: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Remove a snapshot (its changes merge into its child); ``children``: its subtree too.

            vs.remove_snapshot("web-07", "before-upgrade")

        The VM keeps its current state.
        """

    @overload
    def remove_all_snapshots(
        self, vm: VMRef, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> None: ...
    @overload
    def remove_all_snapshots(
        self, vm: VMRef, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[None]: ...
    @operation(_snapshots.remove_all_snapshots)
    def remove_all_snapshots(
        self, vm: VMRef, *, wait: bool = True, timeout: float | None = None
    ) -> Handle[None] | None:
        """Remove every snapshot of a VM; nothing if it has none.

            vs.remove_all_snapshots("web-07")

        The VM keeps its current state; the disks are consolidated.
        """
