package main

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// serveUnregisterAndDestroy answers Folder.UnregisterAndDestroy_Task, which v0.56 lacks (its
// Folder has no such method: MethodNotFound). Ansible's vcenter_folder removes VM folders
// with it (state=absent). As the vSphere API reference has it, the task unregisters every VM
// and vApp below the folder (their files stay on their datastores) and destroys the folder
// and the folders below it; it fails with NotSupported for a folder whose childType lacks
// "VirtualMachine", and with InvalidState (InvalidPowerState) while a VM below is powered on.
func (e *extensions) serveUnregisterAndDestroy(w http.ResponseWriter, r *http.Request, next http.Handler,
	method string, this types.ManagedObjectReference) {
	if !e.validSession(next, r) {
		writeFault(w, notAuthenticated(this))
		return
	}
	if _, ok := reg.Get(this).(*simulator.Folder); !ok {
		writeFault(w, &types.ManagedObjectNotFound{Obj: this})
		return
	}
	ctx := newContext()
	task := startTask(ctx, this, method)
	writeTaskResponse(w, method, task.Self)
	go func() {
		defer logPanic(method)
		if fault := e.unregisterAndDestroy(this); fault != nil {
			finishFailed(ctx, task, fault)
			return
		}
		ctx.Update(task, []types.PropertyChange{
			{Name: "info.completeTime", Val: time.Now()},
			{Name: "info.progress", Val: int32(100)},
			{Name: "info.state", Val: types.TaskInfoStateSuccess},
		})
	}()
}

// folderContents are what a VM folder holds, all the way down.
type folderContents struct {
	folders []types.ManagedObjectReference // the folder's subfolders, parents first
	vms     []types.ManagedObjectReference // in the folders and in their vApps
	vApps   []types.ManagedObjectReference
}

func (e *extensions) unregisterAndDestroy(ref types.ManagedObjectReference) types.BaseMethodFault {
	folder, ok := reg.Get(ref).(*simulator.Folder)
	if !ok {
		return &types.ManagedObjectNotFound{Obj: ref}
	}
	var childTypes []string
	var parent *types.ManagedObjectReference
	newContext().WithLock(folder, func() {
		childTypes = append(childTypes, folder.ChildType...)
		parent = folder.Parent
	})
	// A datacenter's own VM folder is part of the datacenter: vCenter removes it only with it.
	if !slices.Contains(childTypes, "VirtualMachine") || parent == nil || parent.Type == "Datacenter" {
		return &types.NotSupported{}
	}
	var contents folderContents
	if fault := collectFolder(ref, &contents); fault != nil {
		return fault
	}
	// Refused before anything is removed: vCenter may stop half-way, but need not.
	for _, vm := range contents.vms {
		if state := powerState(vm); state == types.VirtualMachinePowerStatePoweredOn {
			return &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOff, ExistingState: state}
		}
	}
	ctx := context.Background()
	for _, vm := range contents.vms {
		if _, err := methods.UnregisterVM(ctx, e.internal, &types.UnregisterVM{This: vm}); err != nil {
			return asFault(err)
		}
	}
	for _, vApp := range contents.vApps {
		res, err := methods.Destroy_Task(ctx, e.internal, &types.Destroy_Task{This: vApp})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			return asFault(err)
		}
	}
	// The folders are empty of VMs now; destroying them, deepest first, leaves no orphans.
	for i := len(contents.folders) - 1; i >= -1; i-- {
		target := ref
		if i >= 0 {
			target = contents.folders[i]
		}
		res, err := methods.Destroy_Task(ctx, e.internal, &types.Destroy_Task{This: target})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			return asFault(err)
		}
	}
	return nil
}

// collectFolder gathers what a VM folder holds; anything but folders, VMs and vApps makes
// the folder one that UnregisterAndDestroy_Task does not take (NotSupported).
func collectFolder(ref types.ManagedObjectReference, contents *folderContents) types.BaseMethodFault {
	folder, ok := reg.Get(ref).(*simulator.Folder)
	if !ok {
		return &types.ManagedObjectNotFound{Obj: ref}
	}
	var children []types.ManagedObjectReference
	newContext().WithLock(folder, func() { children = append(children, folder.ChildEntity...) })
	for _, child := range children {
		switch child.Type {
		case "VirtualMachine":
			contents.vms = append(contents.vms, child)
		case "VirtualApp":
			contents.vApps = append(contents.vApps, child)
			if vApp, ok := reg.Get(child).(*simulator.VirtualApp); ok {
				newContext().WithLock(vApp, func() { contents.vms = append(contents.vms, vApp.Vm...) })
			}
		case "Folder":
			contents.folders = append(contents.folders, child)
			if fault := collectFolder(child, contents); fault != nil {
				return fault
			}
		default:
			return &types.NotSupported{}
		}
	}
	return nil
}

func powerState(ref types.ManagedObjectReference) types.VirtualMachinePowerState {
	vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return ""
	}
	var state types.VirtualMachinePowerState
	newContext().WithLock(vm, func() { state = vm.Runtime.PowerState })
	return state
}

// asFault is the vSphere fault of an error from a call of the simulator's own.
func asFault(err error) types.BaseMethodFault {
	if f, ok := err.(taskFault); ok {
		return f.fault.Fault
	}
	if soap.IsSoapFault(err) {
		if f, ok := soap.ToSoapFault(err).VimFault().(types.BaseMethodFault); ok {
			return f
		}
	}
	return &types.SystemError{Reason: err.Error()}
}
