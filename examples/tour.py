"""A tour of python-vmware-wrapper against the bundled vCenter simulator: `make demo`.

It starts a simulator with TLS and enforced credentials and first looks around with the
`vmw` command. Then, from Python, with the certificate pinned, it does a day's work by name:
clone a template with guest customization, size the VM, power it on and wait for VMware
Tools, run a command in the guest, snapshot it, reboot its guest, label it, read its events
and statistics, deploy a small OVA it builds itself (directly, and through a content
library), work on twenty VMs at once, print the inventory, and clean up.
"""

from __future__ import annotations

import io
import logging
import os
import shlex
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from vmware_wrapper import (
    AmbiguousNameError,
    AuthenticationError,
    BulkResult,
    LinuxCustomization,
    NotFoundError,
    VSphere,
)
from vmware_wrapper.testing import Simulator


def step(title: str) -> None:
    print(f"\n== {title}")


def shell(sim: Simulator, command: str) -> None:
    """Run a vmw command line with the simulator's environment; show it and its output."""
    print(f"  $ {command}")
    args = shlex.split(command)
    args[0] = str(Path(sys.executable).with_name("vmw"))  # this environment's vmw
    done = subprocess.run(
        args, env={**os.environ, **sim.env}, capture_output=True, text=True, check=False
    )
    for line in (done.stdout + done.stderr).splitlines():
        print(f"    {line}")
    if done.returncode:
        print(f"    (exit status {done.returncode})")


def tiny_ova(path: Path) -> Path:
    """A small OVF package: one CPU, 128 MB, one empty 16 MB disk, one network. An OVA is a
    tar whose first member is the descriptor (DMTF DSP0243); the disk is a stream-optimized
    VMDK (VMware's Virtual Disk Format 5.0): header, embedded descriptor, end-of-stream."""
    capacity = 16 * 2**20
    sectors = capacity // 512
    header = struct.pack(
        "<III QQQQ I QQQ B 4s H", 0x564D444B, 3, 0x30001, sectors, 128, 1, 1, 512, 0,
        0xFFFFFFFFFFFFFFFF, 2, 0, b"\n \r\n", 1,
    )  # fmt: skip
    text = f'# Disk DescriptorFile\ncreateType="streamOptimized"\nRW {sectors} SPARSE "d.vmdk"\n'
    disk = header.ljust(512, b"\0") + text.encode().ljust(512, b"\0") + bytes(512)

    def item(n: int, kind: int, label: str, more: str) -> str:
        return (
            f"<Item><rasd:ElementName>{label}</rasd:ElementName>"
            f"<rasd:InstanceID>{n}</rasd:InstanceID>"
            f"<rasd:ResourceType>{kind}</rasd:ResourceType>{more}</Item>"
        )

    hardware = "".join(
        [
            item(1, 3, "CPU", "<rasd:VirtualQuantity>1</rasd:VirtualQuantity>"),
            item(
                2, 4, "Memory",
                "<rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>"
                "<rasd:VirtualQuantity>128</rasd:VirtualQuantity>",
            ),
            item(3, 6, "SCSI controller", "<rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>"),
            item(
                4, 17, "Hard disk",
                "<rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:Parent>3</rasd:Parent>",
            ),
            item(
                5, 10, "NIC",
                "<rasd:Connection>VM Network</rasd:Connection>"
                "<rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>",
            ),
        ]
    )  # fmt: skip
    ovf = f"""<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References><File ovf:id="f1" ovf:href="tiny-disk1.vmdk" ovf:size="{len(disk)}"/></References>
  <DiskSection><Info>disks</Info>
    <Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="{capacity}"/></DiskSection>
  <NetworkSection><Info>networks</Info><Network ovf:name="VM Network"/></NetworkSection>
  <VirtualSystem ovf:id="tiny"><Info>a tiny appliance</Info>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">
      <Info>os</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>hardware</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      {hardware}</VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
""".encode()
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in (("tiny.ovf", ovf), ("tiny-disk1.vmdk", disk)):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return path


def table(vs: VSphere, pattern: str = "*") -> None:
    rows = [
        (i.name, i.power_state, str(i.cpus), str(i.memory_mb), i.ip_address or "", i.path)
        for i in vs.list_vms(pattern)
    ]
    headers = ("VM", "POWER", "CPUS", "MB", "IP", "PATH")
    widths = [max(len(x) for x in col) for col in zip(headers, *rows, strict=False)]
    for row in (headers, *rows):
        print("  " + "  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)))


def main() -> None:
    # The library logs one INFO line per action; show them.
    logging.basicConfig(level=logging.INFO, format="  log: %(message)s")

    step("Start a vCenter simulator with TLS and enforced credentials")
    with Simulator(vms_per_pool=10, tls=True, username="admin", password="VMware1!") as sim:
        print(f"  {sim.url}  SHA-256 {sim.thumbprint[:23]}...")

        step("From the shell: vmw, configured by VMWARE_* variables (as `vmw sim` prints)")
        shell(sim, "vmw ls /DC0/host/DC0_C0")
        shell(sim, "vmw vm ls 'DC0_C0_RP0_VM[0-3]'")
        shell(sim, "vmw vm off DC0_C0_RP0_VM0 DC0_C0_RP0_VM1")
        shell(sim, "vmw --json vm info DC0_C0_RP0_VM0")
        shell(sim, "vmw vm destroy 'DC0_C0_RP0_VM1*'")
        shell(sim, "vmw vm info DC0_C0_RP0_VM01")

        step("Connect, with the certificate pinned by thumbprint")
        with VSphere(sim.host, "admin", "VMware1!", port=sim.port, thumbprint=sim.thumbprint) as vs:
            print(f"  {vs!r}: {vs.content.about.fullName}")
            try:
                VSphere(sim.host, "admin", "wrong", port=sim.port, thumbprint=sim.thumbprint)
            except AuthenticationError as e:
                print(f"  a wrong password: AuthenticationError: {e}")

            step("Make a template from a VM, then clone it with guest customization")
            vs.clone_vm("DC0_H0_VM0", "tmpl-ubuntu", template=True)
            web = LinuxCustomization(
                "web07", domain="example.com", ip="10.0.0.7", netmask="255.255.255.0",
                gateway="10.0.0.1", dns_servers=("10.0.0.2",),
            )  # fmt: skip
            vs.create_folder("/DC0/vm/web/prod")
            vs.clone_vm(
                "tmpl-ubuntu", "web-07", folder="/DC0/vm/web/prod", cluster="DC0_C0",
                cpus=2, memory_mb=1024, customization=web,
            )  # fmt: skip

            step("Size it, power it on and wait for VMware Tools")
            vs.reconfigure_vm("web-07", cpus=4, memory_mb=2048, disk_gb=40)
            vs.add_nic("web-07", "DC0_DVPG0")
            vs.power_on("web-07", wait_for_tools=True, timeout=60)
            info = vs.vm_info("web-07")
            print(f"  {info.name}: {info.power_state}, {info.cpus} CPUs, {info.memory_mb} MB,")
            print(f"  IP {info.ip_address}, tools {info.tools_running_status}, on {info.host}")

            step("Run a command in the guest, move a file in and out")
            # The simulator requires the guest credentials it made at start.
            guest = vs.guest("web-07", sim.guest_username, sim.guest_password)
            result = guest.run("uname -s; id -un; echo hello from the guest", shell=True)
            print(f"  exit code {result.exit_code}; stdout:")
            for line in result.stdout.splitlines():
                print(f"    {line}")
            guest.upload(b"server_name web-07;\n", "/tmp/site.conf")
            print(f"  round trip: {guest.download('/tmp/site.conf')!r}")

            step("Snapshot, reboot the guest, revert")
            vs.create_snapshot("web-07", "before-upgrade", description="clean install")
            vs.reboot("web-07", timeout=60)
            vs.revert_to_snapshot("web-07", "before-upgrade")
            print("  " + ", ".join(s.path for s in vs.list_snapshots("web-07")))

            step("Label it: notes, custom fields, tags")
            vs.set_notes("web-07", "web tier, rebuilt weekly")
            vs.set_custom_field("web-07", "owner", "team-web")
            vs.tags.create_category("env", cardinality="SINGLE", types=("vm",))
            vs.tags.create_tag("prod", "env")
            vs.tags.attach("env/prod", "web-07")
            print(f"  {vs.get_custom_fields('web-07')}  notes: {vs.get_notes('web-07')!r}")
            print(f"  tags: {vs.tags.tags_of('web-07')}")

            step("What happened to it, and how busy it is")
            for event in vs.events("web-07", limit=4):
                print(f"  {event.time[11:19]}  {event.type:24} {event.message}")
            cpu = vs.stats("web-07", ["cpu.usage.average"], samples=3)["cpu.usage.average"]
            print("  cpu: " + ", ".join(f"{value:.1f}%" for _, value in cpu))

            step("An appliance from an OVA, and the same kept in a content library")
            with tempfile.TemporaryDirectory() as scratch:
                ova = tiny_ova(Path(scratch) / "tiny.ova")
                nets = {"VM Network": "DC0_DVPG0"}
                vm = vs.deploy_ovf(ova, "tiny-01", cluster="DC0_C0", networks=nets)
                print(f"  deploy_ovf: {vs.vm_info(vm).path}")
                vs.library.create("golden", "LocalDS_0", description="approved images")
                item = vs.library.import_ovf("golden", "tiny-1.0", ova)
            print(f"  library: {[lib.name for lib in vs.library.list()]}, item {item.path!r}")
            shell(sim, "vmw library ls golden")
            vm = vs.library.deploy(
                "golden/tiny-1.0", "tiny-02", cluster="DC0_C0", networks=nets, power_on=True
            )
            info = vs.vm_info(vm)
            print(f"  library.deploy: {info.path}, {info.power_state}, {info.cpus} CPU")

            step("Names are never guessed")
            vs.clone_vm("DC0_H0_VM0", "web-07")  # a second web-07, in another folder
            try:
                vs.destroy_vm("web-07")
            except AmbiguousNameError as e:
                print(f"  AmbiguousNameError: {e}")
            try:
                vs.power_on("web-7")
            except NotFoundError as e:
                print(f"  NotFoundError: {e}")

            step("Twenty VMs at once: ten at a time, one task watch, a result each")

            def progress(done: int, total: int, result: BulkResult) -> None:
                if done % 5 == 0 or not result.ok:
                    print(f"  {done:2}/{total}  {result.target}: {result.error or 'done'}")

            # One snapshot task fails; the run goes on and reports it with the others.
            sim.inject_fault("CreateSnapshot_Task", "InsufficientResourcesFault", in_task=True)
            logging.getLogger("vmware_wrapper").setLevel(logging.WARNING)  # 20 log lines less
            results = vs.bulk(
                "create_snapshot", "DC0_*", name="nightly", concurrency=10, on_progress=progress
            )
            logging.getLogger("vmware_wrapper").setLevel(logging.INFO)
            print(f"  {sum(r.ok for r in results)} of {len(results)} snapshots taken")

            step("The inventory, in one bulk read")
            table(vs, "DC0_C0_*")

            step("Clean up")
            vs.destroy_vm("/DC0/vm/web-07")
            vs.destroy_vm("/DC0/vm/web/prod/web-07")
            vs.destroy_vm("tmpl-ubuntu", allow_template=True)
            vs.destroy_vm("tiny-01")
            vs.destroy_vm("tiny-02")
            vs.library.delete("golden")
            print(f"  {len(vs.list_vms())} VMs left")
    print("\nDone: the simulator is stopped and its files are removed.")


if __name__ == "__main__":
    main()
