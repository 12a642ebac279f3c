"""ESXi hosts: HostInfo records read in bulk, and maintenance mode.

list_hosts(ops, pattern="DC0_C0_*")
enter_maintenance(ops, host="esx-01", evacuate=True, wait=True, timeout=None)

Entering maintenance mode needs the host's powered-on VMs gone. vCenter's DRS moves them
itself during the task in a fully automated cluster; anywhere else the task would wait for
ever, so this module moves them first (to the other usable hosts of the host's cluster) or
refuses before anything is sent, naming them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .._base.models import HostInfo
from .._base.names import unescape_name
from .._base.vmomi import vim
from .._inventory.resolver import Gone, shown
from .._inventory.tree import KINDS, Entry
from .._tasks.handles import BackgroundHandle
from .._transport.faults import describing, task_error
from .._transport.retrieve import ObjectContent, ObjectSource, Ref, retrieve
from ..errors import InvalidInputError, InvalidStateError
from .checks import ON, deadline_of, remaining
from .context import Ops

HOST_INFO_PROPERTIES = (
    "name",
    "runtime.connectionState",
    "runtime.inMaintenanceMode",
    "runtime.powerState",
    "summary.hardware.cpuMhz",
    "summary.hardware.numCpuCores",
    "summary.hardware.memorySize",
    "summary.quickStats.overallCpuUsage",
    "summary.quickStats.overallMemoryUsage",
    "summary.config.product.fullName",
    "vm",
)
_VM_PROPERTIES = ("name", "runtime.powerState", "runtime.host", "config.hardware.memoryMB")
_MB = 1024 * 1024
FULLY_AUTOMATED = "fullyAutomated"

# (VM name, host name) for each VM that left a host entering maintenance mode.
Moves = list[tuple[str, str]]


# -- reading -----------------------------------------------------------------------------------


def list_hosts(ops: Ops, *, pattern: Any) -> list[HostInfo]:
    if not isinstance(pattern, str):
        raise InvalidInputError(f"a pattern is a string, not {pattern!r}")
    entries = ops.index.find(KINDS["host"], pattern)
    with describing(f"list hosts {pattern!r}"):
        return read_host_infos(ops, entries)


def host_info(ops: Ops, *, host: Any) -> HostInfo:
    def read(entry: Entry) -> HostInfo:
        infos = read_host_infos(ops, [entry])
        if not infos:
            raise Gone(entry.moid)
        return infos[0]

    return ops.resolver.with_fresh(KINDS["host"], host, f"read host {shown(host)}", read)


def read_host_infos(ops: Ops, entries: Sequence[Entry]) -> list[HostInfo]:
    """HostInfo for each entry that still exists, in the order given: one paged retrieval,
    whatever the number of hosts."""
    if not entries:
        return []
    found = {obj.moid: obj for obj in _retrieve(ops, "HostSystem", HOST_INFO_PROPERTIES, entries)}
    return [_host_info(ops, found[e.moid], e) for e in entries if e.moid in found]


def _retrieve(
    ops: Ops, vim_type: str, paths: Sequence[str], objs: Sequence[Entry | Ref]
) -> list[ObjectContent]:
    refs = [Ref(o.type, o.moid) if isinstance(o, Entry) else o for o in objs]
    return [
        obj
        for obj in retrieve(
            ops.session.stub,
            ops.content.propertyCollector._moId,
            {vim_type: paths},
            ObjectSource.objects(refs),
        )
        if not obj.gone
    ]


def _host_info(ops: Ops, obj: ObjectContent, entry: Entry) -> HostInfo:
    p = obj.props
    parent = ops.index.inventory.get(entry.parent or "")
    cluster = parent.display_name if parent and parent.type == "ClusterComputeResource" else None
    return HostInfo(
        name=unescape_name(p.get("name") or entry.name),
        path=ops.resolver.path(entry),
        moid=obj.moid,
        cluster=cluster,
        connection_state=p.get("runtime.connectionState") or "connected",
        in_maintenance=bool(p.get("runtime.inMaintenanceMode")),
        power_state=p.get("runtime.powerState") or "unknown",
        cpu_mhz=(p.get("summary.hardware.cpuMhz") or 0)
        * (p.get("summary.hardware.numCpuCores") or 0),
        cpu_usage_mhz=p.get("summary.quickStats.overallCpuUsage") or 0,
        memory_mb=(p.get("summary.hardware.memorySize") or 0) // _MB,
        memory_usage_mb=p.get("summary.quickStats.overallMemoryUsage") or 0,
        vm_count=len(p.get("vm") or []),
        version=p.get("summary.config.product.fullName") or "",
    )


# -- maintenance mode --------------------------------------------------------------------------


@dataclass(frozen=True)
class _VM:
    ref: Ref
    name: str
    power_state: str
    host: str | None  # the host's moid
    memory_mb: int


@dataclass(frozen=True)
class _Cluster:
    """What the cluster of a host entering maintenance mode offers its VMs."""

    name: str | None  # None: a standalone host
    targets: list[HostInfo]  # its other hosts that can take VMs
    drs_moves: Callable[[_VM], bool]  # whether DRS moves a VM during the task


def enter_maintenance(
    ops: Ops, *, host: Any, evacuate: Any, wait: bool, timeout: float | None
) -> Any:
    if not isinstance(evacuate, bool):
        raise InvalidInputError(f"evacuate={evacuate!r}: True or False")
    entry, obj = ops.resolve(KINDS["host"], host, confirm=True)
    name = ops.name(entry)
    description = f"put host {name} in maintenance mode"
    values = ops.read(
        obj, ["runtime.inMaintenanceMode", "runtime.connectionState", "vm"], description
    )
    if values["runtime.inMaintenanceMode"]:
        return ops.done(f"host {name} is in maintenance mode already: nothing to do", wait, [])
    if values["runtime.connectionState"] not in (None, "connected"):
        raise InvalidStateError(
            f"{description}: it is {values['runtime.connectionState']}; reconnect it first"
        )
    with describing(description):
        vms = _read_vms(ops, [Ref("VirtualMachine", vm._moId) for vm in values["vm"] or []])
    running = [vm for vm in vms if vm.power_state == ON]
    cluster = _cluster_of(ops, entry, description)
    if running and not evacuate:
        raise InvalidStateError(
            f"{description}: {_listed(running)} powered on there; power them off or move "
            "them (evacuate=True moves them to the other hosts of its cluster); nothing done"
        )
    if running and not cluster.targets:
        where = (
            "it is a standalone host"
            if cluster.name is None
            else f"cluster {cluster.name!r} has no other host that can take them (connected, "
            "not in maintenance mode)"
        )
        raise InvalidStateError(
            f"{description}: {_listed(running)} powered on there and {where}; power them off "
            "or move them; nothing done"
        )
    ours = [vm for vm in running if not cluster.drs_moves(vm)]
    plan = _placement(ours, cluster.targets)
    if len(running) > len(ours):
        drs_moved = [vm for vm in running if vm not in ours]
        ops.logger.info("%s: DRS moves the VMs: %s", description, _listed(drs_moved))

    def start() -> Any:
        # timeout=0: vCenter's own wait for the VMs to leave has no end; ours is ``timeout``.
        return obj.EnterMaintenanceMode_Task(timeout=0, evacuatePoweredOffVms=evacuate)

    def moved(_result: Any, _deadline: float | None) -> Moves:
        return _moved(ops, vms, entry, description)

    if not plan:
        # Nothing for this library to move: the task alone (DRS moves what must go).
        return ops.run(start, description, wait, timeout, on_done=moved)

    def evacuate_and_enter(started: Callable[[], None], deadline: float | None) -> Moves:
        _migrate(ops, plan, description, started, deadline)
        moves: Moves = ops.run(start, description, True, remaining(deadline), on_done=moved)
        return moves

    if wait:
        return evacuate_and_enter(lambda: None, deadline_of(timeout))
    return BackgroundHandle(description, lambda started: evacuate_and_enter(started, None))


def exit_maintenance(ops: Ops, *, host: Any, wait: bool, timeout: float | None) -> Any:
    entry, obj = ops.resolve(KINDS["host"], host, confirm=True)
    name = ops.name(entry)
    description = f"take host {name} out of maintenance mode"
    values = ops.read(obj, ["runtime.inMaintenanceMode"], description)
    if not values["runtime.inMaintenanceMode"]:
        return ops.done(f"host {name} is not in maintenance mode: nothing to do", wait)
    return ops.run(lambda: obj.ExitMaintenanceMode_Task(timeout=0), description, wait, timeout)


def _read_vms(ops: Ops, refs: list[Ref]) -> list[_VM]:
    if not refs:
        return []
    found = {o.moid: o.props for o in _retrieve(ops, "VirtualMachine", _VM_PROPERTIES, refs)}
    vms = []
    for ref in refs:
        p = found.get(ref.value)
        if p is None:
            continue
        host = p.get("runtime.host")
        vms.append(
            _VM(
                ref=ref,
                name=unescape_name(p.get("name") or ref.value),
                power_state=p.get("runtime.powerState") or "poweredOff",
                host=host.value if isinstance(host, Ref) else None,
                memory_mb=p.get("config.hardware.memoryMB") or 0,
            )
        )
    return vms


def _cluster_of(ops: Ops, entry: Entry, description: str) -> _Cluster:
    """The host's cluster: its other usable hosts, and what its DRS moves by itself."""
    parent = ops.index.inventory.get(entry.parent or "")
    if parent is None or parent.type != "ClusterComputeResource":
        return _Cluster(None, [], lambda vm: False)
    values = ops.read(ops.resolver.obj(parent), ["configurationEx", "host"], description)
    others = [
        ops.resolver.entry(KINDS["host"], h) for h in values["host"] or [] if h._moId != entry.moid
    ]
    with describing(description):
        targets = [
            h
            for h in read_host_infos(ops, others)
            if h.connection_state == "connected"
            and not h.in_maintenance
            and h.power_state in ("poweredOn", "unknown")
        ]
    drs = getattr(values["configurationEx"], "drsConfig", None)
    if drs is None or not drs.enabled or drs.defaultVmBehavior != FULLY_AUTOMATED:
        return _Cluster(parent.display_name, targets, lambda vm: False)
    # A VM of its own DRS setting (off, manual, partially automated) is not moved by DRS.
    own: dict[str, bool] = {}
    for setting in getattr(values["configurationEx"], "drsVmConfig", None) or []:
        own[setting.key._moId] = setting.enabled is not False and setting.behavior in (
            None,
            FULLY_AUTOMATED,
        )
    return _Cluster(parent.display_name, targets, lambda vm: own.get(vm.ref.value, True))


def _placement(vms: list[_VM], targets: list[HostInfo]) -> list[tuple[_VM, HostInfo]]:
    """Where each VM goes: the biggest first, each to the host with the most memory free
    (after the VMs already sent there), of those the one with the fewest VMs."""
    free = {h.moid: h.memory_mb - h.memory_usage_mb for h in targets}
    count = {h.moid: h.vm_count for h in targets}
    plan = []
    for vm in sorted(vms, key=lambda v: (-v.memory_mb, v.name)):
        target = max(targets, key=lambda h: (free[h.moid], -count[h.moid], -targets.index(h)))
        free[target.moid] -= vm.memory_mb
        count[target.moid] += 1
        plan.append((vm, target))
    return plan


def _migrate(
    ops: Ops,
    plan: list[tuple[_VM, HostInfo]],
    description: str,
    started: Callable[[], None],
    deadline: float | None,
) -> None:
    """Move each VM to its host: one RelocateVM_Task each, all started at once, then
    watched together. TaskError (naming the VMs moved and not) if any fails."""
    tasks = []
    for vm, target in plan:
        what = f"move {vm.name!r} to host {target.name!r}"
        spec = vim.vm.RelocateSpec(host=vim.HostSystem(target.moid, ops.session.stub))
        vm_obj = vim.VirtualMachine(vm.ref.value, ops.session.stub)
        with describing(f"{description}: {what}"):
            tasks.append((vm_obj.RelocateVM_Task(spec), what))
        ops.logger.info("%s: %s", description, what)
    started()
    start = time.monotonic()
    infos = ops.tasks.wait(tasks, timeout=remaining(deadline))
    failed = [(t, i) for t, i in zip(tasks, infos, strict=True) if i.state == "error"]
    if failed:
        (task, what), info = failed[0]
        moved = [w for (_, w), i in zip(tasks, infos, strict=True) if i.state != "error"]
        done = f"; done: {', '.join(moved)}" if moved else ""
        raise task_error(
            info.error,
            f"{description}: {what} failed ({len(failed)} of {len(tasks)} moves failed{done}); "
            "the host is not in maintenance mode",
            task,
        )
    ops.logger.info("%s: moved %d VMs in %.1f s", description, len(tasks), time.monotonic() - start)


def _moved(ops: Ops, before: list[_VM], entry: Entry, description: str) -> Moves:
    """(VM, host) for each of the VMs that were on the host and are now elsewhere."""
    if not before:
        return []
    with describing(description):
        after = _read_vms(ops, [vm.ref for vm in before])
    moves = []
    for vm in after:
        if vm.host is None or vm.host == entry.moid:
            continue
        target = ops.index.inventory.get(vm.host)
        moves.append((vm.name, target.display_name if target is not None else vm.host))
    for name, host_name in moves:
        ops.logger.info("%s: %r is on host %r", description, name, host_name)
    return moves


def _listed(vms: list[_VM]) -> str:
    names = ", ".join(repr(vm.name) for vm in vms)
    return f"VM {names} is" if len(vms) == 1 else f"{len(vms)} VMs ({names}) are"
