"""Cloning and destroying VMs, checked through plain pyVmomi reads of the server."""

from __future__ import annotations

import itertools

import pytest
from pyVmomi import VmomiSupport, vim, vmodl

from tests.helpers import all_objects, find_vm, foreground_calls, vm_events, wait_task
from vmware_wrapper import (
    AmbiguousNameError,
    CustomizationError,
    InvalidInputError,
    InvalidStateError,
    LinuxCustomization,
    NicSettings,
    NotFoundError,
    TaskError,
    WindowsCustomization,
)

_names = itertools.count()


@pytest.fixture
def clone_name(si):
    name = f"clone-{next(_names)}"
    yield name
    for vm in all_objects(si, vim.VirtualMachine):
        if vm.name.startswith(name.replace("/", "%2f")) or vm.name.startswith(name):
            if vm.runtime.powerState != "poweredOff":
                wait_task(vm.PowerOff())
            wait_task(vm.Destroy())


def test_clone_with_defaults_lands_beside_its_source(vsphere, si, clone_name):
    clone = vsphere.clone_vm("DC0_H0_VM0", clone_name)
    source = find_vm(si, "DC0_H0_VM0")
    server = find_vm(si, clone_name)
    assert server._moId == clone._moId
    assert server.parent._moId == source.parent._moId
    assert server.resourcePool._moId == source.resourcePool._moId
    assert server.runtime.powerState == "poweredOff"
    assert server.config.template is False
    assert vsphere.get_vm(clone_name)._moId == clone._moId  # in the index at once


def test_clone_to_a_folder_cluster_and_datastore_with_new_hardware(vsphere, si, clone_name):
    folder = vsphere.create_folder("/DC0/vm/clones")
    clone = vsphere.clone_vm(
        "DC0_H0_VM0",
        clone_name,
        folder="/DC0/vm/clones",
        cluster="DC0_C0",
        datastore="LocalDS_0",
        cpus=2,
        memory_mb=256,
    )
    server = find_vm(si, clone_name)
    assert server.parent._moId == folder._moId
    cluster = next(c for c in all_objects(si, vim.ClusterComputeResource) if c.name == "DC0_C0")
    assert server.resourcePool._moId == cluster.resourcePool._moId
    assert server.config.hardware.numCPU == 2
    assert server.config.hardware.memoryMB == 256
    assert vsphere.path_of(clone) == f"/DC0/vm/clones/{clone_name}"


def test_clone_to_a_host_and_power_on(vsphere, si, clone_name):
    vsphere.clone_vm("DC0_H0_VM0", clone_name, host="DC0_C0_H1", power_on=True)
    server = find_vm(si, clone_name)
    assert server.runtime.host.name == "DC0_C0_H1"
    assert server.runtime.powerState == "poweredOn"


def test_clone_as_a_template_and_from_a_template(vsphere, si, clone_name):
    vsphere.clone_vm("DC0_H0_VM0", clone_name, template=True)
    assert find_vm(si, clone_name).config.template is True
    assert [v.name for v in vsphere.find("template", clone_name)] == [clone_name]
    vsphere.clone_vm(clone_name, clone_name + "-vm", power_on=True)
    server = find_vm(si, clone_name + "-vm")
    assert server.config.template is False
    assert server.runtime.powerState == "poweredOn"


def test_clone_with_linux_customization(vsphere, si, clone_name):
    spec = LinuxCustomization(
        "web07",
        domain="example.com",
        ip="10.0.0.7",
        netmask="255.255.255.0",
        gateway="10.0.0.1",
        dns_servers=("10.0.0.2",),
        dns_suffixes=("example.com",),
    )
    vsphere.clone_vm("DC0_H0_VM0", clone_name, customization=spec, power_on=True)
    server = find_vm(si, clone_name)
    assert server.guest.hostName == "web07"
    assert server.guest.ipAddress == "10.0.0.7"
    assert server.guest.net[0].dnsConfig.ipAddress == ["10.0.0.2"]


def test_clone_with_windows_customization(vsphere, si, clone_name):
    spec = WindowsCustomization(computer_name="WIN07", admin_password="S3cret!", workgroup="LAB")
    assert "S3cret" not in repr(spec)
    vsphere.clone_vm("DC0_H0_VM0", clone_name, customization=spec, power_on=True)
    assert find_vm(si, clone_name).guest.hostName == "WIN07"


def _add_nic(vm):
    """Another NIC on the VM's first NIC's network, through plain pyVmomi."""
    nic = next(
        d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)
    )
    card = vim.vm.device.VirtualVmxnet3(key=-1, backing=nic.backing, addressType="generated")
    change = vim.vm.device.VirtualDeviceSpec(operation="add", device=card)
    wait_task(vm.Reconfigure(vim.vm.ConfigSpec(deviceChange=[change])))


def test_clone_with_settings_for_each_nic(vsphere, si, fresh_vm, clone_name):
    _add_nic(fresh_vm)
    spec = LinuxCustomization(
        "web12",
        domain="example.com",
        dns_servers=("10.0.0.2",),
        nics=(
            NicSettings(
                "10.0.0.12/24", gateway="10.0.0.1", ipv6="fd00::12/64", ipv6_gateway="fd00::1"
            ),
            NicSettings(dhcpv6=True, dns_servers=("192.168.7.2",)),
        ),
    )
    vsphere.clone_vm(fresh_vm.name, clone_name, customization=spec, power_on=True)
    server = find_vm(si, clone_name)
    assert server.guest.customizationInfo.customizationStatus == "TOOLSDEPLOYPKG_SUCCEEDED"
    first, second = server.guest.net
    assert first.ipAddress[:2] == ["10.0.0.12", "fd00::12"]
    assert [(a.ipAddress, a.prefixLength, a.origin) for a in first.ipConfig.ipAddress] == [
        ("10.0.0.12", 24, "manual"),
        ("fd00::12", 64, "manual"),
    ]
    assert first.dnsConfig.ipAddress == ["10.0.0.2"]  # the customization's
    assert "10.0.0.12" not in second.ipAddress  # DHCP: an address of its own
    assert second.ipConfig.dhcp.ipv4.enable is True
    assert second.ipConfig.dhcp.ipv6.enable is True
    assert second.dnsConfig.ipAddress == ["192.168.7.2"]  # its own
    routes = server.guest.ipStack[0].ipRouteConfig.ipRoute
    # The default routes (prefix length 0), each through the first NIC (device "0").
    assert {(r.gateway.ipAddress, r.prefixLength, r.gateway.device) for r in routes} == {
        ("10.0.0.1", 0, "0"),
        ("fd00::1", 0, "0"),
    }


def test_nics_after_those_given_use_dhcp(vsphere, si, fresh_vm, clone_name):
    _add_nic(fresh_vm)
    spec = LinuxCustomization("web13", domain="example.com", ip="10.0.0.13", netmask="255.0.0.0")
    vsphere.clone_vm(fresh_vm.name, clone_name, customization=spec, power_on=True)
    first, second = find_vm(si, clone_name).guest.net
    assert first.ipAddress[0] == "10.0.0.13"
    assert "10.0.0.13" not in second.ipAddress


def test_more_nic_settings_than_nics_are_refused_before_anything_is_sent(
    vsphere, vsphere_simulator, si, clone_name
):
    spec = LinuxCustomization("web14", domain="example.com", nics=(NicSettings(),) * 2)
    before = foreground_calls(vsphere_simulator).get("CloneVM_Task", 0)
    with pytest.raises(InvalidInputError, match=r"settings for 2 NICs.*the clone has 1"):
        vsphere.clone_vm("DC0_H0_VM0", clone_name, customization=spec, power_on=True)
    assert foreground_calls(vsphere_simulator).get("CloneVM_Task", 0) == before
    assert all(vm.name != clone_name for vm in all_objects(si, vim.VirtualMachine))


def test_each_nics_settings_go_into_the_spec():
    c = vim.vm.customization
    spec = LinuxCustomization(
        "web15",
        domain="example.com",
        nics=(
            NicSettings("10.0.0.15", netmask="255.255.255.0", gateway="10.0.0.1"),
            NicSettings(ipv6="fd00::15", ipv6_gateway="fd00::1"),
            NicSettings(dhcpv6=True),
        ),
    ).to_spec(4)
    static, v6, dhcp6, rest = (m.adapter for m in spec.nicSettingMap)
    assert isinstance(static.ip, c.FixedIp)
    assert static.ip.ipAddress == "10.0.0.15"
    assert (static.subnetMask, static.gateway, static.ipV6Spec) == (
        "255.255.255.0",
        ["10.0.0.1"],
        None,
    )
    assert isinstance(v6.ip, c.DhcpIpGenerator)
    (fixed,) = v6.ipV6Spec.ip
    assert (fixed.ipAddress, fixed.subnetMask, v6.ipV6Spec.gateway) == ("fd00::15", 64, ["fd00::1"])
    assert [type(g) for g in dhcp6.ipV6Spec.ip] == [c.DhcpIpV6Generator]
    assert isinstance(rest.ip, c.DhcpIpGenerator)
    assert rest.ipV6Spec is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ip": "10.0.0.300/24"}, "ip="),
        ({"ip": "10.0.0.5", "netmask": "255.0.255.0"}, "netmask="),
        ({"ip": "10.0.0.5", "netmask": "0.0.0.255"}, "netmask="),
        ({"ip": "10.0.0.5/24", "netmask": "255.255.0.0"}, "disagree"),
        ({"ip": "10.0.0.5/24", "gateway": "10.0.1.1"}, "gateway='10.0.1.1' is not in"),
        ({"gateway": "10.0.0.1"}, "only with a static ip"),
        ({"ipv6": "fd00::zz/64"}, "ipv6="),
        ({"ipv6": "fd00::5", "dhcpv6": True}, "not both"),
        ({"ipv6_gateway": "fd00::1"}, "ipv6_gateway="),
        ({"dns_servers": ("10.0.0.999",)}, "dns_servers"),
    ],
)
def test_nic_settings_are_checked_when_made(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        NicSettings(**kwargs)


def test_nics_or_the_first_nics_keywords_not_both():
    with pytest.raises(InvalidInputError, match="with nics"):
        LinuxCustomization(
            "web16", domain="example.com", ip="10.0.0.5", netmask="255.0.0.0", nics=(NicSettings(),)
        )
    with pytest.raises(InvalidInputError, match=r"nics\[1\]"):
        WindowsCustomization(computer_name="W", admin_password="x", nics=(NicSettings(), "dhcp"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hostname": "bad_name"}, "hostname"),
        ({"hostname": "ok", "ip": "10.0.0.300", "netmask": "255.0.0.0"}, "ip"),
        ({"hostname": "ok", "ip": "10.0.0.3"}, "netmask"),
        ({"hostname": "ok", "domain": "-bad-"}, "domain"),
        ({"hostname": "ok"}, "needs a DNS domain"),
    ],
)
def test_linux_customization_is_checked_when_made(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        LinuxCustomization(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"computer_name": "THIS-NAME-IS-TOO-LONG", "admin_password": "x"}, "computer_name"),
        ({"computer_name": "WIN", "admin_password": ""}, "admin_password"),
        (
            {"computer_name": "WIN", "admin_password": "x", "domain": "ad.example.com"},
            "domain_user",
        ),
        (
            {
                "computer_name": "WIN",
                "admin_password": "x",
                "domain": "ad.example.com",
                "workgroup": "W",
                "domain_user": "u",
                "domain_password": "p",
            },
            "not both",
        ),
    ],
)
def test_windows_customization_is_checked_when_made(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        WindowsCustomization(**kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "match"),
    [
        ("", {}, InvalidInputError, "non-empty"),
        ("x" * 81, {}, InvalidInputError, "81 characters"),
        ("tab\there", {}, InvalidInputError, "control"),
        (" padded", {}, InvalidInputError, "spaces"),
        ("DC0_H0_VM1", {}, InvalidInputError, "already has a 'DC0_H0_VM1'"),
        ("ok", {"cpus": 0}, InvalidInputError, "cpus"),
        ("ok", {"memory_mb": 1022}, InvalidInputError, "multiple of 4"),
        ("ok", {"template": True, "power_on": True}, InvalidInputError, "template"),
        ("ok", {"folder": "/DC0/host"}, InvalidInputError, "holds no VMs"),
        ("ok", {"datastore": "NoSuchDS"}, NotFoundError, "NoSuchDS"),
        ("ok", {"cluster": "DC0_C0", "resource_pool": "Resources"}, InvalidInputError, "not both"),
    ],
)
def test_bad_clone_requests_are_refused_before_anything_is_sent(
    vsphere, vsphere_simulator, name, kwargs, error, match
):
    vsphere.get_vm("DC0_H0_VM0")
    vsphere_simulator.reset_call_counts()
    with pytest.raises(error, match=match):
        vsphere.clone_vm("DC0_H0_VM0", name, **kwargs)
    assert "CloneVM_Task" not in foreground_calls(vsphere_simulator)


def test_a_host_in_maintenance_mode_is_refused(vsphere, si, vsphere_simulator):
    hosts = {h.name: h for h in all_objects(si, vim.HostSystem)}
    host = hosts["DC0_C0_H2"]
    # A host enters maintenance mode once its powered-on VMs are elsewhere.
    for vm in host.vm:
        if vm.runtime.powerState == "poweredOn":
            wait_task(vm.Relocate(vim.vm.RelocateSpec(host=hosts["DC0_C0_H1"])))
    wait_task(host.EnterMaintenanceMode(0))
    try:
        vsphere_simulator.reset_call_counts()
        with pytest.raises(InvalidStateError, match="maintenance"):
            vsphere.clone_vm("DC0_H0_VM0", "never", host="DC0_C0_H2")
        assert "CloneVM_Task" not in foreground_calls(vsphere_simulator)
    finally:
        wait_task(host.ExitMaintenanceMode(0))


def test_a_datastore_without_room_is_refused(vsphere, si, fresh_vm, vsphere_simulator):
    # Make the source claim more disk than the datastore has free.
    huge = VmomiSupport.long(10**18)  # sent as xsd:long
    spec = vim.vm.ConfigSpec(
        extraConfig=[vim.option.OptionValue(key="SET.summary.storage.committed", value=huge)]
    )
    wait_task(fresh_vm.Reconfigure(spec))
    vsphere_simulator.reset_call_counts()
    with pytest.raises(InvalidStateError, match=r"TB free, [\d.]+ TB is needed"):
        vsphere.clone_vm(fresh_vm.name, "never")
    assert "CloneVM_Task" not in foreground_calls(vsphere_simulator)


def test_names_with_slashes_are_escaped_on_the_way_in(vsphere, si, clone_name):
    name = clone_name + "/web%01"
    clone = vsphere.clone_vm("DC0_H0_VM0", name)
    stored = next(v for v in all_objects(si, vim.VirtualMachine) if v._moId == clone._moId).name
    assert stored == clone_name + "%2fweb%2501"  # as a real vCenter stores it
    assert vsphere.get_vm(name)._moId == clone._moId
    assert vsphere.vm_info(name).name == name


def test_destroy_powers_off_first(vsphere, si, fresh_vm):
    moid = fresh_vm._moId
    vsphere.destroy_vm(fresh_vm.name)
    assert moid not in {v._moId for v in all_objects(si, vim.VirtualMachine)}


def test_destroy_refuses_templates_unless_asked(vsphere, si, clone_name):
    vsphere.clone_vm("DC0_H0_VM0", clone_name, template=True)
    with pytest.raises(InvalidInputError, match="allow_template"):
        vsphere.destroy_vm(clone_name)
    assert find_vm(si, clone_name)
    vsphere.destroy_vm(clone_name, allow_template=True)
    assert not [v for v in all_objects(si, vim.VirtualMachine) if v.name == clone_name]


def test_clone_and_destroy_without_waiting(vsphere, si, vsphere_simulator, clone_name):
    vsphere_simulator.set_task_delay("CloneVM_Task", 0.3)
    try:
        handle = vsphere.clone_vm("DC0_H0_VM0", clone_name, cpus=2, wait=False)
        assert not handle.done()
        clone = handle.wait(timeout=10)
    finally:
        vsphere_simulator.clear_task_delays()
    assert find_vm(si, clone_name).config.hardware.numCPU == 2
    vsphere.destroy_vm(clone, wait=False).wait(10)
    assert not [v for v in all_objects(si, vim.VirtualMachine) if v.name == clone_name]


def _disks(vm):
    return [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]


def _snapshot_disks(snapshot):
    return [d.backing.fileName for d in _disks(snapshot)]


def test_a_linked_clone_has_child_disks_of_the_current_snapshot(vsphere, si, fresh_vm, clone_name):
    wait_task(fresh_vm.CreateSnapshot("base", "", False, False))
    wait_task(fresh_vm.CreateSnapshot("later", "", False, False))
    clone = vsphere.clone_vm(fresh_vm.name, clone_name, linked=True)
    server = find_vm(si, clone_name)
    assert server._moId == clone._moId
    current = fresh_vm.snapshot.currentSnapshot
    parents = [d.backing.parent.fileName for d in _disks(server)]
    assert parents == _snapshot_disks(current)
    assert all(d.backing.fileName not in parents for d in _disks(server))


def test_a_linked_clone_of_a_named_snapshot(vsphere, si, fresh_vm, clone_name):
    wait_task(fresh_vm.CreateSnapshot("base", "", False, False))
    base = fresh_vm.snapshot.currentSnapshot
    wait_task(fresh_vm.CreateSnapshot("later", "", False, False))
    vsphere.clone_vm(fresh_vm.name, clone_name, linked=True, snapshot="base")
    parents = [d.backing.parent.fileName for d in _disks(find_vm(si, clone_name))]
    assert parents == _snapshot_disks(base)


def test_a_full_clone_has_disks_of_its_own(vsphere, si, fresh_vm, clone_name):
    wait_task(fresh_vm.CreateSnapshot("base", "", False, False))
    vsphere.clone_vm(fresh_vm.name, clone_name)
    assert all(d.backing.parent is None for d in _disks(find_vm(si, clone_name)))


@pytest.mark.parametrize(
    ("snapshots", "kwargs", "error", "match"),
    [
        ((), {"linked": True}, InvalidInputError, "has no snapshot"),
        (("base",), {"linked": True, "snapshot": "nope"}, InvalidInputError, "no snapshot 'nope'"),
        (("twin", "twin"), {"linked": True, "snapshot": "twin"}, AmbiguousNameError, "twin/twin"),
        (("base",), {"snapshot": "base"}, InvalidInputError, "linked=True"),
    ],
)
def test_bad_linked_clones_are_refused_before_anything_is_sent(
    vsphere, vsphere_simulator, fresh_vm, snapshots, kwargs, error, match
):
    for snapshot in snapshots:
        wait_task(fresh_vm.CreateSnapshot(snapshot, "", False, False))
    vsphere_simulator.reset_call_counts()
    with pytest.raises(error, match=match):
        vsphere.clone_vm(fresh_vm.name, "never", **kwargs)
    assert "CloneVM_Task" not in foreground_calls(vsphere_simulator)


def test_the_simulator_refuses_a_linked_clone_without_a_snapshot(si, fresh_vm):
    # As vCenter: only a snapshot's disks are read-only, and so safe to share.
    location = vim.vm.RelocateSpec(diskMoveType="createNewChildDiskBacking")
    with pytest.raises(vmodl.fault.InvalidArgument, match="snapshot"):
        wait_task(fresh_vm.Clone(fresh_vm.parent, "never", vim.vm.CloneSpec(location=location)))


def test_waiting_for_a_customization_that_succeeds(vsphere, si, clone_name):
    spec = LinuxCustomization("web09", domain="example.com", ip="10.0.0.9", netmask="255.0.0.0")
    vsphere.clone_vm(
        "DC0_H0_VM0", clone_name, customization=spec, power_on=True, wait_for_customization=True
    )
    server = find_vm(si, clone_name)
    assert server.guest.customizationInfo.customizationStatus == "TOOLSDEPLOYPKG_SUCCEEDED"
    assert "CustomizationSucceeded" in vm_events(si, server)


def test_waiting_for_a_customization_that_fails_raises_with_vspheres_reason(
    vsphere, si, vsphere_simulator, clone_name
):
    vsphere_simulator.fail_customization(clone_name, "the domain example.com refused to join")
    spec = LinuxCustomization("web10", domain="example.com")
    with pytest.raises(CustomizationError, match="refused to join") as caught:
        vsphere.clone_vm(
            "DC0_H0_VM0",
            clone_name,
            customization=spec,
            power_on=True,
            wait_for_customization=True,
        )
    assert isinstance(caught.value, TaskError)
    assert caught.value.reason == "the domain example.com refused to join"
    server = find_vm(si, clone_name)  # the clone itself was made, as on vCenter
    assert server.guest.customizationInfo.customizationStatus == "TOOLSDEPLOYPKG_FAILED"
    assert "CustomizationFailed" in vm_events(si, server)
    assert "CustomizationSucceeded" not in vm_events(si, server)


def test_a_customization_is_waited_for_by_default_and_only_then(
    vsphere, si, vsphere_simulator, clone_name
):
    vsphere_simulator.fail_customization(clone_name, "no such domain")
    spec = LinuxCustomization("web11", domain="example.com")
    with pytest.raises(CustomizationError, match="no such domain"):
        vsphere.clone_vm("DC0_H0_VM0", clone_name, customization=spec, power_on=True)
    vsphere_simulator.clear_customization_failures()
    # Nothing to wait for: no power-on (the guest has not started), or no customization.
    other = clone_name + "-b"  # removed by the fixture, as it starts with clone_name
    vsphere.clone_vm("DC0_H0_VM0", other, customization=spec)
    assert find_vm(si, other).runtime.powerState == "poweredOff"
    assert "CustomizationSucceeded" not in vm_events(si, find_vm(si, other))
