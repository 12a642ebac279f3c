package main

import (
	"net/http/httptest"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// Linked clones. The simulator's CloneVM_Task (v0.56) ignores the spec's diskMoveType and
// snapshot: every clone gets disks of its own. On vCenter, a clone with diskMoveType
// createNewChildDiskBacking gets child disks whose parent is the disk of the snapshot it was
// cloned from (the spec's snapshot, else the source's current one), and a clone asked for
// that way without any snapshot is refused: only a snapshot's disks are read-only and so
// safe to share ("VirtualMachineRelocateDiskMoveOptions" in the vSphere API reference).

const childDiskBacking = string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking)

// linkedCloneFault refuses, before the simulator sees it, a linked clone of a VM that has no
// snapshot to share the disks of.
func linkedCloneFault(body []byte) types.BaseMethodFault {
	req, ok := decodeRequest(body).(*types.CloneVM_Task)
	if !ok || req.Spec.Location.DiskMoveType != childDiskBacking || req.Spec.Snapshot != nil {
		return nil
	}
	if linkedSnapshot(req) == nil {
		return &types.InvalidArgument{InvalidProperty: "spec.snapshot"}
	}
	return nil
}

// linkedSnapshot is the snapshot a linked clone shares the disks of.
func linkedSnapshot(req *types.CloneVM_Task) *types.ManagedObjectReference {
	if req.Spec.Snapshot != nil {
		return req.Spec.Snapshot
	}
	vm, ok := reg.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return nil
	}
	var current *types.ManagedObjectReference
	newContext().WithLock(vm, func() {
		if vm.Snapshot != nil && vm.Snapshot.CurrentSnapshot != nil {
			ref := *vm.Snapshot.CurrentSnapshot
			current = &ref
		}
	})
	return current
}

// linkClone makes the disks of a finished linked clone children of its snapshot's disks: each
// clone disk's backing gets the snapshot's disk backing (same key, else same position) as
// its parent, as vCenter reports it.
func (e *extensions) linkClone(body []byte, rec *httptest.ResponseRecorder) {
	req, ok := decodeRequest(body).(*types.CloneVM_Task)
	if !ok || req.Spec.Location.DiskMoveType != childDiskBacking {
		return
	}
	clone, ok := finishedClone(rec)
	if !ok {
		return
	}
	snapRef := linkedSnapshot(req)
	if snapRef == nil {
		return
	}
	snapshot, ok := reg.Get(*snapRef).(*simulator.VirtualMachineSnapshot)
	if !ok {
		return
	}
	var parents []*types.VirtualDisk
	ctx := newContext()
	ctx.WithLock(snapshot, func() {
		for _, device := range snapshot.Config.Hardware.Device {
			if disk, ok := device.(*types.VirtualDisk); ok {
				parents = append(parents, disk)
			}
		}
	})
	ctx.WithLock(clone, func() {
		devices := make([]types.BaseVirtualDevice, 0, len(clone.Config.Hardware.Device))
		position := 0
		for _, device := range clone.Config.Hardware.Device {
			disk, ok := device.(*types.VirtualDisk)
			if !ok {
				devices = append(devices, device)
				continue
			}
			parent := parentDisk(parents, disk.Key, position)
			position++
			backing, isFlat := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
			var parentBacking *types.VirtualDiskFlatVer2BackingInfo
			if parent != nil {
				parentBacking, _ = parent.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
			}
			if !isFlat || parentBacking == nil {
				devices = append(devices, device)
				continue
			}
			child := *disk
			childBacking := *backing
			shared := *parentBacking
			childBacking.Parent = &shared
			child.Backing = &childBacking
			devices = append(devices, &child)
		}
		ctx.Update(clone, []types.PropertyChange{{Name: "config.hardware.device", Val: devices}})
	})
}

func parentDisk(parents []*types.VirtualDisk, key int32, position int) *types.VirtualDisk {
	for _, disk := range parents {
		if disk.Key == key {
			return disk
		}
	}
	if position < len(parents) {
		return parents[position]
	}
	return nil
}
