package main

import (
	"bytes"
	"encoding/xml"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	vimxml "github.com/vmware/govmomi/vim25/xml"
)

// progressSteps is how many times a slow task reports progress before it finishes.
const progressSteps = 4

// serveSlowTask answers a *_Task method with a task that runs for the configured delay,
// reporting progress, and only then does the method's work (by passing the original request
// on to the simulator) and takes on its outcome. The stock simulator finishes every task
// before answering, so without this no client could be tested waiting for one.
func (e *extensions) serveSlowTask(w http.ResponseWriter, r *http.Request, next http.Handler,
	method string, this types.ManagedObjectReference, body, sent []byte, delay time.Duration) {
	if !e.validSession(next, r) {
		writeFault(w, notAuthenticated(this))
		return
	}
	ctx := newContext()
	task := startTask(ctx, this, method)
	ctx.Update(task, []types.PropertyChange{{Name: "info.progress", Val: int32(0)}})
	writeTaskResponse(w, method, task.Self)

	path := r.URL.Path
	go func() {
		defer logPanic("slow " + method)
		for step := 1; step < progressSteps; step++ {
			time.Sleep(delay / progressSteps)
			ctx.Update(task, []types.PropertyChange{
				{Name: "info.progress", Val: int32(step * 100 / progressSteps)},
			})
		}
		time.Sleep(delay / progressSteps)
		// A vCenter task goes on when the session that started it ends: do the work in a
		// session of the simulator's own.
		if hooked[method] {
			if fault := e.before(method, body); fault != nil {
				finishFailed(ctx, task, fault)
				return
			}
		}
		rec := e.own.call(next, path, method, sent)
		if hooked[method] {
			e.after(method, this, body, rec)
		}
		finishLike(ctx, task, rec)
	}()
}

// finishLike completes our task with the outcome of the simulator's answer: the state,
// result and error of the task it started, or the fault it answered with.
func finishLike(ctx *simulator.Context, task *simulator.Task, rec *httptest.ResponseRecorder) {
	changes := []types.PropertyChange{
		{Name: "info.completeTime", Val: time.Now()},
		{Name: "info.progress", Val: int32(100)},
	}
	if rec.Code == http.StatusOK {
		ref := returnedTask(rec.Body.Bytes())
		if done, ok := reg.Get(ref).(*simulator.Task); ok {
			done.Wait() // the simulator's tasks run after it answers (since v0.30)
			// A typed nil would not pass for "unset" in a property change: send nil itself.
			var taskError interface{}
			if done.Info.Error != nil {
				taskError = *done.Info.Error
			}
			hideInnerTask(ctx, done.Self)
			changes = append(changes,
				// What the stock task is called, as vCenter names it ("VirtualMachine.powerOn").
				types.PropertyChange{Name: "info.descriptionId", Val: done.Info.DescriptionId},
				types.PropertyChange{Name: "info.name", Val: done.Info.Name},
				types.PropertyChange{Name: "info.state", Val: done.Info.State},
				types.PropertyChange{Name: "info.result", Val: done.Info.Result},
				types.PropertyChange{Name: "info.error", Val: taskError},
			)
			ctx.Update(task, changes)
			return
		}
	}
	finishFailed(ctx, task, answeredFault(rec.Body.Bytes()))
}

// finishFailed completes our task with a fault.
func finishFailed(ctx *simulator.Context, task *simulator.Task, fault types.BaseMethodFault) {
	ctx.Update(task, []types.PropertyChange{
		{Name: "info.completeTime", Val: time.Now()},
		{Name: "info.progress", Val: int32(100)},
		{Name: "info.state", Val: types.TaskInfoStateError},
		{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault, LocalizedMessage: faultMessage(fault)}},
	})
}

// hideInnerTask takes the stock task that did a slow task's work out of the recent tasks:
// vCenter shows one task per call, and clients that list recent tasks should see that one.
func hideInnerTask(ctx *simulator.Context, inner types.ManagedObjectReference) {
	instance, ok := reg.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	if !ok || instance.Content.TaskManager == nil {
		return
	}
	manager, ok := reg.Get(*instance.Content.TaskManager).(*simulator.TaskManager)
	if !ok {
		return
	}
	manager.Lock()
	defer manager.Unlock()
	recent := make([]types.ManagedObjectReference, 0, len(manager.RecentTask))
	for _, r := range manager.RecentTask {
		if r != inner {
			recent = append(recent, r)
		}
	}
	ctx.Update(manager, []types.PropertyChange{{Name: "recentTask", Val: recent}})
}

// ownSession is a session the extensions keep with the simulator, to act on its behalf.
type ownSession struct {
	mu       sync.Mutex
	cookie   string
	username string
	password string
}

// call sends a SOAP request through the simulator in this session, logging in as needed.
func (s *ownSession) call(next http.Handler, path, method string, body []byte) *httptest.ResponseRecorder {
	var rec *httptest.ResponseRecorder
	for attempt := 0; attempt < 2; attempt++ {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.Header.Set("Cookie", s.login(next, path))
		rec = httptest.NewRecorder()
		serveGuarded(rec, req, next, method)
		if rec.Code != http.StatusInternalServerError || !bytes.Contains(rec.Body.Bytes(), []byte("NotAuthenticated")) {
			break
		}
		s.mu.Lock()
		s.cookie = "" // expired: log in again
		s.mu.Unlock()
	}
	return rec
}

func (s *ownSession) login(next http.Handler, path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cookie != "" {
		return s.cookie
	}
	manager := reg.SessionManager().Reference()
	var login bytes.Buffer
	login.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><Login xmlns="urn:vim25">`)
	login.WriteString(`<_this type="SessionManager">` + manager.Value + `</_this><userName>`)
	_ = xml.EscapeText(&login, []byte(s.username))
	login.WriteString(`</userName><password>`)
	_ = xml.EscapeText(&login, []byte(s.password))
	login.WriteString(`</password></Login></soapenv:Body></soapenv:Envelope>`)
	req := httptest.NewRequest(http.MethodPost, path, &login)
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, req)
	s.cookie = strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0]
	return s.cookie
}

// returnedTask reads the task reference out of a *_Task method's response.
func returnedTask(body []byte) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "Task", Value: returnedValue(body)}
}

// returnedValue is the text of a SOAP answer's returnval (a reference's value), or "".
func returnedValue(body []byte) string {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if start, ok := tok.(xml.StartElement); ok && start.Name.Local == "returnval" {
			var value string
			if d.DecodeElement(&value, &start) == nil {
				return value
			}
		}
	}
}

// answeredFault decodes the vSphere fault of a SOAP fault response.
func answeredFault(body []byte) types.BaseMethodFault {
	var envelope struct {
		Body struct {
			Fault *soap.Fault `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	d := vimxml.NewDecoder(bytes.NewReader(body))
	d.TypeFunc = types.TypeFunc()
	if err := d.Decode(&envelope); err == nil && envelope.Body.Fault != nil {
		if fault, ok := envelope.Body.Fault.Detail.Fault.(types.BaseMethodFault); ok {
			return fault
		}
		return &types.SystemError{Reason: envelope.Body.Fault.String}
	}
	return &types.SystemError{Reason: "the simulator gave no answer"}
}

// logPanic keeps a failure in a background goroutine from ending the whole simulator.
func logPanic(what string) {
	if p := recover(); p != nil {
		log.Printf("vmw-sim: %s failed: %v", what, p)
	}
}
