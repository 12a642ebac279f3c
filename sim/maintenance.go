package main

// A host enters maintenance mode as on vCenter (HostSystem.EnterMaintenanceMode_Task):
//
//   - vCenter's task finishes only once no powered-on VM is left on the host. In a cluster
//     whose DRS is enabled and fully automated, DRS migrates them during the task to the
//     cluster's other usable hosts (connected, not in maintenance mode); with
//     evacuatePoweredOffVms, the powered-off and suspended ones too. A VM whose own DRS
//     setting is not fully automated (or off) is not moved by DRS. Anywhere else the task
//     waits until someone else moves the VMs or powers them off.
//   - Here, in such a cluster, the VMs that DRS would move are moved first (a RelocateVM_Task
//     each, to the usable host with the fewest VMs), then the host enters maintenance mode.
//     When a powered-on VM would stay on the host (no DRS, DRS not fully automated, a VM of
//     its own setting, no other usable host, a standalone host), the task fails with
//     InvalidState instead of waiting forever, and nothing is moved.
//   - Watchers are told of runtime.inMaintenanceMode on entering and leaving.
//
// v0.56 sets runtime.inMaintenanceMode at once, powered-on VMs or not, moves nothing, and
// tells no property collector of the change.

import (
	"context"
	"log"
	"net/http/httptest"
	"sort"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// maintenanceFault moves what DRS would move off the host of an EnterMaintenanceMode_Task
// request (body) and says why the host cannot enter maintenance mode, if it cannot: a
// powered-on VM that would stay on it. Run before the simulator sees the request.
func (e *extensions) maintenanceFault(body []byte) types.BaseMethodFault {
	req, ok := decodeRequest(body).(*types.EnterMaintenanceMode_Task)
	if !ok {
		return nil
	}
	host, ok := reg.Get(req.This).(*simulator.HostSystem)
	if !ok {
		return &types.ManagedObjectNotFound{Obj: req.This}
	}
	var inMaintenance bool
	var parent *types.ManagedObjectReference
	var vms []types.ManagedObjectReference
	newContext().WithLock(host, func() {
		inMaintenance = host.Runtime.InMaintenanceMode
		parent = host.Parent
		vms = append(vms, host.Vm...)
	})
	if inMaintenance {
		return nil // nothing to do: the simulator finishes the task
	}
	evacuateOff := req.EvacuatePoweredOffVms != nil && *req.EvacuatePoweredOffVms
	drs := drsPlan(parent, req.This)
	var moves []types.ManagedObjectReference
	for _, vm := range vms {
		state := powerState(vm)
		if state != types.VirtualMachinePowerStatePoweredOn && !evacuateOff {
			continue
		}
		if drs == nil || !drs.moves(vm) || len(drs.targets) == 0 {
			if state == types.VirtualMachinePowerStatePoweredOn {
				return &types.InvalidState{}
			}
			continue // a powered-off VM that DRS does not move may stay
		}
		moves = append(moves, vm)
	}
	for _, vm := range moves {
		target := drs.leastLoaded()
		res, err := methods.RelocateVM_Task(context.Background(), e.internal,
			&types.RelocateVM_Task{This: vm, Spec: types.VirtualMachineRelocateSpec{Host: &target}})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			log.Printf("vmw-sim: evacuating %s from %s: %v", vm, req.This, err)
			return asFault(err)
		}
		fixBackReferences(vm) // the stock relocation leaves the VM in its old host's list
		drs.load[target]++
	}
	return nil
}

// drsMoves is what DRS does in a fully automated cluster: which VMs it may move, and where.
type drsMoves struct {
	overrides map[types.ManagedObjectReference]bool // VM -> whether DRS may move it
	targets   []types.ManagedObjectReference        // the cluster's other usable hosts
	load      map[types.ManagedObjectReference]int  // VMs on each target
}

// drsPlan is the DRS of the cluster (parent) that host leaves for maintenance, or nil when
// no DRS moves VMs there: a standalone host, DRS off or not fully automated.
func drsPlan(parent *types.ManagedObjectReference, host types.ManagedObjectReference) *drsMoves {
	if parent == nil {
		return nil
	}
	cluster, ok := reg.Get(*parent).(*simulator.ClusterComputeResource)
	if !ok {
		return nil
	}
	plan := &drsMoves{
		overrides: map[types.ManagedObjectReference]bool{},
		load:      map[types.ManagedObjectReference]int{},
	}
	var hosts []types.ManagedObjectReference
	automated := false
	newContext().WithLock(cluster, func() {
		hosts = append(hosts, cluster.Host...)
		config, ok := cluster.ConfigurationEx.(*types.ClusterConfigInfoEx)
		if !ok {
			return
		}
		drs := config.DrsConfig
		automated = drs.Enabled != nil && *drs.Enabled &&
			drs.DefaultVmBehavior == types.DrsBehaviorFullyAutomated
		for _, vm := range config.DrsVmConfig {
			plan.overrides[vm.Key] = (vm.Enabled == nil || *vm.Enabled) &&
				(vm.Behavior == "" || vm.Behavior == types.DrsBehaviorFullyAutomated)
		}
	})
	if !automated {
		return nil
	}
	for _, ref := range hosts {
		other, ok := reg.Get(ref).(*simulator.HostSystem)
		if !ok || ref == host {
			continue
		}
		newContext().WithLock(other, func() {
			if other.Runtime.ConnectionState == types.HostSystemConnectionStateConnected &&
				!other.Runtime.InMaintenanceMode {
				plan.targets = append(plan.targets, ref)
				plan.load[ref] = len(other.Vm)
			}
		})
	}
	return plan
}

// moves says whether DRS may move vm (no setting of its own says otherwise).
func (p *drsMoves) moves(vm types.ManagedObjectReference) bool {
	allowed, own := p.overrides[vm]
	return !own || allowed
}

// leastLoaded is the target with the fewest VMs (the first of them, by id, on a tie).
func (p *drsMoves) leastLoaded() types.ManagedObjectReference {
	targets := append([]types.ManagedObjectReference(nil), p.targets...)
	sort.SliceStable(targets, func(i, j int) bool {
		if p.load[targets[i]] != p.load[targets[j]] {
			return p.load[targets[i]] < p.load[targets[j]]
		}
		return targets[i].Value < targets[j].Value
	})
	return targets[0]
}

// announceMaintenance tells watchers of the host's runtime.inMaintenanceMode once an
// EnterMaintenanceMode_Task or ExitMaintenanceMode_Task answer (rec) has finished.
func announceMaintenance(this types.ManagedObjectReference, rec *httptest.ResponseRecorder) {
	if _, ok := finishedTask(rec); !ok {
		return
	}
	host, ok := reg.Get(this).(*simulator.HostSystem)
	if !ok {
		return
	}
	ctx := newContext()
	ctx.WithLock(host, func() {
		ctx.Update(host, []types.PropertyChange{
			{Name: "runtime.inMaintenanceMode", Val: host.Runtime.InMaintenanceMode},
			{Name: "summary.runtime.inMaintenanceMode", Val: host.Runtime.InMaintenanceMode},
		})
	})
}
