package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestPlaceTransferHost(t *testing.T) {
	answer := []byte(`<returnval>https://*/guestFile?token=abc</returnval>`)
	for host, want := range map[string]string{
		"127.0.0.1:8989": "https://127.0.0.1:8989/guestFile?token=abc",
		"localhost:8989": "https://localhost:8989/guestFile?token=abc",
		"[::1]:8989":     "https://[::1]:8989/guestFile?token=abc",
		"evil/<x>":       "https://*:8989/guestFile?token=abc", // not a host: "*" and our port
	} {
		r := httptest.NewRequest("POST", "/sdk", nil)
		r.Host = host
		addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8989}
		r = r.WithContext(context.WithValue(context.Background(), http.LocalAddrContextKey, net.Addr(addr)))
		got := string(placeTransferHost(answer, r))
		if got != "<returnval>"+want+"</returnval>" {
			t.Errorf("Host %q: %s, want %s", host, got, want)
		}
	}
}
