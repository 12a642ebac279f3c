"""An operation by name against the same operation by object, at several estate sizes, in
one run (numbers, not timed tests: compare the ratios).

    make bench
    .venv/bin/python bench/by_name.py --vms 100 10000 50000

For each size, one simulator (one datacenter, a cluster and a standalone host, the VMs split
over their two pools; tools take no time) and one VM in the middle of the inventory, powered
on and then off again (a cycle), timed five ways:

  plain    plain pyVmomi by object: the task call, then task.info read until it is done
           (the fastest a script can follow a task without a property collector)
  object   vs.power_on(vm) / vs.power_off(vm), vm an object the library returned
  path     the same by path, "/DC0/vm/NAME"
  name     the same by bare name, "NAME"
           (by path and by name, the index takes the server's changes first: one check)
  govc     govc vm.power -on NAME / -off NAME, a fresh process each (govc keeps its session
           between runs, its default, so it does not log in every time)

Each cell is the best of --rounds rounds of --cycles cycles (the first round warms every
path up and is not counted); the five take turns, in a different order every round. Times
are per operation (a cycle is two). The SOAP calls of one cycle are counted by the
simulator; "confirmation" is what a change by name costs beyond the same change by object,
in calls to the server and in checks of the index's stream (calls that follow a task which
was not done at its first read are left out of that difference: how often that happens is
the simulator's timing, the same for every way). Prints a Markdown table, then
the same numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vmware_wrapper import VSphere
from vmware_wrapper._base.vmomi import vim
from vmware_wrapper.testing import Simulator

BIN = Path(sys.executable).parent
WAYS = ("plain", "object", "path", "name")
LABELS = {
    "plain": "plain pyVmomi, by object (task + task.info reads)",
    "object": "`vs.power_on(vm)` / `power_off(vm)`",
    "path": '`vs.power_on("/DC0/vm/NAME")`, by path',
    "name": '`vs.power_on("NAME")`, by bare name',
    "govc": "`govc vm.power -on NAME` / `-off NAME` (a process each)",
}


def wait_task(task: Any) -> None:
    while task.info.state not in ("success", "error"):
        pass
    if task.info.state == "error":
        raise RuntimeError(f"task failed: {task.info.error}")


def powered(si: Any, moid: str) -> str:
    return str(vim.VirtualMachine(moid, si._stub).runtime.powerState)


def ways(vs: VSphere, si: Any, name: str) -> dict[str, Callable[[], None]]:
    """One power cycle (on, then off) of the VM, each way."""
    ours = vs.get_vm(name)
    theirs = vim.VirtualMachine(ours._moId, si._stub)
    path = f"/DC0/vm/{name}"

    def plain() -> None:
        wait_task(theirs.PowerOn())
        wait_task(theirs.PowerOff())

    def by(ref: Any) -> Callable[[], None]:
        def cycle() -> None:
            vs.power_on(ref)
            vs.power_off(ref)

        return cycle

    return {"plain": plain, "object": by(ours), "path": by(path), "name": by(name)}


def govc_cycle(env: dict[str, str], govc: str, name: str) -> Callable[[], None]:
    def run(*args: str) -> None:
        done = subprocess.run([govc, *args], env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"govc {' '.join(args)}: {done.stderr.strip()[-400:]}")

    def cycle() -> None:
        run("vm.power", "-on", name)
        run("vm.power", "-off", name)

    return cycle


def best_rounds(
    cycles: dict[str, Callable[[], None]], rounds: int, per_round: dict[str, int]
) -> dict[str, float]:
    """Seconds per operation, each way: the best round (after one that warms up)."""
    times: dict[str, list[float]] = {way: [] for way in cycles}
    order = list(cycles)
    for r in range(rounds + 1):
        turn = order[r % len(order) :] + order[: r % len(order)]
        for way in turn:
            n = per_round[way]
            started = time.perf_counter()
            for _ in range(n):
                cycles[way]()
            seconds = (time.perf_counter() - started) / (2 * n)
            if r:
                times[way].append(seconds)
    return {way: min(t) for way, t in times.items()}


def calls_per_cycle(
    sim: Simulator, vs: VSphere, cycle: Callable[[], None], cycles: int
) -> dict[str, Any]:
    """The SOAP calls of one cycle, and the index's stream checks, on average."""
    checks = vs._index.checks
    sim.reset_call_counts()
    for _ in range(cycles):
        cycle()
    counts = sim.call_counts()
    stream_checks = vs._index.checks - checks
    # Following a task (a filter made, waited on, destroyed) happens only when the task is
    # not done by its first read: how often is the simulator's timing, the same for every
    # way. Left out of "other", which is what compares.
    following = (
        counts.get("CreateFilter", 0)
        + counts.get("DestroyPropertyFilter", 0)
        + counts.get("WaitForUpdatesEx", 0)
        - stream_checks
    )
    return {
        "calls": round(sum(counts.values()) / cycles, 2),
        "other_than_following_tasks": round((sum(counts.values()) - following) / cycles, 2),
        "by_method": {m: round(n / cycles, 2) for m, n in sorted(counts.items())},
        "stream_checks": round(stream_checks / cycles, 2),
    }


def measure(vms: int, rounds: int, cycles: int, govc: str | None) -> dict[str, Any]:
    started = time.perf_counter()
    with (
        Simulator(vms_per_pool=vms // 2, tools_delay=0, start_timeout=1800) as sim,
        tempfile.TemporaryDirectory(prefix="govmomi-home-") as govmomi_home,
    ):
        start_s = time.perf_counter() - started
        print(f"{vms:,} VMs: the simulator started in {start_s:.0f} s", file=sys.stderr)
        si = sim.pyvmomi()
        vs = sim.connect()
        try:
            name = f"DC0_C0_RP0_VM{vms // 4}"
            vs.get_vm(name)
            deadline = time.monotonic() + 300
            while vs._index.last_update == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            every = ways(vs, si, name)
            per_round = dict.fromkeys(every, cycles)
            if govc is not None:
                env = {
                    **{
                        k: v
                        for k, v in os.environ.items()
                        if not k.startswith(("VMWARE_", "GOVC_", "GOVMOMI_"))
                    },
                    **sim.env,
                    "GOVMOMI_HOME": govmomi_home,
                }
                subprocess.run([govc, "about"], env=env, capture_output=True, check=True)
                every["govc"] = govc_cycle(env, govc, name)
                per_round["govc"] = max(1, cycles // 4)  # a process each: fewer
            moid = vs.get_vm(name)._moId
            if powered(si, moid) != "poweredOff":
                wait_task(vim.VirtualMachine(moid, si._stub).PowerOff())
            best = best_rounds(every, rounds, per_round)
            # Checked through the other connection: every cycle ended with the VM off.
            assert powered(si, moid) == "poweredOff", "the VM is not off after the cycles"
            calls = {way: calls_per_cycle(sim, vs, every[way], cycles) for way in WAYS}
        finally:
            vs.close()
            si.content.sessionManager.Logout()
            si._stub.DropConnections()
    out: dict[str, Any] = {
        "vms": vms,
        "simulator_start_s": round(start_s, 1),
        "target": name,
        "ms": {way: round(s * 1000, 3) for way, s in best.items()},
        "over_plain": {way: round(s / best["plain"], 2) for way, s in best.items()},
        "calls_per_cycle": calls,
        "confirmation": {
            "calls_per_operation": round(
                (
                    calls["name"]["other_than_following_tasks"]
                    - calls["object"]["other_than_following_tasks"]
                )
                / 2,
                2,
            ),
            "stream_checks_per_operation": round(calls["name"]["stream_checks"] / 2, 2),
        },
    }
    return out


def table(results: list[dict[str, Any]]) -> str:
    sizes = [r["vms"] for r in results]
    head = "| per operation (power on, or off) | " + " | ".join(f"{n:,} VMs" for n in sizes)
    lines = [head + " |", "| --- |" + " ---: |" * len(sizes)]
    for way in (*WAYS, "govc"):
        cells = []
        for r in results:
            if way not in r["ms"]:
                cells.append("")
                continue
            cell = f"{r['ms'][way]:.2f} ms"
            if way != "plain":
                cell += f" ({r['over_plain'][way]:.2f}x plain)"
            cells.append(cell)
        lines.append(f"| {LABELS[way]} | " + " | ".join(cells) + " |")
    lines.append(
        "| confirming the name: calls to the server, stream checks | "
        + " | ".join(
            f"{r['confirmation']['calls_per_operation']:+.2f}, "
            f"{r['confirmation']['stream_checks_per_operation']:.2f}"
            for r in results
        )
        + " |"
    )
    if len(results) > 1:
        first, last = results[0], results[-1]
        lines += [
            "",
            f"By name at {last['vms']:,} VMs against {first['vms']:,}: "
            f"{last['ms']['name'] / first['ms']['name']:.2f}x; "
            f"plain pyVmomi: {last['ms']['plain'] / first['ms']['plain']:.2f}x.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vms", type=int, nargs="+", default=[100, 10_000, 50_000])
    parser.add_argument("--rounds", type=int, default=6, help="rounds counted (best)")
    parser.add_argument("--cycles", type=int, default=8, help="power cycles per round")
    parser.add_argument(
        "--govc-at",
        type=int,
        nargs="*",
        default=[10_000],
        help="sizes at which govc is timed too (a process per operation: slow)",
    )
    parser.add_argument("--govc", default=str(BIN / "govc"), help="the govc program")
    args = parser.parse_args()
    if min(args.vms) < 4:
        parser.error("--vms: at least 4")
    if args.rounds < 1 or args.cycles < 1:
        parser.error("--rounds and --cycles: at least 1")
    if args.govc_at and not os.access(args.govc, os.X_OK):
        parser.error(f"govc not found at {args.govc} (run 'make setup')")
    results = [
        measure(n, args.rounds, args.cycles, args.govc if n in args.govc_at else None)
        for n in args.vms
    ]
    print(table(results))
    print()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
