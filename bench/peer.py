"""Side by side with govc: the same jobs through govc, vmw and the library, in one run
against one simulator.

    make bench
    .venv/bin/python bench/peer.py --vms 1000 --repeat 3

govc is the tool a vSphere administrator would otherwise reach for (the one of the
govmomi release the simulator is built on, next to the virtualenv's python). Each row is
timed four ways:

  govc      the govc command, a fresh process
  vmw       the vmw command, a fresh process (A: process against process)
  warm      the library call on a VSphere already connected, its inventory index loaded
            and its watch synced (B: library against the govc process)
  cold      the library call on a new VSphere: connect, load the index, then the call
            (govc always starts cold)

Rows: 1 find one VM by name; 2a/2b its info, as text and as JSON; 3 every VM with its
power state; 4 power one VM on, then off; 5a power on the 200 VMs of a folder (5b: govc
with -M, one PowerOnMultiVM_Task; 5c: each power-on task taking 0.2 s, as a vCenter's
take time and the stock simulator's do not); 6 take a snapshot, then remove it.

Ratios are ours / govc: below 1 we are faster. Each cell is the best of --repeat
repetitions; the sides take turns in alternating order, and each waits for the
simulator to go idle first. The warm VSphere is made before each of its cells, so that
no side works beside a watch it did not start. What each side did is checked through
plain pyVmomi (power states, snapshots) or in its output, outside the timing. A row of two
commands (4, 6) is two processes for govc and vmw, and two calls for the library, each on
a new VSphere in the cold column. The SOAP calls each cell made (the simulator counts
them) are printed as well: they show where the time goes.

govc keeps its session between runs (its default; here in a temporary GOVMOMI_HOME,
logged in once before the timing), so a govc run does not log in; vmw logs in and out
in every run. Prints a Markdown table, then the same numbers as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from run import retrieve_all, view_spec  # bench/run.py, beside this file
from vmware_wrapper import VSphere
from vmware_wrapper._base.vmomi import vim, vmodl
from vmware_wrapper.testing import Simulator

PC = vmodl.query.PropertyCollector
BIN = Path(sys.executable).parent
GROUP_SIZE = 200  # VMs moved into FOLDER for the bulk row
FOLDER_NAME = "bench200"
FOLDER = f"/DC0/vm/{FOLDER_NAME}"
CONCURRENCY = 20  # of vmw's and the library's bulk power-on (vmw's default is 10)
SNAPSHOT = "s1"
SLOW_TASK_S = 0.2  # how long each power-on task takes in row 5c
PROCESS_TIMEOUT = 600  # seconds, for one govc or vmw run
SIDES = ("govc", "vmw", "warm", "cold")
NOTES = (
    "govc keeps its session between runs (its default; logged in once before the timing); "
    "vmw logs in and out in every run.",
    "Library warm: a VSphere connected, its inventory index loaded and its watch synced, "
    "made before each of its cells (outside the timing). Library cold: a new VSphere, "
    "connect and index load included; its close (the logout) is not timed.",
    "Rows of two commands (4, 6): two processes for govc and vmw, two calls for the "
    "library, each on a new VSphere in the cold column.",
    "Each side's work is checked through plain pyVmomi or in its output, outside the timing.",
)


class BenchError(RuntimeError):
    """A side did not do what it was asked to."""


def check(ok: bool, what: str) -> None:
    if not ok:
        raise BenchError(what)


# -- the checks, through plain pyVmomi --------------------------------------------------


def all_vms(si: Any) -> dict[str, Any]:
    """Every VM by name (one paged retrieval of `name` over a container view)."""
    view, spec = view_spec(si, pathSet=["name"])
    try:
        return {obj.propSet[0].val: obj.obj for obj in retrieve_all(si, spec)}
    finally:
        view.Destroy()


def power_states(si: Any, vms: list[Any]) -> dict[str, str]:
    """moid -> runtime.powerState, one retrieval."""
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vm) for vm in vms],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["runtime.powerState"])],
    )
    return {obj.obj._moId: str(obj.propSet[0].val) for obj in retrieve_all(si, spec)}


def snapshot_names(vm: Any) -> list[str]:
    tree = vm.snapshot
    names: list[str] = []
    stack = list(tree.rootSnapshotList) if tree else []
    while stack:
        node = stack.pop()
        names.append(node.name)
        stack += node.childSnapshotList
    return names


def wait_task(task: Any) -> None:
    while task.info.state not in ("success", "error"):
        time.sleep(0.005)
    check(task.info.state == "success", f"task {task._moId}: {task.info.error}")


def power_off_all(si: Any, vms: list[Any]) -> None:
    """Power off those of these VMs that are on (all the tasks, then their ends)."""
    states = power_states(si, vms)
    tasks = [vm.PowerOffVM_Task() for vm in vms if states[vm._moId] != "poweredOff"]
    for task in tasks:
        wait_task(task)


def expect_states(si: Any, vms: list[Any], state: str, who: str) -> None:
    states = power_states(si, vms)
    wrong = [moid for moid, s in states.items() if s != state]
    check(not wrong and len(states) == len(vms), f"{who}: {len(wrong)} VMs not {state}")


# -- timing -----------------------------------------------------------------------------


@dataclass
class Meter:
    """The seconds and SOAP calls of the timed steps of one cell."""

    sim: Simulator
    seconds: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def timed(self) -> Iterator[None]:
        self.sim.reset_call_counts()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - started
            self.calls.update(self.sim.call_counts())


def cpu_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def settle(sim: Simulator, limit: float = 30.0) -> None:
    """Wait until the simulator has gone idle (under 10% of a core over a tenth of a
    second): what the previous cell left it doing is not the next one's to pay for."""
    gc.collect()
    deadline = time.monotonic() + limit
    before = cpu_ticks(sim.pid)
    if before is None:
        time.sleep(0.3)
        return
    while time.monotonic() < deadline:
        time.sleep(0.1)
        after = cpu_ticks(sim.pid)
        if after is None or after - before <= 1:
            return
        before = after


# -- the sides --------------------------------------------------------------------------


@dataclass
class Bench:
    sim: Simulator
    si: Any
    env: dict[str, str]
    govc_path: str
    vmw_path: str
    vm_count: int
    target: str  # a VM's name
    target_vm: Any  # the same VM, on the checking connection
    group: list[Any]  # the VMs in FOLDER

    @property
    def target_path(self) -> str:
        return f"/DC0/vm/{self.target}"

    def process(self, meter: Meter, tool: str, *args: str) -> str:
        """Run govc or vmw once, timed; its standard output."""
        argv = [self.govc_path if tool == "govc" else self.vmw_path, *args]
        try:
            with meter.timed():
                done = subprocess.run(
                    argv, env=self.env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT
                )
        except subprocess.TimeoutExpired:
            raise BenchError(
                f"{tool} {' '.join(args)} did not finish in {PROCESS_TIMEOUT} s "
                "(a deadlocked simulator answers no more calls of that session)"
            ) from None
        check(
            done.returncode == 0,
            f"{tool} {' '.join(args)}: exit status {done.returncode}: {done.stderr.strip()[-400:]}",
        )
        return done.stdout

    def warm_vsphere(self) -> VSphere:
        """A VSphere with its index loaded and its watch's first full answer applied."""
        vs = self.sim.connect()
        vs.get_vm(self.target)
        check(synced(vs, 300), "the warm VSphere's watch did not sync")
        return vs


def synced(vs: VSphere, limit: float) -> bool:
    """Wait until the index's watch has applied its first answer (False: not in time)."""
    deadline = time.monotonic() + limit
    while vs._index.last_update == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    return vs._index.last_update != 0


class Library:
    """The VSphere a library cell works on: the warm one, or a new one for every step (made
    inside the timing: connecting and loading the index are what a cold call costs)."""

    def __init__(self, bench: Bench, warm: VSphere | None) -> None:
        self._bench = bench
        self._warm = warm
        self._made: list[VSphere] = []

    def vs(self) -> VSphere:
        if self._warm is not None:
            return self._warm
        vs = self._bench.sim.connect()
        self._made.append(vs)
        return vs

    def close(self) -> None:
        for vs in self._made:
            # Not while its watch's first answer is still being made: the simulator
            # (govmomi v0.56.0) deadlocks on a Logout that meets its session's
            # WaitForUpdatesEx collecting through a container view.
            synced(vs, 120)
            vs.close()


class Row:
    """One job, four ways. ``before`` runs ahead of every cell, outside the timing;
    ``start`` and ``finish`` before the row's first cell and after its last."""

    title = ""
    govc_command = ""
    vmw_command = ""
    library_call = ""

    def start(self, b: Bench) -> None:
        pass

    def finish(self, b: Bench) -> None:
        pass

    def before(self, b: Bench) -> None:
        pass

    def govc(self, b: Bench, m: Meter) -> None:
        raise NotImplementedError

    def vmw(self, b: Bench, m: Meter) -> None:
        raise NotImplementedError

    def library(self, b: Bench, m: Meter, lib: Library) -> None:
        raise NotImplementedError


class FindOne(Row):
    title = "1. find one VM by name"
    govc_command = "govc find / -type m -name NAME"
    vmw_command = "vmw find --type vm NAME"
    library_call = "vs.get_vm(NAME)"

    def govc(self, b: Bench, m: Meter) -> None:
        out = b.process(m, "govc", "find", "/", "-type", "m", "-name", b.target)
        check(out.split() == [b.target_path], f"govc find printed {out!r}")

    def vmw(self, b: Bench, m: Meter) -> None:
        out = b.process(m, "vmw", "find", "--type", "vm", b.target)
        check(b.target_path in out.split(), f"vmw find printed {out!r}")

    def library(self, b: Bench, m: Meter, lib: Library) -> None:
        with m.timed():
            vm = lib.vs().get_vm(b.target)
        check(vm._moId == b.target_vm._moId, f"get_vm found {vm._moId}")


def truth(b: Bench) -> str:
    return power_states(b.si, [b.target_vm])[b.target_vm._moId]


class InfoText(Row):
    title = "2a. info of one VM (text)"
    govc_command = "govc vm.info NAME"
    vmw_command = "vmw vm info NAME"
    library_call = "vs.vm_info(NAME)"

    def govc(self, b: Bench, m: Meter) -> None:
        out = b.process(m, "govc", "vm.info", b.target)
        fields = dict(line.strip().split(":", 1) for line in out.splitlines() if ":" in line)
        check(fields.get("Name", "").strip() == b.target, f"govc vm.info printed {out!r}")
        check(fields.get("Power state", "").strip() == truth(b), "govc vm.info: power state")

    def vmw(self, b: Bench, m: Meter) -> None:
        out = b.process(m, "vmw", "vm", "info", b.target)
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        check(fields.get("name", "").strip() == b.target, f"vmw vm info printed {out!r}")
        check(fields.get("power_state", "").strip() == truth(b), "vmw vm info: power state")

    def library(self, b: Bench, m: Meter, lib: Library) -> None:
        with m.timed():
            info = lib.vs().vm_info(b.target)
        check(info.name == b.target and info.power_state == truth(b), f"vm_info: {info}")


class InfoJson(InfoText):
    title = "2b. info of one VM (JSON)"
    govc_command = "govc vm.info -json NAME"
    vmw_command = "vmw --json vm info NAME"

    def govc(self, b: Bench, m: Meter) -> None:
        vms = json.loads(b.process(m, "govc", "vm.info", "-json", b.target))["virtualMachines"]
        check(len(vms) == 1 and vms[0]["name"] == b.target, "govc vm.info -json: the VM")
        check(vms[0]["runtime"]["powerState"] == truth(b), "govc vm.info -json: power state")

    def vmw(self, b: Bench, m: Meter) -> None:
        infos = json.loads(b.process(m, "vmw", "--json", "vm", "info", b.target))
        check(len(infos) == 1 and infos[0]["name"] == b.target, "vmw vm info: the VM")
        check(infos[0]["power_state"] == truth(b), "vmw vm info: power state")


def json_stream(text: str) -> Iterator[Any]:
    """The JSON values of a text that holds several, one after the other."""
    decoder = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return
        value, at = decoder.raw_decode(text, at)
        yield value


class ListAll(Row):
    title = "3. list every VM with its power state"
    # govc's way to read chosen properties of every VM: one property collector filter over
    # a container view, a record per VM with its name and power state. `govc find -l` and
    # `govc ls -l` print types and paths, no state; `govc vm.info` of every VM reads each
    # one's whole summary and more. -json to match `vmw --json vm ls`: output a script reads.
    govc_command = "govc object.collect -json -type m / name runtime.powerState"
    vmw_command = "vmw --json vm ls"
    library_call = "vs.list_vms()"

    def expect(self, b: Bench, who: str, states: dict[str, str]) -> None:
        check(len(states) == b.vm_count, f"{who}: {len(states)} VMs of {b.vm_count}")
        check(states.get(b.target) == truth(b), f"{who}: the power state of {b.target}")
        off = sum(1 for s in states.values() if s == "poweredOff")
        check(off == GROUP_SIZE + 1, f"{who}: {off} VMs off, not {GROUP_SIZE + 1}")

    def govc(self, b: Bench, m: Meter) -> None:
        out = b.process(m, "govc", *self.govc_command.split()[1:])
        states = {}
        for record in json_stream(out):
            props = {p["name"]: p["val"] for p in record["changeSet"]}
            states[props["name"]] = props["runtime.powerState"]
        self.expect(b, "govc object.collect", states)

    def vmw(self, b: Bench, m: Meter) -> None:
        infos = json.loads(b.process(m, "vmw", "--json", "vm", "ls"))
        self.expect(b, "vmw vm ls", {i["name"]: i["power_state"] for i in infos})

    def library(self, b: Bench, m: Meter, lib: Library) -> None:
        with m.timed():
            infos = lib.vs().list_vms()
        self.expect(b, "list_vms", {i.name: i.power_state for i in infos})


class PowerCycle(Row):
    title = "4. power on, then off, one VM"
    govc_command = "govc vm.power -on NAME; govc vm.power -off NAME"
    vmw_command = "vmw vm on NAME; vmw vm off NAME"
    library_call = "vs.power_on(NAME); vs.power_off(NAME)"

    def before(self, b: Bench) -> None:
        power_off_all(b.si, [b.target_vm])

    def both(self, b: Bench, who: str, on: Callable[[], Any], off: Callable[[], Any]) -> None:
        on()
        expect_states(b.si, [b.target_vm], "poweredOn", who)
        off()
        expect_states(b.si, [b.target_vm], "poweredOff", who)

    def govc(self, b: Bench, m: Meter) -> None:
        self.both(
            b,
            "govc vm.power",
            lambda: b.process(m, "govc", "vm.power", "-on", b.target),
            lambda: b.process(m, "govc", "vm.power", "-off", b.target),
        )

    def vmw(self, b: Bench, m: Meter) -> None:
        self.both(
            b,
            "vmw vm on/off",
            lambda: b.process(m, "vmw", "vm", "on", b.target),
            lambda: b.process(m, "vmw", "vm", "off", b.target),
        )

    def library(self, b: Bench, m: Meter, lib: Library) -> None:
        def on() -> None:
            with m.timed():
                lib.vs().power_on(b.target)

        def off() -> None:
            with m.timed():
                lib.vs().power_off(b.target)

        self.both(b, "power_on/power_off", on, off)


class PowerFolder(Row):
    title = f"5a. power on the {GROUP_SIZE} VMs of a folder"
    govc_command = f"govc vm.power -on '{FOLDER}/*'"
    govc_args: tuple[str, ...] = ("vm.power", "-on", f"{FOLDER}/*")
    vmw_command = f"vmw vm on {FOLDER} --concurrency {CONCURRENCY}"
    library_call = f'vs.bulk("power_on", "{FOLDER}", concurrency={CONCURRENCY})'

    def before(self, b: Bench) -> None:
        power_off_all(b.si, b.group)

    def govc(self, b: Bench, m: Meter) -> None:
        b.process(m, "govc", *self.govc_args)
        expect_states(b.si, b.group, "poweredOn", "govc vm.power")

    def vmw(self, b: Bench, m: Meter) -> None:
        b.process(m, "vmw", "vm", "on", FOLDER, "--concurrency", str(CONCURRENCY))
        expect_states(b.si, b.group, "poweredOn", "vmw vm on")

    def library(self, b: Bench, m: Meter, lib: Library) -> None:
        with m.timed():
            results = lib.vs().bulk("power_on", FOLDER, concurrency=CONCURRENCY)
        failed = [r for r in results if not r.ok]
        check(len(results) == GROUP_SIZE and not failed, f"bulk: {failed[:3]}")
        expect_states(b.si, b.group, "poweredOn", "bulk power_on")


class PowerFolderMulti(PowerFolder):
    # govc's other way: one Datacenter.PowerOnMultiVM_Task for all the VMs, instead of a
    # PowerOnVM_Task per VM, one after the other.
    title = f"5b. the same, govc with -M (one task for all {GROUP_SIZE})"
    govc_command = f"govc vm.power -on -M '{FOLDER}/*'"
    govc_args = ("vm.power", "-on", "-M", f"{FOLDER}/*")


class PowerFolderSlow(PowerFolder):
    # The stock simulator finishes a task before it answers; a vCenter takes seconds to
    # power a VM on. (Not with -M: the simulator's PowerOnMultiVM_Task powers the VMs on
    # without PowerOnVM_Task calls, which the delay is set on.)
    title = f"5c. the same as 5a, each power-on task taking {SLOW_TASK_S} s"

    def start(self, b: Bench) -> None:
        b.sim.set_task_delay("PowerOnVM_Task", SLOW_TASK_S)

    def finish(self, b: Bench) -> None:
        b.sim.set_task_delay("PowerOnVM_Task", 0)


class Snapshot(Row):
    title = "6. snapshot create, then remove"
    govc_command = (
        f"govc snapshot.create -vm NAME {SNAPSHOT}; govc snapshot.remove -vm NAME {SNAPSHOT}"
    )
    vmw_command = f"vmw snapshot create NAME {SNAPSHOT}; vmw snapshot rm NAME {SNAPSHOT} --yes"
    library_call = f'vs.create_snapshot(NAME, "{SNAPSHOT}"); vs.remove_snapshot(NAME, "{SNAPSHOT}")'

    def before(self, b: Bench) -> None:
        check(snapshot_names(b.target_vm) == [], f"{b.target} has snapshots already")

    def both(
        self, b: Bench, who: str, create: Callable[[], Any], remove: Callable[[], Any]
    ) -> None:
        create()
        check(snapshot_names(b.target_vm) == [SNAPSHOT], f"{who}: no snapshot made")
        remove()
        check(snapshot_names(b.target_vm) == [], f"{who}: the snapshot is still there")

    def govc(self, b: Bench, m: Meter) -> None:
        self.both(
            b,
            "govc snapshot",
            lambda: b.process(m, "govc", "snapshot.create", "-vm", b.target, SNAPSHOT),
            lambda: b.process(m, "govc", "snapshot.remove", "-vm", b.target, SNAPSHOT),
        )

    def vmw(self, b: Bench, m: Meter) -> None:
        self.both(
            b,
            "vmw snapshot",
            lambda: b.process(m, "vmw", "snapshot", "create", b.target, SNAPSHOT),
            lambda: b.process(m, "vmw", "snapshot", "rm", b.target, SNAPSHOT, "--yes"),
        )

    def library(self, b: Bench, m: Meter, lib: Library) -> None:
        def create() -> None:
            with m.timed():
                lib.vs().create_snapshot(b.target, SNAPSHOT)

        def remove() -> None:
            with m.timed():
                lib.vs().remove_snapshot(b.target, SNAPSHOT)

        self.both(b, "create_snapshot/remove_snapshot", create, remove)


ROWS: list[Row] = [
    FindOne(),
    InfoText(),
    InfoJson(),
    ListAll(),
    PowerCycle(),
    PowerFolder(),
    PowerFolderMulti(),
    PowerFolderSlow(),
    Snapshot(),
]


def cell(b: Bench, row: Row, side: str) -> Meter:
    row.before(b)
    warm = b.warm_vsphere() if side == "warm" else None
    lib = Library(b, warm)
    meter = Meter(b.sim)
    try:
        settle(b.sim)
        if side == "govc":
            row.govc(b, meter)
        elif side == "vmw":
            row.vmw(b, meter)
        else:
            row.library(b, meter, lib)
    finally:
        lib.close()
        if warm is not None:
            warm.close()
    return meter


def measure_row(b: Bench, row: Row, repeat: int) -> dict[str, Any]:
    runs: dict[str, list[Meter]] = {side: [] for side in SIDES}
    row.start(b)
    try:
        for i in range(repeat):
            for side in SIDES if i % 2 == 0 else reversed(SIDES):
                runs[side].append(cell(b, row, side))
    finally:
        row.finish(b)
    out: dict[str, Any] = {"row": row.title}
    commands = {
        "govc": row.govc_command,
        "vmw": row.vmw_command,
        "warm": row.library_call,
        "cold": row.library_call,
    }
    for side, meters in runs.items():
        best = min(meters, key=lambda m: m.seconds)
        out[side] = {
            "command": commands[side],
            "s": round(best.seconds, 6),
            "runs_s": [round(m.seconds, 6) for m in meters],
            "calls": dict(sorted(best.calls.items())),
        }
    for side in ("vmw", "warm", "cold"):
        out[f"ratio_{side}"] = float(f"{out[side]['s'] / out['govc']['s']:.3g}")
    return out


# -- setting up -------------------------------------------------------------------------


def environment(sim: Simulator, govmomi_home: str) -> dict[str, str]:
    """This environment without connection settings of its own, then the simulator's."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "GOVC_", "GOVMOMI_"))
    }
    return {**base, **sim.env, "GOVMOMI_HOME": govmomi_home}


def prepare(sim: Simulator, si: Any, env: dict[str, str], govc: str, vmw: str) -> Bench:
    names = all_vms(si)
    check(len(names) == sim.vm_count, f"{len(names)} VMs of {sim.vm_count}")
    per_pool = sim.vm_count // 2
    target = f"DC0_H0_VM{per_pool // 2}"
    group = [names[f"DC0_C0_RP0_VM{i}"] for i in range(GROUP_SIZE)]
    # The bulk row's VMs, into a folder of their own: one MoveIntoFolder_Task.
    datacenter = si.content.rootFolder.childEntity[0]
    folder = datacenter.vmFolder.CreateFolder(FOLDER_NAME)
    wait_task(folder.MoveIntoFolder_Task(group))
    check(len(folder.childEntity) == GROUP_SIZE, f"{FOLDER} holds {len(folder.childEntity)}")
    b = Bench(sim, si, env, govc, vmw, len(names), target, names[target], group)
    power_off_all(si, [b.target_vm, *group])
    # Once each before the timing: govc logs in and keeps its session; both programs and
    # their libraries are read from disk into the page cache.
    meter = Meter(sim)
    b.process(meter, "govc", "about")
    b.process(meter, "vmw", "find", "--type", "vm", target)
    return b


# -- output -----------------------------------------------------------------------------


def seconds(x: float) -> str:
    """Three decimals, or two significant digits below 0.01."""
    return f"{x:.3f}" if x >= 0.01 else f"{x:.2g}"


def ratio(x: float) -> str:
    """Two decimals, or two significant digits below 0.1."""
    return f"{x:.2f}" if x >= 0.1 else f"{x:.2g}"


def calls_cell(calls: dict[str, int], top: int = 3) -> str:
    total = sum(calls.values())
    most = sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return f"{total} ({', '.join(f'{m} {n}' for m, n in most)})"


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"{result['vms']:,} VMs, best of {result['repeat']}; ratio = ours / govc "
        "(< 1: we are faster). Library warm: a VSphere already connected, its inventory "
        "index loaded and watched; cold: a new VSphere (connect, load the index, the call).",
        "",
        "| row | govc s | vmw s | ratio | library warm s | ratio | library cold s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['row']} | {seconds(r['govc']['s'])} | {seconds(r['vmw']['s'])} "
            f"| {ratio(r['ratio_vmw'])} | {seconds(r['warm']['s'])} | {ratio(r['ratio_warm'])} "
            f"| {seconds(r['cold']['s'])} |"
        )
    lines += [
        "",
        "SOAP calls of each cell's best repetition (total, then the most frequent):",
        "",
        "| row | govc | vmw | library warm | library cold |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in result["rows"]:
        cells = " | ".join(calls_cell(r[side]["calls"]) for side in SIDES)
        lines.append(f"| {r['row']} | {cells} |")
    lines += ["", *(f"- {note}" for note in result["notes"])]
    lines += ["", "Commands (NAME: " + result["target"] + "):", ""]
    for r in result["rows"]:
        lines.append(
            f"- {r['row']}: `{r['govc']['command']}` | `{r['vmw']['command']}` "
            f"| `{r['warm']['command']}`"
        )
    return "\n".join(lines)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(vms: int, repeat: int, govc: str, vmw: str) -> dict[str, Any]:
    load_before = load_average()
    started = time.perf_counter()
    with (
        Simulator(vms_per_pool=vms // 2, tools_delay=0, start_timeout=1800) as sim,
        tempfile.TemporaryDirectory(prefix="govmomi-home-") as govmomi_home,
    ):
        start_s = time.perf_counter() - started
        si = sim.pyvmomi()
        try:
            b = prepare(sim, si, environment(sim, govmomi_home), govc, vmw)
            rows = []
            for row in ROWS:
                print(f"{row.title} ...", file=sys.stderr, flush=True)
                rows.append(measure_row(b, row, repeat))
        finally:
            si.content.sessionManager.Logout()
            si._stub.DropConnections()
    return {
        "vms": b.vm_count,
        "repeat": repeat,
        "simulator_start_s": round(start_s, 1),
        "target": b.target,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "notes": list(NOTES),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vms", type=int, default=10_000, help="VMs in the inventory")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per cell (best)")
    parser.add_argument("--govc", default=str(BIN / "govc"), help="the govc program")
    parser.add_argument("--vmw", default=str(BIN / "vmw"), help="the vmw program")
    args = parser.parse_args()
    if args.vms < 2 * GROUP_SIZE:
        parser.error(f"--vms: at least {2 * GROUP_SIZE} (the bulk row moves {GROUP_SIZE})")
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    for name in ("govc", "vmw"):
        path = getattr(args, name)
        if not os.access(path, os.X_OK):
            found = shutil.which(name)
            if found is None:
                parser.error(f"{name} not found at {path} (run 'make setup')")
            setattr(args, name, found)
    result = run(args.vms, args.repeat, args.govc, args.vmw)
    print(markdown(result))
    print()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
