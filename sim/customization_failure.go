package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"sync"

	"github.com/vmware/govmomi/vim25/types"
)

// Guest customizations that fail on request, for clients that wait for a customization's
// outcome. Upstream (v0.56) fails a customization only when the spec's NIC settings do not
// match the VM's NICs; a real guest fails for many more reasons (a bad domain join, a guest
// OS the package does not know, a script that fails), which vCenter reports as a
// CustomizationFailed event (or one of its subclasses) with a reason, and in
// guest.customizationInfo.
//
//	GET/POST  /_sim/customization  {"vm": "web-07", "reason": "..."}: the next clone named
//	                               so whose spec customizes and powers it on fails its
//	                               customization with that reason
//	DELETE    /_sim/customization  forget them all
//
// The clone itself succeeds, as on vCenter: the guest's customization runs after it.
// The simulator is sent the clone spec without its customization, so that it neither
// customizes the guest nor posts CustomizationSucceeded; then Started and Failed events are
// posted for the clone.
type customizationFailures struct {
	mu      sync.Mutex
	reasons map[string]string // by the clone's name as the client sends it
}

var failingCustomizations = &customizationFailures{reasons: make(map[string]string)}

func (f *customizationFailures) serve(w http.ResponseWriter, r *http.Request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		var rule struct {
			VM     string `json:"vm"`
			Reason string `json:"reason"`
		}
		if err := json.NewDecoder(r.Body).Decode(&rule); err != nil {
			return err
		}
		if rule.VM == "" {
			return fmt.Errorf("a failing customization needs a vm (the clone's name)")
		}
		if rule.Reason == "" {
			rule.Reason = "the guest customization failed"
		}
		f.reasons[rule.VM] = rule.Reason
	case http.MethodDelete:
		f.reasons = make(map[string]string)
	}
	rules := make([]map[string]string, 0, len(f.reasons))
	for vm, reason := range f.reasons {
		rules = append(rules, map[string]string{"vm": vm, "reason": reason})
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i]["vm"] < rules[j]["vm"] })
	writeJSON(w, rules)
	return nil
}

// failing is the reason the customization of this clone request is to fail with, if any.
func (f *customizationFailures) failing(req *types.CloneVM_Task) (string, bool) {
	if req.Spec.Customization == nil || !req.Spec.PowerOn {
		return "", false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	reason, ok := f.reasons[req.Name]
	return reason, ok
}

func (f *customizationFailures) forget(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.reasons, name)
}

var customizationElement = regexp.MustCompile(`(?s)<customization\b[^>]*>.*?</customization>`)

// withoutFailingCustomization is the request to send the simulator (sent): a clone whose
// customization is to fail is sent without it.
func withoutFailingCustomization(method string, body, sent []byte) []byte {
	if method != "CloneVM_Task" {
		return sent
	}
	req, ok := decodeRequest(body).(*types.CloneVM_Task)
	if !ok {
		return sent
	}
	if _, failing := failingCustomizations.failing(req); !failing {
		return sent
	}
	return customizationElement.ReplaceAll(sent, nil)
}

// failCustomization reports the failed customization of a finished clone, as vCenter does:
// CustomizationStartedEvent, then CustomizationFailed with the reason, and
// guest.customizationInfo.
func (e *extensions) failCustomization(body []byte, rec *httptest.ResponseRecorder) {
	req, ok := decodeRequest(body).(*types.CloneVM_Task)
	if !ok {
		return
	}
	reason, failing := failingCustomizations.failing(req)
	if !failing {
		return
	}
	failingCustomizations.forget(req.Name)
	vm, ok := finishedClone(rec)
	if !ok {
		return
	}
	postVMEvent(e.internal, vm, func(event types.VmEvent) types.BaseEvent {
		return &types.CustomizationStartedEvent{CustomizationEvent: types.CustomizationEvent{VmEvent: event}}
	})
	postVMEvent(e.internal, vm, func(event types.VmEvent) types.BaseEvent {
		return &types.CustomizationFailed{
			CustomizationEvent: types.CustomizationEvent{VmEvent: event},
			Reason:             reason,
		}
	})
	ctx := newContext()
	ctx.WithLock(vm, func() {
		ctx.Update(vm, []types.PropertyChange{{
			Name: "guest.customizationInfo",
			Val: &types.GuestInfoCustomizationInfo{
				CustomizationStatus: string(types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_FAILED),
				ErrorMsg:            reason,
			},
		}})
	})
}
