"""What happened and how busy things are: events and real-time performance statistics.

recent = vs.events("web-07", limit=20)
vs.stats("web-07", ("cpu.usage.average",), samples=5)
"""

from __future__ import annotations

from datetime import datetime

from .._base.types import EntityRef
from .._operations import events as _events
from .._operations import stats as _stats
from .._operations.events import EventInfo
from .base import Facade, operation


class EventsAndStats(Facade):
    @operation(_events.events)
    def events(
        self,
        obj: EntityRef | None = None,
        *,
        since: datetime | None = None,
        types: list[str] | tuple[str, ...] | None = None,
        limit: int = 100,
    ) -> list[EventInfo]:
        """Recent events of an object (and what it contains) or of everything, newest first.

            powered_on = vs.events("web-07", types=["VmPoweredOnEvent"], limit=10)

        ``since``: a datetime (naive means UTC); ``types``: event type names.
        """

    @operation(_stats.stats)
    def stats(
        self,
        obj: EntityRef,
        metrics: tuple[str, ...] | list[str] = ("cpu.usage.average", "mem.usage.average"),
        *,
        samples: int = 10,
    ) -> dict[str, list[tuple[str, float]]]:
        """Real-time samples of a VM or host: metric name -> [(ISO time, value), ...].

            cpu = vs.stats("web-07", ("cpu.usage.average",), samples=5)["cpu.usage.average"]

        Percentages come in percent; other units as vSphere sends them.
        """
