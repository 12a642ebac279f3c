"""pytest fixtures for testing vSphere automation against the bundled simulator.

    def test_power(vsphere):
        vsphere.power_on("DC0_H0_VM0")

Override ``vsphere_simulator_options`` in a conftest.py to shape the inventory:

    @pytest.fixture(scope="session")
    def vsphere_simulator_options():
        return {"vms_per_pool": 10, "tls": True}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ._simulator import Simulator, SimulatorError

if TYPE_CHECKING:
    from .. import VSphere


@pytest.fixture(scope="session")
def vsphere_simulator_options() -> dict[str, Any]:
    """Keyword arguments for the session's ``Simulator``; override to change the inventory."""
    return {}


@pytest.fixture(scope="session")
def vsphere_simulator(vsphere_simulator_options: dict[str, Any]) -> Iterator[Simulator]:
    """One running simulator for the whole test session."""
    simulator = Simulator(**vsphere_simulator_options)
    failure = None
    try:
        simulator.start()
    except SimulatorError as e:
        failure = str(e)
    if failure is not None:
        # Just what to do about it: a traceback through this plugin would add nothing (and
        # failing outside the except block keeps pytest from showing the error twice).
        pytest.fail(failure, pytrace=False)
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def vsphere(vsphere_simulator: Simulator) -> Iterator[VSphere]:
    """A ``VSphere`` connected to the session's simulator, logged out after the test."""
    vs = vsphere_simulator.connect()
    try:
        yield vs
    finally:
        vs.close()
