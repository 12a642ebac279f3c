"""The core works on every vSphere API version that real estates still run: the library
negotiates the newest version both it and the server speak, and names, reads, power and
snapshots work on it. The server is read back through plain pyVmomi."""

from __future__ import annotations

import pytest

from tests.helpers import find_vm, plain_pyvmomi
from vmware_wrapper._base.vmomi import versionIdMap
from vmware_wrapper.testing import Simulator, SimulatorError


@pytest.mark.parametrize("api_version", ["6.5", "6.7.3", "7.0.3.0", "8.0.3.0"])
def test_the_core_on_each_api_version(api_version):
    with (
        Simulator(vms_per_pool=1, hosts_per_cluster=1, api_version=api_version) as sim,
        sim.connect() as vs,
        plain_pyvmomi(sim) as si,
    ):
        assert si.content.about.apiVersion == api_version
        assert versionIdMap[vs.service_instance._stub.version] == api_version
        vm = find_vm(si, "DC0_H0_VM0")
        assert vs.get_vm("DC0_H0_VM0")._moId == vm._moId
        assert {i.name for i in vs.list_vms()} == {"DC0_H0_VM0", "DC0_C0_RP0_VM0"}
        vs.power_off("DC0_H0_VM0")
        assert vm.runtime.powerState == "poweredOff"
        vs.power_on("DC0_H0_VM0")
        assert vm.runtime.powerState == "poweredOn"
        vs.create_snapshot("DC0_H0_VM0", "before")
        assert [s.name for s in vm.snapshot.rootSnapshotList] == ["before"]
        vs.revert_to_snapshot("DC0_H0_VM0", "before")
        vs.remove_snapshot("DC0_H0_VM0", "before")
        assert vm.snapshot is None


def test_the_default_is_the_newest_api():
    with Simulator(vms_per_pool=1, hosts_per_cluster=1) as sim, sim.connect() as vs:
        assert vs.content.about.apiVersion == "8.0.3.0"
        assert vs.content.about.version == "8.0.3"
        assert versionIdMap[vs.service_instance._stub.version] == "8.0.3.0"


def test_an_unknown_api_version_is_refused():
    with pytest.raises(SimulatorError, match="api-version"):
        Simulator(api_version="9.9").start()
