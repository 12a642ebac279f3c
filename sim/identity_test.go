package main

import (
	"regexp"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

func TestAssignedMACsAndRandomUUIDs(t *testing.T) {
	vm := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-1"}
	assigned := regexp.MustCompile(`^00:50:56:[89ab][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		mac := newAssignedMAC(vm)
		if !assigned.MatchString(mac) || seen[mac] {
			t.Fatalf("MAC %s: not in vCenter's assigned range, or given twice", mac)
		}
		seen[mac] = true
	}
	other := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-2"}
	for mac := range seen {
		if !ownsMAC(vm, mac) || ownsMAC(other, mac) {
			t.Fatalf("MAC %s: not noted as vm-1's own", mac)
		}
	}
	version4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if a, b := newRandomUUID(), newRandomUUID(); a == b || !version4.MatchString(a) {
		t.Errorf("uuids %s and %s: not random version 4 uuids", a, b)
	}
}

func TestSpecMACsKeepsOnlyManualAddresses(t *testing.T) {
	card := func(mac, kind string) types.BaseVirtualDeviceConfigSpec {
		nic := &types.VirtualVmxnet3{}
		nic.MacAddress, nic.AddressType = mac, kind
		return &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: nic}
	}
	got := specMACs([]types.BaseVirtualDeviceConfigSpec{
		card("00:50:56:01:02:03", "manual"),
		card("00:50:56:AA:BB:CC", ""),
		card("00:50:56:90:00:01", "assigned"), // a source's NIC sent back: gets a new one
		card("", "generated"),
	})
	if len(got) != 2 || !got["00:50:56:01:02:03"] || !got["00:50:56:aa:bb:cc"] {
		t.Errorf("specMACs = %v", got)
	}
}
