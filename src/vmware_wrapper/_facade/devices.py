"""A VM's devices: list them, CD-ROM ISOs, removing disks and NICs.

vs.devices("web-07")
vs.insert_iso("web-07", "[LocalDS_0] iso/ubuntu-24.04.iso"); vs.eject_iso("web-07")
vs.remove_disk("web-07", "Hard disk 2", delete_files=True)
vs.remove_nic("web-07", "00:50:56:aa:bb:cc")
"""

from __future__ import annotations

from typing import Literal, overload

from .._base.models import DeviceInfo
from .._base.types import VMRef
from .._operations import devices as _devices
from .._tasks.handles import Handle
from .base import Facade, operation


class Devices(Facade):
    @operation(_devices.devices)
    def devices(self, vm: VMRef) -> list[DeviceInfo]:
        """Every virtual device of a VM (disks, NICs, CD-ROMs, controllers...), by key.

            disks = [d for d in vs.devices("web-07") if d.kind == "disk"]

        ``backing``: a disk's or ISO's file ("[ds] dir/file"), a NIC's network, a CD-ROM's
        host device or "client device"; ``size_gb`` for disks; ``network`` and
        ``mac_address`` for NICs; ``connected`` for devices that connect (NICs, CD-ROMs...).
        """

    @overload
    def insert_iso(
        self,
        vm: VMRef,
        iso_path: str,
        *,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> str: ...
    @overload
    def insert_iso(
        self,
        vm: VMRef,
        iso_path: str,
        *,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[str]: ...
    @operation(_devices.insert_iso)
    def insert_iso(
        self,
        vm: VMRef,
        iso_path: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> str | Handle[str]:
        """Put an ISO file in the VM's CD-ROM; the CD-ROM's label.

            vs.insert_iso("web-07", "[LocalDS_0] iso/ubuntu-24.04.iso")

        The first CD-ROM is pointed at the ISO; a VM without one gets one, on a free IDE
        slot, else a SATA one (a running VM: SATA only). Connected at power-on, and now if
        the VM is on. The path's form, its datastore (one the VM's host sees) and the file
        are checked before anything changes.
        """

    @overload
    def eject_iso(
        self, vm: VMRef, *, wait: Literal[True] = ..., timeout: float | None = ...
    ) -> list[str]: ...
    @overload
    def eject_iso(
        self, vm: VMRef, *, wait: Literal[False], timeout: float | None = ...
    ) -> Handle[list[str]]: ...
    @operation(_devices.eject_iso)
    def eject_iso(
        self, vm: VMRef, *, wait: bool = True, timeout: float | None = None
    ) -> list[str] | Handle[list[str]]:
        """Empty the CD-ROMs that hold an ISO; the labels of those emptied.

            vs.eject_iso("web-07")   # ["CD/DVD drive 1"]

        Each is left on a client device, disconnected. No CD-ROM holding an ISO: nothing is
        done, and the list is empty.
        """

    @overload
    def remove_disk(
        self,
        vm: VMRef,
        disk: str | int,
        *,
        delete_files: bool = ...,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def remove_disk(
        self,
        vm: VMRef,
        disk: str | int,
        *,
        delete_files: bool = ...,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_devices.remove_disk)
    def remove_disk(
        self,
        vm: VMRef,
        disk: str | int,
        *,
        delete_files: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Remove a disk, by label ("Hard disk 2", any case) or unit number.

            vs.remove_disk("web-07", "Hard disk 2", delete_files=True)

        Its file stays on the datastore unless ``delete_files``. A disk the VM does not
        have: InvalidInputError listing its disks, before anything is sent.
        """

    @overload
    def remove_nic(
        self,
        vm: VMRef,
        nic: str | int,
        *,
        wait: Literal[True] = ...,
        timeout: float | None = ...,
    ) -> None: ...
    @overload
    def remove_nic(
        self,
        vm: VMRef,
        nic: str | int,
        *,
        wait: Literal[False],
        timeout: float | None = ...,
    ) -> Handle[None]: ...
    @operation(_devices.remove_nic)
    def remove_nic(
        self,
        vm: VMRef,
        nic: str | int,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Handle[None] | None:
        """Remove a network adapter, by label ("Network adapter 2"), unit number or MAC.

            vs.remove_nic("web-07", "00:50:56:aa:bb:cc")

        A NIC the VM does not have: InvalidInputError listing its NICs, before anything is
        sent.
        """
