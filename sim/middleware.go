package main

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// extensions holds the parts this program adds to the stock simulator.
type extensions struct {
	control  *control
	tools    *toolsSimulator
	guest    *guestOperations
	internal *vim25.Client
	own      *ownSession
	calls    *sessionCalls
}

// needsSession lists methods that the stock simulator answers without a session, for
// convenience, but a real vCenter refuses with NotAuthenticated. Clients that re-login on
// NotAuthenticated could not be tested otherwise: their reads would quietly return nothing.
// The ServiceInstance's own properties stay public, as on vCenter.
var needsSession = map[string]bool{
	"RetrieveProperties":           true,
	"RetrievePropertiesEx":         true,
	"ContinueRetrievePropertiesEx": true,
	"Fetch":                        true,
}

// vmMethod answers a VirtualMachine method the stock simulator lacks or gets wrong.
// It returns the response value, or the fault to answer with.
type vmMethod func(vm *simulator.VirtualMachine) (interface{}, types.BaseMethodFault)

func (e *extensions) vmMethods() map[string]vmMethod {
	return map[string]vmMethod{
		// Missing in 0.24.2 (MethodNotFound).
		"RebootGuest": func(vm *simulator.VirtualMachine) (interface{}, types.BaseMethodFault) {
			return types.RebootGuestResponse{}, e.tools.rebootGuest(vm, e.internal)
		},
		// The stock one powers off at once; a real guest takes a moment to shut down.
		"ShutdownGuest": func(vm *simulator.VirtualMachine) (interface{}, types.BaseMethodFault) {
			return types.ShutdownGuestResponse{}, e.tools.shutdownGuest(vm, e.internal)
		},
		// Missing upstream (see ovf_export.go).
		"ExportVm": e.exportVM,
	}
}

// middleware wraps the simulator's HTTP handler: it serves the control endpoint and guest file
// transfers (in place of the stock ones, which need Docker), refuses datastore files to
// requests without a session, counts SOAP
// calls, adds latency and injects faults by method name, and answers the VirtualMachine
// methods above.
func (e *extensions) middleware(next http.Handler) http.Handler {
	methods := e.vmMethods()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, controlPath) {
			e.control.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, exportPath) {
			serveExport(w, r)
			return
		}
		if r.URL.Path == guestTransferPath {
			e.guest.serveTransfer(w, r)
			return
		}
		if r.URL.Path == vim25.Path+"/vimServiceVersions.xml" {
			serveServiceVersions(w, serviceContent().About.ApiVersion)
			return
		}
		if isDatastorePath(r.URL.Path) && !e.validSession(next, r) {
			serveUnauthenticatedFolder(w)
			return
		}
		if (r.URL.Path == vapiJSONRPCPath || strings.HasPrefix(r.URL.Path, "/api/")) && e.serveAPI(w, r, next) {
			return
		}
		if serveOVFLibraryItem(w, r, next) || e.serveOVFDeploy(w, r, next) || serveLibraryItem(w, r, next) {
			return
		}
		if serveUpload(w, r, next) {
			return
		}
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, vim25.Path) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		method, this := sniffMethod(body)
		quiet := false // a check with nothing to report (see quietCheck)
		if key := sessionKey(r); key != "" {
			if method == "Logout" {
				e.calls.beforeLogout(key)
			} else {
				e.calls.begin(key)
				defer e.calls.end(key)
			}
			if method == "WaitForUpdatesEx" || method == "WaitForUpdates" {
				wait, _ := decodeRequest(body).(*types.WaitForUpdatesEx)
				quiet = wait != nil && quietCheck(key, this, wait)
				defer keepFilteringCollector(key, this, wait == nil || wait.Version == "")
			}
		}
		// What the simulator is sent; the extensions read the request as the client sent it.
		sent := omitUnmodelled(method, mendName(method, body))
		sent = withoutFailingCustomization(method, body, sent)
		r.ContentLength = int64(len(sent))
		timing, rule := e.control.called(method)
		if timing.latency > 0 {
			time.Sleep(timing.latency)
		}
		if timing.answer > 0 {
			// The answer is made now and delivered later: what it says may be out of date
			// by the time the client reads it, as over a slow link.
			rec := httptest.NewRecorder()
			defer func(w http.ResponseWriter) {
				time.Sleep(timing.answer)
				copyResponse(w, rec)
			}(w)
			w = rec
		}
		switch {
		case rule != nil && rule.InTask:
			if !e.validSession(next, r) {
				writeFault(w, notAuthenticated(this))
				return
			}
			writeTaskResponse(w, method, failedTask(this, method, rule.newFault(this), rule.message()))
		case rule != nil:
			writeFaultMessage(w, rule.message(), rule.newFault(this))
		case quiet && e.validSession(next, r):
			writeResponse(w, method, types.WaitForUpdatesExResponse{})
		case needsSession[method] && this.Type != "ServiceInstance" && !e.validSession(next, r):
			writeFault(w, notAuthenticated(this))
		case methods[method] != nil:
			e.serveVMMethod(w, r, next, method, this, methods[method])
		case method == "CreateDescriptor" && e.validSession(next, r):
			if res, fault := createDescriptor(body); fault != nil {
				writeFault(w, fault)
			} else {
				writeResponse(w, method, res)
			}
		case method == "UnregisterAndDestroy_Task":
			e.serveUnregisterAndDestroy(w, r, next, method, this)
		case method == "Fetch" && fetchesUnmodelled(this.Type, body):
			writeResponse(w, method, struct{}{}) // unset (see omitUnmodelled)
		case method == "Fetch":
			r.Body = io.NopCloser(bytes.NewReader(sent))
			serveFetch(w, r, next)
		case timing.task > 0:
			e.serveSlowTask(w, r, next, method, this, body, sent, timing.task)
		case transferMethods[method]:
			r.Body = io.NopCloser(bytes.NewReader(sent))
			rec := httptest.NewRecorder()
			serveGuarded(rec, r, next, method)
			rec.Body = bytes.NewBuffer(placeTransferHost(rec.Body.Bytes(), r))
			copyResponse(w, rec)
		case hooked[method]:
			if fault := e.before(method, body); fault != nil {
				writeTaskResponse(w, method, failedTask(this, method, fault, faultMessage(fault)))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(sent))
			rec := httptest.NewRecorder()
			serveGuarded(rec, r, next, method)
			e.after(method, this, body, rec)
			copyResponse(w, rec)
		default:
			r.Body = io.NopCloser(bytes.NewReader(sent))
			serveGuarded(w, r, next, method)
		}
	})
}

// serveGuarded passes a request on to the simulator and turns a panic there into the answer
// a vCenter gives, instead of a dropped connection. The simulator's handlers release their
// locks with defer, so it stays usable.
func serveGuarded(w http.ResponseWriter, r *http.Request, next http.Handler, method string) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		log.Printf("vmw-sim: %s panicked: %v\n%s", method, p, debug.Stack())
		writeFault(w, &types.SystemError{Reason: fmt.Sprintf("the simulator failed in %s: %v", method, p)})
	}()
	next.ServeHTTP(w, r)
}

func (e *extensions) serveVMMethod(w http.ResponseWriter, r *http.Request, next http.Handler,
	method string, this types.ManagedObjectReference, f vmMethod) {
	if !e.validSession(next, r) {
		writeFault(w, notAuthenticated(this))
		return
	}
	vm, ok := reg.Get(this).(*simulator.VirtualMachine)
	if !ok {
		writeFault(w, &types.ManagedObjectNotFound{Obj: this})
		return
	}
	res, fault := f(vm)
	if fault != nil {
		writeFault(w, fault)
		return
	}
	writeResponse(w, method, res)
}

// validSession asks the simulator itself whether the request's session cookie is logged in,
// by sending it a CurrentTime call (which needs a session) with the same headers.
func (e *extensions) validSession(next http.Handler, r *http.Request) bool {
	const probe = `<?xml version="1.0" encoding="UTF-8"?>` +
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<soapenv:Body><CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this>` +
		`</CurrentTime></soapenv:Body></soapenv:Envelope>`
	req := httptest.NewRequest(http.MethodPost, vim25.Path, strings.NewReader(probe))
	req.Header = r.Header.Clone()
	req.RemoteAddr = r.RemoteAddr
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, req)
	return rec.Code == http.StatusOK
}

func notAuthenticated(this types.ManagedObjectReference) types.BaseMethodFault {
	return &types.NotAuthenticated{NoPermission: types.NoPermission{Object: &this, PrivilegeId: "System.View"}}
}

// failedTask records a task on the target that has failed with the given fault. It fills in
// the task itself rather than using Task.Run, which sets the Go type name as the localized message
// where vSphere gives a sentence.
func failedTask(this types.ManagedObjectReference, method string, fault types.BaseMethodFault, message string) types.ManagedObjectReference {
	ctx := newContext()
	task := startTask(ctx, this, method)
	ctx.Update(task, []types.PropertyChange{
		{Name: "info.completeTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateError},
		{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault, LocalizedMessage: message}},
	})
	return task.Self
}

// startTask registers a running task of method on this, as the simulator's Task.Run does,
// but runs nothing: its progress and outcome are for the caller to set.
func startTask(ctx *simulator.Context, this types.ManagedObjectReference, method string) *simulator.Task {
	task := simulator.CreateTask(this, strings.TrimSuffix(method, "_Task")+"Task", nil)
	if e, ok := reg.Get(this).(mo.Entity); ok {
		task.Info.EntityName = e.Entity().Name
	}
	reg.Put(task) // gives it its reference, and puts it in the recent tasks
	task.Info.Key = task.Self.Value
	task.Info.Task = task.Self
	ctx.Update(task, []types.PropertyChange{
		{Name: "info.startTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateRunning},
	})
	return task
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// serveFetch passes a Fetch (pyVmomi 8's way to read one property) on to the simulator and
// mends its answer for an unset property, such as the root folder's parent: v0.56 answers
// with the RetrievePropertiesExResponse it made internally, which clients cannot decode as
// a FetchResponse. vCenter answers with a FetchResponse that has no value.
func serveFetch(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	serveGuarded(rec, r, next, "Fetch")
	if rec.Code == http.StatusOK && bytes.Contains(rec.Body.Bytes(), []byte("RetrievePropertiesExResponse")) {
		writeResponse(w, "Fetch", struct{}{})
		return
	}
	copyResponse(w, rec)
}
