package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// A deadlock of v0.56.0 between a change and a waiting collector, through a property filter:
//
//   - a change takes the lock of the object it changes (a folder gaining a VM, a container
//     view or a list view whose contents change) and, still holding it, the registry tells
//     every listener; a filter that traverses that object takes its own lock to note that it
//     must be read again (PropertyFilter.UpdateObject);
//   - a WaitForUpdatesEx re-reads such a filter holding the filter's lock, and takes the lock
//     of each object it reads (PropertyFilter.update, then collect).
//
// Creating a VM while a watch over a container view re-reads its filter hangs both calls, and
// every later call that needs one of those objects, for good: seen as a clone that never
// returns while an inventory watch runs. Upstream fixed the order after v0.56.0 by making
// the filter's flag atomic (govmomi pull request 4109), in no release the Go module proxy
// serves.
//
// lockFreeFilter stands in for a filter in the registry's table of listeners (its entry has
// the filter's reference as key, and DestroyPropertyFilter removes it as it would the filter)
// and notes the flag from a goroutine of its own, which holds no other lock: the change goes
// on at once, and the collector reads the filter again at its next look, as it would have.
// A filter takes its lock in that order only while its collector waits, so the stand-in is
// put in place before each wait (see useLockFreeFilters).
type lockFreeFilter struct {
	*simulator.PropertyFilter
}

func (f lockFreeFilter) UpdateObject(ctx *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
	ref := obj.Reference()
	for _, set := range f.Spec.ObjectSet {
		// What PropertyFilter.UpdateObject looks for: a change to an object it traverses from.
		if set.Obj == ref && len(set.SelectSet) != 0 {
			go f.PropertyFilter.UpdateObject(newContext(), obj, changes)
			return
		}
	}
}

// useLockFreeFilters puts a lockFreeFilter in place for each filter of a collector about to
// wait.
func useLockFreeFilters(ctx *simulator.Context, pc *simulator.PropertyCollector) {
	for _, ref := range pc.Filter {
		if filter, ok := ctx.Session.Get(ref).(*simulator.PropertyFilter); ok {
			reg.AddHandler(lockFreeFilter{filter})
		}
	}
}
