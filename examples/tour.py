"""A tour of python-vmware-wrapper against the bundled vCenter simulator: `make demo`.

It starts a simulator with TLS, connects with the certificate pinned, and walks through what
the library does so far. Where the library has no verb yet, it uses the raw pyVmomi objects
that VSphere exposes (vs.content), as a user would.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from vmware_wrapper import AuthenticationError, VSphere
from vmware_wrapper.testing import Simulator


def step(title: str) -> None:
    print(f"\n== {title}")


def inventory_table(vs: VSphere) -> list[tuple[str, str, str, str]]:
    """Name, power state, tools and host of every VM, in one bulk property retrieval."""
    from pyVmomi import vim, vmodl

    content = vs.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    collector = vmodl.query.PropertyCollector
    spec = collector.FilterSpec(
        objectSet=[
            collector.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[collector.TraversalSpec(path="view", type=vim.view.ContainerView)],
            )
        ],
        propSet=[
            collector.PropertySpec(
                type=vim.VirtualMachine,
                pathSet=["name", "runtime.powerState", "guest.toolsRunningStatus", "runtime.host"],
            )
        ],
    )
    rows = []
    result = content.propertyCollector.RetrievePropertiesEx([spec], collector.RetrieveOptions())
    while result:
        for obj in result.objects:
            p = {prop.name: prop.val for prop in obj.propSet}
            rows.append(
                (
                    p["name"],
                    p["runtime.powerState"],
                    p.get("guest.toolsRunningStatus", ""),
                    p["runtime.host"]._moId,
                )
            )
        if not result.token:
            break
        result = content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
    view.Destroy()
    return sorted(rows)


def print_table(rows: Sequence[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=False)]
    for row in (headers, *rows):
        print("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


def find_vm(vs: VSphere, name: str) -> Any:
    from pyVmomi import vim

    view = vs.content.viewManager.CreateContainerView(
        vs.content.rootFolder, [vim.VirtualMachine], True
    )
    try:
        return next(vm for vm in view.view if vm.name == name)
    finally:
        view.Destroy()


def main() -> None:
    step("Start a vCenter simulator with TLS and enforced credentials")
    with Simulator(vms_per_pool=2, tls=True, username="admin", password="VMware1!") as sim:
        print(f"  {sim.url}  SHA-256 {sim.thumbprint[:23]}...")

        step("Connect, with the certificate pinned by thumbprint")
        with VSphere(sim.host, "admin", "VMware1!", port=sim.port, thumbprint=sim.thumbprint) as vs:
            print(f"  {vs!r}: {vs.content.about.fullName}")

            step("A wrong password is a clear error, and the password is never shown")
            try:
                VSphere(sim.host, "admin", "wrong", port=sim.port, thumbprint=sim.thumbprint)
            except AuthenticationError as e:
                print(f"  AuthenticationError: {e}")

            step("The inventory as a table (one bulk property retrieval)")
            print_table(inventory_table(vs), ("VM", "POWER", "TOOLS", "HOST"))

            step("Reboot a guest: the call returns at once; tools go down, then up")
            vm = find_vm(vs, "DC0_H0_VM0")
            vm.RebootGuest()
            seen = [vm.guest.toolsRunningStatus]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and seen[-3:] != [
                "guestToolsRunning",
                "guestToolsNotRunning",
                "guestToolsRunning",
            ]:
                status = vm.guest.toolsRunningStatus
                if status != seen[-1]:
                    seen.append(status)
                time.sleep(0.05)
            print("  " + " -> ".join(seen))

    print("\nDone: the simulator is stopped and its files are removed.")


if __name__ == "__main__":
    main()
