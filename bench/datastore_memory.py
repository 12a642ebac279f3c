"""What moving a large file to and from a datastore costs in memory: a 200 MB upload and
download must round-trip byte for byte with the process's peak memory under 100 MB.

    make bench
    .venv/bin/python bench/datastore_memory.py --file-mb 200 --runs 2

Makes a --file-mb MB file (sparse: marks at its start, middle and end, holes between, so it
takes no room), starts a simulator (which writes what it is sent to a directory of its own),
then uploads the file with ``vs.upload_file`` and downloads it again with
``vs.download_file`` in fresh child processes (see ``memory_harness``), each of which checks
that its copy is the file, byte for byte: the peak resident set before and after the
transfers and their times, and the peak of Python's allocations during them. Each number is
the worst of --runs children. Prints a Markdown table, then the same numbers as JSON; exits
non-zero if the peak resident set reached --limit-mb.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path

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
from vmware_wrapper.testing import Simulator

DATASTORE = "LocalDS_0"


def make_sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes a few KB on disk: marks at its start, middle and
    end (a byte out of place changes its digest), holes between."""
    with path.open("wb") as f:
        for offset in (0, size // 2, size - 64):
            f.seek(offset)
            f.write(hashlib.sha256(str(offset).encode()).hexdigest().encode())
    return path


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(4 * MB):
            sha.update(chunk)
    return sha.hexdigest()


def child(args: argparse.Namespace) -> None:
    """One upload and one download, in this (fresh) process; its numbers as one line of
    JSON."""
    from vmware_wrapper import VSphere

    vs = VSphere.from_env()  # the simulator's certificate pinned: TLS as in use
    remote = f"[{DATASTORE}] {args.name}"
    back = Path(args.back)
    try:
        vs.datastore_files(DATASTORE)  # the index loaded: what a connected program holds
        result = measured(
            args.measure,
            lambda: {
                "upload_seconds": timed(lambda: vs.upload_file(args.file, remote)),
                "download_seconds": timed(lambda: vs.download_file(remote, back)),
            },
        )
        vs.delete_file(remote)
    finally:
        vs.close()
    if digest(back) != digest(Path(args.file)):
        raise SystemExit(f"the downloaded copy differs from {args.file}")
    back.unlink()
    print_child_result(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file-mb", type=int, default=200, help="the file's size")
    parser.add_argument("--runs", type=int, default=2, help="children of each kind")
    parser.add_argument(
        "--limit-mb", type=float, default=100.0, help="fail if the peak RSS reaches this"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=MEASURES, help=argparse.SUPPRESS)
    for option in ("--file", "--name", "--back"):
        parser.add_argument(option, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory() as tmp, Simulator(tls=True) as sim:
        source = make_sparse_file(Path(tmp) / "big.bin", args.file_mb * MB)

        def arguments(label: str) -> list[str]:
            name = f"bench-ds-{label}.bin"
            return ["--file", str(source), "--name", name, "--back", f"{source}.{label}.back"]

        results = measure_in_children(__file__, sim, arguments, args.runs)
        file_mb = source.stat().st_size / MB

    found = worst(results, ["upload_seconds", "download_seconds"])
    up_rate = file_mb / found["upload_seconds"]
    down_rate = file_mb / found["download_seconds"]
    print_table(
        f"Uploading and downloading a {file_mb:,.0f} MB file (TLS), worst of {args.runs}:",
        [
            ("peak RSS of the process, connected, before the transfers",
             found["rss_before_mb"], "MB"),
            ("peak RSS of the process, after the upload and download", found["rss_peak_mb"], "MB"),
            ("peak of Python's allocations during them (tracemalloc)",
             found["tracemalloc_peak_mb"], "MB"),
            ("time of the upload", found["upload_seconds"], f"s ({up_rate:,.0f} MB/s)"),
            ("time of the download", found["download_seconds"], f"s ({down_rate:,.0f} MB/s)"),
        ],
    )  # fmt: skip
    print(json.dumps({"file_mb": file_mb, "runs": results, **found}))
    if found["rss_peak_mb"] >= args.limit_mb:
        raise SystemExit(f"peak RSS {found['rss_peak_mb']:.1f} MB, not under {args.limit_mb} MB")


if __name__ == "__main__":
    main()
