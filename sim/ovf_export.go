package main

// OVF export, which v0.56.0 lacks: ExportVm (MethodNotFound upstream) hands out an
// HttpNfcLease whose device URLs serve the VM's disks, and OvfManager.CreateDescriptor
// (MethodNotFound upstream) writes the OVF descriptor of a VM, as vCenter does, so that a
// client can export a VM and deploy the package again (vSphere API reference,
// VirtualMachine.ExportVm, OvfManager.CreateDescriptor).
//
// The simulator keeps no disk contents (an import's uploads are hashed, not stored), so a
// disk is served as what an empty disk of its capacity exports as: a stream-optimized VMDK
// header, its descriptor and the end-of-stream marker.

import (
	"bytes"
	"encoding/binary"
	stdxml "encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const exportPath = "/nfc-export/"

// exportLeases: lease id -> the disks it serves (file name -> capacity in bytes). Like the
// simulator's own NFC URLs, these need no session: the lease id is the ticket.
var exportLeases sync.Map

// exportLease is the HttpNfcLease of an ExportVm call: the simulator dispatches the lease's
// methods to it by name, as to its own objects.
type exportLease struct {
	mo.HttpNfcLease
}

func (l *exportLease) end(ctx *simulator.Context) {
	exportLeases.Delete(l.Self.Value)
	ctx.Map.Remove(ctx, l.Self)
}

func (l *exportLease) HttpNfcLeaseComplete(ctx *simulator.Context, req *types.HttpNfcLeaseComplete) soap.HasFault {
	l.end(ctx)
	return &methods.HttpNfcLeaseCompleteBody{Res: new(types.HttpNfcLeaseCompleteResponse)}
}

func (l *exportLease) HttpNfcLeaseAbort(ctx *simulator.Context, req *types.HttpNfcLeaseAbort) soap.HasFault {
	l.end(ctx)
	return &methods.HttpNfcLeaseAbortBody{Res: new(types.HttpNfcLeaseAbortResponse)}
}

func (l *exportLease) HttpNfcLeaseProgress(ctx *simulator.Context, req *types.HttpNfcLeaseProgress) soap.HasFault {
	ctx.WithLock(l, func() {
		ctx.Update(l, []types.PropertyChange{{Name: "transferProgress", Val: req.Percent}})
	})
	return &methods.HttpNfcLeaseProgressBody{Res: new(types.HttpNfcLeaseProgressResponse)}
}

// exportDisks are a VM's disks in device order, each with the key ExportVm's device URLs
// and CreateDescriptor's ovfFiles name it by.
func exportDisks(vm *simulator.VirtualMachine) ([]string, []*types.VirtualDisk) {
	var keys []string
	var disks []*types.VirtualDisk
	for _, d := range vm.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			keys = append(keys, fmt.Sprintf("/%s/disk:%d", vm.Self.Value, len(disks)))
			disks = append(disks, disk)
		}
	}
	return keys, disks
}

func diskBytes(disk *types.VirtualDisk) int64 {
	if disk.CapacityInBytes > 0 {
		return disk.CapacityInBytes
	}
	return disk.CapacityInKB * 1024
}

// exportVM answers ExportVm: a lease, ready at once, with one device URL per disk. The URLs
// name the host "*" (the host the client reached), as the API reference allows.
func (e *extensions) exportVM(vm *simulator.VirtualMachine) (interface{}, types.BaseMethodFault) {
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		return nil, &types.InvalidPowerState{
			RequestedState: types.VirtualMachinePowerStatePoweredOff,
			ExistingState:  vm.Runtime.PowerState,
		}
	}
	lease := &exportLease{}
	lease.Self = types.ManagedObjectReference{Type: "HttpNfcLease"}
	reg.Put(lease)
	keys, disks := exportDisks(vm)
	files := map[string]int64{}
	var urls []types.HttpNfcLeaseDeviceUrl
	var total int64
	scheme := "http"
	if u := serverURL(); strings.HasPrefix(u, "https") {
		scheme = "https"
	}
	for i, disk := range disks {
		name := fmt.Sprintf("disk-%d.vmdk", i)
		files[name] = diskBytes(disk)
		total += diskBytes(disk)
		urls = append(urls, types.HttpNfcLeaseDeviceUrl{
			Key:       keys[i],
			ImportKey: keys[i],
			Url:       fmt.Sprintf("%s://*%s%s/%s", scheme, exportPath, lease.Self.Value, name),
			Disk:      types.NewBool(true),
			TargetId:  name,
		})
	}
	exportLeases.Store(lease.Self.Value, files)
	ctx := newContext()
	ctx.WithLock(lease, func() {
		ctx.Update(lease, []types.PropertyChange{
			{Name: "initializeProgress", Val: int32(100)},
			{Name: "mode", Val: string(types.HttpNfcLeaseModePushOrGet)},
			{Name: "info", Val: &types.HttpNfcLeaseInfo{
				Lease:                 lease.Self,
				Entity:                vm.Self,
				DeviceUrl:             urls,
				TotalDiskCapacityInKB: total / 1024,
				LeaseTimeout:          300,
			}},
			{Name: "state", Val: types.HttpNfcLeaseStateReady},
		})
	})
	return types.ExportVmResponse{Returnval: lease.Self}, nil
}

func serverURL() string {
	for _, o := range reg.OptionManager().Setting {
		if v := o.GetOptionValue(); v.Key == "vcsim.server.url" {
			if s, ok := v.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// serveExport answers a GET of an export lease's disk.
func serveExport(w http.ResponseWriter, r *http.Request) {
	p := strings.Split(strings.TrimPrefix(r.URL.Path, exportPath), "/")
	if r.Method != http.MethodGet || len(p) != 2 {
		http.NotFound(w, r)
		return
	}
	files, ok := exportLeases.Load(p[0])
	if !ok {
		http.NotFound(w, r)
		return
	}
	capacity, ok := files.(map[string]int64)[p[1]]
	if !ok {
		http.NotFound(w, r)
		return
	}
	body := emptyStreamVMDK(capacity)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(body)
}

// emptyStreamVMDK is a stream-optimized VMDK of an empty disk (VMware's Virtual Disk Format
// 5.0): the sparse extent header, the embedded descriptor, and the end-of-stream marker.
func emptyStreamVMDK(capacity int64) []byte {
	sectors := uint64((capacity + 511) / 512)
	descriptor := fmt.Sprintf("# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"+
		"createType=\"streamOptimized\"\n\nRW %d SPARSE \"disk.vmdk\"\n\n"+
		"ddb.adapterType = \"lsilogic\"\nddb.virtualHWVersion = \"4\"\n", sectors)
	var b bytes.Buffer
	header := struct {
		Magic, Version, Flags                     uint32
		Capacity, GrainSize, DescOffset, DescSize uint64
		NumGTEsPerGT                              uint32
		RgdOffset, GdOffset, OverHead             uint64
		UncleanShutdown                           uint8
		Newline                                   [4]byte
		Compression                               uint16
	}{0x564d444b, 3, 0x30001, sectors, 128, 1, 1, 512, 0, 0xffffffffffffffff, 2, 0,
		[4]byte{'\n', ' ', '\r', '\n'}, 1}
	_ = binary.Write(&b, binary.LittleEndian, header)
	b.Write(make([]byte, 512-b.Len()))
	desc := make([]byte, 512)
	copy(desc, descriptor)
	b.Write(desc)
	b.Write(make([]byte, 512)) // end-of-stream marker
	return b.Bytes()
}

// createDescriptor answers OvfManager.CreateDescriptor for a VM: its CPUs, memory, disk
// controllers, disks (each with the file ovfFiles names for it) and network adapters.
func createDescriptor(body []byte) (interface{}, types.BaseMethodFault) {
	req, ok := decodeRequest(body).(*types.CreateDescriptor)
	if !ok {
		return nil, &types.InvalidRequest{}
	}
	vm, ok := reg.Get(req.Obj).(*simulator.VirtualMachine)
	if !ok {
		return nil, &types.ManagedObjectNotFound{Obj: req.Obj}
	}
	text, err := describeVM(vm, req.Cdp)
	if err != nil {
		return nil, &types.InvalidArgument{InvalidProperty: err.Error()}
	}
	return types.CreateDescriptorResponse{Returnval: types.OvfCreateDescriptorResult{OvfDescriptor: text}}, nil
}

type ovfItem struct {
	ID, Type, SubType, Name, Quantity, Units, Parent, Address, HostResource, Connection string
}

type ovfDisk struct {
	ID, FileID, Href string
	Size, Capacity   int64
}

func describeVM(vm *simulator.VirtualMachine, cdp types.OvfCreateDescriptorParams) (string, error) {
	devices := object.VirtualDeviceList(vm.Config.Hardware.Device)
	hw := vm.Config.Hardware
	items := []ovfItem{
		{ID: "1", Type: "3", Name: fmt.Sprintf("%d virtual CPU(s)", hw.NumCPU), Quantity: fmt.Sprint(hw.NumCPU), Units: "hertz * 10^6"},
		{ID: "2", Type: "4", Name: fmt.Sprintf("%dMB of memory", hw.MemoryMB), Quantity: fmt.Sprint(hw.MemoryMB), Units: "byte * 2^20"},
	}
	files := map[string]types.OvfFile{}
	for _, f := range cdp.OvfFiles {
		files[f.DeviceId] = f
	}
	next := 3
	controllers := map[int32]string{}
	keys, disks := exportDisks(vm)
	var ovfDisks []ovfDisk
	for i, disk := range disks {
		parent, ok := controllers[disk.ControllerKey]
		if !ok {
			c := devices.FindByKey(disk.ControllerKey)
			kind := ""
			switch c.(type) {
			case types.BaseVirtualSCSIController:
				kind = "6"
			case *types.VirtualIDEController:
				kind = "5"
			default:
				continue // SATA and NVMe disks are left out
			}
			parent = fmt.Sprint(next)
			next++
			controllers[disk.ControllerKey] = parent
			items = append(items, ovfItem{ID: parent, Type: kind, SubType: devices.Type(c),
				Name: devices.Name(c), Address: fmt.Sprint(c.(types.BaseVirtualController).GetVirtualController().BusNumber)})
		}
		d := ovfDisk{ID: fmt.Sprintf("vmdisk%d", i+1), Capacity: diskBytes(disk)}
		if f, ok := files[keys[i]]; ok {
			d.FileID, d.Href, d.Size = fmt.Sprintf("file%d", i+1), f.Path, f.Size
		}
		ovfDisks = append(ovfDisks, d)
		unit := int32(0)
		if disk.UnitNumber != nil {
			unit = *disk.UnitNumber
		}
		items = append(items, ovfItem{ID: fmt.Sprint(next), Type: "17", Name: fmt.Sprintf("Hard disk %d", i+1),
			Parent: parent, Address: fmt.Sprint(unit), HostResource: "ovf:/disk/" + d.ID})
		next++
	}
	networks := []string{}
	for n, d := range devices.SelectByType((*types.VirtualEthernetCard)(nil)) {
		name := networkName(d.GetVirtualDevice().Backing)
		if !slices.Contains(networks, name) {
			networks = append(networks, name)
		}
		items = append(items, ovfItem{ID: fmt.Sprint(next), Type: "10", SubType: nicType(devices, d),
			Name: fmt.Sprintf("Network adapter %d", n+1), Connection: name})
		next++
	}
	name := cdp.Name
	if name == "" {
		name = vm.Name
	}
	var out bytes.Buffer
	err := descriptorTemplate.Execute(&out, map[string]interface{}{
		"Name": name, "Disks": ovfDisks, "Networks": networks, "Items": items,
		"Version": vm.Config.Version, "GuestId": vm.Config.GuestId,
	})
	return out.String(), err
}

func nicType(devices object.VirtualDeviceList, d types.BaseVirtualDevice) string {
	name := devices.TypeName(d) // VirtualVmxnet3, VirtualE1000e, ...
	return strings.TrimPrefix(name, "Virtual")
}

func networkName(backing types.BaseVirtualDeviceBackingInfo) string {
	switch b := backing.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		return b.DeviceName
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		for _, o := range reg.All("DistributedVirtualPortgroup") {
			if pg, ok := o.(*simulator.DistributedVirtualPortgroup); ok && pg.Key == b.Port.PortgroupKey {
				return pg.Name
			}
		}
	}
	return "VM Network"
}

var descriptorTemplate = template.Must(template.New("ovf").Funcs(template.FuncMap{"x": xmlText}).Parse(
	`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
{{- range .Disks}}{{if .Href}}
    <File ovf:id="{{.FileID}}" ovf:href="{{x .Href}}" ovf:size="{{.Size}}"/>
{{- end}}{{end}}
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
{{- range .Disks}}
    <Disk ovf:diskId="{{.ID}}"{{if .FileID}} ovf:fileRef="{{.FileID}}"{{end}} ovf:capacity="{{.Capacity}}" ovf:capacityAllocationUnits="byte" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
{{- end}}
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
{{- range .Networks}}
    <Network ovf:name="{{x .}}">
      <Description>The {{x .}} network</Description>
    </Network>
{{- end}}
  </NetworkSection>
  <VirtualSystem ovf:id="{{x .Name}}">
    <Info>A virtual machine</Info>
    <Name>{{x .Name}}</Name>
    <OperatingSystemSection ovf:id="1" vmw:osType="{{x .GuestId}}">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{{x .Name}}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>{{x .Version}}</vssd:VirtualSystemType>
      </System>
{{- range .Items}}
      <Item>
{{- if .Address}}
        <rasd:{{if eq .Type "17"}}AddressOnParent{{else}}Address{{end}}>{{.Address}}</rasd:{{if eq .Type "17"}}AddressOnParent{{else}}Address{{end}}>
{{- end}}
{{- if .Units}}
        <rasd:AllocationUnits>{{.Units}}</rasd:AllocationUnits>
{{- end}}
{{- if .Connection}}
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>{{x .Connection}}</rasd:Connection>
{{- end}}
        <rasd:ElementName>{{x .Name}}</rasd:ElementName>
{{- if .HostResource}}
        <rasd:HostResource>{{.HostResource}}</rasd:HostResource>
{{- end}}
        <rasd:InstanceID>{{.ID}}</rasd:InstanceID>
{{- if .Parent}}
        <rasd:Parent>{{.Parent}}</rasd:Parent>
{{- end}}
{{- if .SubType}}
        <rasd:ResourceSubType>{{x .SubType}}</rasd:ResourceSubType>
{{- end}}
        <rasd:ResourceType>{{.Type}}</rasd:ResourceType>
{{- if .Quantity}}
        <rasd:VirtualQuantity>{{.Quantity}}</rasd:VirtualQuantity>
{{- end}}
      </Item>
{{- end}}
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`))

func xmlText(s string) string {
	var b bytes.Buffer
	_ = stdxml.EscapeText(&b, []byte(s))
	return b.String()
}
