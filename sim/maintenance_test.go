package main

import (
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

func TestDRSMovesWhatHasNoSettingOfItsOwnToTheLeastLoadedHost(t *testing.T) {
	ref := func(kind, id string) types.ManagedObjectReference {
		return types.ManagedObjectReference{Type: kind, Value: id}
	}
	h1, h2, h3 := ref("HostSystem", "host-1"), ref("HostSystem", "host-2"), ref("HostSystem", "host-3")
	plan := &drsMoves{
		overrides: map[types.ManagedObjectReference]bool{ref("VirtualMachine", "vm-manual"): false},
		targets:   []types.ManagedObjectReference{h3, h2, h1},
		load:      map[types.ManagedObjectReference]int{h1: 2, h2: 1, h3: 1},
	}
	if !plan.moves(ref("VirtualMachine", "vm-any")) || plan.moves(ref("VirtualMachine", "vm-manual")) {
		t.Error("DRS moves a VM unless a setting of its own says otherwise")
	}
	if got := plan.leastLoaded(); got != h2 {
		t.Errorf("leastLoaded() = %v, want %v (fewest VMs, then lowest id)", got, h2)
	}
	plan.load[h2]++
	if got := plan.leastLoaded(); got != h3 {
		t.Errorf("leastLoaded() = %v, want %v", got, h3)
	}
}
