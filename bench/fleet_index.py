"""Loading the inventory indexes of several vCenters: all at once (``Fleet.load()``) against
one after another, in one run (numbers, not timed tests: compare the ratio).

    .venv/bin/python bench/fleet_index.py                 # three 10,000-VM simulators
    .venv/bin/python bench/fleet_index.py --vcenters 2 --vms 2000 --runs 3

--vcenters simulators, each with --vms VMs (one datacenter, a cluster and a standalone host,
the VMs split over their two pools), started at the same time. Every run connects afresh to
each of them (one ``VSphere`` per simulator, index not loaded; connecting is not timed), then
times loading every index, two ways:

  sequential   for each vCenter in turn: vs.find("datacenter", "*"), the first lookup,
               which loads that index (what Fleet.load() asks of each member)
  concurrent   Fleet(members).load(): the same lookup on every member at once, a thread each

and checks that each index holds every VM of its simulator (not timed), then closes the
connections. The two ways take turns (which goes first alternates from run to run), each
once with the inventory watch the library starts after a load (its default: the first
member's watch makes its own first sync while the next member loads) and once without it
(``watch_inventory=False``: the loads alone). Each cell is the median of --runs runs (the
best in brackets). Client and simulators share the machine's cores: a simulator
serialising its inventory and the client parsing it compete for them, so the ratio says
what overlapping the waits gains on this machine, not on one with a core per vCenter.
Prints a Markdown table, then the numbers as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vmware_wrapper import Fleet, VSphere
from vmware_wrapper.testing import Simulator

WAYS = ("sequential", "concurrent")
WATCHES = {True: "watch on (the default)", False: "watch off"}


def load_one_after_another(members: dict[str, VSphere]) -> None:
    for vs in members.values():
        vs.find("datacenter", "*")


def load_all_at_once(members: dict[str, VSphere]) -> None:
    Fleet(members).load()


LOADS: dict[str, Callable[[dict[str, VSphere]], None]] = {
    "sequential": load_one_after_another,
    "concurrent": load_all_at_once,
}


def start_simulators(count: int, vms: int) -> list[Simulator]:
    """``count`` simulators of ``vms`` VMs each, started at once (each takes ~20 s at 10,000)."""
    sims = [
        Simulator(vms_per_pool=vms // 2, tools_delay=0, start_timeout=1800) for _ in range(count)
    ]
    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            for future in [pool.submit(sim.start) for sim in sims]:
                future.result()
    except BaseException:
        for sim in sims:
            sim.stop()
        raise
    return sims


def timed_load(sims: list[Simulator], way: str, watch: bool) -> float:
    """Seconds to load every simulator's index, one way, on fresh connections."""
    members = {f"vc{i + 1}": sim.connect(watch_inventory=watch) for i, sim in enumerate(sims)}
    try:
        gc.collect()
        started = time.perf_counter()
        LOADS[way](members)
        seconds = time.perf_counter() - started
        for name, vs in members.items():
            sim = sims[int(name[2:]) - 1]
            loaded = len(vs.find("vm", "*"))
            if loaded != sim.vm_count:
                raise RuntimeError(f"{name}: the index holds {loaded} VMs of {sim.vm_count}")
        return seconds
    finally:
        for vs in members.values():
            vs.close()


def measure(vcenters: int, vms: int, runs: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    sims = start_simulators(vcenters, vms)
    try:
        start_s = time.perf_counter() - started
        print(
            f"{vcenters} simulators of {vms:,} VMs started in {start_s:.0f} s",
            file=sys.stderr,
        )
        # One load each way first, not counted: imports, first connections, the
        # simulators' first serialisation of their inventories.
        for way in WAYS:
            timed_load(sims, way, watch=False)
        times: dict[bool, dict[str, list[float]]] = {w: {way: [] for way in WAYS} for w in WATCHES}
        for run in range(runs):
            turn = WAYS if run % 2 == 0 else WAYS[::-1]
            for watch in WATCHES:
                for way in turn:
                    seconds = timed_load(sims, way, watch)
                    times[watch][way].append(seconds)
                    print(
                        f"run {run + 1}, {WATCHES[watch]}, {way}: {seconds:.2f} s",
                        file=sys.stderr,
                    )
    finally:
        for sim in sims:
            sim.stop()
    rows = []
    for watch, by_way in times.items():
        median = {way: statistics.median(t) for way, t in by_way.items()}
        rows.append(
            {
                "watch": watch,
                "median_s": {way: round(s, 3) for way, s in median.items()},
                "best_s": {way: round(min(t), 3) for way, t in by_way.items()},
                "all_s": {way: [round(s, 3) for s in t] for way, t in by_way.items()},
                "sequential_over_concurrent": round(median["sequential"] / median["concurrent"], 2),
            }
        )
    return {
        "vcenters": vcenters,
        "vms_per_vcenter": vms,
        "runs": runs,
        "cpus": os.cpu_count(),
        "simulators_start_s": round(start_s, 1),
        # The machine's load (1-minute average) before the simulators started, and after
        # the runs: other work on the machine shows here.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "rows": rows,
    }


def table(result: dict[str, Any]) -> str:
    n, vms = result["vcenters"], result["vms_per_vcenter"]
    lines = [
        f"| loading the indexes of {n} vCenters of {vms:,} VMs each: median of "
        f"{result['runs']} runs (best) | one after another | all at once, `Fleet.load()` "
        "| sequential / concurrent (medians) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in result["rows"]:
        median, best = row["median_s"], row["best_s"]
        lines.append(
            f"| {WATCHES[row['watch']]} "
            f"| {median['sequential']:.2f} s ({best['sequential']:.2f} s) "
            f"| {median['concurrent']:.2f} s ({best['concurrent']:.2f} s) "
            f"| {row['sequential_over_concurrent']:.2f}x |"
        )
    lines += [
        "",
        f"{result['cpus']} CPUs for the client and the {n} simulators; the load average "
        f"was {result['load_average'][0]:.1f} before the runs and {result['load_average'][1]:.1f} "
        "after.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vcenters", type=int, default=3, help="simulators (vCenters)")
    parser.add_argument("--vms", type=int, default=10_000, help="VMs per vCenter")
    parser.add_argument("--runs", type=int, default=5, help="runs counted (median)")
    args = parser.parse_args()
    if args.vcenters < 2:
        parser.error("--vcenters: at least 2")
    if args.vms < 2 or args.vms % 2:
        parser.error("--vms: an even number, at least 2 (split over two pools)")
    if args.runs < 1:
        parser.error("--runs: at least 1")
    result = measure(args.vcenters, args.vms, args.runs)
    print(table(result))
    print()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
