"""A tour of python-vmware-wrapper against the bundled vCenter simulator: `make demo`.

It starts a simulator with TLS and enforced credentials, connects with the certificate
pinned, and walks through what the library does so far. Where the library has no verb yet,
it uses the raw pyVmomi objects that VSphere hands out, as a user would.
"""

from __future__ import annotations

import time

from pyVmomi import vim

from vmware_wrapper import AmbiguousNameError, AuthenticationError, NotFoundError, VSphere
from vmware_wrapper.testing import Simulator


def step(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    step("Start a vCenter simulator with TLS and enforced credentials")
    with Simulator(vms_per_pool=3, tls=True, username="admin", password="VMware1!") as sim:
        print(f"  {sim.url}  SHA-256 {sim.thumbprint[:23]}...")

        step("Connect, with the certificate pinned by thumbprint")
        with VSphere(sim.host, "admin", "VMware1!", port=sim.port, thumbprint=sim.thumbprint) as vs:
            print(f"  {vs!r}: {vs.content.about.fullName}")

            step("A wrong password is a clear error, and the password is never shown")
            try:
                VSphere(sim.host, "admin", "wrong", port=sim.port, thumbprint=sim.thumbprint)
            except AuthenticationError as e:
                print(f"  AuthenticationError: {e}")

            step("The inventory as a table: one bulk read, whatever the number of VMs")
            rows = [
                (i.name, i.power_state, i.tools_running_status or "", i.host or "", i.path)
                for i in vs.list_vms()
            ]
            headers = ("VM", "POWER", "TOOLS", "HOST", "PATH")
            widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
            for row in (headers, *rows):
                print("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))

            step("Find things by name, path, id or uuid")
            vm = vs.get_vm("DC0_H0_VM0")
            info = vs.vm_info(vm)
            print(f"  by name:  {vm._moId} at {vs.path_of(vm)}")
            print(f"  by path:  {vs.get_vm(info.path)._moId}")
            print(f"  by uuid:  {vs.get_vm_by_uuid(info.bios_uuid or '')._moId}")
            print(f"  globs:    {[v.name for v in vs.find('vm', 'DC0_C0_*')]}")
            try:
                vs.get_vm("DC0_H0_VM9")
            except NotFoundError as e:
                print(f"  NotFoundError: {e}")

            step("Duplicate names are never picked silently")
            folder = vs.get_folder("/DC0/vm").CreateFolder("staging")
            clone = vm.CloneVM_Task(
                folder, "DC0_H0_VM1", vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
            )
            (twin,) = vs.wait_for_tasks(clone)
            try:
                vs.get_vm("DC0_H0_VM1")
            except AmbiguousNameError as e:
                print(f"  AmbiguousNameError: {e}")
            print(f"  by path:  {vs.get_vm('/DC0/vm/staging/DC0_H0_VM1')._moId}")

            step("Reboot a guest: the call returns at once; tools go down, then up")
            vm.RebootGuest()
            seen = [vm.guest.toolsRunningStatus]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(seen) < 3:
                status = vm.guest.toolsRunningStatus
                if status != seen[-1]:
                    seen.append(status)
                time.sleep(0.05)
            print("  " + " -> ".join(seen))

            step("Clean up")
            vs.wait_for_tasks([twin.Destroy_Task()])
            vs.wait_for_tasks([folder.Destroy_Task()])
            print(f"  {len(vs.list_vms())} VMs left")
    print("\nDone: the simulator is stopped and its files are removed.")


if __name__ == "__main__":
    main()
