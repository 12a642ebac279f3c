package main

// Port groups on hosts' standard switches, and distributed port groups, as vCenter keeps them
// (vSphere API reference: HostNetworkSystem.AddPortGroup and RemovePortGroup,
// HostConfigInfo.network, DistributedVirtualPortgroup's Destroy_Task):
//
//   - a host's config.network is its network system's networkInfo: a port group added or
//     removed shows in both;
//   - a port group is named per host: adding one named like a network the datacenter has
//     already (the same port group on another host of the cluster) joins that network (the
//     host is added to network.host, the network to host.network), and removing it from
//     one host leaves the network to the others; only the last one takes the network along;
//   - RemovePortGroup is refused with ResourceInUse while a VM on the host is connected to
//     the port group, and a distributed port group's Destroy_Task fails with ResourceInUse
//     while a VM is connected to it.
//
// govmomi v0.56.0 gives each HostNetworkSystem a networkInfo of its own, copied from the host
// when made, so host.config.network never changes; it makes a network for every port group
// and refuses (DuplicateName) the same name on a second host; it removes the network with
// the first host's port group, whoever else has it; it links neither host nor network to the
// other; it checks for no VMs (a port group removed under a VM leaves the VM's adapter on a
// network that no longer exists); and it panics on removing a port group that has no network
// object ("Management Network").

import (
	"net/http/httptest"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// hostNetworkSystem is a host's network system, with vCenter's port group rules; what it
// does not change it leaves to the simulator's own.
type hostNetworkSystem struct {
	*simulator.HostNetworkSystem
}

// AddPortGroup adds a port group, joining the datacenter's network of that name if there is
// one.
func (s *hostNetworkSystem) AddPortGroup(ctx *simulator.Context, req *types.AddPortGroup) soap.HasFault {
	name := req.Portgrp.Name
	vswitch := s.vswitch(req.Portgrp.VswitchName)
	if name == "" || vswitch == nil {
		return s.HostNetworkSystem.AddPortGroup(ctx, req) // InvalidArgument, NotFound
	}
	for _, pg := range s.NetworkInfo.Portgroup {
		if pg.Spec.Name == name {
			return &methods.AddPortGroupBody{Fault_: simulator.Fault("", &types.AlreadyExists{Name: name})}
		}
	}
	network := s.network(name)
	if network == nil {
		if _, taken := s.named(name).(*simulator.DistributedVirtualPortgroup); taken {
			return s.HostNetworkSystem.AddPortGroup(ctx, req) // DuplicateName
		}
		res := s.HostNetworkSystem.AddPortGroup(ctx, req)
		if res.Fault() == nil {
			s.link(ctx, s.network(name))
			s.mirror(ctx)
		}
		return res
	}
	vswitch.Portgroup = append(vswitch.Portgroup, name)
	s.NetworkInfo.Portgroup = append(s.NetworkInfo.Portgroup, types.HostPortGroup{
		Key:  "key-vim.host.PortGroup-" + name,
		Spec: req.Portgrp,
	})
	s.link(ctx, network)
	s.mirror(ctx)
	return &methods.AddPortGroupBody{Res: &types.AddPortGroupResponse{}}
}

// RemovePortGroup removes a port group no VM on the host is connected to; its network goes
// with the last host that has it.
func (s *hostNetworkSystem) RemovePortGroup(ctx *simulator.Context, req *types.RemovePortGroup) soap.HasFault {
	name := req.PgName
	index := -1
	for i, pg := range s.NetworkInfo.Portgroup {
		if pg.Spec.Name == name {
			index = i
		}
	}
	if index < 0 {
		return &methods.RemovePortGroupBody{Fault_: simulator.Fault("", &types.NotFound{})}
	}
	network := s.network(name)
	if network != nil && s.usedOnHost(ctx, network.Self) {
		return &methods.RemovePortGroupBody{Fault_: simulator.Fault(
			"The resource '"+name+"' is in use.",
			&types.ResourceInUse{Type: "Network", Name: name},
		)}
	}
	last := network != nil && len(otherHosts(network, s.Host.Self)) == 0
	if last && s.vswitchHolding(name) != nil {
		res := s.HostNetworkSystem.RemovePortGroup(ctx, req) // removes the network too
		if res.Fault() == nil {
			s.unlink(ctx, network)
			s.mirror(ctx)
		}
		return res
	}
	if vswitch := s.vswitchHolding(name); vswitch != nil {
		vswitch.Portgroup = removeString(vswitch.Portgroup, name)
	}
	s.NetworkInfo.Portgroup = append(s.NetworkInfo.Portgroup[:index:index], s.NetworkInfo.Portgroup[index+1:]...)
	if network != nil {
		s.unlink(ctx, network)
	}
	s.mirror(ctx)
	return &methods.RemovePortGroupBody{Res: &types.RemovePortGroupResponse{}}
}

func (s *hostNetworkSystem) vswitch(name string) *types.HostVirtualSwitch {
	for i := range s.NetworkInfo.Vswitch {
		if s.NetworkInfo.Vswitch[i].Name == name {
			return &s.NetworkInfo.Vswitch[i]
		}
	}
	return nil
}

func (s *hostNetworkSystem) vswitchHolding(portgroup string) *types.HostVirtualSwitch {
	for i := range s.NetworkInfo.Vswitch {
		for _, pg := range s.NetworkInfo.Vswitch[i].Portgroup {
			if pg == portgroup {
				return &s.NetworkInfo.Vswitch[i]
			}
		}
	}
	return nil
}

// named is the object of that name in the network folder of the host's datacenter, if any.
func (s *hostNetworkSystem) named(name string) mo.Entity {
	dc := datacenterOf(&s.Host.Self) // see tools.go
	if dc == nil {
		return nil
	}
	folder, ok := reg.Get(dc.NetworkFolder).(*simulator.Folder)
	if !ok {
		return nil
	}
	return reg.FindByName(name, folder.ChildEntity)
}

// network is the standard network of that name in the host's datacenter, if any.
func (s *hostNetworkSystem) network(name string) *mo.Network {
	network, _ := s.named(name).(*mo.Network)
	return network
}

// usedOnHost says whether a VM on the host has an adapter on the network.
func (s *hostNetworkSystem) usedOnHost(ctx *simulator.Context, network types.ManagedObjectReference) bool {
	for _, ref := range s.Host.Vm {
		if vmUses(ctx, ref, network) {
			return true
		}
	}
	return false
}

// link and unlink keep host.network and network.host in step with the host's port groups.
func (s *hostNetworkSystem) link(ctx *simulator.Context, network *mo.Network) {
	if network == nil {
		return
	}
	if host := reg.Get(s.Host.Self); host != nil {
		reg.AddReference(ctx, host, &s.Host.Network, network.Self)
	}
	reg.AddReference(ctx, network, &network.Host, s.Host.Self)
}

func (s *hostNetworkSystem) unlink(ctx *simulator.Context, network *mo.Network) {
	if host := reg.Get(s.Host.Self); host != nil {
		reg.RemoveReference(ctx, host, &s.Host.Network, network.Self)
	}
	reg.RemoveReference(ctx, network, &network.Host, s.Host.Self)
}

// mirror makes the host's config.network show the port groups its network system has, each
// standard switch listing its port groups by key, as ESXi does.
func (s *hostNetworkSystem) mirror(ctx *simulator.Context) {
	host := reg.Get(s.Host.Self)
	if host == nil || s.Host.Config == nil || s.Host.Config.Network == nil {
		return
	}
	ctx.WithLock(host, func() {
		config := s.Host.Config.Network
		config.Portgroup = append([]types.HostPortGroup(nil), s.NetworkInfo.Portgroup...)
		for i := range config.Vswitch {
			var keys []string
			for _, pg := range config.Portgroup {
				if pg.Spec.VswitchName == config.Vswitch[i].Name {
					keys = append(keys, pg.Key)
				}
			}
			config.Vswitch[i].Portgroup = keys
		}
	})
}

// dvPortgroupInUse is the fault of a Destroy_Task of a distributed port group that a VM is
// connected to (nil for anything else).
func dvPortgroupInUse(body []byte) types.BaseMethodFault {
	req, ok := decodeRequest(body).(*types.Destroy_Task)
	if !ok || req.This.Type != "DistributedVirtualPortgroup" {
		return nil
	}
	pg, ok := reg.Get(req.This).(*simulator.DistributedVirtualPortgroup)
	if !ok {
		return nil
	}
	ctx := newContext()
	for _, vm := range reg.AllReference("VirtualMachine") {
		if vmUses(ctx, vm.Reference(), req.This) {
			return &types.ResourceInUse{Type: "DistributedVirtualPortgroup", Name: pg.Name}
		}
	}
	return nil
}

// vmUses says whether a VM has an adapter on a network (its “network“ list).
func vmUses(ctx *simulator.Context, ref, network types.ManagedObjectReference) bool {
	vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return false
	}
	used := false
	ctx.WithLock(vm, func() {
		for _, net := range vm.Network {
			if net == network {
				used = true
			}
		}
	})
	return used
}

func otherHosts(network *mo.Network, host types.ManagedObjectReference) []types.ManagedObjectReference {
	var others []types.ManagedObjectReference
	for _, h := range network.Host {
		if h != host {
			others = append(others, h)
		}
	}
	return others
}

func removeString(values []string, value string) []string {
	var kept []string
	for _, v := range values {
		if v != value {
			kept = append(kept, v)
		}
	}
	return kept
}

// hostNetworkSystems puts vCenter's rules in place of every host's network system, for hosts
// there are and hosts added later.
type hostNetworkSystems struct{}

func installHostNetworkSystems() {
	for _, o := range reg.AllReference("HostNetworkSystem") {
		wrapNetworkSystem(o)
	}
	reg.AddHandler(hostNetworkSystems{})
}

func wrapNetworkSystem(o mo.Reference) {
	if s, ok := o.(*simulator.HostNetworkSystem); ok {
		reg.Put(&hostNetworkSystem{s}) // at the same reference
	}
}

// PutObject runs as an object is registered; a new host's network system is wrapped then.
func (hostNetworkSystems) PutObject(_ *simulator.Context, o mo.Reference) { wrapNetworkSystem(o) }
func (hostNetworkSystems) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {
}
func (hostNetworkSystems) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}

// Reference names the handler to the registry: it is no managed object.
func (hostNetworkSystems) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VmwSimHostNetworkSystems", Value: "hostNetworkSystems"}
}

// forgetPortgroup removes a destroyed distributed port group from the network lists of the
// hosts, compute resources and datacenters that name it, as vCenter does, and tells watchers.
// v0.56.0 removes it from its switch and folder only, so clients that read a cluster's
// networks (to offer them, or to map an OVF package's) meet a port group that is gone.
func forgetPortgroup(this types.ManagedObjectReference, rec *httptest.ResponseRecorder) {
	if this.Type != "DistributedVirtualPortgroup" {
		return
	}
	if _, ok := finishedTask(rec); !ok || reg.Get(this) != nil {
		return
	}
	for _, kind := range []string{"HostSystem", "ClusterComputeResource", "ComputeResource", "Datacenter"} {
		for _, obj := range reg.AllReference(kind) {
			var field *[]types.ManagedObjectReference
			switch o := obj.(type) {
			case *simulator.HostSystem:
				field = &o.Network
			case *simulator.ClusterComputeResource:
				field = &o.Network
			case *mo.ComputeResource:
				field = &o.Network
			case *simulator.Datacenter:
				field = &o.Network
			default:
				continue
			}
			ctx := newContext()
			ctx.WithLock(obj, func() {
				if simulator.FindReference(*field, this) == nil {
					return
				}
				simulator.RemoveReference(field, this)
				ctx.Update(obj, []types.PropertyChange{{Name: "network", Val: *field}})
			})
		}
	}
}
