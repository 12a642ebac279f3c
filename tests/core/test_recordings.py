"""On real vCenter inventories: every VM found by name, path, id and uuid."""

from __future__ import annotations

from collections import Counter

import pytest
from pyVmomi import vim

from tests.conftest import RECORDINGS
from tests.helpers import all_objects
from vmware_wrapper import AmbiguousNameError
from vmware_wrapper._base.names import escape_name, unescape_name
from vmware_wrapper.testing import Simulator


def server_path(obj):
    """The inventory path, computed from the server's own parent links (plain pyVmomi)."""
    names = []
    while True:
        parent = obj.parent
        if isinstance(obj, vim.VirtualMachine) and parent is None:
            parent = obj.parentVApp  # a VM in a vApp
        if isinstance(obj, vim.VirtualApp) and obj.parentFolder is not None:
            parent = obj.parentFolder  # shown in the VMs-and-templates tree
        if parent is None:  # the root folder
            return "/" + "/".join(reversed(names))
        names.append(escape_name(unescape_name(obj.name)))
        obj = parent


@pytest.fixture(scope="module", params=RECORDINGS)
def recorded(request, recordings_dir):
    with Simulator(load=recordings_dir / request.param, tools_delay=0) as sim:
        si = sim.pyvmomi()
        with sim.connect() as vs:
            yield vs, si
        si.content.sessionManager.Logout()
        si._stub.DropConnections()


def test_every_vm_by_name_path_id_and_uuid(recorded):
    vs, si = recorded
    vms = all_objects(si, vim.VirtualMachine)
    assert vms
    names = Counter(unescape_name(vm.name) for vm in vms)
    bios = Counter(vm.config.uuid for vm in vms if vm.config)
    for vm in vms:
        moid = vm._moId
        path = server_path(vm)
        assert vs.path_of(moid) == path
        assert vs.get_vm(path)._moId == moid
        assert vs.get_vm(moid)._moId == moid
        assert vs.get_vm(vm)._moId == moid
        name = unescape_name(vm.name)
        if names[name] == 1:
            assert vs.get_vm(name)._moId == moid
        else:
            with pytest.raises(AmbiguousNameError) as raised:
                vs.get_vm(name)
            assert path in raised.value.candidates
        if vm.config is None:
            continue
        if bios[vm.config.uuid] == 1:
            assert vs.get_vm_by_uuid(vm.config.uuid)._moId == moid
        assert vs.get_vm_by_uuid(vm.config.instanceUuid)._moId == moid


def test_listing_matches_the_server(recorded):
    vs, si = recorded
    infos = {i.moid: i for i in vs.list_vms()}
    for vm in all_objects(si, vim.VirtualMachine):
        info = infos[vm._moId]
        assert info.name == unescape_name(vm.name)
        assert info.power_state == vm.runtime.powerState
        assert info.is_template == bool(vm.config and vm.config.template)
