"""Test your vSphere automation against a local vCenter simulator.

    from vmware_wrapper.testing import Simulator
    with Simulator(vms_per_pool=2) as sim:
        vs = sim.connect()

Also a pytest plugin (registered on install) with the fixtures ``vsphere_simulator`` (one
simulator per test session) and ``vsphere`` (a connected VSphere per test).
"""

from ._simulator import Simulator, SimulatorError, find_binary

__all__ = ["Simulator", "SimulatorError", "find_binary"]
