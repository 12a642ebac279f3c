"""Benchmarks (not timed tests): numbers as JSON; compare ratios measured in one run.

    make bench                              # 10,000 VMs, then 50,000
    .venv/bin/python bench/run.py --vms 2000 --old-way-max 2000

(bench/peer.py, which `make bench` runs next, puts the same jobs through govc, vmw and the
library side by side.)

For each inventory size, against the bundled simulator:

  a  old_way_s        the old way: all properties of all VMs, then match the name (pyVmomi)
  b  pyvmomi_names_s  plain pyVmomi: one paged RetrievePropertiesEx of `name` only
  c  cold_get_vm_s    our get_vm(name) on a fresh VSphere (loads the inventory index)
  d  warm_lookups_s   get_vm() of every VM by name, once the index is loaded: the best of
                      three passes (first_pass_s: the first, right after the watch's sync)
  e  rename_seen_s    from another session's rename to the index's watch knowing the new name
     rename_lookup_s  from that rename to get_vm(new name) succeeding (a miss checks the server)
  f  index_mb         memory the index holds (tracemalloc)

And once, on small inventories: a power cycle (off, on) through the library against plain
pyVmomi's fastest loop (the task call, then task.info read until it is done), the best of
five alternating rounds of 30 cycles each; and powering
on 200 VMs whose tasks take 0.2 s each, in bulk with a concurrency of 20 against one VM at a
time (timed on 20 VMs, times 10), with the SOAP calls the bulk run made.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from typing import Any

from vmware_wrapper import VSphere
from vmware_wrapper._base.vmomi import vim, vmodl
from vmware_wrapper._inventory.tree import KINDS
from vmware_wrapper.testing import Simulator

PC = vmodl.query.PropertyCollector
ROUNDS = 10  # of the power cycle comparison


def view_spec(si: Any, **prop: Any) -> tuple[Any, Any]:
    content = si.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    spec = PC.FilterSpec(
        objectSet=[
            PC.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[PC.TraversalSpec(path="view", type=vim.view.ContainerView)],
            )
        ],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, **prop)],
    )
    return view, spec


def retrieve_all(si: Any, spec: Any) -> list[Any]:
    collector = si.content.propertyCollector
    result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    objects: list[Any] = []
    while result:
        objects += result.objects
        result = result.token and collector.ContinueRetrievePropertiesEx(result.token)
    return objects


def old_way(si: Any, name: str) -> Any:
    """What the seed did: every property of every VM, then a match on the name."""
    view, spec = view_spec(si, all=True)
    try:
        for obj in retrieve_all(si, spec):
            props = {p.name: p.val for p in obj.propSet}
            if props.get("name") == name:
                return obj.obj
    finally:
        view.Destroy()
    return None


def pyvmomi_names(si: Any) -> dict[str, Any]:
    view, spec = view_spec(si, pathSet=["name"])
    try:
        return {obj.propSet[0].val: obj.obj for obj in retrieve_all(si, spec)}
    finally:
        view.Destroy()


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def measure(vms: int, old_way_max: int) -> dict[str, Any]:
    out: dict[str, Any] = {"vms": vms}
    started = time.perf_counter()
    # One datacenter, one cluster and one standalone host: the VMs split over their two pools.
    with Simulator(vms_per_pool=vms // 2, tools_delay=0, start_timeout=900) as sim:
        out["simulator_start_s"] = round(time.perf_counter() - started, 2)
        si = sim.pyvmomi()
        target = f"DC0_H0_VM{vms // 4}"
        try:
            if vms <= old_way_max:
                out["a_old_way_s"], found = timed(old_way, si, target)
                assert found is not None
            out["b_pyvmomi_names_s"], names = timed(pyvmomi_names, si)
            assert len(names) == vms

            out["f_index_mb"] = index_memory_mb(sim, target)
            vs = sim.connect()
            try:
                out["c_cold_get_vm_s"], vm = timed(vs.get_vm, target)
                assert vm._moId == names[target]._moId

                # Let the watch finish its first full sync before timing warm lookups.
                deadline = time.monotonic() + 120
                while vs._index.last_update == 0 and time.monotonic() < deadline:
                    time.sleep(0.05)
                all_names = list(names)
                # What the steps before left behind is not the lookups' to collect.
                gc.collect()
                passes = [timed(lambda: [vs.get_vm(n) for n in all_names])[0] for _ in range(3)]
                out["d_first_pass_s"] = passes[0]
                out["d_warm_lookups_s"] = min(passes)
                out["d_warm_lookup_us"] = round(out["d_warm_lookups_s"] / vms * 1e6, 2)

                out["e_rename_seen_s"] = rename_seen(vs, si, names[target], "renamed-by-bench")
                out["e_rename_lookup_s"] = rename_lookup(vs, si, names[target], "renamed-again")
            finally:
                vs.close()
        finally:
            si.content.sessionManager.Logout()
            si._stub.DropConnections()
    if "a_old_way_s" in out:
        out["ratio_a_over_c"] = round(out["a_old_way_s"] / out["c_cold_get_vm_s"], 1)
    out["ratio_c_over_b"] = round(out["c_cold_get_vm_s"] / out["b_pyvmomi_names_s"], 2)
    for key, value in out.items():
        if isinstance(value, float):
            out[key] = round(value, 4)
    return out


def index_memory_mb(sim: Simulator, target: str) -> float:
    """What a loaded index holds, measured on a VSphere of its own (tracemalloc slows
    everything down, so the timings are taken without it)."""
    with sim.connect(watch_inventory=False) as vs:
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        vs.get_vm(target)
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
    retained = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return round(retained / 2**20, 1)


def rename(si: Any, vm: Any, name: str) -> None:
    task = vim.VirtualMachine(vm._moId, si._stub).Rename(name)
    while task.info.state not in ("success", "error"):
        pass


def rename_seen(vs: VSphere, si: Any, vm: Any, name: str) -> float:
    """Seconds from another session's rename to the watch bringing it into our index."""
    started = time.perf_counter()
    rename(si, vm, name)
    while not vs._index.inventory.matches(KINDS["vm"], name):
        time.sleep(0.005)
    return time.perf_counter() - started


def rename_lookup(vs: VSphere, si: Any, vm: Any, name: str) -> float:
    """Seconds from another session's rename to get_vm(new name) finding the VM."""
    started = time.perf_counter()
    rename(si, vm, name)
    vs.get_vm(name)
    return time.perf_counter() - started


def power_cycles(cycles: int = 30) -> dict[str, Any]:
    with Simulator(vms_per_pool=2, tools_delay=0) as sim:
        si = sim.pyvmomi()
        vs = sim.connect()
        try:
            name = "DC0_H0_VM0"
            vm = vim.VirtualMachine(vs.get_vm(name)._moId, si._stub)

            def plain() -> None:
                for _ in range(cycles):
                    for start in (vm.PowerOff, vm.PowerOn):
                        task = start()
                        while task.info.state not in ("success", "error"):
                            pass

            def ours() -> None:
                for _ in range(cycles):
                    vs.power_off(name)
                    vs.power_on(name)

            # Alternating rounds, the best of each (as timeit does): the machine is shared,
            # and one round can catch a pause the other did not.
            plain_rounds, ours_rounds = [], []
            for _ in range(ROUNDS + 1):  # the first round warms both paths up
                plain_rounds.append(timed(plain)[0])
                ours_rounds.append(timed(ours)[0])
            plain_s, ours_s = min(plain_rounds[1:]), min(ours_rounds[1:])
        finally:
            vs.close()
            si.content.sessionManager.Logout()
            si._stub.DropConnections()
    return {
        "power_cycles": cycles,
        "plain_pyvmomi_cycle_ms": round(plain_s / cycles * 1000, 2),
        "library_cycle_ms": round(ours_s / cycles * 1000, 2),
        "ratio_library_over_plain": round(ours_s / plain_s, 2),
    }


def bulk_power_on(vms: int = 200, concurrency: int = 20, task_s: float = 0.2) -> dict[str, Any]:
    with Simulator(vms_per_pool=vms // 2) as sim, sim.connect() as vs:
        names = [info.name for info in vs.list_vms()]
        sim.set_task_delay("PowerOnVM_Task", task_s)
        vs.bulk("power_off", names, concurrency=50)
        sim.reset_call_counts()
        bulk_s, results = timed(lambda: vs.bulk("power_on", names, concurrency=concurrency))
        calls = sim.call_counts()
        assert all(r.ok for r in results)
        vs.bulk("power_off", names, concurrency=50)
        sample = names[:20]
        one_by_one_s, _ = timed(lambda: [vs.power_on(name) for name in sample])
    serial_s = one_by_one_s * len(names) / len(sample)
    return {
        "bulk_vms": len(names),
        "bulk_task_s": task_s,
        "bulk_concurrency": concurrency,
        "bulk_power_on_s": round(bulk_s, 2),
        "one_at_a_time_estimate_s": round(serial_s, 1),
        "bulk_speedup": round(serial_s / bulk_s, 1),
        "bulk_calls": {
            m: calls.get(m, 0)
            for m in (
                "PowerOnVM_Task",
                "RetrievePropertiesEx",
                "CreateFilter",
                "ModifyListView",
                "WaitForUpdatesEx",
            )
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vms", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument(
        "--old-way-max",
        type=int,
        default=10_000,
        help="skip the old way above this many VMs (it takes minutes)",
    )
    args = parser.parse_args()
    results: list[dict[str, Any]] = [power_cycles(), bulk_power_on()]
    results += [measure(n, args.old_way_max) for n in args.vms]
    if len(args.vms) > 1:
        first, last = results[2], results[-1]
        growth = last["vms"] / first["vms"]
        summary = {"size_ratio": growth}
        for key in ("b_pyvmomi_names_s", "c_cold_get_vm_s", "d_warm_lookups_s", "f_index_mb"):
            summary[key.split("_", 1)[1] + "_growth"] = round(last[key] / first[key], 2)
        results.append({"growth": summary})
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
