package main

import (
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// hostVsanSystem is a host's HostVsanSystem, for a host that is not in a vSAN cluster. The
// simulator (v0.56) gives every host configManager.vsanSystem "HostVsanSystem:vsanSystem",
// an object that is not in its inventory: reading it or calling QueryHostStatus fails with
// ManagedObjectNotFound, and clients that read it for every host (Ansible's
// vmware_host_facts) fail. vCenter gives each host one of its own.
type hostVsanSystem struct {
	mo.HostVsanSystem
}

// QueryHostStatus answers as a host with vSAN disabled does: health unknown, node state
// disabled, no cluster or node uuid.
func (s *hostVsanSystem) QueryHostStatus(*simulator.Context, *types.QueryHostStatus) soap.HasFault {
	return &methods.QueryHostStatusBody{Res: &types.QueryHostStatusResponse{
		Returnval: types.VsanHostClusterStatus{
			Health:    string(types.VsanHostHealthStateUnknown),
			NodeState: types.VsanHostClusterStatusState{State: string(types.VsanHostNodeStateDisabled)},
		},
	}}
}

// vsanSystemRef names a host's vSAN system as vCenter does, after the host's own id
// ("host-21": "vsanSystem-21").
func vsanSystemRef(host types.ManagedObjectReference) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "HostVsanSystem", Value: "vsanSystem-" + strings.TrimPrefix(host.Value, "host-")}
}

// newHostVsanSystem is the vSAN system of a host not in a vSAN cluster: disabled, with its
// (empty) cluster, storage, network and fault domain settings, as vCenter reports them.
func newHostVsanSystem(host types.ManagedObjectReference) *hostVsanSystem {
	s := &hostVsanSystem{}
	s.Self = vsanSystemRef(host)
	s.Config = types.VsanHostConfigInfo{
		Enabled:         types.NewBool(false),
		HostSystem:      &host,
		ClusterInfo:     &types.VsanHostConfigInfoClusterInfo{},
		StorageInfo:     &types.VsanHostConfigInfoStorageInfo{AutoClaimStorage: types.NewBool(false)},
		NetworkInfo:     &types.VsanHostConfigInfoNetworkInfo{},
		FaultDomainInfo: &types.VsanHostFaultDomainInfo{},
	}
	return s
}

// vsanSystems gives each host, generated, loaded or added later, a vSAN system of its own.
type vsanSystems struct{}

func (vsanSystems) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VmwSimVsanSystems", Value: "vsanSystems"}
}

// PutObject runs as a host is registered, before any client can see it.
func (vsanSystems) PutObject(_ *simulator.Context, obj mo.Reference) {
	if host, ok := obj.(*simulator.HostSystem); ok {
		addVsanSystem(host)
	}
}

func (vsanSystems) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {}

// RemoveObject removes a host's vSAN system with the host.
func (vsanSystems) RemoveObject(ctx *simulator.Context, ref types.ManagedObjectReference) {
	if ref.Type != "HostSystem" {
		return
	}
	if vsan := vsanSystemRef(ref); reg.Get(vsan) != nil {
		reg.Remove(ctx, vsan)
	}
}

// addVsanSystem registers a vSAN system for the host and names it in its configManager, unless
// it names one that is in the inventory already. The host's configManager came from the
// simulator's model host, whose vsanSystem reference all hosts share: it is replaced, not
// written through.
func addVsanSystem(host *simulator.HostSystem) {
	if host.Self.Value == "" || reg.Get(vsanSystemRef(host.Self)) != nil {
		return
	}
	if own := host.ConfigManager.VsanSystem; own != nil && reg.Get(*own) != nil {
		return // a loaded recording's own
	}
	vsan := newHostVsanSystem(host.Self)
	reg.Put(vsan)
	ref := vsan.Self
	host.ConfigManager.VsanSystem = &ref
}

// installVsanSystems gives the inventory's hosts and every host added later a vSAN system.
func installVsanSystems() {
	ctx := newContext()
	for _, e := range reg.All("HostSystem") {
		host := e.(*simulator.HostSystem)
		ctx.WithLock(host, func() { addVsanSystem(host) })
	}
	reg.AddHandler(vsanSystems{})
}
