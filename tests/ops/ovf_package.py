"""OVF packages for tests, made from scratch: a descriptor with two networks, properties and
one disk, and a stream-optimized VMDK of an empty disk to fill it.

    ova = make_ova(tmp_path / "app.ova")
"""

# ruff: noqa: E501 - the OVF text reads best one element a line

from __future__ import annotations

import hashlib
import io
import struct
import tarfile
from pathlib import Path
from xml.sax.saxutils import escape

NETWORKS = ("VM Network", "Backend")
PROPERTIES = {"hostname": "appliance", "app.port": "8080"}  # key -> default


def empty_vmdk(capacity: int) -> bytes:
    """A stream-optimized VMDK of an empty disk (VMware's Virtual Disk Format 5.0): the
    sparse extent header, the embedded descriptor, the end-of-stream marker."""
    sectors = (capacity + 511) // 512
    header = struct.pack(
        "<III QQQQ I QQQ B 4s H",
        0x564D444B,  # "KDMV"
        3,
        0x30001,
        sectors,
        128,
        1,
        1,
        512,
        0,
        0xFFFFFFFFFFFFFFFF,
        2,
        0,
        b"\n \r\n",
        1,
    ).ljust(512, b"\0")
    descriptor = (
        '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="streamOptimized"\n\n'
        f'RW {sectors} SPARSE "disk.vmdk"\n'
    ).encode()
    return header + descriptor.ljust(512, b"\0") + bytes(512)


def descriptor(
    disk_href: str,
    disk_size: int,
    *,
    capacity: int = 64 * 2**20,
    cpus: int = 2,
    memory_mb: int = 256,
    networks: tuple[str, ...] = NETWORKS,
) -> str:
    nets = "".join(
        f'<Network ovf:name="{escape(n)}"><Description>{escape(n)}</Description></Network>'
        for n in networks
    )
    nics = "".join(
        f"""<Item><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>{escape(n)}</rasd:Connection><rasd:ElementName>Network adapter {i + 1}</rasd:ElementName>
        <rasd:InstanceID>{10 + i}</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType></Item>"""
        for i, n in enumerate(networks)
    )
    props = "".join(
        f'<Property ovf:key="{k}" ovf:type="string" ovf:userConfigurable="true" ovf:value="{v}">'
        f"<Label>{k}</Label></Property>"
        for k, v in PROPERTIES.items()
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References><File ovf:id="file1" ovf:href="{disk_href}" ovf:size="{disk_size}"/></References>
  <DiskSection><Info>disks</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="{capacity}" ovf:capacityAllocationUnits="byte"
      ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection><Info>networks</Info>{nets}</NetworkSection>
  <VirtualSystem ovf:id="appliance">
    <Info>A virtual machine</Info><Name>appliance</Name>
    <ProductSection><Info>properties</Info><Product>Appliance</Product>{props}</ProductSection>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest"><Info>os</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>hardware</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      <Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>CPUs</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>{cpus}</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>Memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>{memory_mb}</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      {nics}
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
"""


def manifest(files: dict[str, bytes], *, wrong: str | None = None) -> bytes:
    """An OVF manifest (.mf) of these files' SHA256 digests; ``wrong``: that file's digest
    is of something else."""
    lines = []
    for name, data in files.items():
        digest = hashlib.sha256(b"other" if name == wrong else data).hexdigest()
        lines.append(f"SHA256({name})= {digest}\n")
    return "".join(lines).encode()


def make_ova(
    path: Path,
    *,
    disk_bytes: int = 4 * 2**20,
    with_manifest: bool = False,
    wrong_digest: str | None = None,
    **options: object,
) -> Path:
    """An OVA of the descriptor above, with a disk file of ``disk_bytes`` (an empty VMDK,
    padded), and a manifest after the descriptor when asked (``wrong_digest``: a file whose
    digest in it does not match)."""
    disk = empty_vmdk(64 * 2**20).ljust(disk_bytes, b"\0")
    text = descriptor("appliance-disk1.vmdk", len(disk), **options).encode()  # type: ignore[arg-type]
    members = [("appliance.ovf", text), ("appliance-disk1.vmdk", disk)]
    if with_manifest:
        mf = manifest(dict(members), wrong=wrong_digest)
        members.insert(1, ("appliance.mf", mf))
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def make_ovf(directory: Path, *, sparse_bytes: int, **options: object) -> Path:
    """An .ovf with its disk beside it: a sparse file of ``sparse_bytes`` (no room taken)."""
    directory.mkdir(parents=True, exist_ok=True)
    disk = directory / "appliance-disk1.vmdk"
    with disk.open("wb") as f:
        f.write(empty_vmdk(64 * 2**20))
        f.truncate(sparse_bytes)
    ovf = directory / "appliance.ovf"
    ovf.write_text(descriptor(disk.name, sparse_bytes, **options))  # type: ignore[arg-type]
    return ovf
