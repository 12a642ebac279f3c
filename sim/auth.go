package main

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"strings"
)

// defaultGuestUser is the guest username when -guest-username is not given; its password is
// made at start. Guest programs run on this machine as the user who started the simulator,
// so a guest that let anyone in would let every local user act as that user.
const defaultGuestUser = "vmw-guest"

// controlTokenHeader carries the control token, for clients that cannot set Authorization.
const controlTokenHeader = "X-Vmw-Sim-Token"

// folderPath is where the simulator serves datastore files (as vCenter does).
const folderPath = "/folder"

// newSecret returns a random secret that can go into URLs, headers and shell lines unquoted
// (26 characters of base32, 130 bits from crypto/rand).
func newSecret() string {
	return rand.Text()
}

// authorized tells whether a control request carries the control token, and answers the
// ones that do not: 401 without a token, 403 with a wrong one. Without it any local program
// could inject faults into, or slow down, another user's test run.
func (c *control) authorized(w http.ResponseWriter, r *http.Request) bool {
	given := r.Header.Get(controlTokenHeader)
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && given == "" {
		given = strings.TrimSpace(bearer)
	}
	switch {
	case given == "":
		w.Header().Set("WWW-Authenticate", `Bearer realm="vmw-sim control"`)
		http.Error(w, "the control endpoint needs the control token of the ready line", http.StatusUnauthorized)
		return false
	case subtle.ConstantTimeCompare([]byte(given), []byte(c.token)) != 1:
		http.Error(w, "wrong control token", http.StatusForbidden)
		return false
	}
	return true
}

// isDatastorePath tells whether a request is for the datastore files under /folder.
func isDatastorePath(p string) bool {
	return p == folderPath || strings.HasPrefix(p, folderPath+"/")
}

// serveUnauthenticatedFolder answers a /folder request that has no logged-in session, as
// vCenter does: datastores hold disks and configurations that only a session may read or
// write (the stock simulator serves them to anyone).
func serveUnauthenticatedFolder(w http.ResponseWriter) {
	http.Error(w, "datastore file access needs a logged-in session (the vmware_soap_session cookie)", http.StatusUnauthorized)
}
