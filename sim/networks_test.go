package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// withNetworkRules runs f on a fresh vCenter model whose hosts' network systems follow
// vCenter's port group rules (networks.go).
func withNetworkRules(t *testing.T, f func(ctx context.Context, c *vim25.Client)) {
	t.Helper()
	model := simulator.VPX()
	model.Host = 0 // the cluster's hosts only
	if err := model.Create(); err != nil {
		t.Fatal(err)
	}
	saved := reg
	reg = model.Map()
	defer func() { reg = saved }()
	installHostNetworkSystems()
	err := model.Run(func(ctx context.Context, c *vim25.Client) error {
		f(ctx, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func hostPortgroups(ctx context.Context, t *testing.T, c *vim25.Client, host *object.HostSystem) (names, keys []string) {
	t.Helper()
	var h mo.HostSystem
	if err := host.Properties(ctx, host.Reference(), []string{"config"}, &h); err != nil {
		t.Fatal(err)
	}
	for _, pg := range h.Config.Network.Portgroup {
		names = append(names, pg.Spec.Name)
	}
	for _, vswitch := range h.Config.Network.Vswitch {
		keys = append(keys, vswitch.Portgroup...)
	}
	return names, keys
}

func holds(values []string, value string) bool {
	for _, v := range values {
		if v == value {
			return true
		}
	}
	return false
}

func networksNamed(name string) []mo.Network {
	var found []mo.Network
	for _, o := range reg.All("Network") {
		if n, ok := o.(*mo.Network); ok && n.Name == name {
			found = append(found, *n)
		}
	}
	return found
}

func TestPortgroupsAsVCenterKeepsThem(t *testing.T) {
	withNetworkRules(t, func(ctx context.Context, c *vim25.Client) {
		hosts, err := find.NewFinder(c).HostSystemList(ctx, "*")
		if err != nil || len(hosts) < 2 {
			t.Fatalf("hosts: %v (%d)", err, len(hosts))
		}
		// The first host is one with a VM on it.
		vm := o2vm(reg.All("VirtualMachine")[0])
		for i, h := range hosts {
			if h.Reference() == *vm.Runtime.Host {
				hosts[0], hosts[i] = hosts[i], hosts[0]
			}
		}
		systems := make([]*object.HostNetworkSystem, 2)
		for i := range systems {
			if systems[i], err = hosts[i].ConfigManager().NetworkSystem(ctx); err != nil {
				t.Fatal(err)
			}
		}
		spec := types.HostPortGroupSpec{Name: "pg-t", VswitchName: "vSwitch0", VlanId: 7, Policy: types.HostNetworkPolicy{}}

		// Shown in the host's config.network, listed by key on its switch.
		if err := systems[0].AddPortGroup(ctx, spec); err != nil {
			t.Fatal(err)
		}
		names, keys := hostPortgroups(ctx, t, c, hosts[0])
		if !holds(names, "pg-t") || !holds(keys, "key-vim.host.PortGroup-pg-t") {
			t.Errorf("config.network after AddPortGroup: port groups %v, switch keys %v", names, keys)
		}
		if err := systems[0].AddPortGroup(ctx, spec); !isFault(err, "AlreadyExists") {
			t.Errorf("the same port group twice on a host: %v, want AlreadyExists", err)
		}

		// The same name on a second host joins the network.
		if err := systems[1].AddPortGroup(ctx, spec); err != nil {
			t.Fatalf("the same port group on a second host: %v", err)
		}
		nets := networksNamed("pg-t")
		if len(nets) != 1 || len(nets[0].Host) != 2 {
			t.Fatalf("networks named pg-t: %d, hosts %v; want one network of both hosts", len(nets), nets)
		}

		// Removed from one host, the network stays with the other.
		if err := systems[1].RemovePortGroup(ctx, "pg-t"); err != nil {
			t.Fatal(err)
		}
		if nets := networksNamed("pg-t"); len(nets) != 1 || len(nets[0].Host) != 1 {
			t.Fatalf("after one host's removal: %v; want the network, of one host", nets)
		}
		if names, _ := hostPortgroups(ctx, t, c, hosts[1]); holds(names, "pg-t") {
			t.Errorf("config.network after RemovePortGroup still has pg-t: %v", names)
		}

		// In use by a VM on the host: refused.
		network := nets[0].Self
		newContext().WithLock(vm, func() { vm.Network = append(vm.Network, network) })
		if err := systems[0].RemovePortGroup(ctx, "pg-t"); !isFault(err, "ResourceInUse") {
			t.Errorf("removing a port group a VM uses: %v, want ResourceInUse", err)
		}
		newContext().WithLock(vm, func() { vm.Network = vm.Network[:len(vm.Network)-1] })

		// The last one takes the network along.
		if err := systems[0].RemovePortGroup(ctx, "pg-t"); err != nil {
			t.Fatal(err)
		}
		if nets := networksNamed("pg-t"); len(nets) != 0 {
			t.Errorf("after the last host's removal: %v; want no network", nets)
		}

		// A port group without a network object goes without a panic.
		if err := systems[0].RemovePortGroup(ctx, "Management Network"); err != nil {
			t.Errorf("removing Management Network: %v", err)
		}
	})
}

func TestDestroyingADistributedPortgroupInUse(t *testing.T) {
	withNetworkRules(t, func(ctx context.Context, c *vim25.Client) {
		var pg *simulator.DistributedVirtualPortgroup
		for _, o := range reg.All("DistributedVirtualPortgroup") {
			if p, ok := o.(*simulator.DistributedVirtualPortgroup); ok && (p.Config.Uplink == nil || !*p.Config.Uplink) {
				pg = p
			}
		}
		if pg == nil {
			t.Fatal("no distributed port group")
		}
		body := []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+
			`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">`+
			`<soapenv:Body><Destroy_Task xmlns="urn:vim25">`+
			`<_this type="DistributedVirtualPortgroup">%s</_this>`+
			`</Destroy_Task></soapenv:Body></soapenv:Envelope>`, pg.Self.Value))
		for _, o := range reg.All("VirtualMachine") {
			vm := o.(*simulator.VirtualMachine)
			newContext().WithLock(vm, func() { vm.Network = nil })
		}
		if fault := dvPortgroupInUse(body); fault != nil {
			t.Errorf("no VM on it: %#v, want none", fault)
		}
		vm := o2vm(reg.All("VirtualMachine")[0])
		newContext().WithLock(vm, func() { vm.Network = append(vm.Network, pg.Self) })
		if _, ok := dvPortgroupInUse(body).(*types.ResourceInUse); !ok {
			t.Error("a VM on it: want ResourceInUse")
		}
	})
}

func o2vm(o mo.Entity) *simulator.VirtualMachine { return o.(*simulator.VirtualMachine) }

// isFault says whether err is a vSphere fault of that type.
func isFault(err error, name string) bool {
	if err == nil || !soap.IsSoapFault(err) {
		return false
	}
	fault := soap.ToSoapFault(err).VimFault()
	return fault != nil && fmt.Sprintf("%T", fault) == "types."+name
}
