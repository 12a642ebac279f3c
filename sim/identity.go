package main

import (
	"crypto/rand"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// Every VM that vCenter makes (created, cloned, deployed) gets a random BIOS uuid and instance
// uuid unless the spec gives them, and each of its NICs a MAC address of its own from
// VMware's OUI 00:50:56, in the range vCenter assigns from (00:50:56:80:00:00 to
// 00:50:56:BF:FF:FF; addressType "assigned"), unless the spec gives one. v0.56 derives both
// uuids from the VM's .vmx path, so a VM made again under the same name gets the same uuids
// again, and its MAC is VMware's ESXi OUI 00:0C:29 followed by the last three characters of
// the uuid's text (not its bytes): VMs share MAC addresses, and a clone keeps its source's.
// Clients that key on them (inventories, DHCP reservations, CMDBs) then take two VMs for one.

// macs are the MAC addresses in use, and by which VM.
var macs = struct {
	sync.Mutex
	owner map[string]types.ManagedObjectReference
}{owner: make(map[string]types.ManagedObjectReference)}

// newAssignedMAC returns an unused MAC address of vCenter's assigned range, taken for vm.
func newAssignedMAC(vm types.ManagedObjectReference) string {
	macs.Lock()
	defer macs.Unlock()
	for {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		mac := net.HardwareAddr{0x00, 0x50, 0x56, 0x80 | b[0]&0x3f, b[1], b[2]}.String()
		if _, taken := macs.owner[mac]; !taken {
			macs.owner[mac] = vm
			return mac
		}
	}
}

// claimMAC notes a MAC address that a VM has from its spec (or its recording).
func claimMAC(vm types.ManagedObjectReference, mac string) {
	macs.Lock()
	macs.owner[strings.ToLower(mac)] = vm
	macs.Unlock()
}

// ownsMAC tells whether a MAC address is one this program gave, or saw given, to vm.
func ownsMAC(vm types.ManagedObjectReference, mac string) bool {
	macs.Lock()
	defer macs.Unlock()
	owner, ok := macs.owner[strings.ToLower(mac)]
	return ok && owner == vm
}

// newRandomUUID returns a random (version 4) uuid.
func newRandomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// identityRequest says what of a VM's identity its spec gave: then it is kept as it is.
type identityRequest struct {
	uuid, instanceUUID bool            // keep the uuids (given, or the VM is not new)
	macs               map[string]bool // MAC addresses given, lower case
}

// specMACs are the MAC addresses a spec's device changes give. A NIC with addressType
// "generated" or "assigned" asks for an address and gets a new one whatever it holds: clients
// that edit a clone's NIC send the source's NIC back, MAC address and all.
func specMACs(changes []types.BaseVirtualDeviceConfigSpec) map[string]bool {
	given := map[string]bool{}
	for _, c := range changes {
		spec := c.GetVirtualDeviceConfigSpec()
		if nic, ok := spec.Device.(types.BaseVirtualEthernetCard); ok {
			card := nic.GetVirtualEthernetCard()
			if card.MacAddress != "" && (card.AddressType == "" || card.AddressType == string(types.VirtualEthernetCardMacTypeManual)) {
				given[strings.ToLower(card.MacAddress)] = true
			}
		}
	}
	return given
}

// giveIdentity gives a VM the uuids and MAC addresses vCenter would (see above), keeping
// what the request gave, and tells watchers. A NIC keeps a MAC address this program gave it
// before, so a reconfiguration changes only the MACs of new NICs.
func giveIdentity(ref types.ManagedObjectReference, keep identityRequest) {
	vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	ctx := newContext()
	ctx.WithLock(vm, func() {
		if vm.Config == nil {
			return
		}
		var changes []types.PropertyChange
		if !keep.uuid {
			id := newRandomUUID()
			vm.Config.Uuid, vm.Summary.Config.Uuid = id, id
			changes = append(changes,
				types.PropertyChange{Name: "config.uuid", Val: id},
				types.PropertyChange{Name: "summary.config.uuid", Val: id})
		}
		if !keep.instanceUUID {
			id := newRandomUUID()
			vm.Config.InstanceUuid, vm.Summary.Config.InstanceUuid = id, id
			changes = append(changes,
				types.PropertyChange{Name: "config.instanceUuid", Val: id},
				types.PropertyChange{Name: "summary.config.instanceUuid", Val: id})
		}
		devicesChanged := false
		for _, device := range vm.Config.Hardware.Device {
			nic, ok := device.(types.BaseVirtualEthernetCard)
			if !ok {
				continue
			}
			card := nic.GetVirtualEthernetCard()
			old := strings.ToLower(card.MacAddress)
			if old != "" && (keep.macs[old] || ownsMAC(ref, old) ||
				card.AddressType == string(types.VirtualEthernetCardMacTypeManual)) {
				claimMAC(ref, old)
				continue
			}
			card.MacAddress = newAssignedMAC(ref)
			card.AddressType = string(types.VirtualEthernetCardMacTypeAssigned)
			devicesChanged = true
			for i := range vm.Guest.Net {
				if vm.Guest.Net[i].DeviceConfigId == card.Key {
					vm.Guest.Net[i].MacAddress = card.MacAddress
				}
			}
		}
		if devicesChanged {
			changes = append(changes,
				types.PropertyChange{Name: "config.hardware.device", Val: vm.Config.Hardware.Device},
				types.PropertyChange{Name: "guest.net", Val: vm.Guest.Net})
		}
		if len(changes) > 0 {
			ctx.Update(vm, changes)
		}
	})
}

// giveIdentities gives the VMs of a generated inventory their identities, before anyone
// connects; a loaded recording's VMs keep theirs (a real vCenter's), and their MAC addresses
// are noted so that new VMs get others.
func giveIdentities(generated bool) {
	for _, obj := range reg.All("VirtualMachine") {
		vm, ok := obj.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		if generated {
			giveIdentity(vm.Self, identityRequest{})
			continue
		}
		ctx := newContext()
		ctx.WithLock(vm, func() {
			if vm.Config == nil {
				return
			}
			for _, device := range vm.Config.Hardware.Device {
				if nic, ok := device.(types.BaseVirtualEthernetCard); ok && nic.GetVirtualEthernetCard().MacAddress != "" {
					claimMAC(vm.Self, nic.GetVirtualEthernetCard().MacAddress)
				}
			}
		})
	}
}
