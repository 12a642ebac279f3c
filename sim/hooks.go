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
	"CreateVM_Task":        true, // uuids and MAC addresses of its own (see identity.go)
	"RelocateVM_Task":      true,
	"ReconfigVM_Task":      true, // a new name in the spec, new NICs
	"Rename_Task":          true,
	"Destroy_Task":         true, // a folder's contents
	"ImportVApp":           true, // where its lease's uploads go (see datastore_space.go)
	// Entities that the simulator registers before linking them to their parent (see announce).
	"CreateResourcePool":     true,
	"CreateVApp":             true,
	"AddHost_Task":           true,
	"AddStandaloneHost_Task": true,
	// Maintenance mode as vCenter has it (see maintenance.go).
	"EnterMaintenanceMode_Task": true,
	"ExitMaintenanceMode_Task":  true,
}

// before checks a hooked method before the simulator sees it, for what the extensions'
// rewriting of the request would hide from it; a fault fails the method's task.
func (e *extensions) before(method string, body []byte) types.BaseMethodFault {
	switch method {
	case "Destroy_Task":
		if fault := dvPortgroupInUse(body); fault != nil { // see networks.go
			return fault
		}
		return e.destroyContents(body)
	case "ReconfigureComputeResource_Task":
		return clusterRulesFault(body) // see drs_rules.go
	case "EnterMaintenanceMode_Task": // see maintenance.go
		return e.maintenanceFault(body)
	case "CloneVM_Task":
		if fault := linkedCloneFault(body); fault != nil {
			return fault
		}
	default:
		return nil
	}
	// The simulator is sent a file-safe name for the clone (see mendName), so it cannot
	// see that the name vCenter would store is taken in the folder.
	req, ok := decodeRequest(body).(*types.CloneVM_Task)
	if !ok {
		return nil
	}
	folder, ok := reg.Get(req.Folder).(*simulator.Folder)
	if !ok {
		return nil
	}
	name := vcenterEscape(req.Name)
	var children []types.ManagedObjectReference
	newContext().WithLock(folder, func() { children = append(children, folder.ChildEntity...) })
	if taken := reg.FindByName(name, children); taken != nil {
		return &types.DuplicateName{Name: name, Object: taken.Reference()}
	}
	return nil
}

// after completes a hooked method once the simulator has answered it (rec).
func (e *extensions) after(method string, this types.ManagedObjectReference, body []byte, rec *httptest.ResponseRecorder) {
	if rec.Code != 200 {
		return
	}
	afterPoolOrRuleChange(method, this, body, rec) // see drs_rules.go, resource_pool_config.go
	switch method {
	case "EnterMaintenanceMode_Task", "ExitMaintenanceMode_Task": // see maintenance.go
		announceMaintenance(this, rec)
	case "Destroy_Task":
		forgetPortgroup(this, rec) // see networks.go
	case "ImportVApp":
		noteImportLease(body, rec)
	case "HttpNfcLeaseComplete":
		labelImported(this) // see device_labels.go
	case "DeleteDatastoreFile_Task", "MoveDatastoreFile_Task", "CopyDatastoreFile_Task",
		"SearchDatastore_Task", "SearchDatastoreSubFolders_Task":
		fileTaskEntity(body, rec) // see datastore_files.go
	case "MarkAsTemplate", "MarkAsVirtualMachine":
		// The stock simulator changes the VM's fields without telling property collectors,
		// so WaitForUpdatesEx never reports a VM becoming a template or a VM again.
		vm, ok := reg.Get(this).(*simulator.VirtualMachine)
		if !ok {
			return
		}
		ctx := newContext()
		ctx.WithLock(vm, func() {
			var pool interface{}
			if vm.ResourcePool != nil {
				pool = *vm.ResourcePool
			}
			ctx.Update(vm, []types.PropertyChange{
				{Name: "config.template", Val: vm.Config.Template},
				{Name: "summary.config.template", Val: vm.Config.Template},
				{Name: "resourcePool", Val: pool},
			})
		})
		fixBackReferences(this) // a template leaves its resource pool
	case "CloneVM_Task":
		e.completeClone(body, rec)
		e.linkClone(body, rec)             // see linked_clone.go
		e.failCustomization(body, rec)     // see customization_failure.go
		reportCustomizedNetwork(body, rec) // see customization_network.go
		if task, ok := finishedTask(rec); ok {
			if clone, ok := task.Info.Result.(types.ManagedObjectReference); ok {
				labelDevices(clone) // see device_labels.go
			}
		}
	case "RelocateVM_Task":
		if _, ok := finishedTask(rec); ok {
			fixBackReferences(this)
		}
	case "ReconfigVM_Task":
		// The simulator sets a new name in the spec without telling property collectors
		// (and unescaped): watchers never learn of such a rename.
		if req, ok := decodeRequest(body).(*types.ReconfigVM_Task); ok && req.Spec.Name != "" {
			if _, ok := finishedTask(rec); ok {
				nameAsVCenter(this, req.Spec.Name)
			}
		}
		// A new NIC gets a MAC address of its own, a new device vCenter's label.
		if req, ok := decodeRequest(body).(*types.ReconfigVM_Task); ok && len(req.Spec.DeviceChange) > 0 {
			if _, ok := finishedTask(rec); ok {
				giveIdentity(this, identityRequest{uuid: true, instanceUUID: true, macs: specMACs(req.Spec.DeviceChange)})
				labelDevices(this) // see device_labels.go
			}
		}
	case "CreateVM_Task":
		req, ok := decodeRequest(body).(*types.CreateVM_Task)
		task, done := finishedTask(rec)
		if !ok || !done {
			return
		}
		if vm, ok := task.Info.Result.(types.ManagedObjectReference); ok {
			giveIdentity(vm, identityRequest{
				uuid:         req.Config.Uuid != "",
				instanceUUID: req.Config.InstanceUuid != "",
				macs:         specMACs(req.Config.DeviceChange),
			})
			labelDevices(vm) // see device_labels.go
		}
	case "Rename_Task":
		// A VM's config.name is its name too; the simulator's rename leaves it behind.
		if req, ok := decodeRequest(body).(*types.Rename_Task); ok && this.Type == "VirtualMachine" {
			if _, ok := finishedTask(rec); ok {
				nameAsVCenter(this, req.NewName)
			}
		}
	case "CreateResourcePool":
		announce(types.ManagedObjectReference{Type: "ResourcePool", Value: returnedValue(rec.Body.Bytes())})
	case "CreateVApp":
		announce(types.ManagedObjectReference{Type: "VirtualApp", Value: returnedValue(rec.Body.Bytes())})
	case "AddHost_Task", "AddStandaloneHost_Task":
		task, ok := finishedTask(rec)
		if !ok {
			return
		}
		added, ok := task.Info.Result.(types.ManagedObjectReference)
		if !ok {
			return
		}
		// A standalone host comes with a compute resource and its root pool, registered
		// before the compute resource was. vCenter's AddStandaloneHost_Task answers the
		// compute resource, the simulator's the host: take either.
		var cr *mo.ComputeResource
		switch o := reg.Get(added).(type) {
		case *mo.ComputeResource:
			cr = o
		case *simulator.HostSystem:
			announce(added)
			if o.Parent != nil {
				cr, _ = reg.Get(*o.Parent).(*mo.ComputeResource)
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

// announce registers an entity again, now that it is linked to its parent. The simulator
// (0.24.2 and still v0.56) registers
// new resource pools, vApps and hosts before adding them to their parent's list, and a
// container view only takes in a registered object it can reach from its root: property
// collectors watching through a view (inventory caches, govc's tree walks) never learn of
// them. Registering again is what the simulator's own folders do in the right order; the
// object and its reference stay the same.
func announce(ref types.ManagedObjectReference) {
	if obj := reg.Get(ref); obj != nil {
		reg.Put(obj)
	}
}

// fixBackReferences makes the VM lists of hosts, datastores and resource pools agree with
// where the VM is. The simulator's RelocateVM_Task (0.24.2 and still v0.56) neither adds it to its new host's (or pool's,
// or datastore's) list nor removes it from the old one, so a destroyed VM lingers in the
// old host's list and container views keep showing it.
func fixBackReferences(ref types.ManagedObjectReference) {
	vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	var host, pool *types.ManagedObjectReference
	var datastores []types.ManagedObjectReference
	ctx := newContext()
	ctx.WithLock(vm, func() {
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
		for _, e := range reg.All(kind) {
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
				reg.AddReference(ctx, e, list, ref)
			} else {
				reg.RemoveReference(ctx, e, list, ref)
			}
		}
	}
}

// completeClone does what the simulator's CloneVM_Task leaves out of the clone spec (v0.56
// applies CPUs, memory, devices, customization and power-on itself): a host in the target
// pool's cluster, where vCenter's DRS would place the clone, and the rest of the hardware
// (cores per socket, hot-add) and the annotation.
func (e *extensions) completeClone(body []byte, rec *httptest.ResponseRecorder) {
	req, ok := decodeRequest(body).(*types.CloneVM_Task)
	if !ok {
		return
	}
	task, ok := finishedTask(rec)
	if !ok {
		return
	}
	clone, ok := task.Info.Result.(types.ManagedObjectReference)
	if !ok {
		return
	}
	fixBackReferences(clone) // a clone made a template is in its pool's list all the same
	nameAsVCenter(clone, req.Name)
	identity := identityRequest{macs: specMACs(req.Spec.Location.DeviceChange)}
	if c := req.Spec.Config; c != nil {
		identity.uuid, identity.instanceUUID = c.Uuid != "", c.InstanceUuid != ""
		for mac := range specMACs(c.DeviceChange) {
			identity.macs[mac] = true
		}
	}
	giveIdentity(clone, identity)
	ctx := context.Background()
	if req.Spec.Location.Host == nil {
		if host := hostOutsidePool(clone); host != nil {
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
	}
	if c := req.Spec.Config; c != nil && (c.NumCoresPerSocket != nil || c.Annotation != "" ||
		c.CpuHotAddEnabled != nil || c.MemoryHotAddEnabled != nil) {
		rest := types.VirtualMachineConfigSpec{
			NumCoresPerSocket:   c.NumCoresPerSocket,
			Annotation:          c.Annotation,
			CpuHotAddEnabled:    c.CpuHotAddEnabled,
			MemoryHotAddEnabled: c.MemoryHotAddEnabled,
		}
		res, err := methods.ReconfigVM_Task(ctx, e.internal, &types.ReconfigVM_Task{This: clone, Spec: rest})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			log.Printf("vmw-sim: configuring clone %s: %v", clone, err)
		}
	}
}

// nameAsVCenter gives a VM the name vCenter would store for the name the client sent (see
// vcenterEscape) in name, config.name and summary.config.name, and tells watchers.
func nameAsVCenter(ref types.ManagedObjectReference, sent string) {
	vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	// Sent even when the fields hold the name already: the simulator may have set them
	// telling no one.
	name := vcenterEscape(sent)
	ctx := newContext()
	ctx.WithLock(vm, func() {
		ctx.Update(vm, []types.PropertyChange{
			{Name: "name", Val: name},
			{Name: "config.name", Val: name},
			{Name: "summary.config.name", Val: name},
		})
	})
}

// destroyContents destroys what a folder holds before the folder itself, as vCenter does: the
// simulator's Folder.Destroy_Task removes the folder only (its search for children that can
// be destroyed matches none of v0.56's methods), and the orphans it leaves have a parent
// that is gone (govc's tree walks then never end). A child that cannot be destroyed (a
// powered-on VM) fails the folder's task, as on vCenter.
func (e *extensions) destroyContents(body []byte) types.BaseMethodFault {
	req, ok := decodeRequest(body).(*types.Destroy_Task)
	if !ok || req.This.Type != "Folder" {
		return nil
	}
	return e.destroyChildren(req.This)
}

func (e *extensions) destroyChildren(ref types.ManagedObjectReference) types.BaseMethodFault {
	folder, ok := reg.Get(ref).(*simulator.Folder)
	if !ok {
		return nil
	}
	var children []types.ManagedObjectReference
	newContext().WithLock(folder, func() { children = append(children, folder.ChildEntity...) })
	for _, child := range children {
		if child.Type == "Folder" {
			if fault := e.destroyChildren(child); fault != nil {
				return fault
			}
		}
		res, err := methods.Destroy_Task(context.Background(), e.internal, &types.Destroy_Task{This: child})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			if f, ok := err.(taskFault); ok {
				return f.fault.Fault
			}
			return &types.SystemError{Reason: err.Error()}
		}
	}
	return nil
}

// hostOutsidePool is a host of the clone's pool's cluster when the clone's host is not one:
// the stock clone stays on its source's host even when its pool is in another cluster,
// where vCenter (DRS) would place it on a host of that cluster.
func hostOutsidePool(ref types.ManagedObjectReference) *types.ManagedObjectReference {
	vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
	if !ok || vm.ResourcePool == nil || vm.Runtime.Host == nil {
		return nil
	}
	owner := vm.ResourcePool
	for owner != nil {
		switch o := reg.Get(*owner).(type) {
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

// taskFailure waits for a task of the simulator's own and returns its error.
func taskFailure(ref types.ManagedObjectReference) error {
	task, ok := reg.Get(ref).(*simulator.Task)
	if !ok {
		return nil
	}
	task.Wait()
	if task.Info.Error != nil {
		return taskFault{task.Info.Error}
	}
	return nil
}

// finishedTask waits for the task that a *_Task answer (rec) names and returns it if it
// succeeded. Since v0.30 the simulator answers before its tasks have run.
func finishedTask(rec *httptest.ResponseRecorder) (*simulator.Task, bool) {
	task, ok := reg.Get(returnedTask(rec.Body.Bytes())).(*simulator.Task)
	if !ok {
		return nil, false
	}
	task.Wait()
	return task, task.Info.State == types.TaskInfoStateSuccess
}

// finishedClone is the VM that a CloneVM_Task answer (rec) names, once its task has
// succeeded.
func finishedClone(rec *httptest.ResponseRecorder) (*simulator.VirtualMachine, bool) {
	task, ok := finishedTask(rec)
	if !ok {
		return nil, false
	}
	ref, ok := task.Info.Result.(types.ManagedObjectReference)
	if !ok {
		return nil, false
	}
	vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
	return vm, ok
}

// decodeRequest decodes a SOAP request body into its govmomi request type.
func decodeRequest(body []byte) interface{} {
	method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	if err != nil {
		return nil
	}
	return method.Body
}
