"""What deploying a large OVA costs in memory: deploying an OVA with a 1 GB disk must keep
the process's peak memory under 100 MB.

    make bench
    .venv/bin/python bench/ovf_memory.py --disk-mb 1024 --runs 2

Builds an OVA whose disk file is --disk-mb MB (a sparse file: the disk is a stream-optimized
VMDK of an empty disk, padded with a hole, so the OVA takes no room), starts a simulator
(which hashes what it is sent and keeps none of it), then deploys the OVA with
``vs.deploy_ovf`` in fresh child processes (see ``memory_harness``): the peak resident set
before and after the deploy and its time, and the peak of Python's allocations during it.
Each is the worst of --runs children. Prints a Markdown table, then the same numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from memory_harness import (
    MB,
    MEASURES,
    measure_in_children,
    measured,
    print_child_result,
    print_table,
    timed,
    worst,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test suite's OVF package maker

from tests.ops.ovf_package import descriptor, empty_vmdk  # noqa: E402

from vmware_wrapper.testing import Simulator  # noqa: E402

_BLOCK = 512


def make_sparse_ova(path: Path, disk_bytes: int) -> Path:
    """An OVA (a tar: the descriptor, then the disk) whose disk member is ``disk_bytes``
    long, written as a hole after its VMDK header: the file takes a few KB on disk."""
    disk_head = empty_vmdk(64 * MB)
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


def child(args: argparse.Namespace) -> None:
    """One deploy, in this (fresh) process; its numbers as one line of JSON."""
    from vmware_wrapper import VSphere

    vs = VSphere.from_env()
    try:
        vs.get_vm("DC0_H0_VM0")  # the index loaded: what a connected program holds
        made: list[Any] = []

        def deploy() -> dict[str, float]:
            seconds = timed(
                lambda: made.append(
                    vs.deploy_ovf(
                        args.ova, args.name, cluster="DC0_C0", networks={"VM Network": "VM Network"}
                    )
                )
            )
            return {"seconds": seconds}

        result = measured(args.measure, deploy)
        vs.destroy_vm(made[0])
    finally:
        vs.close()
    print_child_result(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disk-mb", type=int, default=1024, help="the disk file's size")
    parser.add_argument("--runs", type=int, default=2, help="children of each kind")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=MEASURES, help=argparse.SUPPRESS)
    for option in ("--ova", "--name"):
        parser.add_argument(option, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory() as tmp, Simulator() as sim:
        ova = make_sparse_ova(Path(tmp) / "big.ova", args.disk_mb * MB)
        results = measure_in_children(
            __file__, sim, lambda label: ["--ova", str(ova), "--name", f"bench-ovf-{label}"],
            args.runs,
        )  # fmt: skip
        ova_mb = ova.stat().st_size / MB
        on_disk_kb = ova.stat().st_blocks * 512 / 1024

    found = worst(results, ["seconds"])
    rate = ova_mb / found["seconds"]
    print_table(
        f"Deploying a {ova_mb:,.0f} MB OVA ({on_disk_kb:,.0f} KB on disk), worst of {args.runs}:",
        [
            ("peak RSS of the process, connected, before the deploy", found["rss_before_mb"], "MB"),
            ("peak RSS of the process, after the deploy", found["rss_peak_mb"], "MB"),
            ("peak of Python's allocations during the deploy (tracemalloc)",
             found["tracemalloc_peak_mb"], "MB"),
            ("time of the deploy", found["seconds"], f"s ({rate:,.0f} MB/s)"),
        ],
    )  # fmt: skip
    print(json.dumps({"ova_mb": ova_mb, "runs": results, **found}))


if __name__ == "__main__":
    main()
