"""What the memory benchmarks share: each measurement in a fresh child process, so that
nothing the benchmark itself did is in its numbers.

    results = measure_in_children(__file__, sim, ["--ova", str(ova)], runs=2)
    # in the child (``--child --measure rss|tracemalloc`` and the script's own options):
    print_child_result(measured(args.measure, lambda: {"seconds": deploy()}))

Two kinds of children, each a fresh Python: one reports the whole process's peak resident
set (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) before the work (imports done, connected,
index loaded) and after it; the other the peak of what Python allocated during the work
(``tracemalloc``, which slows allocation and takes memory of its own, hence a run of its
own). The children reach the simulator through the environment it gives (``Simulator.env``,
``VSphere.from_env``): a password in a command line is readable by every local user.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

from vmware_wrapper.testing import Simulator

MB = 2**20
MEASURES = ("rss", "tracemalloc")


def rss_mb() -> float:
    """The process's peak resident set so far, in MB (Linux: ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(measure: str, work: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run ``work`` (which returns its timings) and add the memory numbers of ``measure``."""
    result: dict[str, float] = {"rss_before_mb": rss_mb()}
    if measure == "tracemalloc":
        tracemalloc.start()
    result.update(work())
    if measure == "tracemalloc":
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    result["rss_peak_mb"] = rss_mb()
    return result


def timed(work: Callable[[], object]) -> float:
    """Seconds ``work`` took."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def print_child_result(result: dict[str, float]) -> None:
    print(json.dumps(result))


def run_child(
    script: str, sim: Simulator, measure: str, arguments: Sequence[str]
) -> dict[str, Any]:
    """Run ``script --child --measure MEASURE ARGUMENTS`` against the simulator; its result."""
    command = [sys.executable, script, "--child", "--measure", measure, *arguments]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, **sim.env}
    )
    if done.returncode != 0:
        raise SystemExit(f"the measuring child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_in_children(
    script: str, sim: Simulator, arguments: Callable[[str], Sequence[str]], runs: int
) -> dict[str, list[dict[str, Any]]]:
    """``runs`` children of each kind; ``arguments(label)`` gives each its own (a label
    unique to the child, for the names of what it makes)."""
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in MEASURES}
    for n in range(runs):
        for measure in MEASURES:
            results[measure].append(run_child(script, sim, measure, arguments(f"{measure}-{n}")))
    return results


def worst(results: dict[str, list[dict[str, Any]]], timings: Sequence[str]) -> dict[str, float]:
    """The worst of each number: memory from the children of its kind, times from the
    resident-set children (tracing slows them)."""
    rss, traced = results["rss"], results["tracemalloc"]
    found = {
        "rss_before_mb": max(r["rss_before_mb"] for r in rss),
        "rss_peak_mb": max(r["rss_peak_mb"] for r in rss),
        "tracemalloc_peak_mb": max(r["tracemalloc_peak_mb"] for r in traced),
    }
    found.update({t: max(r[t] for r in rss) for t in timings})
    return found


def print_table(title: str, rows: Sequence[tuple[str, float, str]]) -> None:
    """A Markdown table of (what, value, unit)."""
    print(title)
    print()
    print("| measure | value |")
    print("| --- | ---: |")
    for label, value, unit in rows:
        print(f"| {label} | {value:.1f} {unit} |")
    print()
