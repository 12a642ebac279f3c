"""Build step: a wheel carries the vCenter simulator (vmw-sim), built from sim/ with Go.

The metadata lives in pyproject.toml; this file only adds the simulator. With Go 1.25 or
newer on Linux, a wheel gets a fresh, stripped, statically linked vmw-sim in
vmware_wrapper/testing/_bin/ and is tagged for this platform (py3-none-<platform>): the
program runs on one OS and architecture. Without Go the build still succeeds, as a pure
wheel without the simulator, and says so in one line.

VMW_SIM_BUILD=0 never builds the simulator; VMW_SIM_BUILD=1 requires it (the build fails
instead of making a wheel without it). Editable installs never build it: a clone builds its
own with `make sim`.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution
from setuptools.errors import ExecError, PlatformError

SIM_SOURCE = Path(__file__).resolve().parent / "sim"
SIM_TARGET = ("vmware_wrapper", "testing", "_bin", "vmw-sim")
GO_MINIMUM = (1, 25)  # govmomi's go.mod asks for it
HOW_TO_GET_IT = (
    "install from source on Linux with Go 1.25 or newer (https://go.dev/dl) present, "
    "or set VMW_SIM to a vmw-sim program"
)


@functools.cache
def go_for_simulator() -> tuple[str | None, str]:
    """The go program that builds the simulator, or None and why the wheel goes without."""
    if os.environ.get("VMW_SIM_BUILD", "").strip() == "0":
        return None, "VMW_SIM_BUILD=0"
    if not sys.platform.startswith("linux"):
        # The simulator's guest operations use Linux namespaces; it builds nowhere else.
        return None, f"vmw-sim runs on Linux only, this is {sys.platform}"
    if not SIM_SOURCE.joinpath("go.mod").is_file():
        return None, "the source has no sim/ directory"
    go = shutil.which("go")
    if go is None:
        return None, "no Go found on PATH"
    version = go_version(go)
    if version < GO_MINIMUM:
        return None, f"Go 1.25 or newer is needed, {go} is {'.'.join(map(str, version))}"
    return go, ""


def go_version(go: str) -> tuple[int, ...]:
    # GOTOOLCHAIN=local: the version of the Go that is installed, not of one that the go
    # command would download to build a module asking for a newer one.
    try:
        out = subprocess.run(
            [go, "env", "GOVERSION"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "GOTOOLCHAIN": "local"},
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return (0,)
    found = re.search(r"go(\d+)\.(\d+)", out)
    return (int(found[1]), int(found[2])) if found else (0,)


class SimulatorDistribution(Distribution):
    """A distribution that is not pure Python when its wheel carries the simulator: so the
    wheel is tagged for the platform and installs into platlib."""

    def has_ext_modules(self) -> bool:
        return go_for_simulator()[0] is not None or super().has_ext_modules()


class BuildPyWithSimulator(build_py):
    """build_py, then `go build` of the simulator into the build directory. It never copies
    a program already in the source tree (that one may be stale, or keep debug info)."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib, *SIM_TARGET).resolve()  # go build runs in sim/
        go, why = go_for_simulator()
        if go is None:
            if os.environ.get("VMW_SIM_BUILD", "").strip() == "1":
                raise PlatformError(f"VMW_SIM_BUILD=1 but vmw-sim cannot be built: {why}")
            # A build directory reused from an earlier build may still hold one.
            target.unlink(missing_ok=True)
            print(
                f"warning: the package has no vmw-sim simulator ({why}); {HOW_TO_GET_IT}",
                file=sys.stderr,
            )
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        command = [
            go,
            "build",
            "-trimpath",
            "-buildvcs=false",  # the source may be an sdist or a copy, not a checkout
            "-ldflags=-s -w",  # no symbol table, no debug info: smaller
            "-o",
            str(target),
            ".",
        ]
        self.announce(f"building the simulator: {' '.join(command)}", level=logging.INFO)
        # Statically linked, so that it runs on any Linux of this architecture.
        env = {**os.environ, "CGO_ENABLED": "0"}
        try:
            subprocess.run(command, cwd=SIM_SOURCE, env=env, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            raise ExecError(
                f"building the vmw-sim simulator failed ({e}); "
                "VMW_SIM_BUILD=0 builds the package without it"
            ) from e

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode and go_for_simulator()[0] is not None:
            outputs.append(os.path.join(self.build_lib, *SIM_TARGET))
        return outputs


class BdistWheelForPlatform(bdist_wheel):
    """The simulator is a program, not a Python extension: any Python 3 on this platform
    runs it, so the tag is py3-none-<platform> rather than cp3XX-cp3XX-<platform>."""

    def get_tag(self) -> tuple[str, str, str]:
        python, abi, platform = super().get_tag()
        if not self.root_is_pure:
            python, abi = "py3", "none"
        return python, abi, platform


setup(
    distclass=SimulatorDistribution,
    cmdclass={"build_py": BuildPyWithSimulator, "bdist_wheel": BdistWheelForPlatform},
)
