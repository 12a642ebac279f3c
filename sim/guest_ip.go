package main

import (
	"fmt"
	"hash/fnv"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// guestAddressChanges is what VMware Tools report about the guest's IP addresses as they
// start or stop (see tools.go). On vCenter a running guest's tools report each NIC's
// addresses in guest.net and the primary one in guest.ipAddress (and summary.guest), and
// both go away when tools stop. Upstream reports none, ever, unless a customization or a
// "SET.guest.ipAddress" extraConfig key sets them.
//
// A NIC that has addresses already (set by a customization, or a previous run of the guest)
// keeps them; one that has none gets an address derived from the VM's id and the NIC's
// position, 10.(100+n).x.y, so that a VM's address is the same on every run of the guest.
// guest.ipAddress is emptied when the VM powers off or suspends, not while it powers on: a
// customization applied at power-on sets it then. guest.net itself is kept (vCenter empties
// it), so that a guest keeps its addresses from one run to the next; clients should trust
// it only while tools run.
func guestAddressChanges(vm *simulator.VirtualMachine, running bool) []types.PropertyChange {
	if vm.Guest == nil {
		return nil
	}
	if !running {
		return []types.PropertyChange{
			{Name: "guest.ipAddress", Val: ""},
			{Name: "summary.guest.ipAddress", Val: ""},
		}
	}
	primary := ""
	for i := range vm.Guest.Net {
		nic := &vm.Guest.Net[i]
		if len(nic.IpAddress) == 0 {
			nic.IpAddress = []string{derivedAddress(vm.Self.Value, i)}
		}
		if primary == "" {
			primary = nic.IpAddress[0]
		}
	}
	if primary == "" {
		return nil // no NIC, no address
	}
	return []types.PropertyChange{
		{Name: "guest.net", Val: vm.Guest.Net},
		{Name: "guest.ipAddress", Val: primary},
		{Name: "summary.guest.ipAddress", Val: primary},
	}
}

func derivedAddress(vmID string, nic int) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(vmID))
	sum := h.Sum32()
	return fmt.Sprintf("10.%d.%d.%d", 100+nic%100, (sum>>8)&0xff, 1+sum%254)
}
