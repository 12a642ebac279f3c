package main

import "testing"

func TestMaskLength(t *testing.T) {
	for mask, want := range map[string]int32{
		"255.255.255.0":   24,
		"255.255.255.255": 32,
		"255.0.0.0":       8,
		"0.0.0.255":       0, // a host mask, not a netmask
		"not an address":  0,
		"fd00::1":         0,
	} {
		if got := maskLength(mask); got != want {
			t.Errorf("maskLength(%q) = %d, want %d", mask, got, want)
		}
	}
}
