package main

import (
	"context"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// reg is the simulator's registry of managed objects, set once by run before the server
// accepts connections. govmomi keeps one registry per simulated service (no global map since
// v0.30), and every extension here works on the one service this program runs.
var reg *simulator.Registry

// newContext is a context for work the extensions do outside a SOAP call: in a timer, a
// goroutine, or after the simulator has answered. The simulator's object locks are owned by
// the Context pointer, so each piece of work needs its own; sharing one between goroutines
// would let both into the same lock.
func newContext() *simulator.Context {
	return &simulator.Context{Context: context.Background(), Map: reg}
}

// setSessionTimeout makes sessions idle for longer than d expire, through the option that
// govmomi reads at each SOAP and REST login (the Go variable that 0.24.2 had is gone).
func setSessionTimeout(d time.Duration) {
	reg.OptionManager().UpdateOptions(&types.UpdateOptions{ChangedValue: []types.BaseOptionValue{
		&types.OptionValue{Key: "config.vmacore.soap.sessionTimeout", Value: d.String()},
	}})
}

// serviceContent is the content of the simulated service instance.
func serviceContent() types.ServiceContent {
	return reg.Get(vim25.ServiceInstance).(*simulator.ServiceInstance).Content
}

// beforeDispatch runs before the simulator dispatches each SOAP call, with the caller's
// session (the simulator's Registry.Handler hook). It returns no handler of its own.
func beforeDispatch(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
	if ctx.Session == nil {
		return nil, nil
	}
	filterWaitingCollector(ctx, method)
	return nil, nil
}
