package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// beforeDispatch runs before the simulator dispatches each SOAP call, with the caller's
// session (the simulator's Registry.Handler hook). It returns no handler of its own.
func beforeDispatch(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
	if ctx.Session == nil {
		return nil, nil
	}
	modifyListViewOutsideItsLock(ctx, method)
	filterWaitingCollector(ctx, method)
	return nil, nil
}

// modifyListViewOutsideItsLock applies a ModifyListView before the simulator dispatches it,
// to avoid a deadlock of v0.56.0: its ModifyListView tells property filters of the change
// while it holds the list view's lock, and each filter then takes its own lock; a
// WaitForUpdatesEx that is re-reading a filter through that list view holds the filter's lock
// and waits for the view's. Clients that follow tasks through a list view (a bulk run adds
// and removes tasks while it waits) hang both calls forever. Upstream fixed the order after
// v0.56.0 (commit 6e21d92f, property_filter.go), in no release the Go module proxy serves.
//
// Here the view is changed under its lock and the filters are told after it is released.
// The simulator is then sent only the references that name no object: it reports those to
// the client as unresolved (and adds them, as vCenter does), which needs no rework here.
func modifyListViewOutsideItsLock(ctx *simulator.Context, method *simulator.Method) {
	if method.Name != "ModifyListView" {
		return
	}
	req, ok := method.Body.(*types.ModifyListView)
	if !ok {
		return
	}
	view, ok := ctx.Session.Get(method.This).(*simulator.ListView)
	if !ok {
		return
	}
	var unresolved, added []types.ManagedObjectReference
	for _, ref := range req.Add {
		if ctx.Session.Get(ref) == nil {
			unresolved = append(unresolved, ref)
		} else {
			added = append(added, ref)
		}
	}
	if len(added) == 0 && len(req.Remove) == 0 {
		return
	}
	var now []types.ManagedObjectReference
	ctx.WithLock(view, func() {
		view.View = append(view.View, added...)
		for _, ref := range req.Remove {
			simulator.RemoveReference(&view.View, ref)
		}
		now = append(now, view.View...)
	})
	ctx.Update(view, []types.PropertyChange{{Name: "view", Val: now}})
	req.Add, req.Remove = unresolved, nil
}
