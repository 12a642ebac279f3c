package main

import (
	"context"
	"log"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// toolsSimulator makes VMware Tools behave like a real guest's: not running while the VM is
// off or suspended, or while its guest reboots, and running again a while after power-on.
// The stock simulator leaves every VM at guestToolsNotRunning forever.
//
// It watches power state changes through the registry's handler hook, whatever caused them
// (a power task, a reset, a guest shutdown), and starts tools with a timer. Each change bumps
// a per-VM generation so that a timer set before a later change does nothing.
type toolsSimulator struct {
	control *control
	// onGuestStop is called whenever a VM's guest stops running (its programs end with it).
	onGuestStop func(types.ManagedObjectReference)

	mu  sync.Mutex
	gen map[types.ManagedObjectReference]uint64
}

const toolsVersion = "11333"

func newToolsSimulator(c *control) *toolsSimulator {
	return &toolsSimulator{control: c, gen: make(map[types.ManagedObjectReference]uint64)}
}

// Reference is the key of this handler in the registry's handler table.
func (t *toolsSimulator) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VmwSimTools", Value: "tools"}
}

// start gives every existing VM the tools state of its power state, then follows changes.
// It returns the number of VMs.
func (t *toolsSimulator) start() int {
	ctx := newContext()
	vms := reg.All("VirtualMachine")
	for _, e := range vms {
		vm := e.(*simulator.VirtualMachine)
		running := vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
		ctx.Update(vm, append(toolsChanges(running), guestAddressChanges(vm, running)...))
	}
	reg.AddHandler(t)
	return len(vms)
}

// toolsChanges lists the properties that say whether tools (and so guest operations) run.
func toolsChanges(running bool) []types.PropertyChange {
	runningStatus := string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
	status := types.VirtualMachineToolsStatusToolsNotRunning
	guestState := "notRunning"
	if running {
		runningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		status = types.VirtualMachineToolsStatusToolsOk
		guestState = "running"
	}
	versionStatus := string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)
	return []types.PropertyChange{
		{Name: "guest.toolsRunningStatus", Val: runningStatus},
		{Name: "guest.toolsStatus", Val: status},
		{Name: "guest.toolsVersion", Val: toolsVersion},
		{Name: "guest.toolsVersionStatus2", Val: versionStatus},
		{Name: "guest.guestState", Val: guestState},
		{Name: "guest.guestOperationsReady", Val: running},
		{Name: "guest.interactiveGuestOperationsReady", Val: false},
		{Name: "guest.guestStateChangeSupported", Val: running},
		{Name: "summary.guest.toolsRunningStatus", Val: runningStatus},
		{Name: "summary.guest.toolsStatus", Val: status},
		{Name: "summary.guest.toolsVersionStatus2", Val: versionStatus},
	}
}

func (t *toolsSimulator) bump(ref types.ManagedObjectReference) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen[ref]++
	return t.gen[ref]
}

func (t *toolsSimulator) current(ref types.ManagedObjectReference, gen uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen[ref] == gen
}

// PutObject is part of simulator.RegisterObject; new VMs start powered off.
func (t *toolsSimulator) PutObject(*simulator.Context, mo.Reference) {}

// RemoveObject is part of simulator.RegisterObject.
func (t *toolsSimulator) RemoveObject(_ *simulator.Context, ref types.ManagedObjectReference) {
	t.mu.Lock()
	delete(t.gen, ref)
	t.mu.Unlock()
}

// UpdateObject is part of simulator.RegisterObject. It runs inside the call that changed the
// power state, which holds the VM's lock, so it updates the VM directly and leaves anything
// later to a timer.
func (t *toolsSimulator) UpdateObject(ctx *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
	ref := obj.Reference()
	if ref.Type != "VirtualMachine" {
		return
	}
	for _, c := range changes {
		if c.Name != "runtime.powerState" {
			continue
		}
		vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
		if !ok {
			return
		}
		gen := t.bump(ref)
		t.stopGuest(ctx, vm)
		if c.Val == types.VirtualMachinePowerStatePoweredOn {
			t.startLater(ref, gen)
		} else {
			ctx.Update(vm, guestAddressChanges(vm, false))
		}
		return
	}
}

// stopGuest marks tools as not running and ends the guest's programs.
func (t *toolsSimulator) stopGuest(ctx *simulator.Context, vm *simulator.VirtualMachine) {
	ctx.Update(vm, toolsChanges(false))
	if t.onGuestStop != nil {
		t.onGuestStop(vm.Self)
	}
}

// startLater starts tools after the configured delay, unless the VM changed state meanwhile.
func (t *toolsSimulator) startLater(ref types.ManagedObjectReference, gen uint64) {
	delay, _ := t.control.delays()
	time.AfterFunc(delay, func() {
		defer logPanic("starting tools")
		vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
		if !ok {
			return
		}
		ctx := newContext()
		ctx.WithLock(vm, func() {
			if t.current(ref, gen) && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
				ctx.Update(vm, append(toolsChanges(true), guestAddressChanges(vm, true)...))
			}
		})
	})
}

// toolsRunning reports whether the VM's tools run now; guest requests need them.
func toolsRunning(vm *simulator.VirtualMachine) bool {
	return vm.Guest != nil && vm.Guest.ToolsRunningStatus == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
}

// checkGuestRequest is what vSphere checks before it passes a request to the guest.
func checkGuestRequest(vm *simulator.VirtualMachine) types.BaseMethodFault {
	if state := vm.Runtime.PowerState; state != types.VirtualMachinePowerStatePoweredOn {
		return &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: state}
	}
	if !toolsRunning(vm) {
		return new(types.ToolsUnavailable)
	}
	return nil
}

// rebootGuest asks the guest to reboot: the call returns at once, as on vSphere; a moment
// later tools stop, and they run again after the tools delay. The VM stays powered on.
func (t *toolsSimulator) rebootGuest(vm *simulator.VirtualMachine, internal *vim25.Client) types.BaseMethodFault {
	var fault types.BaseMethodFault
	var gen uint64
	newContext().WithLock(vm, func() {
		if fault = checkGuestRequest(vm); fault == nil {
			gen = t.bump(vm.Self)
		}
	})
	if fault != nil {
		return fault
	}
	postVMEvent(internal, vm, func(e types.VmEvent) types.BaseEvent { return &types.VmGuestRebootEvent{VmEvent: e} })
	_, guestDelay := t.control.delays()
	ref := vm.Self
	time.AfterFunc(guestDelay, func() {
		defer logPanic("guest reboot")
		ctx := newContext()
		ctx.WithLock(vm, func() {
			if !t.current(ref, gen) || vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
				return
			}
			gen = t.bump(ref)
			t.stopGuest(ctx, vm)
			t.startLater(ref, gen)
		})
	})
	return nil
}

// shutdownGuest asks the guest to shut down: the call returns at once, as on vSphere, and the
// VM powers off after the guest delay, through the stock simulator's ShutdownGuest (which
// records the events a real vCenter records).
func (t *toolsSimulator) shutdownGuest(vm *simulator.VirtualMachine, internal *vim25.Client) types.BaseMethodFault {
	var fault types.BaseMethodFault
	var gen uint64
	ctx := newContext()
	ctx.WithLock(vm, func() {
		if fault = checkGuestRequest(vm); fault == nil {
			gen = t.bump(vm.Self)
			ctx.Update(vm, []types.PropertyChange{{Name: "guest.guestState", Val: "shuttingDown"}})
		}
	})
	if fault != nil {
		return fault
	}
	_, guestDelay := t.control.delays()
	ref := vm.Self
	time.AfterFunc(guestDelay, func() {
		defer logPanic("guest shutdown")
		if !t.current(ref, gen) {
			return // powered off, reset or rebooted meanwhile
		}
		_, err := methods.ShutdownGuest(context.Background(), internal, &types.ShutdownGuest{This: ref})
		if err != nil {
			log.Printf("vmw-sim: delayed guest shutdown of %s: %v", ref, err)
		}
	})
	return nil
}

// postVMEvent records an event about the VM in the event manager, as vCenter does.
func postVMEvent(internal *vim25.Client, vm *simulator.VirtualMachine, build func(types.VmEvent) types.BaseEvent) {
	e := types.VmEvent{Event: types.Event{
		Vm: &types.VmEventArgument{EntityEventArgument: types.EntityEventArgument{Name: vm.Name}, Vm: vm.Self},
	}}
	if vm.Runtime.Host != nil {
		if host, ok := reg.Get(*vm.Runtime.Host).(*simulator.HostSystem); ok {
			e.Host = &types.HostEventArgument{EntityEventArgument: types.EntityEventArgument{Name: host.Name}, Host: host.Self}
		}
	}
	if dc := datacenterOf(vm.Parent); dc != nil {
		e.Datacenter = &types.DatacenterEventArgument{EntityEventArgument: types.EntityEventArgument{Name: dc.Name}, Datacenter: dc.Self}
	}
	req := &types.PostEvent{This: internal.ServiceContent.EventManager.Reference(), EventToPost: build(e)}
	if _, err := methods.PostEvent(context.Background(), internal, req); err != nil {
		log.Printf("vmw-sim: posting an event for %s: %v", vm.Self, err)
	}
}

// datacenterOf walks up the inventory from ref to its datacenter.
func datacenterOf(ref *types.ManagedObjectReference) *mo.Datacenter {
	for ref != nil {
		switch obj := reg.Get(*ref).(type) {
		case *simulator.Datacenter:
			return &obj.Datacenter
		case mo.Entity:
			ref = obj.Entity().Parent
		default:
			return nil
		}
	}
	return nil
}
