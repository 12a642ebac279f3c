package main

import (
	"reflect"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// taskMessages gives failed tasks vSphere's sentence as their localized message. The stock
// simulator's Task.Run puts the Go type name there ("*types.InvalidPowerState", still so in
// v0.56), which clients then show to people.
type taskMessages struct{}

func (taskMessages) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VmwSimTaskMessages", Value: "taskMessages"}
}

func (taskMessages) PutObject(*simulator.Context, mo.Reference) {}

func (taskMessages) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}

// UpdateObject rewrites the message in place: the change set is shared with the property
// collectors that queued it, so waiting clients see the sentence too.
func (taskMessages) UpdateObject(_ *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
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
		// The registry has already applied the change to the task; correct it there too.
		if task, ok := obj.(*mo.Task); ok && task.Info.Error != nil {
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
