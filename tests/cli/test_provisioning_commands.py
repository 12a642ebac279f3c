"""vmw vm create, clone --linked and ip, checked through plain pyVmomi."""

from __future__ import annotations

from pyVmomi import vim

from tests.helpers import all_objects, wait_task


def test_create_says_what_it_did(vmw, cli_si):
    result = vmw(
        "vm", "create", "cli-made", "--cluster", "DC0_C0", "--cpus", "2", "--memory-mb", "512",
        "--disk-gb", "1", "--disk-gb", "2", "--net", "VM Network", "--guest-id", "ubuntu64Guest",
        "--firmware", "efi", "--iso", "[LocalDS_0] iso/x.iso", "--power-on",
    )  # fmt: skip
    assert result.code == 0, result.err
    (made,) = [vm for vm in all_objects(cli_si, vim.VirtualMachine) if vm.name == "cli-made"]
    try:
        assert result.out.strip() == "/DC0/vm/cli-made"
        assert "created /DC0/vm/cli-made (2 CPUs, 512 MB, 2 disks (1 + 2 GB), 1 NIC" in result.err
        assert "powered on" in result.err
        hardware = made.config.hardware
        assert (hardware.numCPU, hardware.memoryMB) == (2, 512)
        assert (made.config.guestId, made.config.firmware) == ("ubuntu64Guest", "efi")
        disks = [d for d in hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
        assert [d.capacityInKB for d in disks] == [1024**2, 2 * 1024**2]
        assert made.runtime.powerState == "poweredOn"
    finally:
        assert vmw("vm", "destroy", made._moId, "--yes").code == 0


def test_create_refuses_bad_input_with_its_name(vmw):
    result = vmw("vm", "create", "cli-bad", "--cluster", "DC0_C0", "--memory-mb", "1023")
    assert result.code != 0
    assert "--memory-mb 1023" in result.err


def test_clone_linked_to_a_named_snapshot(vmw, cli_si, make_vm):
    source = make_vm("cli-linked-src", power_on=False)
    wait_task(source.CreateSnapshot("base", "", False, False))
    base = source.snapshot.currentSnapshot
    wait_task(source.CreateSnapshot("later", "", False, False))
    result = vmw("vm", "clone", source.name, "cli-linked", "--linked", "--snapshot", "base")
    assert result.code == 0, result.err
    said = f"cloned {source.name} as /DC0/vm/cli-linked: linked to snapshot base, powered off"
    assert said in result.err
    (clone,) = [vm for vm in all_objects(cli_si, vim.VirtualMachine) if vm.name == "cli-linked"]
    try:
        disks = [
            d for d in clone.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)
        ]
        base_disks = [
            d.backing.fileName
            for d in base.config.hardware.device
            if isinstance(d, vim.vm.device.VirtualDisk)
        ]
        assert [d.backing.parent.fileName for d in disks] == base_disks
    finally:
        assert vmw("vm", "destroy", clone._moId, "--yes").code == 0


def test_clone_linked_without_a_snapshot_is_refused(vmw, make_vm):
    source = make_vm("cli-unlinked", power_on=False)
    result = vmw("vm", "clone", source.name, "cli-never", "--linked")
    assert result.code != 0
    assert "has no snapshot" in result.err


def test_ip_now_or_once_reported(vmw, make_vm):
    vm = make_vm("cli-ip", power_on=False)
    assert vmw("vm", "ip", vm.name).code == 7  # off: nothing reported
    wait_task(vm.PowerOn())
    result = vmw("vm", "ip", vm.name, "--wait", "--timeout", "30")
    assert result.code == 0, result.err
    assert result.out.strip() == vm.guest.ipAddress
    assert vmw("vm", "ip", vm.name).out.strip() == vm.guest.ipAddress
    wait_task(vm.PowerOff())
    result = vmw("vm", "ip", vm.name, "--wait")
    assert result.code == 7
    assert "poweredOff" in result.err


def test_clone_waiting_for_a_customization_that_fails(vmw, cli_sim, cli_si):
    cli_sim.fail_customization("cli-custom", "no such domain")
    result = vmw(
        "vm", "clone", "DC0_H0_VM0", "cli-custom", "--hostname", "web", "--domain", "example.com",
        "--power-on", "--wait-for-customization",
    )  # fmt: skip
    (clone,) = [vm for vm in all_objects(cli_si, vim.VirtualMachine) if vm.name == "cli-custom"]
    try:
        assert result.code == 8, result.err
        assert "no such domain" in result.err
    finally:
        assert vmw("vm", "destroy", clone._moId, "--yes").code == 0


def test_clone_with_addresses_for_each_nic(vmw, cli_si, make_vm):
    source = make_vm("cli-two-nics", power_on=False)
    nic = next(
        d for d in source.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)
    )
    card = vim.vm.device.VirtualVmxnet3(key=-1, backing=nic.backing, addressType="generated")
    change = vim.vm.device.VirtualDeviceSpec(operation="add", device=card)
    wait_task(source.Reconfigure(vim.vm.ConfigSpec(deviceChange=[change])))
    result = vmw(
        "vm", "clone", source.name, "cli-nics", "--hostname", "web", "--domain", "example.com",
        "--nic", "10.0.0.21/24,gw=10.0.0.1,ipv6=fd00::21/64",
        "--nic", "192.168.9.21/16,dns=192.168.0.2", "--power-on",
    )  # fmt: skip
    (clone,) = [vm for vm in all_objects(cli_si, vim.VirtualMachine) if vm.name == "cli-nics"]
    try:
        assert result.code == 0, result.err
        first, second = clone.guest.net
        assert first.ipAddress[0] == "10.0.0.21"
        assert second.ipAddress[0] == "192.168.9.21"
        assert second.dnsConfig.ipAddress == ["192.168.0.2"]
    finally:
        assert vmw("vm", "destroy", clone._moId, "--yes").code == 0


def test_clone_refuses_a_nic_it_cannot_read_with_its_place(vmw):
    for spec, said in (
        ("10.0.0.5", "'dhcp' or an address with its prefix"),
        ("10.0.0.5/24,gw=10.0.1.1", "is not in"),
        ("dhcp,mtu=9000", "none of gw="),
    ):
        result = vmw(
            "vm", "clone", "DC0_H0_VM0", "cli-never", "--hostname", "web", "--domain", "e.com",
            "--nic", "dhcp", "--nic", spec,
        )  # fmt: skip
        assert result.code == 2, result.err
        assert "--nic #2" in result.err
        assert said in result.err
    result = vmw("vm", "clone", "DC0_H0_VM0", "cli-never", "--nic", "dhcp", "--ip", "10.0.0.5")
    assert result.code == 2
    assert "with --nic" in result.err
