package main

// A failed deploy of a content library item leaves nothing behind, as on vCenter: the
// deploy (vcenter.ovf.LibraryItem.deploy) is one operation there, and a failure in any of
// its steps aborts its import lease and removes the VM it had begun. v0.56's vAPI simulator
// makes the VM with ImportVApp and then completes the lease; when a later step fails
// (HttpNfcLeaseComplete, say), it answers "succeeded": false and keeps the VM, under the
// name the caller will try again with.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// serveOVFDeploy answers the deploy action of an OVF library item, and removes what a
// failed one made; false for anything else.
func (e *extensions) serveOVFDeploy(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, ovfLibraryItemPath) ||
		r.URL.Query().Get("~action") != "deploy" {
		return false
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return true
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var spec struct {
		DeploymentSpec struct {
			Name string `json:"name"`
		} `json:"deployment_spec"`
	}
	_ = json.Unmarshal(body, &spec)
	name := spec.DeploymentSpec.Name
	before := vmsNamed(name)

	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var answer struct {
		Value struct {
			Succeeded bool `json:"succeeded"`
		} `json:"value"`
	}
	failed := rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &answer) == nil &&
		!answer.Value.Succeeded
	if failed && name != "" {
		for _, vm := range vmsNamed(name) {
			if !slices.Contains(before, vm) {
				e.removeHalfDeployed(vm)
			}
		}
	}
	copyResponse(w, rec)
	return true
}

// vmsNamed lists the VMs of that name, wherever they are.
func vmsNamed(name string) []types.ManagedObjectReference {
	var found []types.ManagedObjectReference
	for _, obj := range reg.All("VirtualMachine") {
		vm, ok := obj.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		var vmName string
		newContext().WithLock(vm, func() { vmName = vm.Name })
		if vmName == name {
			found = append(found, vm.Self)
		}
	}
	return found
}

// removeHalfDeployed powers off and destroys a VM a failed deploy made (its files with it).
// The deploy's lease belongs to the session the vAPI simulator opens for each deploy and
// logs out of when it ends.
func (e *extensions) removeHalfDeployed(vm types.ManagedObjectReference) {
	ctx := context.Background()
	if powerState(vm) == types.VirtualMachinePowerStatePoweredOn {
		res, err := methods.PowerOffVM_Task(ctx, e.internal, &types.PowerOffVM_Task{This: vm})
		if err == nil {
			err = taskFailure(res.Returnval)
		}
		if err != nil {
			log.Printf("failed deploy: powering off %s: %v", vm.Value, err)
		}
	}
	res, err := methods.Destroy_Task(ctx, e.internal, &types.Destroy_Task{This: vm})
	if err == nil {
		err = taskFailure(res.Returnval)
	}
	if err != nil {
		log.Printf("failed deploy: removing %s: %v", vm.Value, err)
	}
}
