package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestControlNeedsItsToken(t *testing.T) {
	c := newControl(time.Second, time.Second)
	c.token = newSecret()
	cases := []struct {
		header, value string
		want          int
	}{
		{"", "", http.StatusUnauthorized},
		{"Authorization", "Basic " + c.token, http.StatusUnauthorized},
		{"Authorization", "Bearer wrong", http.StatusForbidden},
		{controlTokenHeader, "wrong", http.StatusForbidden},
		{"Authorization", "Bearer " + c.token, http.StatusOK},
		{controlTokenHeader, c.token, http.StatusOK},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodGet, controlPath+"faults", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		if tc.header != "" {
			r.Header.Set(tc.header, tc.value)
		}
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s %q: status %d, want %d", tc.header, tc.value, w.Code, tc.want)
		}
	}
}

func TestSecretsDiffer(t *testing.T) {
	a, b := newSecret(), newSecret()
	if a == b || len(a) < 20 {
		t.Fatalf("secrets %q and %q", a, b)
	}
}

func TestDatastorePaths(t *testing.T) {
	for p, want := range map[string]bool{
		"/folder": true, "/folder/": true, "/folder/vm/vm.vmx": true,
		"/folders": false, "/sdk": false, "/guestFile": false,
	} {
		if isDatastorePath(p) != want {
			t.Errorf("isDatastorePath(%q) = %v", p, !want)
		}
	}
}
