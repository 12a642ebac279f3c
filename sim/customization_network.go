package main

import (
	"net"
	"net/http/httptest"
	"strconv"

	"github.com/vmware/govmomi/vim25/types"
)

// reportCustomizedNetwork completes what a customized guest's VMware Tools report about its
// NICs. Upstream (v0.56, VirtualMachine.customize) applies of each NIC's settings
// (CustomizationSpec.nicSettingMap) only the fixed IPv4 address, without its prefix length,
// and the DNS servers. A real guest configured so reports, in guest.net and guest.ipStack:
//
//   - each static address with its prefix length and origin "manual", IPv4
//     (CustomizationFixedIp and subnetMask) and IPv6 (ipV6Spec, CustomizationFixedIpV6);
//   - DHCP (CustomizationDhcpIpGenerator, CustomizationDhcpIpV6Generator) as enabled in
//     the NIC's ipConfig.dhcp;
//   - its default routes (gateway, ipV6Spec.gateway) in guest.ipStack[0].ipRouteConfig,
//     each with the NIC's position as its device.
//
// Done after a clone that customizes and powers on its guest (where upstream applies the
// spec), once the customization has succeeded.
func reportCustomizedNetwork(body []byte, rec *httptest.ResponseRecorder) {
	req, ok := decodeRequest(body).(*types.CloneVM_Task)
	if !ok || req.Spec.Customization == nil || !req.Spec.PowerOn {
		return
	}
	vm, ok := finishedClone(rec)
	if !ok {
		return
	}
	settings := req.Spec.Customization.NicSettingMap
	ctx := newContext()
	ctx.WithLock(vm, func() {
		info := vm.Guest.CustomizationInfo
		succeeded := string(types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_SUCCEEDED)
		if info == nil || info.CustomizationStatus != succeeded || len(vm.Guest.Net) != len(settings) {
			return
		}
		var routes []types.NetIpRouteConfigInfoIpRoute
		for i, setting := range settings {
			nic := &vm.Guest.Net[i]
			adapter := setting.Adapter
			config := &types.NetIpConfigInfo{Dhcp: &types.NetDhcpConfigInfo{}}
			device := strconv.Itoa(i)
			switch ip := adapter.Ip.(type) {
			case *types.CustomizationFixedIp:
				config.IpAddress = append(config.IpAddress, manualAddress(ip.IpAddress, maskLength(adapter.SubnetMask)))
				for _, gateway := range adapter.Gateway {
					routes = append(routes, defaultRoute("0.0.0.0", gateway, device))
				}
			case *types.CustomizationDhcpIpGenerator:
				config.Dhcp.Ipv4 = &types.NetDhcpConfigInfoDhcpOptions{Enable: true}
			}
			if spec := adapter.IpV6Spec; spec != nil {
				for _, generator := range spec.Ip {
					switch ip := generator.(type) {
					case *types.CustomizationFixedIpV6:
						config.IpAddress = append(config.IpAddress, manualAddress(ip.IpAddress, ip.SubnetMask))
						nic.IpAddress = append(nic.IpAddress, ip.IpAddress)
					case *types.CustomizationDhcpIpV6Generator:
						config.Dhcp.Ipv6 = &types.NetDhcpConfigInfoDhcpOptions{Enable: true}
					}
				}
				for _, gateway := range spec.Gateway {
					routes = append(routes, defaultRoute("::", gateway, device))
				}
			}
			nic.IpConfig = config
		}
		stack := types.GuestStackInfo{IpRouteConfig: &types.NetIpRouteConfigInfo{IpRoute: routes}}
		vm.Guest.IpStack = []types.GuestStackInfo{stack}
		ctx.Update(vm, []types.PropertyChange{
			{Name: "guest.net", Val: vm.Guest.Net},
			{Name: "guest.ipStack", Val: vm.Guest.IpStack},
		})
	})
}

func manualAddress(address string, prefix int32) types.NetIpConfigInfoIpAddress {
	return types.NetIpConfigInfoIpAddress{
		IpAddress:    address,
		PrefixLength: prefix,
		Origin:       string(types.NetIpConfigInfoIpAddressOriginManual),
		State:        string(types.NetIpConfigInfoIpAddressStatusPreferred),
	}
}

func defaultRoute(network, gateway, device string) types.NetIpRouteConfigInfoIpRoute {
	return types.NetIpRouteConfigInfoIpRoute{
		Network: network,
		Gateway: types.NetIpRouteConfigInfoGateway{IpAddress: gateway, Device: device},
	}
}

// maskLength is the prefix length of a dotted IPv4 netmask, "255.255.255.0" -> 24.
func maskLength(mask string) int32 {
	ip := net.ParseIP(mask).To4()
	if ip == nil {
		return 0
	}
	ones, _ := net.IPMask(ip).Size()
	return int32(ones)
}
