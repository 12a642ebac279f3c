package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// The simulator's model makes its VMs one at a time, and waits for each VM's create task
// and power-on task through a property collector that looks for changes every 20 ms: about
// 35 ms a VM, so 6 minutes for 10,000 VMs and half an hour for 50,000. Large inventories are
// made here instead: the model makes the first VM of each pool (so that its placement,
// devices and network are the model's own), and the others are created like it, many at a
// time. Small inventories are left entirely to the model, VM ids and all.
const (
	populateAbove   = 50 // VMs per pool from which the VMs are made here
	populateWorkers = 32 // creations in flight at once (each mostly waits for its tasks)
)

// populate makes VMs 1 to perPool-1 of each pool beside the VM 0 that the model made, with
// the same names the model would give them (DC0_C0_RP0_VM1, ...).
func populate(model *simulator.Model, perPool int) error {
	client, err := vim25.NewClient(context.Background(), model.Service)
	if err != nil {
		return err
	}
	type job struct {
		first *simulator.VirtualMachine
		name  string
	}
	jobs := make(chan job)
	errs := make(chan error, populateWorkers)
	var wg sync.WaitGroup
	for i := 0; i < populateWorkers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := createLike(client, j.first, j.name); err != nil {
					select {
					case errs <- fmt.Errorf("creating %s: %v", j.name, err):
					default:
					}
				}
			}
		}()
	}
	for _, first := range firstVMs() {
		prefix := strings.TrimSuffix(first.Name, "0")
		for i := 1; i < perPool; i++ {
			jobs <- job{first, fmt.Sprintf("%s%d", prefix, i)}
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// firstVMs are the VMs the model made, one per pool ("..._VM0").
func firstVMs() []*simulator.VirtualMachine {
	var found []*simulator.VirtualMachine
	for _, ref := range reg.All("VirtualMachine") {
		if vm, ok := ref.(*simulator.VirtualMachine); ok && strings.HasSuffix(vm.Name, "_VM0") {
			found = append(found, vm)
		}
	}
	return found
}

// createLike creates a VM named name in the folder, pool and (for a standalone host) host of
// first, with first's own devices (controllers, disk, CD-ROM, NIC) and power state.
func createLike(client *vim25.Client, first *simulator.VirtualMachine, name string) error {
	ctx := context.Background()
	spec := types.VirtualMachineConfigSpec{
		Name:    name,
		GuestId: first.Config.GuestId,
		Files:   &types.VirtualMachineFileInfo{VmPathName: datastoreOf(first.Config.Files.VmPathName)},
	}
	spec.DeviceChange = addedDevices(first, name)
	req := types.CreateVM_Task{This: *first.Parent, Config: spec, Pool: *first.ResourcePool}
	if host := first.Runtime.Host; host != nil && !inCluster(*host) {
		req.Host = host
	}
	res, err := methods.CreateVM_Task(ctx, client, &req)
	if err != nil {
		return err
	}
	if err := taskFailure(res.Returnval); err != nil {
		return err
	}
	if first.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		return nil
	}
	vm, ok := reg.Get(res.Returnval).(*simulator.Task).Info.Result.(types.ManagedObjectReference)
	if !ok {
		return fmt.Errorf("task %s made no VM", res.Returnval)
	}
	on, err := methods.PowerOnVM_Task(ctx, client, &types.PowerOnVM_Task{This: vm})
	if err != nil {
		return err
	}
	return taskFailure(on.Returnval)
}

// addedDevices are the devices of first that a VM is not created with anyway (its
// controllers, disk, CD-ROM and NIC), as additions for a VM named name: new keys, the disk
// in the new VM's folder, and a MAC address of its own.
func addedDevices(first *simulator.VirtualMachine, name string) []types.BaseVirtualDeviceConfigSpec {
	keys := map[int32]int32{}
	var added []types.BaseVirtualDevice
	for _, d := range first.Config.Hardware.Device {
		switch d.(type) {
		case *types.ParaVirtualSCSIController, *types.VirtualLsiLogicController,
			*types.VirtualCdrom, *types.VirtualDisk:
		default:
			if _, nic := d.(types.BaseVirtualEthernetCard); !nic {
				continue
			}
		}
		device := copyDevice(d)
		v := device.GetVirtualDevice()
		keys[v.Key] = -int32(len(keys) + 1)
		added = append(added, device)
	}
	var changes []types.BaseVirtualDeviceConfigSpec
	for _, device := range added {
		v := device.GetVirtualDevice()
		v.Key = keys[v.Key]
		if k, ok := keys[v.ControllerKey]; ok {
			v.ControllerKey = k
		}
		switch d := device.(type) {
		case *types.VirtualDisk:
			if b, ok := d.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
				backing := *b
				backing.FileName = strings.Replace(b.FileName, first.Name+"/", name+"/", 1)
				backing.Uuid = ""
				d.Backing = &backing
			}
		case types.BaseVirtualEthernetCard:
			card := d.GetVirtualEthernetCard()
			card.MacAddress = ""
			card.AddressType = string(types.VirtualEthernetCardMacTypeGenerated)
		}
		change := &types.VirtualDeviceConfigSpec{
			Operation: types.VirtualDeviceConfigSpecOperationAdd,
			Device:    device,
		}
		if _, disk := device.(*types.VirtualDisk); disk {
			change.FileOperation = types.VirtualDeviceConfigSpecFileOperationCreate
		}
		changes = append(changes, change)
	}
	return changes
}

// copyDevice is a shallow copy of a device of one of the kinds addedDevices keeps: enough,
// since what it changes (keys, the disk's backing, the MAC address) it replaces.
func copyDevice(d types.BaseVirtualDevice) types.BaseVirtualDevice {
	switch v := d.(type) {
	case *types.ParaVirtualSCSIController:
		c := *v
		c.Device = nil
		return &c
	case *types.VirtualLsiLogicController:
		c := *v
		c.Device = nil
		return &c
	case *types.VirtualCdrom:
		c := *v
		return &c
	case *types.VirtualDisk:
		c := *v
		return &c
	case *types.VirtualE1000:
		c := *v
		return &c
	case *types.VirtualE1000e:
		c := *v
		return &c
	case *types.VirtualVmxnet3:
		c := *v
		return &c
	}
	return d
}

// datastoreOf is the "[datastore]" part of a datastore path.
func datastoreOf(path string) string {
	if i := strings.Index(path, "]"); i >= 0 {
		return path[:i+1]
	}
	return path
}

// inCluster says whether a host belongs to a cluster (the model places cluster VMs by pool
// alone, and standalone-host VMs on their host).
func inCluster(ref types.ManagedObjectReference) bool {
	host, ok := reg.Get(ref).(*simulator.HostSystem)
	if !ok || host.Parent == nil {
		return false
	}
	return host.Parent.Type == "ClusterComputeResource"
}
