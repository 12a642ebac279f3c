"""Benchmarks (not timed tests): print numbers as JSON, compare ratios within one run.

make bench            # 10,000 VMs
.venv/bin/python bench/run.py --vms 2000
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from vmware_wrapper._vmomi import vim, vmodl
from vmware_wrapper.testing import Simulator


def simulator_for(vms: int) -> Simulator:
    # One datacenter, one cluster and one standalone host: VMs split over their two pools.
    return Simulator(vms_per_pool=max(vms // 2, 1), hosts_per_cluster=3, tools_delay=0)


def bulk_names(si: Any) -> dict[str, Any]:
    """Plain pyVmomi: one RetrievePropertiesEx of `name` over a container view, paged."""
    content = si.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    pc = vmodl.query.PropertyCollector
    spec = pc.FilterSpec(
        objectSet=[
            pc.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[pc.TraversalSpec(path="view", type=vim.view.ContainerView)],
            )
        ],
        propSet=[pc.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
    )
    names = {}
    result = content.propertyCollector.RetrievePropertiesEx([spec], pc.RetrieveOptions())
    while result:
        for obj in result.objects:
            names[obj.propSet[0].val] = obj.obj
        result = result.token and content.propertyCollector.ContinueRetrievePropertiesEx(
            result.token
        )
    view.Destroy()
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vms", type=int, default=10_000)
    args = parser.parse_args()
    results: dict[str, Any] = {"vms": args.vms}
    started = time.perf_counter()
    with simulator_for(args.vms) as sim:
        results["simulator_start_s"] = round(time.perf_counter() - started, 3)
        si = sim.pyvmomi()
        try:
            started = time.perf_counter()
            names = bulk_names(si)
            results["pyvmomi_bulk_names_s"] = round(time.perf_counter() - started, 3)
            results["names_found"] = len(names)
        finally:
            si.content.sessionManager.Logout()
            si._stub.DropConnections()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
