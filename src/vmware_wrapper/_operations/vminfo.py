"""VMInfo records, read in bulk: one retrieval for any number of VMs.

infos = read_vm_infos(session, inventory, entries)
"""

from __future__ import annotations

from collections.abc import Sequence

from .._base.models import VMInfo
from .._base.names import unescape_name
from .._inventory.tree import Entry, Inventory
from .._transport.retrieve import ObjectContent, ObjectSource, Ref, retrieve
from .._transport.session import Session

VM_INFO_PROPERTIES = (
    "name",
    "config.uuid",
    "config.instanceUuid",
    "config.template",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "config.guestId",
    "config.annotation",
    "runtime.powerState",
    "runtime.host",
    "guest.ipAddress",
    "guest.toolsRunningStatus",
)
# Above this many VMs, one pass over the container view beats listing each VM in the request.
_VIEW_THRESHOLD = 200


def read_vm_infos(
    session: Session, inventory: Inventory, entries: Sequence[Entry], view: str | None = None
) -> list[VMInfo]:
    """VMInfo for each entry that still exists, in the order given."""
    if not entries:
        return []
    wanted = {e.moid for e in entries}
    if view is not None and len(entries) > _VIEW_THRESHOLD:
        source = ObjectSource.container_view(view)
    else:
        source = ObjectSource.objects(Ref(e.type, e.moid) for e in entries)
    found = {
        obj.moid: obj
        for obj in retrieve(
            session.stub,
            session.content.propertyCollector._moId,
            {"VirtualMachine": VM_INFO_PROPERTIES},
            source,
        )
        if obj.moid in wanted
    }
    vcenter = session.settings.vcenter
    return [_vm_info(found[e.moid], inventory, vcenter) for e in entries if e.moid in found]


def _vm_info(obj: ObjectContent, inventory: Inventory, vcenter: str) -> VMInfo:
    p = obj.props
    host_ref = p.get("runtime.host")
    host = inventory.get(host_ref.value) if isinstance(host_ref, Ref) else None
    uuid = p.get("config.uuid")
    instance_uuid = p.get("config.instanceUuid")
    return VMInfo(
        name=unescape_name(p.get("name") or ""),
        path=inventory.path(obj.moid),
        moid=obj.moid,
        bios_uuid=uuid.lower() if uuid else None,
        instance_uuid=instance_uuid.lower() if instance_uuid else None,
        power_state=p.get("runtime.powerState") or "poweredOff",
        is_template=bool(p.get("config.template")),
        cpus=p.get("config.hardware.numCPU"),
        memory_mb=p.get("config.hardware.memoryMB"),
        guest_id=p.get("config.guestId") or None,
        ip_address=p.get("guest.ipAddress") or None,
        host=host.display_name if host is not None else None,
        tools_running_status=p.get("guest.toolsRunningStatus") or None,
        annotation=p.get("config.annotation") or "",
        vcenter=vcenter,
    )
