"""What deploying a large OVA costs in memory: deploying an OVA with a 1 GB disk must keep
the process's peak memory under 100 MB.

    make bench
    .venv/bin/python bench/ovf_memory.py --disk-mb 1024 --runs 2

Builds an OVA whose disk file is --disk-mb MB (a sparse file: the disk is a stream-optimized
VMDK of an empty disk, padded with a hole, so the OVA takes no room), starts a simulator
(which hashes what it is sent and keeps none of it), then deploys the OVA with
``vs.deploy_ovf`` in a child process of its own, so that nothing this process did is in its
numbers. Two children, each a fresh Python: one reports the whole process's peak resident
set (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) before the deploy (imports done,
connected, index loaded) and after it, and the deploy's time; the other the peak of what
Python allocated during the deploy (``tracemalloc``, which slows allocation and takes memory
of its own, hence a run of its own). Each is the worst of --runs children. Prints a Markdown
table, then the same numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test suite's OVF package maker

from tests.ops.ovf_package import descriptor, empty_vmdk  # noqa: E402

from vmware_wrapper.testing import Simulator  # noqa: E402

_BLOCK = 512
_MB = 2**20


def make_sparse_ova(path: Path, disk_bytes: int) -> Path:
    """An OVA (a tar: the descriptor, then the disk) whose disk member is ``disk_bytes``
    long, written as a hole after its VMDK header: the file takes a few KB on disk."""
    disk_head = empty_vmdk(64 * _MB)
    text = descriptor("appliance-disk1.vmdk", disk_bytes, networks=("VM Network",)).encode()
    with path.open("wb") as f:
        for name, size in (("appliance.ovf", len(text)), ("appliance-disk1.vmdk", disk_bytes)):
            info = tarfile.TarInfo(name)
            info.size = size
            f.write(info.tobuf(format=tarfile.USTAR_FORMAT))
            if name.endswith(".ovf"):
                f.write(text)
            else:
                f.write(disk_head)
                f.seek(size - len(disk_head), os.SEEK_CUR)  # the hole: reads as zeros
            f.write(bytes(-size % _BLOCK))
        f.write(bytes(2 * _BLOCK))  # the end of the archive
    return path


def rss_mb() -> float:
    """The process's peak resident set so far, in MB (Linux: ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    """One deploy, in this (fresh) process; its numbers as one line of JSON."""
    from vmware_wrapper import VSphere

    vs = VSphere(args.host, args.user, args.password, port=args.port, protocol=args.protocol)
    try:
        vs.get_vm("DC0_H0_VM0")  # the index loaded: what a connected program holds
        before = rss_mb()
        if args.measure == "tracemalloc":
            tracemalloc.start()
        started = time.perf_counter()
        vm = vs.deploy_ovf(
            args.ova, args.name, cluster="DC0_C0", networks={"VM Network": "VM Network"}
        )
        seconds = time.perf_counter() - started
        result: dict[str, Any] = {"seconds": seconds, "rss_before_mb": before}
        if args.measure == "tracemalloc":
            result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / _MB
            tracemalloc.stop()
        result["rss_peak_mb"] = rss_mb()
        vs.destroy_vm(vm)
    finally:
        vs.close()
    print(json.dumps(result))


def run_child(sim: Simulator, ova: Path, name: str, measure: str) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--measure", measure,
        "--ova", str(ova),
        "--name", name,
        "--host", sim.host,
        "--port", str(sim.port),
        "--protocol", sim.protocol,
        "--user", sim.username,
        "--password", sim.password,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the deploying child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disk-mb", type=int, default=1024, help="the disk file's size")
    parser.add_argument("--runs", type=int, default=2, help="children of each kind")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=("rss", "tracemalloc"), help=argparse.SUPPRESS)
    for option in ("--ova", "--name", "--host", "--protocol", "--user", "--password"):
        parser.add_argument(option, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory() as tmp, Simulator() as sim:
        ova = make_sparse_ova(Path(tmp) / "big.ova", args.disk_mb * _MB)
        rss: list[dict[str, Any]] = []
        traced: list[dict[str, Any]] = []
        for n in range(args.runs):
            rss.append(run_child(sim, ova, f"bench-ovf-rss-{n}", "rss"))
            traced.append(run_child(sim, ova, f"bench-ovf-traced-{n}", "tracemalloc"))
        ova_mb = ova.stat().st_size / _MB
        on_disk_kb = ova.stat().st_blocks * 512 / 1024

    worst = {
        "rss_before_mb": max(r["rss_before_mb"] for r in rss),
        "rss_peak_mb": max(r["rss_peak_mb"] for r in rss),
        "tracemalloc_peak_mb": max(r["tracemalloc_peak_mb"] for r in traced),
        "seconds": max(r["seconds"] for r in rss),
    }
    rate = ova_mb / worst["seconds"]
    print(f"Deploying a {ova_mb:,.0f} MB OVA ({on_disk_kb:,.0f} KB on disk), worst of {args.runs}:")
    print()
    rows = (
        ("peak RSS of the process, connected, before the deploy", worst["rss_before_mb"], "MB"),
        ("peak RSS of the process, after the deploy", worst["rss_peak_mb"], "MB"),
        ("peak of Python's allocations during the deploy (tracemalloc)",
         worst["tracemalloc_peak_mb"], "MB"),
        ("time of the deploy", worst["seconds"], f"s ({rate:,.0f} MB/s)"),
    )  # fmt: skip
    print("| measure | value |")
    print("| --- | ---: |")
    for label, value, unit in rows:
        print(f"| {label} | {value:.1f} {unit} |")
    print()
    print(json.dumps({"ova_mb": ova_mb, "runs": {"rss": rss, "tracemalloc": traced}, **worst}))


if __name__ == "__main__":
    main()
