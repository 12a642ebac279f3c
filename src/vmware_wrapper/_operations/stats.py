"""Performance statistics, by metric name, from the performance manager's real-time samples.

    vs.stats("web-07", ("cpu.usage.average", "mem.usage.average"), samples=10)
    # {"cpu.usage.average": [("2026-11-27T08:00:00+00:00", 12.5), ...], ...}

Metric names are group.counter.rollup, as the performance manager's counter table names
them. Percentages come in percent (vSphere sends hundredths); other units as vSphere sends
them.
"""

from __future__ import annotations

from typing import Any

from .._base.names import close_matches
from .._base.times import iso_utc
from .._base.vmomi import vim
from .._inventory.tree import KINDS
from .._transport.faults import describing
from ..errors import InvalidInputError
from .checks import positive_int
from .context import Ops

_REALTIME_INTERVAL = 20  # seconds: the real-time interval of hosts and VMs
_MAX_REALTIME_SAMPLES = 180  # one hour of real-time samples


def _counters(ops: Ops) -> dict[str, Any]:
    """The performance manager's counter table by metric name, read once per connection."""

    def read() -> dict[str, Any]:
        with describing("read the performance counters"):
            counters = ops.content.perfManager.perfCounter or []
        return {f"{c.groupInfo.key}.{c.nameInfo.key}.{c.rollupType}": c for c in counters}

    return ops.once("performance counters", read)


def stats(
    ops: Ops, *, obj: Any, metrics: tuple[str, ...] | list[str], samples: int
) -> dict[str, list[tuple[str, float]]]:
    if isinstance(metrics, str):
        metrics = [metrics]
    samples = positive_int("samples", samples)
    if samples > _MAX_REALTIME_SAMPLES:
        raise InvalidInputError(
            f"samples={samples}: real-time statistics keep {_MAX_REALTIME_SAMPLES}"
        )
    entry, target = ops.resolve(KINDS["entity"], obj)
    if entry.type not in ("VirtualMachine", "HostSystem"):
        raise InvalidInputError(
            f"{ops.name(entry)} is a {entry.type}: real-time statistics are for VMs and hosts"
        )
    table = _counters(ops)
    chosen = {}
    for name in metrics:
        if name not in table:
            similar = close_matches(name, list(table))
            hint = f"; did you mean {', '.join(repr(s) for s in similar)}?" if similar else ""
            raise InvalidInputError(f"no performance counter {name!r}{hint}")
        chosen[table[name].key] = (name, table[name])
    spec = vim.PerformanceManager.QuerySpec(
        entity=target,
        metricId=[vim.PerformanceManager.MetricId(counterId=key, instance="") for key in chosen],
        intervalId=_REALTIME_INTERVAL,
        maxSample=samples,
    )
    with describing(f"read statistics of {ops.name(entry)}"):
        results = ops.content.perfManager.QueryPerf(querySpec=[spec]) or []
    out: dict[str, list[tuple[str, float]]] = {name: [] for name, _ in chosen.values()}
    for result in results:
        times = [iso_utc(s.timestamp) for s in result.sampleInfo or []]
        for series in result.value or []:
            if series.id.counterId not in chosen or series.id.instance not in ("", None):
                continue
            name, counter = chosen[series.id.counterId]
            scale = 100.0 if counter.unitInfo.key == "percent" else 1.0
            out[name] = sorted(
                (t, v / scale) for t, v in zip(times, series.value or [], strict=False)
            )
    return out
