package main

// Uplink port groups marked as vCenter marks them: `config.uplink` true on the port group
// that holds a distributed switch's uplinks (vSphere API reference,
// DVPortgroupConfigInfo.uplink). v0.56.0 makes that port group ("<switch>-DVUplinks-<n>")
// but leaves the flag unset, so a client could not tell it from a port group a VM can join.

import (
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type uplinkFlags struct{}

// installUplinkFlags marks the uplink port groups there are, and those made later.
func installUplinkFlags() {
	for _, o := range reg.All("DistributedVirtualPortgroup") {
		markUplink(o)
	}
	reg.AddHandler(uplinkFlags{})
}

func markUplink(o mo.Reference) {
	pg, ok := o.(*simulator.DistributedVirtualPortgroup)
	if !ok || pg.Config.DistributedVirtualSwitch == nil {
		return
	}
	dvs, ok := reg.Get(*pg.Config.DistributedVirtualSwitch).(*simulator.DistributedVirtualSwitch)
	if !ok {
		return
	}
	if pg.Name == dvs.Name+"-DVUplinks"+strings.TrimPrefix(dvs.Self.Value, "dvs") {
		pg.Config.Uplink = types.NewBool(true)
	}
}

func (uplinkFlags) PutObject(_ *simulator.Context, o mo.Reference)                        { markUplink(o) }
func (uplinkFlags) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {}
func (uplinkFlags) RemoveObject(*simulator.Context, types.ManagedObjectReference)         {}

// Reference names the handler to the registry: it is no managed object.
func (uplinkFlags) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "UplinkFlags", Value: "uplink-flags"}
}
