"""What moving a large file to and from a datastore costs in memory: "a 200 MB upload and
download round-trip byte for byte with the process's peak memory under 100 MB".

    make bench
    .venv/bin/python bench/datastore_memory.py --file-mb 200 --runs 2

Makes a --file-mb MB file (sparse: marks at its start, middle and end, holes between, so it
takes no room), starts a simulator (which writes what it is sent to a directory of its own),
then uploads the file with ``vs.upload_file`` and downloads it again with
``vs.download_file`` in a child process of its own, so that nothing this process did is in
its numbers. Two children, each a fresh Python: one reports the whole process's peak
resident set (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) before the transfers (imports
done, connected, index loaded) and after them, and their times; the other the peak of what
Python allocated during them (``tracemalloc``, which slows allocation and takes memory of
its own, hence a run of its own). Each child checks that the copy it downloaded is the file
it uploaded, byte for byte. Each number is the worst of --runs children. Prints a Markdown
table, then the same numbers as JSON; exits non-zero if the peak resident set reached
--limit-mb.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from vmware_wrapper.testing import Simulator

_MB = 2**20
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
        while chunk := f.read(4 * _MB):
            sha.update(chunk)
    return sha.hexdigest()


def rss_mb() -> float:
    """The process's peak resident set so far, in MB (Linux: ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    """One upload and one download, in this (fresh) process; its numbers as one line of
    JSON."""
    from vmware_wrapper import VSphere

    vs = VSphere(
        args.host,
        args.user,
        args.password,
        port=args.port,
        protocol=args.protocol,
        thumbprint=args.thumbprint,  # the simulator's certificate, pinned: TLS as in use
    )
    remote = f"[{DATASTORE}] {args.name}"
    back = Path(args.back)
    try:
        vs.datastore_files(DATASTORE)  # the index loaded: what a connected program holds
        before = rss_mb()
        if args.measure == "tracemalloc":
            tracemalloc.start()
        started = time.perf_counter()
        vs.upload_file(args.file, remote)
        uploaded = time.perf_counter()
        vs.download_file(remote, back)
        done = time.perf_counter()
        result: dict[str, Any] = {
            "upload_seconds": uploaded - started,
            "download_seconds": done - uploaded,
            "rss_before_mb": before,
        }
        if args.measure == "tracemalloc":
            result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / _MB
            tracemalloc.stop()
        result["rss_peak_mb"] = rss_mb()
        vs.delete_file(remote)
    finally:
        vs.close()
    if digest(back) != digest(Path(args.file)):
        raise SystemExit(f"the downloaded copy differs from {args.file}")
    back.unlink()
    print(json.dumps(result))


def run_child(sim: Simulator, source: Path, name: str, measure: str) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--measure", measure,
        "--file", str(source),
        "--name", name,
        "--back", str(source.with_name(f"{name}.back")),
        "--host", sim.host,
        "--port", str(sim.port),
        "--protocol", sim.protocol,
        "--user", sim.username,
        "--password", sim.password,
        "--thumbprint", sim.thumbprint,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the transferring child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file-mb", type=int, default=200, help="the file's size")
    parser.add_argument("--runs", type=int, default=2, help="children of each kind")
    parser.add_argument("--limit-mb", type=float, default=100.0, help="the peak RSS allowed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=("rss", "tracemalloc"), help=argparse.SUPPRESS)
    for option in (
        *("--file", "--name", "--back", "--host", "--protocol"),
        *("--user", "--password", "--thumbprint"),
    ):
        parser.add_argument(option, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory() as tmp, Simulator(tls=True) as sim:
        source = make_sparse_file(Path(tmp) / "big.bin", args.file_mb * _MB)
        rss: list[dict[str, Any]] = []
        traced: list[dict[str, Any]] = []
        for n in range(args.runs):
            rss.append(run_child(sim, source, f"bench-ds-rss-{n}.bin", "rss"))
            traced.append(run_child(sim, source, f"bench-ds-traced-{n}.bin", "tracemalloc"))
        file_mb = source.stat().st_size / _MB

    worst = {
        "rss_before_mb": max(r["rss_before_mb"] for r in rss),
        "rss_peak_mb": max(r["rss_peak_mb"] for r in rss),
        "tracemalloc_peak_mb": max(r["tracemalloc_peak_mb"] for r in traced),
        "upload_seconds": max(r["upload_seconds"] for r in rss),
        "download_seconds": max(r["download_seconds"] for r in rss),
    }
    up_rate = file_mb / worst["upload_seconds"]
    down_rate = file_mb / worst["download_seconds"]
    print(f"Uploading and downloading a {file_mb:,.0f} MB file (TLS), worst of {args.runs}:")
    print()
    rows = (
        ("peak RSS of the process, connected, before the transfers", worst["rss_before_mb"], "MB"),
        ("peak RSS of the process, after the upload and download", worst["rss_peak_mb"], "MB"),
        ("peak of Python's allocations during them (tracemalloc)",
         worst["tracemalloc_peak_mb"], "MB"),
        ("time of the upload", worst["upload_seconds"], f"s ({up_rate:,.0f} MB/s)"),
        ("time of the download", worst["download_seconds"], f"s ({down_rate:,.0f} MB/s)"),
    )  # fmt: skip
    print("| measure | value |")
    print("| --- | ---: |")
    for label, value, unit in rows:
        print(f"| {label} | {value:.1f} {unit} |")
    print()
    print(json.dumps({"file_mb": file_mb, "runs": {"rss": rss, "tracemalloc": traced}, **worst}))
    if worst["rss_peak_mb"] >= args.limit_mb:
        raise SystemExit(f"peak RSS {worst['rss_peak_mb']:.1f} MB, not under {args.limit_mb} MB")


if __name__ == "__main__":
    main()
