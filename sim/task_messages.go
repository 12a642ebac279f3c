package main

import (
	"reflect"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// taskMessages gives failed tasks vSphere's sentence as their localized message. The stock
// simulator's Task.Run puts the Go type name there ("*types.InvalidPowerState"), which
// clients then show to people. It also gives snapshot tasks their VM as entity: the stock
// simulator names the snapshot, which is no managed entity, and clients that check types
// (pyVmomi) then cannot read the task at all.
type taskMessages struct{}

func (taskMessages) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VmwSimTaskMessages", Value: "taskMessages"}
}

func (taskMessages) PutObject(obj mo.Reference) {
	task, ok := obj.(*simulator.Task)
	if !ok || task.Info.Entity == nil || task.Info.Entity.Type != "VirtualMachineSnapshot" {
		return
	}
	if snapshot, ok := simulator.Map.Get(*task.Info.Entity).(*simulator.VirtualMachineSnapshot); ok {
		vm := snapshot.Vm
		task.Info.Entity = &vm
		if e, ok := simulator.Map.Get(vm).(mo.Entity); ok {
			task.Info.EntityName = e.Entity().Name
		}
	}
}

func (taskMessages) RemoveObject(types.ManagedObjectReference) {}

// UpdateObject rewrites the message in place: the change set is shared with the property
// collectors that queued it, so waiting clients see the sentence too.
func (taskMessages) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	ref := obj.Reference()
	if ref.Type != "Task" {
		return
	}
	for i, c := range changes {
		failure, ok := c.Val.(types.LocalizedMethodFault)
		if c.Name != "info.error" || !ok || !strings.HasPrefix(failure.LocalizedMessage, "*types.") {
			continue
		}
		failure.LocalizedMessage = sentence(failure.Fault)
		changes[i].Val = failure
		if task, ok := simulator.Map.Get(ref).(*simulator.Task); ok && task.Info.Error != nil {
			task.Info.Error.LocalizedMessage = failure.LocalizedMessage
		}
	}
}

// sentence is vSphere's message for a fault, or its type name when we know none.
func sentence(fault types.BaseMethodFault) string {
	if message := faultMessage(fault); message != "" {
		return message
	}
	return reflect.TypeOf(fault).Elem().Name()
}
