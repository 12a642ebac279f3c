package main

import (
	"net/http"
	"sync"
	"time"

	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// logoutGrace is how long a Logout waits for the other calls of its session: longer than a
// first read of a large inventory takes, short enough that a call that never ends (a wait
// this cannot cancel) delays a logout only a little.
const logoutGrace = 5 * time.Second

// sessionCalls holds back a Logout until the other calls of its session have been answered.
// v0.56.0 deadlocks otherwise: its Logout holds the session's registry locked while it
// removes the session's objects, each of which needs that object's lock, and a
// WaitForUpdatesEx of the same session that is reading through a container view holds the
// view's lock and then needs the session's registry. A client that logs out while its
// inventory watch is still reading its first answer (a short-lived command does) hangs both.
// vCenter ends the session's calls and logs out. The session's waits are cancelled first,
// so that a long wait does not hold the Logout back.
type sessionCalls struct {
	mu    sync.Mutex
	done  *sync.Cond
	calls map[string]int // by session cookie
}

func newSessionCalls() *sessionCalls {
	s := &sessionCalls{calls: make(map[string]int)}
	s.done = sync.NewCond(&s.mu)
	return s
}

// sessionKey is the session cookie of a request, or "".
func sessionKey(r *http.Request) string {
	if c, err := r.Cookie(soap.SessionCookieName); err == nil {
		return c.Value
	}
	return ""
}

func (s *sessionCalls) begin(key string) {
	s.mu.Lock()
	s.calls[key]++
	s.mu.Unlock()
}

func (s *sessionCalls) end(key string) {
	s.mu.Lock()
	if s.calls[key]--; s.calls[key] <= 0 {
		delete(s.calls, key)
	}
	s.mu.Unlock()
	s.done.Broadcast()
}

// beforeLogout cancels the waits of the session's collectors, then waits until its other
// calls have been answered, for logoutGrace at the most.
func (s *sessionCalls) beforeLogout(key string) {
	relevance.Range(func(k, v any) bool {
		if standIn := v.(*relevantUpdates); standIn.session.Key == key {
			standIn.pc.CancelWaitForUpdates(&types.CancelWaitForUpdates{This: standIn.pc.Self})
		}
		return true
	})
	expired := false
	timer := time.AfterFunc(logoutGrace, func() {
		s.mu.Lock()
		expired = true
		s.mu.Unlock()
		s.done.Broadcast()
	})
	defer timer.Stop()
	s.mu.Lock()
	for s.calls[key] > 0 && !expired {
		s.done.Wait()
	}
	s.mu.Unlock()
}
