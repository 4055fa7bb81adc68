package netguard

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeLookup answers every name with addrs, or err, and counts calls so tests
// can assert whether DNS was consulted.
type fakeLookup struct {
	addrs []string
	err   error
	calls atomic.Int32
}

func (f *fakeLookup) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	out := make([]netip.Addr, len(f.addrs))
	for i, s := range f.addrs {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

func TestCheckHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		host       string
		addrs      []string
		lookupErr  error
		wantErr    string // substring; "" means accepted
		wantLookup bool
	}{
		{name: "public IPv4 literal", host: "93.184.216.34"},
		{name: "public IPv6 literal", host: "2606:4700::1111"},
		{name: "loopback literal", host: "127.0.0.1", wantErr: "127.0.0.1 is a loopback address"},
		{name: "IPv6 literal without brackets", host: "::1", wantErr: "::1 is a loopback address"},
		{name: "IPv6 literal with brackets", host: "[::1]", wantErr: "loopback"},
		{name: "zoned link-local literal", host: "fe80::1%eth0", wantErr: "a link-local address"},
		{name: "unspecified literal uses an", host: "0.0.0.0", wantErr: "0.0.0.0 is an unspecified address"},
		{name: "metadata literal", host: "169.254.169.254", wantErr: "a cloud metadata address"},
		{name: "mapped literal", host: "::ffff:10.1.2.3", wantErr: "a private address"},
		{name: "all public", host: "example.com", addrs: []string{"93.184.216.34", "2606:4700::1111"}, wantLookup: true},
		{
			name: "mixed public and private", host: "rebind.example", addrs: []string{"93.184.216.34", "10.0.0.5"},
			wantErr: "rebind.example resolves to 10.0.0.5, a private address", wantLookup: true,
		},
		{name: "resolves to unique-local", host: "v6.example", addrs: []string{"fd12::1"}, wantErr: "a unique-local address", wantLookup: true},
		{name: "lookup error accepted", host: "nxdomain.example", lookupErr: errors.New("no such host"), wantLookup: true},
		{name: "no addresses accepted", host: "empty.example", addrs: []string{}, wantLookup: true},
		{name: "localhost", host: "localhost", wantErr: "loopback host name"},
		{name: "localhost uppercase trailing dot", host: "LocalHost.", wantErr: "loopback host name"},
		{name: "localhost subdomain", host: "api.localhost", wantErr: "loopback host name"},
		{name: "localhost lookalike resolves", host: "notlocalhost", addrs: []string{"8.8.8.8"}, wantLookup: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeLookup{addrs: tt.addrs, err: tt.lookupErr}
			g := &Guard{LookupNetIP: fake.LookupNetIP}
			err := g.CheckHost(context.Background(), tt.host)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckHost(%q) = %v, want nil", tt.host, err)
				}
			} else {
				if !errors.Is(err, ErrBlocked) {
					t.Fatalf("CheckHost(%q) = %v, want error wrapping ErrBlocked", tt.host, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CheckHost(%q) = %q, want it to contain %q", tt.host, err, tt.wantErr)
				}
			}
			if called := fake.calls.Load() > 0; called != tt.wantLookup {
				t.Errorf("CheckHost(%q) looked up DNS = %v, want %v", tt.host, called, tt.wantLookup)
			}
		})
	}
}

func TestCheckHostAllowPrivateAcceptsEverything(t *testing.T) {
	t.Parallel()
	fake := &fakeLookup{addrs: []string{"10.0.0.5"}}
	g := &Guard{AllowPrivate: true, LookupNetIP: fake.LookupNetIP}
	for _, host := range []string{"127.0.0.1", "::1", "localhost", "169.254.169.254", "internal.example"} {
		if err := g.CheckHost(context.Background(), host); err != nil {
			t.Errorf("CheckHost(%q) with AllowPrivate = %v, want nil", host, err)
		}
	}
}

func TestCheckHostSlowLookupIsAcceptedPromptly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		honorCtx bool
	}{
		{"lookup honours context", true},
		{"lookup ignores context", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			g := &Guard{
				Timeout: 50 * time.Millisecond,
				LookupNetIP: func(ctx context.Context, _, _ string) ([]netip.Addr, error) {
					if tt.honorCtx {
						<-ctx.Done()
						return nil, ctx.Err()
					}
					<-release
					return []netip.Addr{netip.MustParseAddr("10.0.0.5")}, nil
				},
			}
			start := time.Now()
			err := g.CheckHost(context.Background(), "slow.example")
			if err != nil {
				t.Fatalf("CheckHost = %v, want nil for a lookup that times out", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("CheckHost took %v, want about the 50ms Timeout", d)
			}
		})
	}
}

func TestCheckHostZeroGuardRefusesLiteralsWithoutDNS(t *testing.T) {
	t.Parallel()
	var g Guard
	if err := g.CheckHost(context.Background(), "10.0.0.1"); !errors.Is(err, ErrBlocked) {
		t.Fatalf("zero Guard CheckHost(10.0.0.1) = %v, want ErrBlocked", err)
	}
}
