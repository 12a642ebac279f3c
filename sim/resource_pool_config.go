package main

// A resource pool's settings change as on vCenter (ResourcePool.UpdateConfig):
//
//   - vCenter applies every field given of the CPU and memory allocations, whether the
//     reservation is expandable among them. v0.56 applies the reservation, the limit and
//     the shares only: expandableReservation keeps its old value, whatever is sent.
//   - vCenter tells property collectors of the pool's new config. v0.56 changes it in place
//     and tells no one.
//
// Here both are done once the simulator has answered (see applyExpandableReservation).

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// applyExpandableReservation sets what an UpdateConfig request (body) says of the
// expandable reservations of a pool (or vApp), and tells property collectors of its config.
func applyExpandableReservation(this types.ManagedObjectReference, body []byte) {
	req, ok := decodeRequest(body).(*types.UpdateConfig)
	if !ok {
		return
	}
	var obj mo.Reference
	var pool *mo.ResourcePool
	switch o := reg.Get(this).(type) {
	case *simulator.ResourcePool:
		obj, pool = o, &o.ResourcePool
	case *simulator.VirtualApp:
		obj, pool = o, &o.ResourcePool
	default:
		return
	}
	ctx := newContext()
	ctx.WithLock(obj, func() {
		if spec := req.Config; spec != nil {
			if given := spec.CpuAllocation.ExpandableReservation; given != nil {
				pool.Config.CpuAllocation.ExpandableReservation = types.NewBool(*given)
			}
			if given := spec.MemoryAllocation.ExpandableReservation; given != nil {
				pool.Config.MemoryAllocation.ExpandableReservation = types.NewBool(*given)
			}
		}
		ctx.Update(obj, []types.PropertyChange{{Name: "config", Val: pool.Config}})
	})
}
