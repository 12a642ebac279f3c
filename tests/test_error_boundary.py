"""The error boundary: a public call raises only this library's errors, whatever SOAP method
the server faults in.

The contract (vmware_wrapper.errors): every public call can raise VSphereError and its
subclasses, and nothing else; a caller never needs pyVmomi to handle a failure. This file
proves it by brute force rather than by reading the code: a battery of public calls, each
run once cleanly to learn which SOAP methods it really uses (the simulator counts them),
then once per such method with a fault injected there. A call may survive the fault or
raise a VSphereError; anything else (a raw pyVmomi fault, a KeyError...) is an escape. All
escapes are collected and reported together, so one run shows the whole boundary.

Bulk runs promise more: they never raise, give one result per target, and their results
agree with the server even when the machinery that follows their tasks faults or the session
is killed half-way. The server is read back with plain pyVmomi, never through the library.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import itertools
import math
import os
import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim, vmodl

import vmware_wrapper
from tests.helpers import (
    find_vm,
    plain_pyvmomi,
    properties_of_all,
    property_of_all,
    rest,
    wait_task,
    wait_until,
)
from vmware_wrapper import BulkResult, VSphere, VSphereError
from vmware_wrapper.testing import Simulator

# vSphere's catch-all server fault: the library gives it no special handling (no re-login;
# only guest requests retry it, as a guest that is not ready yet), so whatever happens to it
# is the boundary's doing alone.
FAULT = "SystemError"

# Every call here takes milliseconds on the simulator: a few seconds is ample, and keeps the
# file quick when a call does not keep to its timeout. A call still running well after its
# timeout is stuck, which the contract does not allow either (OperationTimeout is the way out).
TIMEOUT = 2.0
SLACK = 2.0
STUCK_AFTER = TIMEOUT + SLACK

SOURCE = "DC0_H0_VM0"  # cloned, read and looked up; never changed
SCRATCH = "DC0_C0_RP0_VM5"  # idempotent writes: notes, custom fields
BULK_VMS = [f"DC0_H0_VM{i}" for i in range(1, 6)] + [f"DC0_C0_RP0_VM{i}" for i in range(5)]
BULK_CONCURRENCY = 4
# A bulk timeout is per target, and targets start in waves of BULK_CONCURRENCY: a whole run
# may take one timeout per wave.
BULK_TIMEOUT = 1.0
BULK_STUCK_AFTER = math.ceil(len(BULK_VMS) / BULK_CONCURRENCY) * BULK_TIMEOUT + SLACK
PREFIX = "eb-"  # every VM, folder and tag category this file makes


# -- the server's side, through plain pyVmomi ------------------------------------------------


class Lab:
    """Puts the simulator in the state a call needs, with plain pyVmomi only: setting up
    through the library would hide the library's faults in the setup, and a faulted call may
    have left anything half done, so each state is made afresh from what the server says."""

    def __init__(self, sim: Simulator, si: Any) -> None:
        self.sim = sim
        self.si = si
        self.source = find_vm(si, SOURCE)
        self.vm_folder = self.source.parent
        self.uuid: str = self.source.config.uuid
        self.moves = self.vm_folder.CreateFolder(f"{PREFIX}moves")
        self._seq = itertools.count()

    def unique(self, what: str = "") -> str:
        return f"{PREFIX}{what}{next(self._seq)}"

    def vms(self) -> dict[str, tuple[Any, str]]:
        """name -> (VM, power state), of every VM, in one retrieval."""
        found = properties_of_all(self.si, vim.VirtualMachine, ["runtime.powerState"])
        return {name: (vm, props["runtime.powerState"]) for name, (vm, props) in found.items()}

    def sweep(self) -> None:
        """Destroy every VM this file made (clones, renamed, moved, templates)."""
        for name, (vm, state) in self.vms().items():
            if not name.startswith(PREFIX):
                continue
            try:
                if state != "poweredOff":
                    # A guest shutdown asked for before may get there first.
                    with contextlib.suppress(vim.fault.InvalidPowerState):
                        wait_task(vm.PowerOff())
                wait_task(vm.Destroy())
            except vmodl.fault.ManagedObjectNotFound:
                pass  # a half-done destroy finished after all

    def subject(self, power: str = "off", *, template: bool = False, snapshot: bool = False) -> str:
        """A new VM for one call to change: a clone of SOURCE; "off", "on" or "tools" (on,
        with VMware Tools running)."""
        self.sweep()
        name = self.unique()
        spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), template=template)
        vm = wait_task(self.source.Clone(self.vm_folder, name, spec))
        if power in ("on", "tools"):
            wait_task(vm.PowerOn())
        if power == "tools":
            wait_until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", what="tools")
        if snapshot:
            wait_task(vm.CreateSnapshot(f"{PREFIX}snap", "", False, False))
        return name

    def set_power(self, names: list[str], state: str) -> None:
        vms = self.vms()
        for name in names:
            vm, now = vms[name]
            if now != state:
                wait_task(vm.PowerOn() if state == "poweredOn" else vm.PowerOff())

    def power_states(self) -> dict[str, str]:
        return property_of_all(self.si, vim.VirtualMachine, "runtime.powerState")

    def started_task(self) -> Any:
        """A task another client started, still running (for wait_for_tasks)."""
        vm = find_vm(self.si, self.subject("off"))
        self.sim.set_task_delay("PowerOnVM_Task", 0.2)
        try:
            return vm.PowerOn()
        finally:
            self.sim.clear_task_delays()


# -- the battery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One public call: ``prepare`` makes its state with plain pyVmomi and returns what
    ``run`` acts on; ``run`` makes the call through the library, and must succeed unfaulted."""

    name: str
    run: Callable[[VSphere, Simulator, Any], object]
    prepare: Callable[[Lab], Any] = lambda lab: SOURCE
    watched: bool = True  # run on the connection that watches the inventory
    patience: float = STUCK_AFTER  # seconds after which the call is stuck


def _case(
    name: str,
    prepare: Callable[[Lab], Any] | None = None,
    *,
    watched: bool = True,
    patience: float = STUCK_AFTER,
) -> Callable[..., Any]:
    def register(run: Callable[[VSphere, Simulator, Any], object]) -> Any:
        CASES.append(Case(name, run, prepare or Case.prepare, watched, patience))
        return run

    return register


CASES: list[Case] = []


def _off(lab: Lab) -> str:
    return lab.subject("off")


def _on(lab: Lab) -> str:
    return lab.subject("on")


def _tools(lab: Lab) -> str:
    return lab.subject("tools")


def _with_snapshot(lab: Lab) -> str:
    return lab.subject("off", snapshot=True)


def _template(lab: Lab) -> str:
    return lab.subject("off", template=True)


def _new_uuid(lab: Lab) -> str:
    return str(find_vm(lab.si, lab.subject("off")).config.uuid)


def _bulk_off(lab: Lab) -> list[str]:
    lab.sweep()
    lab.set_power(BULK_VMS, "poweredOff")
    return BULK_VMS


def _bulk_on(lab: Lab) -> list[str]:
    lab.sweep()
    lab.set_power(BULK_VMS, "poweredOn")
    return BULK_VMS


# Looking things up and reading them.


@_case("connect + get_vm")
def _connect(vs: VSphere, sim: Simulator, vm: str) -> None:
    with sim.connect() as fresh:
        fresh.get_vm(vm)


# Names the warm index knows are answered without a call. A VM another client has just made
# is not known yet to a connection that does not watch the inventory: finding it takes calls
# (with the watch, whether it is known yet is a race).


@_case("get_vm by name of a new VM", _off, watched=False)
def _get_vm(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.get_vm(vm)


@_case("get_vm by path of a new VM", _off, watched=False)
def _get_vm_path(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.get_vm(f"/DC0/vm/{vm}")


@_case("get_vm_by_uuid of a new VM", _new_uuid, watched=False)
def _get_vm_by_uuid(vs: VSphere, sim: Simulator, uuid: str) -> None:
    vs.get_vm_by_uuid(uuid)


@_case("path_of a new VM", _off, watched=False)
def _path_of(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.path_of(vm)


@_case("get_vm refresh")
def _get_vm_refresh(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.get_vm(vm, refresh=True)


@_case("get_host/cluster/datastore/network/pool/datacenter refresh")
def _get_others(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.get_host("DC0_C0_H1", refresh=True)
    vs.get_cluster("DC0_C0", refresh=True)
    vs.get_datastore("LocalDS_0", refresh=True)
    vs.get_network("VM Network", refresh=True)
    vs.get_resource_pool("/DC0/host/DC0_C0/Resources", refresh=True)
    vs.get_datacenter("DC0", refresh=True)


# Calls answered from the index alone make SOAP calls only while the index loads: on a new
# connection.


@_case("connect + find")
def _cold_find(vs: VSphere, sim: Simulator, vm: str) -> None:
    with sim.connect() as fresh:
        fresh.find("vm", "DC0_H0_*")


@_case("connect + find_items")
def _cold_find_items(vs: VSphere, sim: Simulator, vm: str) -> None:
    with sim.connect() as fresh:
        fresh.find_items("host", "*")


@_case("connect + list_children")
def _cold_list_children(vs: VSphere, sim: Simulator, vm: str) -> None:
    with sim.connect() as fresh:
        fresh.list_children("/DC0/vm")


@_case("connect + select_vms")
def _cold_select_vms(vs: VSphere, sim: Simulator, vm: str) -> None:
    with sim.connect() as fresh:
        fresh.select_vms("/DC0/vm")


@_case("list_vms")
def _list_vms(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.list_vms("DC0_*")


@_case("vm_info")
def _vm_info(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.vm_info(vm)


@_case("vm_infos")
def _vm_infos(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.vm_infos([vm, SCRATCH])


@_case("power_state")
def _power_state(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.power_state(vm)


@_case("events of a VM")
def _events(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.events(vm, limit=5)


@_case("events by type")
def _events_by_type(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.events(types=["VmPoweredOnEvent"], limit=5)


@_case("stats")
def _stats(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.stats(vm, samples=2)


# Power.


@_case("power_on", _off)
def _power_on(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.power_on(vm, timeout=TIMEOUT)


@_case("power_on wait_for_tools", _off)
def _power_on_tools(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.power_on(vm, wait_for_tools=True, timeout=TIMEOUT)


@_case("power_on wait=False + handle.wait", _off)
def _power_on_handle(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.power_on(vm, wait=False).wait(timeout=TIMEOUT)


@_case("power_off", _on)
def _power_off(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.power_off(vm, timeout=TIMEOUT)


@_case("reset", _on)
def _reset(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.reset(vm, timeout=TIMEOUT)


@_case("suspend", _on)
def _suspend(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.suspend(vm, timeout=TIMEOUT)


@_case("shutdown", _tools)
def _shutdown(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.shutdown(vm, timeout=TIMEOUT)


@_case("reboot", _tools)
def _reboot(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.reboot(vm, timeout=TIMEOUT)


@_case("wait_for_tools", _on)
def _wait_for_tools(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.wait_for_tools(vm, timeout=TIMEOUT)


# Making, changing and unmaking VMs.


def _clone_name(lab: Lab) -> str:
    lab.sweep()
    return lab.unique("clone-")


@_case("clone_vm", _clone_name)
def _clone(vs: VSphere, sim: Simulator, name: str) -> None:
    vs.clone_vm(SOURCE, name, timeout=TIMEOUT)


@_case("clone_vm placed", _clone_name)
def _clone_placed(vs: VSphere, sim: Simulator, name: str) -> None:
    vs.clone_vm(
        SOURCE,
        name,
        folder=f"/DC0/vm/{PREFIX}moves",
        cluster="DC0_C0",
        datastore="LocalDS_0",
        cpus=1,
        memory_mb=128,
        timeout=TIMEOUT,
    )


def _linked_source(lab: Lab) -> tuple[str, str]:
    return lab.subject("off", snapshot=True), lab.unique("linked-")


@_case("clone_vm linked", _linked_source)
def _clone_linked(vs: VSphere, sim: Simulator, names: tuple[str, str]) -> None:
    vs.clone_vm(names[0], names[1], linked=True, timeout=TIMEOUT)


@_case("create_vm", _clone_name)
def _create(vs: VSphere, sim: Simulator, name: str) -> None:
    vs.create_vm(
        name,
        cluster="DC0_C0",
        disks_gb=(1,),
        networks=("VM Network", "DC0_DVPG0"),
        iso="[LocalDS_0] x.iso",
        power_on=True,
        timeout=TIMEOUT,
    )


@_case("wait_for_ip", _tools)
def _wait_for_ip(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.wait_for_ip(vm, timeout=TIMEOUT)


@_case("clone_vm customized", _clone_name)
def _clone_customized(vs: VSphere, sim: Simulator, name: str) -> None:
    spec = vmware_wrapper.LinuxCustomization("eb", domain="example.com")
    vs.clone_vm(
        SOURCE,
        name,
        customization=spec,
        power_on=True,
        wait_for_customization=True,
        timeout=TIMEOUT,
    )


@_case("destroy_vm", _on)
def _destroy(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.destroy_vm(vm, timeout=TIMEOUT)


@_case("reconfigure_vm", _off)
def _reconfigure(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.reconfigure_vm(vm, cpus=2, memory_mb=256, timeout=TIMEOUT)


@_case("add_disk", _off)
def _add_disk(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.add_disk(vm, 1, timeout=TIMEOUT)


@_case("add_nic", _off)
def _add_nic(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.add_nic(vm, "VM Network", timeout=TIMEOUT)


# OVF in and out: one small package made by the test; exports into directories of their own.
# All of it under one temporary directory, removed when the run ends.


@functools.cache
def _ovf_scratch() -> Path:
    from tests.ops.ovf_package import make_ova

    scratch = Path(tempfile.mkdtemp(prefix="vmw-eb-ovf-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    make_ova(scratch / "app.ova", disk_bytes=64 * 1024)
    return scratch


def _ovf_package(lab: Lab) -> tuple[str, str]:
    lab.sweep()
    return str(_ovf_scratch() / "app.ova"), lab.unique("ovf-")


@_case("deploy_ovf", _ovf_package)
def _deploy_ovf(vs: VSphere, sim: Simulator, given: tuple[str, str]) -> None:
    vs.deploy_ovf(
        given[0],
        given[1],
        cluster="DC0_C0",
        networks={"VM Network": "VM Network", "Backend": "DC0_DVPG0"},
        properties={"hostname": "eb"},
    )


def _export_target(lab: Lab) -> tuple[str, str]:
    return lab.subject("off"), tempfile.mkdtemp(dir=_ovf_scratch())


@_case("export_ovf", _export_target)
def _export_ovf(vs: VSphere, sim: Simulator, given: tuple[str, str]) -> None:
    vs.export_ovf(given[0], given[1], ova=True)


# Content libraries: vAPI REST calls, and a deploy whose SOAP calls the server makes itself
# (faults there reach the library as a failed deploy). Each run in a library of its own.


def _library_name(lab: Lab) -> str:
    lab.sweep()
    for library_id in rest(lab.sim, "GET", "/content/library", under="/rest/com/vmware") or []:
        info = rest(lab.sim, "GET", f"/content/library/id:{library_id}", under="/rest/com/vmware")
        if info["name"].startswith(PREFIX):
            rest(
                lab.sim, "DELETE", f"/content/local-library/id:{library_id}",
                under="/rest/com/vmware",
            )  # fmt: skip
    return lab.unique("lib-")


@_case("content library", _library_name)
def _content_library(vs: VSphere, sim: Simulator, name: str) -> None:
    library = vs.library
    library.create(name, "LocalDS_0")
    library.import_ovf(name, "app", _ovf_scratch() / "app.ova")
    library.list()
    library.items(name)
    library.deploy(
        f"{name}/app",
        name,
        cluster="DC0_C0",
        networks={"VM Network": "VM Network", "Backend": "DC0_DVPG0"},
    )
    library.delete(f"{name}/app")
    library.delete(name)


# Snapshots.


@_case("create_snapshot", _off)
def _create_snapshot(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.create_snapshot(vm, "taken", timeout=TIMEOUT)


@_case("list_snapshots", _with_snapshot)
def _list_snapshots(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.list_snapshots(vm)


@_case("revert_to_snapshot", _with_snapshot)
def _revert(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.revert_to_snapshot(vm, f"{PREFIX}snap", timeout=TIMEOUT)


@_case("remove_snapshot", _with_snapshot)
def _remove_snapshot(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.remove_snapshot(vm, f"{PREFIX}snap", timeout=TIMEOUT)


@_case("remove_all_snapshots", _with_snapshot)
def _remove_all_snapshots(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.remove_all_snapshots(vm, timeout=TIMEOUT)


# Where things are and what they are called.


@_case("create_folder", lambda lab: f"/DC0/vm/{lab.unique('folder-')}/sub")
def _create_folder(vs: VSphere, sim: Simulator, path: str) -> None:
    vs.create_folder(path, timeout=TIMEOUT)


def _folder_with_a_vm(lab: Lab) -> str:
    """A new folder holding a subfolder with a running VM in it (a clone of SOURCE)."""
    lab.sweep()
    folder = lab.vm_folder.CreateFolder(lab.unique("folder-"))
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=True)
    wait_task(lab.source.Clone(folder.CreateFolder("sub"), lab.unique(), spec))
    return f"/DC0/vm/{folder.name}"


@_case("folder_contents", _folder_with_a_vm)
def _folder_contents(vs: VSphere, sim: Simulator, path: str) -> None:
    vs.folder_contents(path)


@_case("delete_folder recursive", _folder_with_a_vm)
def _delete_folder(vs: VSphere, sim: Simulator, path: str) -> None:
    vs.delete_folder(path, recursive=True, timeout=TIMEOUT)


@_case("move", _off)
def _move(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.move(vm, f"/DC0/vm/{PREFIX}moves", timeout=TIMEOUT)


@_case("rename", _off)
def _rename(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.rename(vm, f"{vm}-renamed", timeout=TIMEOUT)


@_case("mark_as_template", _off)
def _mark_as_template(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.mark_as_template(vm, timeout=TIMEOUT)


@_case("mark_as_vm", _template)
def _mark_as_vm(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.mark_as_vm(vm, timeout=TIMEOUT)


@_case("relocate_vm", _off)
def _relocate(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.relocate_vm(
        vm, host="DC0_C0_H2", resource_pool="/DC0/host/DC0_C0/Resources", timeout=TIMEOUT
    )


# Custom fields, notes, guests, tags.


# A new field each time: defining it (AddCustomFieldDef) is part of the call only once.
@_case("set_custom_field + get_custom_fields", lambda lab: lab.unique("field-"))
def _custom_fields(vs: VSphere, sim: Simulator, field: str) -> None:
    vs.set_custom_field(SCRATCH, field, "boundary")
    vs.get_custom_fields(SCRATCH)


@_case("set_notes + get_notes", lambda lab: SCRATCH)
def _notes(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.set_notes(vm, "checked by the error boundary", timeout=TIMEOUT)
    vs.get_notes(vm)


@_case("guest run", _tools)
def _guest_run(vs: VSphere, sim: Simulator, vm: str) -> None:
    vs.guest(vm, sim.guest_username, sim.guest_password, ready_timeout=TIMEOUT).run(
        "/bin/true", timeout=TIMEOUT
    )


@_case("guest upload + download", _tools)
def _guest_files(vs: VSphere, sim: Simulator, vm: str) -> None:
    guest = vs.guest(vm, sim.guest_username, sim.guest_password, ready_timeout=TIMEOUT)
    guest.upload(b"boundary", "/tmp/eb-file")
    guest.download("/tmp/eb-file")


@_case("tags", lambda lab: lab.unique("category-"))
def _tags(vs: VSphere, sim: Simulator, category: str) -> None:
    # Unique names: a cycle cut short by a fault leaves a category nothing else looks at.
    tags = vs.tags
    tags.create_category(category, cardinality="SINGLE", types=("vm",))
    tags.create_tag("prod", category)
    tags.attach(f"{category}/prod", SOURCE)
    tags.tags_of(SOURCE)
    tags.objects_with(f"{category}/prod")
    tags.detach(f"{category}/prod", SOURCE)
    tags.delete_category(category)


# Day two: devices, hosts, datastore files, resource pools, DRS rules, networks.

ISO = f"{PREFIX}tools.iso"


def _with_iso(lab: Lab) -> tuple[str, str]:
    """A VM, and an ISO on LocalDS_0 (written into the simulator's datastore directory)."""
    ds = next(d for d in lab.source.datastore if d.name == "LocalDS_0")
    (Path(ds.info.url) / ISO).write_bytes(b"iso")
    return lab.subject("off"), f"[LocalDS_0] {ISO}"


@_case("devices + insert_iso + eject_iso", _with_iso)
def _cdrom(vs: VSphere, sim: Simulator, given: tuple[str, str]) -> None:
    vs.devices(given[0])
    vs.insert_iso(given[0], given[1], timeout=TIMEOUT)
    vs.eject_iso(given[0], timeout=TIMEOUT)


def _device_of(lab: Lab, kind: type) -> tuple[str, Any]:
    """A new VM, and how to name its first device of the kind: a disk's unit number, a NIC's
    MAC address."""
    name = lab.subject("off")
    vm = find_vm(lab.si, name)
    device = next(d for d in vm.config.hardware.device if isinstance(d, kind))
    return name, getattr(device, "macAddress", None) or device.unitNumber


@_case("remove_disk", lambda lab: _device_of(lab, vim.vm.device.VirtualDisk))
def _remove_disk(vs: VSphere, sim: Simulator, given: tuple[str, Any]) -> None:
    vs.remove_disk(given[0], given[1], delete_files=True, timeout=TIMEOUT)


@_case("remove_nic", lambda lab: _device_of(lab, vim.vm.device.VirtualEthernetCard))
def _remove_nic(vs: VSphere, sim: Simulator, given: tuple[str, Any]) -> None:
    vs.remove_nic(given[0], given[1], timeout=TIMEOUT)


@_case("list_hosts + host_info")
def _hosts(vs: VSphere, sim: Simulator, _: str) -> None:
    vs.list_hosts("DC0_C0_*")
    vs.host_info("DC0_C0_H1")


def _host_out_of_maintenance(lab: Lab) -> str:
    """DC0_C0_H2, not in maintenance mode, running a VM that entering it moves."""
    host = properties_of_all(lab.si, vim.HostSystem, ["name"])["DC0_C0_H2"][0]
    if host.runtime.inMaintenanceMode:
        wait_task(host.ExitMaintenanceMode(0))
    name = lab.subject("off")
    vm = find_vm(lab.si, name)
    pool = host.parent.resourcePool
    wait_task(vm.Relocate(vim.vm.RelocateSpec(host=host, pool=pool)))
    wait_task(vm.PowerOn())
    return host.name


@_case("enter_maintenance + exit_maintenance", _host_out_of_maintenance)
def _maintenance(vs: VSphere, sim: Simulator, host: str) -> None:
    vs.enter_maintenance(host, timeout=TIMEOUT)
    vs.exit_maintenance(host, timeout=TIMEOUT)


def _local_file(lab: Lab) -> tuple[str, Path]:
    scratch = _ovf_scratch()
    local = scratch / lab.unique("file-")
    local.write_bytes(b"some bytes\n" * 1000)
    return lab.unique("dir-"), local


@_case("datastore files", _local_file)
def _datastore_files(vs: VSphere, sim: Simulator, given: tuple[str, Path]) -> None:
    folder, local = given
    vs.make_directory(f"[LocalDS_0] {folder}/sub")
    vs.upload_file(local, f"[LocalDS_0] {folder}/sub/{local.name}")
    vs.datastore_files("LocalDS_0", f"{folder}/sub")
    vs.download_file(f"[LocalDS_0] {folder}/sub/{local.name}", local.with_suffix(".copy"))
    vs.delete_file(f"[LocalDS_0] {folder}")


def _pool_path(lab: Lab) -> str:
    return f"/DC0/host/DC0_C0/Resources/{lab.unique('pool-')}"


@_case("resource pools", _pool_path)
def _resource_pools(vs: VSphere, sim: Simulator, path: str) -> None:
    vs.create_resource_pool(f"{path}/child", cpu_shares="high", memory_reservation_mb=64)
    vs.update_resource_pool(f"{path}/child", cpu_limit_mhz=4000, expandable=False)
    vs.destroy_resource_pool(f"{path}/child")
    vs.destroy_resource_pool(path)


def _two_cluster_vms(lab: Lab) -> tuple[str, list[str]]:
    lab.sweep()
    return lab.unique("rule-"), ["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"]


@_case("DRS rules", _two_cluster_vms)
def _drs_rules(vs: VSphere, sim: Simulator, given: tuple[str, list[str]]) -> None:
    vs.create_drs_rule("DC0_C0", given[0], given[1])
    vs.list_drs_rules("DC0_C0")
    vs.delete_drs_rule("DC0_C0", given[0])


@_case("networks and port groups", lambda lab: lab.unique("pg-"))
def _networks(vs: VSphere, sim: Simulator, name: str) -> None:
    vs.list_networks()
    vs.create_portgroup("DC0_H0", name, vlan=10)
    vs.remove_portgroup("DC0_H0", name)
    vs.create_dvportgroup("DVS0", name, vlan=20, ports=4)
    vs.destroy_dvportgroup(name)


@_case("fleet of one: list_vms + power_off + bulk", _on)
def _fleet_of_one(vs: VSphere, sim: Simulator, vm: str) -> None:
    fleet = vmware_wrapper.Fleet({"vc": vs})  # not closed: the connection is the battery's
    fleet.list_vms(vm)
    fleet.power_off(f"vc:{vm}", timeout=TIMEOUT)
    fleet.bulk("power_on", [vm], timeout=TIMEOUT)


# Tasks and many at once.


@_case("wait_for_tasks", Lab.started_task)
def _wait_for_tasks(vs: VSphere, sim: Simulator, task: Any) -> None:
    vs.wait_for_tasks([task], timeout=TIMEOUT)


@_case("bulk power_on", _bulk_off, patience=BULK_STUCK_AFTER)
def _bulk_power_on(vs: VSphere, sim: Simulator, names: list[str]) -> None:
    vs.bulk("power_on", names, concurrency=BULK_CONCURRENCY, timeout=BULK_TIMEOUT)


@_case("bulk power_off", _bulk_on, patience=BULK_STUCK_AFTER)
def _bulk_power_off(vs: VSphere, sim: Simulator, names: list[str]) -> None:
    vs.bulk("power_off", names, concurrency=BULK_CONCURRENCY, timeout=BULK_TIMEOUT)


# -- running calls and judging what came out --------------------------------------------------


@dataclass
class Outcome:
    worker: threading.Thread
    error: BaseException | None = None
    stuck: bool = True


def run_guarded(call: Callable[[], object], limit: float) -> Outcome:
    """Run a call on a thread of its own, so that a call that never returns is reported
    like any other broken promise instead of ending the whole run at pytest's timeout."""

    def main() -> None:
        try:
            call()
        except BaseException as e:  # judged by the caller, whatever it is
            outcome.error = e
        outcome.stuck = False

    outcome = Outcome(threading.Thread(target=main, name="error-boundary-call", daemon=True))
    outcome.worker.start()
    outcome.worker.join(limit)
    return outcome


_LIBRARY = str(Path(vmware_wrapper.__file__).parent) + os.sep


def describe(error: BaseException) -> str:
    """'type: message (at the library's frame)', on one line. The frame is the deepest one
    above the transport: every fault is raised in the transport, the call that let it
    through is the one worth naming."""
    kind = type(error).__name__
    if not kind.startswith(("vim.", "vmodl.")) and type(error).__module__ != "builtins":
        kind = f"{type(error).__module__}.{kind}"
    message = " ".join(str(getattr(error, "msg", "") or error).split())[:160]
    frames = [
        (f.filename[len(_LIBRARY) :], f)
        for f in traceback.extract_tb(error.__traceback__)
        if f.filename.startswith(_LIBRARY)
    ]
    above = [(name, f) for name, f in frames if not name.startswith(("_transport", "_base"))]
    where = ""
    if above or frames:
        name, last = (above or frames)[-1]
        where = f" (at {name}:{last.lineno} in {last.name})"
    return f"{kind}: {message}{where}"


def is_escape(error: BaseException | None) -> bool:
    return error is not None and not isinstance(error, VSphereError)


@contextmanager
def thread_escapes(sink: list[str], label: Callable[[], str]) -> Iterator[None]:
    """Record exceptions that end the library's own threads (its watches) as escapes of
    the call running at the time: nobody can catch those at all."""
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        thread = args.thread.name if args.thread else "?"
        if args.exc_value is not None:
            sink.append(f"{label()} -> in thread {thread}: {describe(args.exc_value)}")

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


class Connection:
    """The module's VSphere, and one that does not watch the inventory; either is replaced
    after a call that got stuck, which may still hold it."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self.vs = sim.connect()
        self.unwatched = sim.connect(watch_inventory=False)
        # Indexes loaded (and watched): the calls show their own work, not the first load.
        self.vs.list_vms()
        self.unwatched.list_vms()

    def for_case(self, case: Case) -> VSphere:
        return self.vs if case.watched else self.unwatched

    def replace(self, stuck: Outcome, *, watched: bool = True) -> None:
        if watched:
            old, self.vs = self.vs, self._sim.connect()
        else:
            old, self.unwatched = self.unwatched, self._sim.connect(watch_inventory=False)
        # Closing may wait on whatever got stuck: not on this thread.
        threading.Thread(target=old.close, name="error-boundary-close", daemon=True).start()
        _ABANDONED.append((old, stuck))

    def close(self) -> None:
        self.vs.close()
        self.unwatched.close()


# Stuck calls and their connections, kept for the life of the process. A stuck call may end
# long after it was given up on, in some other test; what it held must not be collected
# there, where an unclosed socket's ResourceWarning would fail a test that had no part in it.
_ABANDONED: list[tuple[VSphere, Outcome]] = []


@dataclass
class Discovery:
    methods: dict[str, frozenset[str]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    # Tools and guests that answer at once: some calls need a fresh VM with tools running
    # for each of their faults.
    with Simulator(vms_per_pool=6, tools_delay=0.02, guest_delay=0.02) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def lab(sim: Simulator) -> Iterator[Lab]:
    with plain_pyvmomi(sim, timeout=60) as si:
        yield Lab(sim, si)


@pytest.fixture(scope="module")
def connection(sim: Simulator) -> Iterator[Connection]:
    conn = Connection(sim)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def _clean(sim: Simulator) -> Iterator[None]:
    yield
    sim.clear_faults()
    sim.clear_task_delays()


@pytest.fixture(scope="module")
def discovery(sim: Simulator, lab: Lab, connection: Connection) -> Discovery:
    """Each case run once without faults: the SOAP methods it uses (the inventory watch's
    background calls included: a fault there reaches the call too)."""
    found = Discovery()
    for case in CASES:
        target = case.prepare(lab)
        sim.reset_call_counts()
        outcome = run_guarded(
            partial(case.run, connection.for_case(case), sim, target), case.patience
        )
        calls = sim.call_counts()
        if outcome.stuck:
            found.failures[case.name] = f"still running after {case.patience:g} s"
            connection.replace(outcome, watched=case.watched)
        elif outcome.error is not None:
            found.failures[case.name] = describe(outcome.error)
        else:
            found.methods[case.name] = frozenset(calls)
    lab.sweep()
    return found


# -- the tests -------------------------------------------------------------------------------


# Methods the battery must reach, or it proves little: the task machinery, cloning with its
# placement lookups, the inventory watch, reads, guests.
MUST_COVER = {
    "RetrievePropertiesEx",
    "CreateFilter",
    "WaitForUpdatesEx",
    "PowerOnVM_Task",
    "PowerOffVM_Task",
    "CloneVM_Task",
    "CreateVM_Task",
    "FindChild",
    "Destroy_Task",
    "ReconfigVM_Task",
    "CreateSnapshot_Task",
    "StartProgramInGuest",
    "InitiateFileTransferToGuest",
    "CreateListView",
    "CreateCollectorForEvents",
    "QueryPerf",
}


def test_every_call_works_unfaulted_and_the_battery_covers_the_soap_surface(
    discovery: Discovery,
) -> None:
    assert discovery.failures == {}, "calls that fail without any fault: " + "; ".join(
        f"{name}: {why}" for name, why in discovery.failures.items()
    )
    covered = frozenset().union(*discovery.methods.values())
    assert covered >= MUST_COVER, f"not covered: {sorted(MUST_COVER - covered)}"
    assert len(covered) >= 40, sorted(covered)
    pairs = sum(len(m) for m in discovery.methods.values())
    assert pairs >= 150, pairs


def test_a_fault_in_any_soap_method_a_call_uses_raises_only_vsphere_errors(
    sim: Simulator, lab: Lab, connection: Connection, discovery: Discovery
) -> None:
    escapes: list[str] = []
    current = ["(none)"]
    pairs = fired = 0
    with thread_escapes(escapes, lambda: current[0]):
        for case in CASES:
            for method in sorted(discovery.methods.get(case.name, ())):
                label = f"{case.name} / {method}"
                target = case.prepare(lab)  # before the fault: it must not hit the setup
                sim.inject_fault(method, FAULT, count=1)
                current[0] = label
                outcome = run_guarded(
                    partial(case.run, connection.for_case(case), sim, target), case.patience
                )
                # The watch may have taken the fault instead of the call; either is fair.
                fired += method not in {f["method"] for f in sim.pending_faults()}
                sim.clear_faults()
                current[0] = f"after {label}"
                pairs += 1
                if outcome.stuck:
                    escapes.append(f"{label} -> still running after {case.patience:g} s")
                    connection.replace(outcome, watched=case.watched)
                elif is_escape(outcome.error):
                    assert outcome.error is not None
                    escapes.append(f"{label} -> {describe(outcome.error)}")
    lab.sweep()
    # Most faults must really have hit something, or the pairs above prove nothing. (Not
    # all: a fault for WaitForUpdatesEx waits for the watch's next call, which may not come.)
    assert fired >= pairs * 0.7, f"only {fired} of {pairs} injected faults fired"
    assert not escapes, (
        f"{len(escapes)} escapes from the error tree in {pairs} (call / faulted method) "
        "pairs:\n  " + "\n  ".join(escapes)
    )


# The SOAP calls a bulk run's own machinery makes: the read ahead of the VMs' states, and the
# one task watch (a collector, a filter over a list view that each new task is added to).
BULK_MACHINERY = [
    "CreateFilter",
    "ModifyListView",
    "WaitForUpdatesEx",
    "CreateListView",
    "RetrievePropertiesEx",
    "DestroyPropertyFilter",
    "CreatePropertyCollector",
]

BULK_OPERATIONS = {"power_on": "poweredOn", "power_off": "poweredOff"}


def check_bulk(results: list[BulkResult], lab: Lab, state: str) -> list[str]:
    """What a bulk run's results promise and the server (read afresh) does not bear out."""
    problems = []
    targets = [r.target for r in results]
    if targets != BULK_VMS:
        problems.append(f"results for {targets}, not one per target in order")
    states = lab.power_states()
    for r in results:
        if r.ok and states.get(r.target) != state:
            problems.append(f"{r.target}: ok, but the server says {states.get(r.target)}")
        if not r.ok and not r.error:
            problems.append(f"{r.target}: failed without an error message")
        if not r.ok and not isinstance(r.exception, VSphereError):
            kind = "nothing" if r.exception is None else describe(r.exception)
            problems.append(f"{r.target}: failed with {kind}, not a VSphereError")
    return problems


def run_bulk(connection: Connection, operation: str, **kwargs: Any) -> tuple[list[BulkResult], str]:
    """A bulk run over BULK_VMS: its results, or what went wrong instead ("" if nothing)."""
    vs = connection.vs
    results: list[list[BulkResult]] = []
    outcome = run_guarded(
        lambda: results.append(
            vs.bulk(
                operation,
                BULK_VMS,
                concurrency=BULK_CONCURRENCY,
                timeout=BULK_TIMEOUT,
                **kwargs,
            )
        ),
        BULK_STUCK_AFTER,
    )
    if outcome.stuck:
        connection.replace(outcome)
        return [], (
            f"still running after {BULK_STUCK_AFTER:g} s, with a timeout of {BULK_TIMEOUT:g} s "
            f"per target and {len(BULK_VMS)} targets, {BULK_CONCURRENCY} at a time"
        )
    if outcome.error is not None:
        return [], f"raised {describe(outcome.error)}"
    return results[0], ""


@pytest.mark.parametrize("method", BULK_MACHINERY)
@pytest.mark.parametrize("operation", sorted(BULK_OPERATIONS))
def test_bulk_keeps_its_promises_when_its_machinery_faults(
    sim: Simulator, lab: Lab, connection: Connection, operation: str, method: str
) -> None:
    state = BULK_OPERATIONS[operation]
    lab.set_power(BULK_VMS, "poweredOff" if state == "poweredOn" else "poweredOn")
    sim.inject_fault(method, FAULT, count=2)
    results, raised = run_bulk(connection, operation)
    sim.clear_faults()
    assert not raised, f"bulk {operation} with {method} faulted: {raised}"
    problems = check_bulk(results, lab, state)
    assert not problems, f"bulk {operation} with {method} faulted:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("operation", sorted(BULK_OPERATIONS))
def test_bulk_keeps_its_promises_when_its_session_is_killed_mid_run(
    sim: Simulator, lab: Lab, connection: Connection, operation: str
) -> None:
    state = BULK_OPERATIONS[operation]
    lab.set_power(BULK_VMS, "poweredOff" if state == "poweredOn" else "poweredOn")
    # Tasks that take a moment, and the kill at the first result: most targets are then
    # still to start or being waited for, whatever the timing (later, it is a matter of luck
    # whether anything is still being waited for).
    sim.set_task_delay("PowerOnVM_Task", 0.1)
    sim.set_task_delay("PowerOffVM_Task", 0.1)
    manager = lab.si.content.sessionManager
    own = manager.currentSession.key
    killed: list[str] = []

    def on_progress(done: int, total: int, result: BulkResult) -> None:
        if not killed:
            killed.extend(s.key for s in manager.sessionList if s.key != own)
            manager.TerminateSession(killed)

    results, raised = run_bulk(connection, operation, on_progress=on_progress)
    sim.clear_task_delays()
    when = "after" if killed else "before"
    assert not raised, f"bulk {operation}, {when} its session was killed: {raised}"
    assert killed, "the session was never killed"
    problems = check_bulk(results, lab, state)
    assert not problems, f"bulk {operation} with its session killed:\n  " + "\n  ".join(problems)
