"""The package as a new user gets it: built from a clean copy of the source into a wheel and
an sdist, installed into a fresh virtual environment outside the repository, and used from
there (vmw, the pytest plugin with the simulator that the wheel carries, vmw sim).

One module-scoped build and install serves every test here: the wheel's Go build of the
simulator takes a minute or more, less with a warm Go build cache (the user's own, which
this shares with make).
"""

from __future__ import annotations

import os
import queue
import shlex
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

if not sys.platform.startswith("linux"):
    pytest.skip("the simulator builds on Linux only", allow_module_level=True)

REPO = Path(__file__).resolve().parents[1]
SIM_IN_WHEEL = "vmware_wrapper/testing/_bin/vmw-sim"


@dataclass
class Installed:
    wheel: Path
    sdist: Path
    venv: Path
    workdir: Path  # the user's own directory, outside the repository
    env: dict[str, str]

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120):
        return subprocess.run(
            args,
            cwd=self.workdir,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def user_environment() -> dict[str, str]:
    """This environment without what points at the repository or at this test run: no
    $VMW_SIM, no connection settings, no PYTHONPATH, no pytest options, no active venv.
    HOME stays, and with it the user's Go build cache and pip cache."""
    dropped = ("VMW_", "VMWARE_", "GOVC_", "PYTEST_", "PYTHON", "VIRTUAL_ENV")
    return {key: value for key, value in os.environ.items() if not key.startswith(dropped)}


def copy_source(target: Path) -> None:
    """What a clone of the working tree would hold: tracked files and new files that are not
    ignored (so never a simulator that make built, nor build output)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # not a tracked file deleted in the working tree
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())


def checked(result: subprocess.CompletedProcess[str], what: str) -> str:
    assert result.returncode == 0, (
        f"{what} exited with {result.returncode}:\n" + (result.stdout + result.stderr)[-4000:]
    )
    return result.stdout


def elf_section_names(program: bytes) -> set[str]:
    """The section names of an ELF program, from its section header table."""
    assert program[:4] == b"\x7fELF", "not an ELF program"
    wide, order = program[4] == 2, "<" if program[5] == 1 else ">"
    if wide:
        (table,) = struct.unpack_from(order + "Q", program, 0x28)
        entry_size, count, names_index = struct.unpack_from(order + "HHH", program, 0x3A)
    else:
        (table,) = struct.unpack_from(order + "I", program, 0x20)
        entry_size, count, names_index = struct.unpack_from(order + "HHH", program, 0x2E)

    def header(index: int) -> tuple[int, int]:  # a section's sh_name and sh_offset
        at = table + index * entry_size
        (name,) = struct.unpack_from(order + "I", program, at)
        (offset,) = struct.unpack_from(
            order + ("Q" if wide else "I"), program, at + (0x18 if wide else 0x10)
        )
        return name, offset

    strings = header(names_index)[1]
    names = set()
    for index in range(count):
        start = strings + header(index)[0]
        names.add(program[start : program.index(b"\0", start)].decode())
    return names


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("install")
    assert REPO not in root.parents, "the user's directories must be outside the repository"
    source, dist, venv, workdir = (root / d for d in ("source", "dist", "venv", "work"))
    workdir.mkdir()
    copy_source(source)
    env = user_environment()

    # Wheel and sdist each straight from the source: no second wheel built from the sdist.
    # VMW_SIM_BUILD=1: a wheel without the simulator is a failure here, not a fallback.
    checked(
        subprocess.run(
            [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), "."],
            cwd=source,
            env={**env, "VMW_SIM_BUILD": "1"},
            capture_output=True,
            text=True,
            timeout=840,
        ),
        "python -m build",
    )
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")

    checked(
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=120
        ),
        "python -m venv",
    )
    checked(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                str(wheel),
                "pytest",
            ],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        ),
        "pip install",
    )
    return Installed(wheel=wheel, sdist=sdist, venv=venv, workdir=workdir, env=env)


def test_the_wheel_is_for_this_platform_and_carries_a_stripped_simulator(installed):
    assert installed.wheel.name.endswith(".whl")
    assert "-py3-none-linux_" in installed.wheel.name, installed.wheel.name
    with zipfile.ZipFile(installed.wheel) as wheel:
        (wheel_file,) = [n for n in wheel.namelist() if n.endswith(".dist-info/WHEEL")]
        assert "Root-Is-Purelib: false" in wheel.read(wheel_file).decode()
        info = wheel.getinfo(SIM_IN_WHEEL)
        assert (info.external_attr >> 16) & 0o111, "vmw-sim is not executable"
        program = wheel.read(info)
    sections = elf_section_names(program)
    assert ".text" in sections
    assert ".symtab" not in sections
    assert not [s for s in sections if s.startswith((".debug", ".zdebug"))]


def test_the_sdist_carries_the_simulators_source_and_no_program(installed):
    with tarfile.open(installed.sdist) as sdist:
        names = {name.partition("/")[2] for name in sdist.getnames()}
    expected = {"sim/main.go", "sim/go.mod", "sim/go.sum", "sim/govc/main.go", "sim/README.md"}
    assert expected <= names
    assert not [name for name in names if Path(name).name == "vmw-sim"]


def test_the_installed_package_works_from_the_users_directory(installed):
    checked(installed.run(installed.bin("vmw"), "--help"), "vmw --help")

    where = checked(
        installed.run(
            installed.bin("python"),
            "-c",
            "from vmware_wrapper.testing import find_binary; print(find_binary())",
        ),
        "find_binary",
    ).strip()
    assert Path(where).is_relative_to(installed.venv), where

    # A user's own test of their automation, using the plugin's fixture.
    (installed.workdir / "test_mine.py").write_text(
        textwrap.dedent(
            """
            def test_the_simulator_has_vms(vsphere):
                assert vsphere.list_vms()
            """
        )
    )
    out = checked(
        installed.run(installed.bin("python"), "-m", "pytest", "-p", "no:cacheprovider"),
        "the user's pytest",
    )
    assert "1 passed" in out


# -- vmw sim: a simulator to try vmw on, from the command line --------------------------------

EXPORTED = {"VMWARE_HOST", "VMWARE_PORT", "VMWARE_USER", "VMWARE_PASSWORD", "VMWARE_THUMBPRINT"}


def read_lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def exported(line: str) -> tuple[str, str]:
    """NAME and value of a shell line `export NAME='value'`."""
    words = shlex.split(line)
    assert len(words) == 2, f"not an export line: {line!r}"
    assert words[0] == "export", f"not an export line: {line!r}"
    name, equals, value = words[1].partition("=")
    assert equals, f"not an export line: {line!r}"
    return name, value


def test_vmw_sim_prints_exports_that_vmw_connects_with(installed):
    log = installed.workdir / "vmw-sim.stderr"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [installed.bin("vmw"), "sim", "--username", "a", "--password", "b"],
            cwd=installed.workdir,
            env=installed.env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    lines: queue.Queue[str | None] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    settings: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 120
        while not settings.keys() >= EXPORTED:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"vmw sim printed no exports in time: {log.read_text()}")
            if line is None:
                pytest.fail(f"vmw sim ended ({process.wait()}): {log.read_text()}")
            settings.update([exported(line)])
        assert (settings["VMWARE_USER"], settings["VMWARE_PASSWORD"]) == ("a", "b")
        assert process.poll() is None, "vmw sim should run until it is stopped"

        env = {**installed.env, **settings}
        listing = checked(installed.run(installed.bin("vmw"), "vm", "ls", env=env), "vmw vm ls")
        assert "DC0_H0_VM0" in listing
        wrong = installed.run(
            installed.bin("vmw"), "vm", "ls", env={**env, "VMWARE_PASSWORD": "wrong"}
        )
        assert wrong.returncode == 5, wrong.stdout + wrong.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(10)  # it has read to the end of the output
        process.stdout.close()
    # -9: it did not stop on SIGTERM and was killed.
    assert process.returncode == 0, f"vmw sim exited with {process.returncode}: {log.read_text()}"

    # Whatever else it printed is export lines too, so that `eval "$(vmw sim)"` works.
    while (line := lines.get_nowait()) is not None:
        settings.update([exported(line)])
    # Stopping vmw sim stopped its simulator: nothing listens on the port any more.
    address = (settings["VMWARE_HOST"], int(settings["VMWARE_PORT"]))
    with pytest.raises(ConnectionRefusedError), socket.create_connection(address, timeout=5):
        pass
