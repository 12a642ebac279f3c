package main

import (
	"context"
	"log"
	"net/http/httptest"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// hooked lists the methods whose answers the extensions complete: the stock simulator
// leaves out part of what vCenter does for them.
var hooked = map[string]bool{
	"MarkAsTemplate":       true,
	"MarkAsVirtualMachine": true,
	"CloneVM_Task":         true,
	"RelocateVM_Task":      true,
	// Entities that 0.24.2 registers before linking them to their parent (see announce).
	"CreateResourcePool":     true,
	"CreateVApp":             true,
	"AddHost_Task":           true,
	"AddStandaloneHost_Task": true,
}

// after completes a hooked method once the simulator has answered it (rec).
func (e *extensions) after(method string, this types.ManagedObjectReference, body []byte, rec *httptest.ResponseRecorder) {
	if rec.Code != 200 {
		return
	}
	switch method {
	case "MarkAsTemplate", "MarkAsVirtualMachine":
		// The stock simulator changes the VM's fields without telling property collectors,
		// so WaitForUpdatesEx never reports a VM becoming a template or a VM again.
		vm, ok := simulator.Map.Get(this).(*simulator.VirtualMachine)
		if !ok {
			return
		}
		simulator.Map.WithLock(vm, func() {
			var pool interface{}
			if vm.ResourcePool != nil {
				pool = *vm.ResourcePool
			}
			simulator.Map.Update(vm, []types.PropertyChange{
				{Name: "config.template", Val: vm.Config.Template},
				{Name: "summary.config.template", Val: vm.Config.Template},
				{Name: "resourcePool", Val: pool},
			})
		})
		fixBackReferences(this) // a template leaves its resource pool
	case "CloneVM_Task":
		e.completeClone(body, rec)
	case "RelocateVM_Task":
		fixBackReferences(this)
	case "CreateResourcePool":
		announce(types.ManagedObjectReference{Type: "ResourcePool", Value: returnedValue(rec.Body.Bytes())})
	case "CreateVApp":
		announce(types.ManagedObjectReference{Type: "VirtualApp", Value: returnedValue(rec.Body.Bytes())})
	case "AddHost_Task", "AddStandaloneHost_Task":
		task, ok := simulator.Map.Get(returnedTask(rec.Body.Bytes())).(*simulator.Task)
		if !ok || task.Info.State != types.TaskInfoStateSuccess {
			return
		}
		added, ok := task.Info.Result.(types.ManagedObjectReference)
		if !ok {
			return
		}
		// A standalone host comes with a compute resource and its root pool, registered
		// before the compute resource was. vCenter's AddStandaloneHost_Task answers the
		// compute resource, 0.24.2's the host: take either.
		var cr *mo.ComputeResource
		switch o := simulator.Map.Get(added).(type) {
		case *mo.ComputeResource:
			cr = o
		case *simulator.HostSystem:
			announce(added)
			if o.Parent != nil {
				cr, _ = simulator.Map.Get(*o.Parent).(*mo.ComputeResource)
			}
		}
		if cr != nil {
			for _, host := range cr.Host {
				announce(host)
			}
			if cr.ResourcePool != nil {
				announce(*cr.ResourcePool)
			}
		}
	}
}

// announce registers an entity again, now that it is linked to its parent. 0.24.2 registers
// new resource pools, vApps and hosts before adding them to their parent's list, and a
// container view only takes in a registered object it can reach from its root: property
// collectors watching through a view (inventory caches, govc's tree walks) never learn of
// them. Registering again is what the simulator's own folders do in the right order; the
// object and its reference stay the same.
func announce(ref types.ManagedObjectReference) {
	if obj := simulator.Map.Get(ref); obj != nil {
		simulator.Map.Put(obj)
	}
}

// fixBackReferences makes the VM lists of hosts, datastores and resource pools agree with
// where the VM is. 0.24.2's RelocateVM_Task neither adds it to its new host's (or pool's,
// or datastore's) list nor removes it from the old one, so a destroyed VM lingers in the
// old host's list and container views keep showing it.
func fixBackReferences(ref types.ManagedObjectReference) {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	var host, pool *types.ManagedObjectReference
	var datastores []types.ManagedObjectReference
	simulator.Map.WithLock(vm, func() {
		host, pool = vm.Runtime.Host, vm.ResourcePool
		datastores = append(datastores, vm.Datastore...)
	})
	belongs := func(owner types.ManagedObjectReference) bool {
		switch owner.Type {
		case "HostSystem":
			return host != nil && *host == owner
		case "ResourcePool":
			return pool != nil && *pool == owner
		}
		return simulator.FindReference(datastores, owner) != nil
	}
	for _, kind := range []string{"HostSystem", "Datastore", "ResourcePool"} {
		for _, e := range simulator.Map.All(kind) {
			var list *[]types.ManagedObjectReference
			switch o := e.(type) {
			case *simulator.HostSystem:
				list = &o.Vm
			case *simulator.Datastore:
				list = &o.Vm
			case *simulator.ResourcePool:
				list = &o.Vm
			default:
				continue
			}
			if belongs(e.Reference()) {
				simulator.Map.AddReference(e, list, ref)
			} else {
				simulator.Map.RemoveReference(e, list, ref)
			}
		}
	}
}

// completeClone does what 0.24.2's CloneVM_Task ignores in the clone spec: the target host,
// the hardware in its config (CPUs, memory...), the guest customization (applied at the next
// power-on, as vCenter does) and the power-on.
func (e *extensions) completeClone(body []byte, rec *httptest.ResponseRecorder) {
	req, ok := decodeRequest(body).(*types.CloneVM_Task)
	if !ok {
		return
	}
	task, ok := simulator.Map.Get(returnedTask(rec.Body.Bytes())).(*simulator.Task)
	if !ok || task.Info.State != types.TaskInfoStateSuccess {
		return
	}
	clone, ok := task.Info.Result.(types.ManagedObjectReference)
	if !ok {
		return
	}
	fixBackReferences(clone) // a clone made a template is in its pool's list all the same
	ctx := context.Background()
	host := req.Spec.Location.Host
	if host == nil {
		host = hostOutsidePool(clone)
	}
	if host != nil {
		// The stock clone stays on its source's host.
		spec := types.VirtualMachineRelocateSpec{Host: host}
		res, err := methods.RelocateVM_Task(ctx, e.internal, &types.RelocateVM_Task{This: clone, Spec: spec})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			log.Printf("vmw-sim: placing clone %s: %v", clone, err)
			return
		}
		fixBackReferences(clone)
	}
	if c := req.Spec.Config; c != nil {
		hardware := types.VirtualMachineConfigSpec{
			NumCPUs:             c.NumCPUs,
			NumCoresPerSocket:   c.NumCoresPerSocket,
			MemoryMB:            c.MemoryMB,
			Annotation:          c.Annotation,
			CpuHotAddEnabled:    c.CpuHotAddEnabled,
			MemoryHotAddEnabled: c.MemoryHotAddEnabled,
		}
		res, err := methods.ReconfigVM_Task(ctx, e.internal, &types.ReconfigVM_Task{This: clone, Spec: hardware})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			log.Printf("vmw-sim: configuring clone %s: %v", clone, err)
			return
		}
	}
	if req.Spec.Customization != nil {
		res, err := methods.CustomizeVM_Task(ctx, e.internal, &types.CustomizeVM_Task{This: clone, Spec: *req.Spec.Customization})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			log.Printf("vmw-sim: customizing clone %s: %v", clone, err)
			return
		}
	}
	if req.Spec.PowerOn {
		res, err := methods.PowerOnVM_Task(ctx, e.internal, &types.PowerOnVM_Task{This: clone})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			log.Printf("vmw-sim: powering on clone %s: %v", clone, err)
		}
	}
}

// hostOutsidePool is a host of the clone's pool's cluster when the clone's host is not one:
// the stock clone stays on its source's host even when its pool is in another cluster,
// where vCenter (DRS) would place it on a host of that cluster.
func hostOutsidePool(ref types.ManagedObjectReference) *types.ManagedObjectReference {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok || vm.ResourcePool == nil || vm.Runtime.Host == nil {
		return nil
	}
	owner := vm.ResourcePool
	for owner != nil {
		switch o := simulator.Map.Get(*owner).(type) {
		case *simulator.ResourcePool:
			owner = o.Parent
		case *simulator.ClusterComputeResource:
			return pickHost(o.Host, *vm.Runtime.Host)
		case *mo.ComputeResource:
			return pickHost(o.Host, *vm.Runtime.Host)
		default:
			return nil
		}
	}
	return nil
}

func pickHost(hosts []types.ManagedObjectReference, current types.ManagedObjectReference) *types.ManagedObjectReference {
	if len(hosts) == 0 || simulator.FindReference(hosts, current) != nil {
		return nil
	}
	return &hosts[0]
}

type taskFault struct{ fault *types.LocalizedMethodFault }

func (f taskFault) Error() string { return f.fault.LocalizedMessage }

// taskFailure is the error of a finished task of the simulator's own (they finish at once).
func taskFailure(ref types.ManagedObjectReference) error {
	if task, ok := simulator.Map.Get(ref).(*simulator.Task); ok && task.Info.Error != nil {
		return taskFault{task.Info.Error}
	}
	return nil
}

// decodeRequest decodes a SOAP request body into its govmomi request type.
func decodeRequest(body []byte) interface{} {
	method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	if err != nil {
		return nil
	}
	return method.Body
}
