package main

// A cluster's DRS rules change as on vCenter (ClusterComputeResource.
// ReconfigureComputeResource_Task with a ClusterConfigSpecEx whose rulesSpec adds, edits or
// removes rules):
//
//   - vCenter tells property collectors of the cluster's new configurationEx once the task is
//     done. v0.56 changes the rules in place and tells no one: WaitForUpdatesEx never
//     reports a rule added or removed. Here watchers are told (see announceClusterConfig).
//   - A "remove" names its rule by removeKey, an xsd:int. v0.56 asserts the key is an int32
//     inside the task's goroutine, where a panic ends the whole simulator: a key sent as any
//     other type (xsd:long, xsd:short, a string) takes every session down. Here such a spec
//     fails the task with InvalidArgument (rulesSpec.removeKey) before the simulator sees it
//     (see clusterRulesFault), as a vCenter refuses a spec it cannot read.
//
// v0.56 also matches an "edit" by the rule's name (vCenter: by its key); nothing here
// changes that.

import (
	"net/http/httptest"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func init() {
	// Through the hooked methods' path of the middleware, so that before() and after()
	// see them.
	hooked["ReconfigureComputeResource_Task"] = true
	hooked["UpdateConfig"] = true // see resource_pool_config.go
}

// afterPoolOrRuleChange completes a ReconfigureComputeResource_Task or a
// ResourcePool.UpdateConfig once the simulator has answered it (rec).
func afterPoolOrRuleChange(method string, this types.ManagedObjectReference, body []byte, rec *httptest.ResponseRecorder) {
	switch method {
	case "ReconfigureComputeResource_Task":
		announceClusterConfig(this, rec)
	case "UpdateConfig":
		applyExpandableReservation(this, body) // see resource_pool_config.go
	}
}

// announceClusterConfig tells property collectors of a cluster's configuration once its
// reconfigure task (answered in rec) has succeeded.
func announceClusterConfig(this types.ManagedObjectReference, rec *httptest.ResponseRecorder) {
	if _, ok := finishedTask(rec); !ok {
		return
	}
	cluster, ok := reg.Get(this).(*simulator.ClusterComputeResource)
	if !ok {
		return
	}
	ctx := newContext()
	ctx.WithLock(cluster, func() {
		ctx.Update(cluster, []types.PropertyChange{
			{Name: "configurationEx", Val: cluster.ConfigurationEx},
		})
	})
}

// clusterRulesFault is why a ReconfigureComputeResource_Task request (body) cannot be
// carried out by the simulator without ending it: a rule removed by a key that is not an
// int32. Run before the simulator sees the request.
func clusterRulesFault(body []byte) types.BaseMethodFault {
	req, ok := decodeRequest(body).(*types.ReconfigureComputeResource_Task)
	if !ok {
		return nil
	}
	spec, ok := req.Spec.(*types.ClusterConfigSpecEx)
	if !ok {
		return nil
	}
	for _, rule := range spec.RulesSpec {
		if rule.Operation != types.ArrayUpdateOperationRemove {
			continue
		}
		if _, ok := rule.RemoveKey.(int32); !ok {
			return &types.InvalidArgument{InvalidProperty: "rulesSpec.removeKey"}
		}
	}
	return nil
}
