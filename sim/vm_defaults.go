package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// vmDefaults gives every VM the runtime states vCenter always reports. The simulator (v0.56)
// leaves runtime.faultToleranceState and runtime.recordReplayState empty, and since the
// vim25 types made them required it sends them as empty elements, which no enum value
// matches: pyVmomi then fails to read a VM's runtime at all (an AttributeError naming
// FaultToleranceState). vCenter says notConfigured and inactive for a VM without either feature.
type vmDefaults struct{}

func (vmDefaults) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VmwSimVMDefaults", Value: "vmDefaults"}
}

// PutObject runs as a VM is registered, before any client can see it.
func (vmDefaults) PutObject(_ *simulator.Context, obj mo.Reference) {
	if vm, ok := obj.(*simulator.VirtualMachine); ok {
		setRuntimeDefaults(vm)
	}
}

func (vmDefaults) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {}

func (vmDefaults) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}

// setRuntimeDefaults mends runtime and its copy in summary.runtime.
func setRuntimeDefaults(vm *simulator.VirtualMachine) {
	for _, r := range []*types.VirtualMachineRuntimeInfo{&vm.Runtime, &vm.Summary.Runtime} {
		if r.FaultToleranceState == "" {
			r.FaultToleranceState = types.VirtualMachineFaultToleranceStateNotConfigured
		}
		if r.RecordReplayState == "" {
			r.RecordReplayState = types.VirtualMachineRecordReplayStateInactive
		}
	}
}

// installVMDefaults mends the VMs of the inventory and every VM made later.
func installVMDefaults() {
	ctx := newContext()
	for _, e := range reg.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		ctx.WithLock(vm, func() { setRuntimeDefaults(vm) })
	}
	reg.AddHandler(vmDefaults{})
}
