"""The event history: what happened to an object (or anywhere), newest first.

vs.events("web-07", types=["VmPoweredOnEvent"], limit=20)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .._base.names import unescape_name
from .._base.times import iso_utc, utc
from .._base.vmomi import vim
from .._inventory.tree import KINDS
from .._transport.faults import describing
from ..errors import InvalidInputError
from .checks import positive_int
from .context import Ops

_MAX_PAGE = 1000  # the largest page an event history collector serves


@dataclass(frozen=True)
class EventInfo:
    """One event, as a small record."""

    time: str  # ISO 8601, UTC
    type: str  # e.g. "VmPoweredOffEvent" (or an EventEx's event type id)
    message: str
    user: str
    object_name: str  # the VM, host, ... it is about
    key: int


def _record(event: Any) -> EventInfo:
    kind = str(type(event)._wsdlName)
    if kind in ("EventEx", "ExtendedEvent") and getattr(event, "eventTypeId", None):
        kind = str(event.eventTypeId)
    subject = ""
    for argument in ("vm", "host", "computeResource", "datacenter", "ds", "net", "dvs"):
        value = getattr(event, argument, None)
        if value is not None and getattr(value, "name", None):
            subject = unescape_name(value.name)
            break
    return EventInfo(
        time=iso_utc(event.createdTime),
        type=kind,
        message=str(event.fullFormattedMessage or ""),
        user=str(event.userName or ""),
        object_name=subject,
        key=int(event.key),
    )


def events(
    ops: Ops,
    *,
    obj: Any,
    since: datetime | None,
    types: list[str] | tuple[str, ...] | None,
    limit: int,
) -> list[EventInfo]:
    limit = positive_int("limit", limit)
    if since is not None and not isinstance(since, datetime):
        raise InvalidInputError(f"since={since!r}: a datetime")
    if isinstance(types, str):
        types = [types]
    if types is not None and not all(isinstance(t, str) and t for t in types):
        raise InvalidInputError(f"types={types!r}: event type names, like 'VmPoweredOnEvent'")
    # A full page, sorted here, whatever the limit: a page smaller than the matching history
    # comes oldest-first from some servers (govmomi's simulator fills it by walking its ring
    # of events from the newest to the oldest end).
    spec = vim.event.EventFilterSpec(maxCount=_MAX_PAGE)
    description = "read events"
    if obj is not None:
        entry, target = ops.resolve(KINDS["entity"], obj)
        spec.entity = vim.event.EventFilterSpec.ByEntity(entity=target, recursion="all")
        description = f"read the events of {ops.name(entry)}"
    if since is not None:
        spec.time = vim.event.EventFilterSpec.ByTime(beginTime=utc(since))
    if types:
        spec.eventTypeId = list(types)
    manager = ops.content.eventManager
    with describing(description):
        collector = manager.CreateCollectorForEvents(spec)
        try:
            found = {e.key: e for e in collector.latestPage or []}
            if len(found) < limit and len(found) == _MAX_PAGE:
                # More than a page asked for: older pages, from the latest backwards.
                collector.ResetCollector()
                while len(found) < limit:
                    page = collector.ReadPreviousEvents(min(_MAX_PAGE, limit - len(found)))
                    fresh = [e for e in page or [] if e.key not in found]
                    if not fresh:
                        break
                    found.update((e.key, e) for e in fresh)
        finally:
            collector.DestroyCollector()
    records = sorted(
        (_record(e) for e in found.values()), key=lambda r: (r.time, r.key), reverse=True
    )
    if since is not None:  # servers that ignore the time filter
        start = iso_utc(since)
        records = [r for r in records if r.time >= start]
    if types:  # servers that ignore the type filter
        wanted = set(types)
        records = [r for r in records if r.type in wanted or _base_match(found, r, wanted)]
    return records[:limit]


def _base_match(found: dict[int, Any], record: EventInfo, wanted: set[str]) -> bool:
    """Whether the event is of a wanted base type (e.g. "VmEvent" for a VmPoweredOnEvent)."""
    event = found.get(record.key)
    return event is not None and any(
        getattr(cls, "_wsdlName", None) in wanted for cls in type(event).__mro__
    )
