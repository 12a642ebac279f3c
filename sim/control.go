package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

// controlPath is where tests reach the simulator's control endpoint (loopback only, and
// with the ready line's control_token in "Authorization: Bearer" or X-Vmw-Sim-Token):
//
//	GET/POST   /_sim/config   {"tools_delay": 0.5, "guest_delay": 0.2}   (seconds)
//	GET/POST   /_sim/faults   {"method": "PowerOnVM_Task", "fault": "InvalidState",
//	                            "count": 2, "message": "...", "in_task": false}
//	DELETE     /_sim/faults   forget all pending faults
//	GET/POST   /_sim/latency  {"method": "RetrievePropertiesEx" or "*", "seconds": 0.5}
//	DELETE     /_sim/latency  forget all latencies
//	GET        /_sim/calls    {"RetrievePropertiesEx": 3, ...} SOAP calls seen per method
//	DELETE     /_sim/calls    reset the counters
//	GET/POST   /_sim/taskdelay {"method": "PowerOnVM_Task", "seconds": 2}: its tasks run
//	                           that long (reporting progress) before doing their work
//	DELETE     /_sim/taskdelay forget all task delays
//	GET/POST   /_sim/answerdelay {"method": "WaitForUpdatesEx", "seconds": 1}: its answers
//	                           are made at once, then held back that long (a slow way back)
//	DELETE     /_sim/answerdelay forget all answer delays
//	GET/POST   /_sim/customization {"vm": "web-07", "reason": "..."}: that clone's guest
//	                           customization fails (see customization_failure.go)
//	DELETE     /_sim/customization forget them
//	GET/POST   /_sim/datastore {"name": "LocalDS_0", "free_bytes": 0}: what it has free;
//	                           uploads to a full one stop (see datastore_space.go)
const controlPath = "/_sim/"

// faultRule makes the next count calls of a method fail with the named fault.
type faultRule struct {
	Method  string `json:"method"`
	Fault   string `json:"fault"`
	Count   int    `json:"count"`
	Message string `json:"message,omitempty"`
	// InTask: for a *_Task method, return a task that fails instead of a SOAP fault.
	InTask bool `json:"in_task"`
}

// newFault builds the vSphere fault the rule names, with the fields clients rely on filled in.
func (r *faultRule) newFault(this types.ManagedObjectReference) types.BaseMethodFault {
	fault, _ := newFaultByName(r.Fault)
	switch f := fault.(type) {
	case *types.SystemError:
		f.Reason = r.message()
	case *types.NotAuthenticated:
		f.Object = &this
		f.PrivilegeId = "System.View"
	case *types.NoPermission:
		f.Object = &this
		f.PrivilegeId = "System.View"
	case *types.TaskInProgress:
		// A reference must name an object: clients fail to decode an empty one.
		f.Task = types.ManagedObjectReference{Type: "Task", Value: "task-injected"}
	case *types.InvalidPowerState:
		f.ExistingState = types.VirtualMachinePowerStatePoweredOff
	}
	return fault
}

func (r *faultRule) message() string {
	if r.Message != "" {
		return r.Message
	}
	return fmt.Sprintf("injected fault %s for %s", r.Fault, r.Method)
}

// newFaultByName returns a new instance of the vSphere fault type of that name.
func newFaultByName(name string) (types.BaseMethodFault, bool) {
	t, ok := types.TypeFunc()(name)
	if !ok {
		return nil, false
	}
	fault, ok := reflect.New(t).Interface().(types.BaseMethodFault)
	return fault, ok
}

// control is the simulator's runtime configuration, changed by tests through controlPath.
type control struct {
	mu         sync.Mutex
	toolsDelay time.Duration
	guestDelay time.Duration
	faults     map[string]*faultRule
	latency    map[string]time.Duration
	taskDelay  map[string]time.Duration
	answer     map[string]time.Duration // answer delays
	calls      map[string]int
	token      string // every request must carry it (see authorized)
}

func newControl(toolsDelay, guestDelay time.Duration) *control {
	return &control{
		toolsDelay: toolsDelay,
		guestDelay: guestDelay,
		faults:     make(map[string]*faultRule),
		latency:    make(map[string]time.Duration),
		taskDelay:  make(map[string]time.Duration),
		answer:     make(map[string]time.Duration),
		calls:      make(map[string]int),
	}
}

func (c *control) delays() (tools, guest time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.toolsDelay, c.guestDelay
}

// timing is how a call is slowed down: latency before it is handled, how long its task
// runs, and how long its answer is held back once made.
type timing struct {
	latency, task, answer time.Duration
}

// called counts a SOAP call and returns its timing and the fault to answer it with, if any.
func (c *control) called(method string) (timing, *faultRule) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[method]++
	t := timing{
		latency: c.latency[method] + c.latency["*"],
		task:    c.taskDelay[method],
		answer:  c.answer[method],
	}
	rule, ok := c.faults[method]
	if !ok {
		return t, nil
	}
	rule.Count--
	if rule.Count <= 0 {
		delete(c.faults, method)
	}
	fired := *rule
	return t, &fired
}

func (c *control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !fromLoopback(r) {
		http.Error(w, "the control endpoint is loopback only", http.StatusForbidden)
		return
	}
	if !c.authorized(w, r) {
		return
	}
	var err error
	switch strings.TrimPrefix(r.URL.Path, controlPath) {
	case "config":
		err = c.serveConfig(w, r)
	case "faults":
		err = c.serveFaults(w, r)
	case "latency":
		err = c.serveDelays(w, r, c.latency, false)
	case "taskdelay":
		err = c.serveDelays(w, r, c.taskDelay, true)
	case "answerdelay":
		err = c.serveDelays(w, r, c.answer, false)
	case "calls":
		c.serveCalls(w, r)
	case "customization":
		err = failingCustomizations.serve(w, r) // see customization_failure.go
	case "datastore":
		err = serveDatastoreSpace(w, r) // see datastore_space.go
	default:
		http.NotFound(w, r)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func duration(s float64) (time.Duration, error) {
	if s < 0 {
		return 0, fmt.Errorf("a negative duration: %v", s)
	}
	return time.Duration(s * float64(time.Second)), nil
}

func (c *control) serveConfig(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodPost {
		var req struct {
			ToolsDelay *float64 `json:"tools_delay"`
			GuestDelay *float64 `json:"guest_delay"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if req.ToolsDelay != nil {
			d, err := duration(*req.ToolsDelay)
			if err != nil {
				return err
			}
			c.toolsDelay = d
		}
		if req.GuestDelay != nil {
			d, err := duration(*req.GuestDelay)
			if err != nil {
				return err
			}
			c.guestDelay = d
		}
		writeJSON(w, map[string]float64{"tools_delay": seconds(c.toolsDelay), "guest_delay": seconds(c.guestDelay)})
		return nil
	}
	tools, guest := c.delays()
	writeJSON(w, map[string]float64{"tools_delay": seconds(tools), "guest_delay": seconds(guest)})
	return nil
}

func (c *control) serveFaults(w http.ResponseWriter, r *http.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		rule := new(faultRule)
		if err := json.NewDecoder(r.Body).Decode(rule); err != nil {
			return err
		}
		if rule.Method == "" {
			return fmt.Errorf("a fault needs a method")
		}
		if _, ok := newFaultByName(rule.Fault); !ok {
			return fmt.Errorf("unknown vSphere fault %q", rule.Fault)
		}
		if rule.Count <= 0 {
			rule.Count = 1
		}
		if rule.InTask && !strings.HasSuffix(rule.Method, "_Task") {
			return fmt.Errorf("in_task needs a *_Task method, not %q", rule.Method)
		}
		c.faults[rule.Method] = rule
	case http.MethodDelete:
		c.faults = make(map[string]*faultRule)
	}
	rules := make([]*faultRule, 0, len(c.faults))
	for _, rule := range c.faults {
		rules = append(rules, rule)
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].Method < rules[j].Method })
	writeJSON(w, rules)
	return nil
}

// serveDelays changes a table of delays by method name (latencies, or task durations).
func (c *control) serveDelays(w http.ResponseWriter, r *http.Request, table map[string]time.Duration, tasks bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		var req struct {
			Method  string  `json:"method"`
			Seconds float64 `json:"seconds"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return err
		}
		if req.Method == "" {
			return fmt.Errorf("a delay needs a method")
		}
		if tasks && !strings.HasSuffix(req.Method, "_Task") {
			return fmt.Errorf("a task delay needs a *_Task method, not %q", req.Method)
		}
		d, err := duration(req.Seconds)
		if err != nil {
			return err
		}
		if d == 0 {
			delete(table, req.Method)
		} else {
			table[req.Method] = d
		}
	case http.MethodDelete:
		for m := range table {
			delete(table, m)
		}
	}
	out := make(map[string]float64, len(table))
	for m, d := range table {
		out[m] = seconds(d)
	}
	writeJSON(w, out)
	return nil
}

func (c *control) serveCalls(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.Method == http.MethodDelete {
		c.calls = make(map[string]int)
	}
	out := make(map[string]int, len(c.calls))
	for m, n := range c.calls {
		out[m] = n
	}
	writeJSON(w, out)
}
