package main

import (
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// A waiting property collector of the simulator (v0.56, and 0.24.2 before it) hears of every
// change to every object, and for each change it hears of re-reads everything its filters
// select (PropertyCollector.apply, once per queued change and filter, to find objects that
// entered through a traversal). A client that watches a whole inventory, as an inventory
// cache does, makes every change anywhere cost the simulator a read of the whole inventory:
// powering on 200 VMs took 50 s instead of 2 in a 200-VM inventory, and the cost grows with
// the estate. vCenter's collector works incrementally.
//
// relevantUpdates stands in for each waiting collector in the registry's table of listeners
// (its entry has the collector's reference as key) and passes on only the changes that can
// matter to one of its filters: an object of a kind they can select entering or leaving,
// any change to an object a filter starts from or traverses, and changes to properties a
// filter asks for. What the collector does with them is unchanged; what it no longer hears
// of it would have dropped.
type relevantUpdates struct {
	pc      *simulator.PropertyCollector
	session *simulator.Session
	// queued: something was passed on since the collector's last wait began (or may have
	// reached it unseen), so a wait has something to look at. See quietCheck.
	queued atomic.Bool
}

// relevance keeps one stand-in per collector, made at its first wait. Sessions share the
// reference of the default collector, each with an instance of its own.
var relevance sync.Map // collectorKey -> *relevantUpdates

type collectorKey struct {
	session string
	ref     types.ManagedObjectReference
}

// filterWaitingCollector puts the stand-in in place for a collector about to wait. It runs
// before each WaitForUpdatesEx, WaitForUpdates or CheckForUpdates: a wait with no version
// makes the collector listen by itself again, and the next wait puts the stand-in back.
func filterWaitingCollector(ctx *simulator.Context, method *simulator.Method) {
	switch method.Name {
	case "WaitForUpdatesEx", "WaitForUpdates", "CheckForUpdates":
	case "DestroyPropertyCollector":
		relevance.Delete(collectorKey{ctx.Session.Key, method.This})
		return
	case "Logout":
		relevance.Range(func(k, _ any) bool {
			if k.(collectorKey).session == ctx.Session.Key {
				relevance.Delete(k)
			}
			return true
		})
		return
	default:
		return
	}
	pc, ok := ctx.Session.Get(method.This).(*simulator.PropertyCollector)
	if !ok {
		return
	}
	useLockFreeFilters(ctx, pc)
	key := collectorKey{ctx.Session.Key, method.This}
	found, _ := relevance.LoadOrStore(key, &relevantUpdates{pc: pc, session: ctx.Session})
	standIn := found.(*relevantUpdates)
	// This wait takes everything queued so far; what arrives from now on marks the next.
	// Not a wait that is sent the next page of a truncated answer: the simulator answers it
	// from the pages it kept and leaves what was queued meanwhile for a later wait.
	if !hasPendingPages(pc) {
		standIn.queued.Store(false)
	}
	reg.AddHandler(standIn)
}

// keepFilteringCollector puts the stand-in back once a wait has been answered. A first wait
// (no version) registers the collector itself as a listener again, and until its next wait
// it would queue every change of every object; a filter made on it meanwhile (a client
// reuses its collectors) would then be sent those older changes after its current state,
// as if they were new.
func keepFilteringCollector(session string, ref types.ManagedObjectReference, first bool) {
	if found, ok := relevance.Load(collectorKey{session, ref}); ok {
		standIn := found.(*relevantUpdates)
		if first {
			// The collector itself listened meanwhile: what it heard is not known here.
			standIn.queued.Store(true)
		}
		reg.AddHandler(standIn)
	}
}

// quietCheck says whether a WaitForUpdatesEx can be answered "no updates" at once, without
// the simulator: a check (maxWaitSeconds 0) that continues a complete answer (a version, not
// the first wait) on a collector that has been sent nothing since its last wait, with no
// pages of an answer left over. vCenter does "one update calculation" for such a check and
// returns; the simulator's collector looks for updates only every 20 ms, even for a check,
// which would make each check cost 20 ms. Clients that check before each operation (to see
// every change completed before it) would pay that every time.
func quietCheck(session string, ref types.ManagedObjectReference, req *types.WaitForUpdatesEx) bool {
	if req.Version == "" || req.Options == nil || req.Options.MaxWaitSeconds == nil ||
		*req.Options.MaxWaitSeconds != 0 {
		return false
	}
	found, ok := relevance.Load(collectorKey{session, ref})
	if !ok {
		return false
	}
	standIn := found.(*relevantUpdates)
	return !standIn.queued.Load() && !hasPendingPages(standIn.pc)
}

// hasPendingPages says whether the collector holds the rest of a truncated answer (the
// simulator keeps it in an unexported field, read here without changing it).
func hasPendingPages(pc *simulator.PropertyCollector) bool {
	pending := reflect.ValueOf(pc).Elem().FieldByName("pending")
	return !pending.IsValid() || !pending.IsNil()
}

func (u *relevantUpdates) Reference() types.ManagedObjectReference { return u.pc.Reference() }

func (u *relevantUpdates) PutObject(ctx *simulator.Context, obj mo.Reference) {
	if u.mayHold(obj) {
		u.queued.Store(true)
		u.pc.PutObject(ctx, obj)
	}
}

func (u *relevantUpdates) RemoveObject(ctx *simulator.Context, ref types.ManagedObjectReference) {
	// The registry tells its listeners before it forgets the object.
	if obj := reg.Get(ref); obj == nil || u.mayHold(obj) {
		u.queued.Store(true)
		u.pc.RemoveObject(ctx, ref)
	}
}

func (u *relevantUpdates) UpdateObject(ctx *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
	if u.matters(obj, changes) {
		u.queued.Store(true)
		u.pc.UpdateObject(ctx, obj, changes)
	}
}

// matters says whether a change to obj can concern one of the collector's filters.
func (u *relevantUpdates) matters(obj mo.Reference, changes []types.PropertyChange) bool {
	ref := obj.Reference()
	for _, f := range u.pc.Filter {
		filter, ok := u.session.Get(f).(*simulator.PropertyFilter)
		if !ok {
			return true // not known here: let the collector decide
		}
		spec := filter.Spec
		for _, set := range spec.ObjectSet {
			if set.Obj == ref || traverses(set.SelectSet, ref.Type) {
				return true
			}
		}
		for _, p := range spec.PropSet {
			if isKind(obj, ref.Type, p.Type) && (p.All != nil && *p.All || asksFor(p.PathSet, changes)) {
				return true
			}
		}
	}
	return false
}

// mayHold says whether an object that enters or leaves the inventory can be one that a filter
// of the collector selects: one it starts from, traverses or asks properties of. Every task
// enters the registry, and each entry made every waiting collector re-read all that its
// filters select: a watch over 50,000 VMs cost the simulator a read of all of them for every
// task anyone started.
func (u *relevantUpdates) mayHold(obj mo.Reference) bool {
	ref := obj.Reference()
	for _, f := range u.pc.Filter {
		filter, ok := u.session.Get(f).(*simulator.PropertyFilter)
		if !ok {
			return true
		}
		spec := filter.Spec
		for _, set := range spec.ObjectSet {
			if set.Obj == ref || traverses(set.SelectSet, ref.Type) {
				return true
			}
		}
		for _, p := range spec.PropSet {
			if isKind(obj, ref.Type, p.Type) {
				return true
			}
		}
	}
	return false
}

// traverses says whether a selection passes through objects of the given type.
func traverses(selectSet []types.BaseSelectionSpec, kind string) bool {
	for _, s := range selectSet {
		if t, ok := s.(*types.TraversalSpec); ok {
			if t.Type == kind || traverses(t.SelectSet, kind) {
				return true
			}
		}
	}
	return false
}

// isKind matches a property spec's type as the simulator's collector does: the object's own
// type, or a type it embeds (ManagedEntity, ComputeResource...).
func isKind(obj mo.Reference, objType, want string) bool {
	if want == objType {
		return true
	}
	t := reflect.TypeOf(obj)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	if t.Name() == want {
		return true
	}
	field, ok := t.FieldByName(want)
	return ok && field.Anonymous
}

// asksFor says whether a change touches a path of the spec: the same property, one inside it,
// or one that contains it ("config" replaced holds "config.uuid").
func asksFor(paths []string, changes []types.PropertyChange) bool {
	for _, c := range changes {
		for _, p := range paths {
			if c.Name == p || strings.HasPrefix(c.Name, p+".") || strings.HasPrefix(p, c.Name+".") {
				return true
			}
		}
	}
	return false
}
