"""Both recorded vCenter 7.0.1 inventories load into the simulator and answer queries."""

from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl

from tests.conftest import RECORDINGS
from tests.helpers import all_objects
from vmware_wrapper.testing import Simulator


def inventory_path(obj):
    names = []
    while obj is not None and not (isinstance(obj, vim.Folder) and obj.parent is None):
        names.append(obj.name)
        # A VM in a vApp has no parent folder, only its parentVApp.
        obj = obj.parent or (obj.parentVApp if isinstance(obj, vim.VirtualMachine) else None)
    return "/" + "/".join(reversed(names))


@pytest.mark.parametrize("recording", RECORDINGS)
def test_recording_loads_and_is_queryable(recordings_dir, recording):
    directory = recordings_dir / recording
    recorded_vms = sorted(
        p.name.split("-VirtualMachine-")[1].removesuffix(".xml")
        for p in directory.glob("*-VirtualMachine-*.xml")
    )
    with Simulator(load=directory, tools_delay=0) as sim:
        assert sim.vm_count == len(recorded_vms)
        si = sim.pyvmomi()
        try:
            vms = all_objects(si, vim.VirtualMachine)
            assert sorted(vm._moId for vm in vms) == recorded_vms

            # One bulk property retrieval over a container view answers for every VM.
            content = si.content
            view = content.viewManager.CreateContainerView(
                content.rootFolder, [vim.VirtualMachine], True
            )
            traversal = vmodl.query.PropertyCollector.TraversalSpec(
                name="view", path="view", skip=False, type=vim.view.ContainerView
            )
            spec = vmodl.query.PropertyCollector.FilterSpec(
                objectSet=[
                    vmodl.query.PropertyCollector.ObjectSpec(
                        obj=view, skip=True, selectSet=[traversal]
                    )
                ],
                propSet=[
                    vmodl.query.PropertyCollector.PropertySpec(
                        type=vim.VirtualMachine,
                        pathSet=["name", "config.uuid", "parent", "parentVApp"],
                    )
                ],
            )
            result = content.propertyCollector.RetrievePropertiesEx(
                [spec], vmodl.query.PropertyCollector.RetrieveOptions()
            )
            objects = list(result.objects)
            while result.token:
                result = content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
                objects += result.objects
            view.Destroy()
            assert len(objects) == len(recorded_vms)
            for obj in objects:
                props = {p.name: p.val for p in obj.propSet}
                assert props["name"]
                parent = props.get("parent") or props["parentVApp"]
                assert isinstance(parent, (vim.Folder, vim.VirtualApp))

            paths = [inventory_path(vm) for vm in vms]
            assert all(p.count("/") >= 3 for p in paths), paths
            assert len(all_objects(si, vim.Datacenter)) >= 1
            assert all_objects(si, vim.HostSystem)
            assert all_objects(si, vim.Datastore)
        finally:
            si.content.sessionManager.Logout()
            si._stub.DropConnections()


def test_recordings_keep_vcenters_escaping(recordings_dir):
    # vCenter stores "/" in names as "%2f"; the recording keeps it (in a snapshot's name, made
    # from a date), and so does the simulator.
    with Simulator(load=recordings_dir / "vcsa-7.0.1-primp") as sim:
        si = sim.pyvmomi()
        try:
            (vm,) = [v for v in all_objects(si, vim.VirtualMachine) if v._moId == "vm-2021"]
            names = [tree.name for tree in vm.snapshot.rootSnapshotList]
            assert any("12%2f30%2f2020" in name for name in names), names
        finally:
            si.content.sessionManager.Logout()
            si._stub.DropConnections()
