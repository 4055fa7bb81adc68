package netguard

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// listenLoopback starts a listener on 127.0.0.1 that accepts and closes
// connections; all network tests stay on loopback.
func listenLoopback(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func TestControlOnRealLoopbackDial(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		allowPrivate bool
		wantBlocked  bool
	}{
		{"default guard refuses loopback", false, true},
		{"AllowPrivate permits loopback", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := listenLoopback(t)
			g := &Guard{AllowPrivate: tt.allowPrivate}
			d := net.Dialer{Control: g.Control, Timeout: 5 * time.Second}
			conn, err := d.DialContext(context.Background(), "tcp", addr)
			if conn != nil {
				conn.Close()
			}
			if tt.wantBlocked {
				if !errors.Is(err, ErrBlocked) {
					t.Fatalf("dial %s = %v, want error wrapping ErrBlocked", addr, err)
				}
			} else if err != nil {
				t.Fatalf("dial %s = %v, want success", addr, err)
			}
		})
	}
}

func TestControlAddresses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		address     string
		wantBlocked bool
	}{
		{"127.0.0.1:80", true},
		{"10.0.0.5:443", true},
		{"169.254.169.254:80", true},
		{"[::1]:443", true},
		{"[fe80::1%eth0]:443", true},
		{"[::ffff:127.0.0.1]:80", true},
		{"[64:ff9b::a00:5]:80", true},
		{"93.184.216.34:443", false},
		{"[2606:4700::1111]:443", false},
		{"not-an-address", true},
		{"example.com:443", true},
	}
	var g Guard
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			t.Parallel()
			err := g.Control("tcp", tt.address, nil)
			if got := errors.Is(err, ErrBlocked); got != tt.wantBlocked {
				t.Fatalf("Control(%q) = %v, want blocked %v", tt.address, err, tt.wantBlocked)
			}
		})
	}
}
