package main

// Device labels as vCenter gives them: a VM's devices are labelled as people see them in the
// vSphere Client, "Hard disk 1", "Network adapter 2", "CD/DVD drive 1", "Floppy drive 1",
// "SCSI controller 0", "IDE 1", "SATA controller 0", "NVME controller 0" (disks, adapters and
// drives numbered from 1 in the order they were added, a number no other device of the kind
// has; controllers by their bus number). Clients name devices by these labels (PowerCLI's
// Get-HardDisk, govc's device.info, Ansible's vmware_guest_disk), and so do people.
//
// v0.56.0 labels the devices it makes with govmomi's own device names ("disk-202-0",
// "ethernet-0", "cdrom-3000"), unless the spec gives a label. Here a
// device whose label is that name is given vCenter's label: the generated inventory's VMs at
// start, and the VMs made or changed by CreateVM_Task, CloneVM_Task, ReconfigVM_Task and an
// import (at HttpNfcLeaseComplete). A loaded recording's labels, which are vCenter's, stay.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func init() {
	hooked["HttpNfcLeaseComplete"] = true // the imported VM's devices (see after in hooks.go)
}

// labelAllDevices gives every VM's devices vCenter's labels (see above).
func labelAllDevices() {
	for _, obj := range reg.All("VirtualMachine") {
		if vm, ok := obj.(*simulator.VirtualMachine); ok {
			labelDevices(vm.Self)
		}
	}
}

// labelDevices gives the VM's devices that carry govmomi's names vCenter's labels, and
// tells watchers when any changed.
func labelDevices(ref types.ManagedObjectReference) {
	vm, ok := reg.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	ctx := newContext()
	ctx.WithLock(vm, func() {
		if vm.Config == nil || !relabel(object.VirtualDeviceList(vm.Config.Hardware.Device)) {
			return
		}
		ctx.Update(vm, []types.PropertyChange{
			{Name: "config.hardware.device", Val: vm.Config.Hardware.Device},
		})
	})
}

// govmomiName matches the names govmomi gives devices (object.VirtualDeviceList.Name): the
// device's type, then its key ("ethernet-4000", "ethernet--7" for a key a spec gave), a
// disk's controller key and unit ("disk-202-0"). vCenter's labels start with a capital.
var govmomiName = regexp.MustCompile(`^[a-z]+(-[a-z]+)?-(-?[0-9]+)(-[0-9]+)?$`)

// relabel changes the labels that are govmomi's device names; whether any changed.
func relabel(devices object.VirtualDeviceList) bool {
	used := map[string]map[int]bool{}
	for _, device := range devices {
		if kind := numberedKind(device); kind != "" {
			if n, ok := labelNumber(device, kind); ok {
				if used[kind] == nil {
					used[kind] = map[int]bool{}
				}
				used[kind][n] = true
			}
		}
	}
	changed := false
	for _, device := range devices {
		d := device.GetVirtualDevice()
		if d.DeviceInfo == nil || !govmomiName.MatchString(d.DeviceInfo.GetDescription().Label) {
			continue
		}
		label := ""
		if kind := numberedKind(device); kind != "" {
			if used[kind] == nil {
				used[kind] = map[int]bool{}
			}
			n := 1
			for used[kind][n] {
				n++
			}
			used[kind][n] = true
			label = fmt.Sprintf("%s %d", kind, n)
		} else {
			label = controllerLabel(device)
		}
		if label != "" {
			d.DeviceInfo.GetDescription().Label = label
			changed = true
		}
	}
	return changed
}

// numberedKind is the label's stem of the devices vCenter numbers from 1, or "".
func numberedKind(device types.BaseVirtualDevice) string {
	switch device.(type) {
	case *types.VirtualDisk:
		return "Hard disk"
	case types.BaseVirtualEthernetCard:
		return "Network adapter"
	case *types.VirtualCdrom:
		return "CD/DVD drive"
	case *types.VirtualFloppy:
		return "Floppy drive"
	}
	return ""
}

// labelNumber is N of a device already labelled "<kind> N".
func labelNumber(device types.BaseVirtualDevice, kind string) (int, bool) {
	info := device.GetVirtualDevice().DeviceInfo
	if info == nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(info.GetDescription().Label, kind+" ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// controllerLabel is vCenter's label of a disk controller, by its bus number, or "".
func controllerLabel(device types.BaseVirtualDevice) string {
	controller, ok := device.(types.BaseVirtualController)
	if !ok {
		return ""
	}
	bus := controller.GetVirtualController().BusNumber
	switch device.(type) {
	case types.BaseVirtualSCSIController:
		return fmt.Sprintf("SCSI controller %d", bus)
	case *types.VirtualIDEController:
		return fmt.Sprintf("IDE %d", bus)
	case *types.VirtualAHCIController:
		return fmt.Sprintf("SATA controller %d", bus)
	case *types.VirtualNVMEController:
		return fmt.Sprintf("NVME controller %d", bus)
	}
	return ""
}

// labelImported labels the devices of the VM an import lease made, now that it is complete.
func labelImported(lease types.ManagedObjectReference) {
	found, ok := importLeases.Load(lease.Value)
	if !ok {
		return
	}
	for _, vm := range vmsNamed(found.(importLease).vm) {
		labelDevices(vm)
	}
}
