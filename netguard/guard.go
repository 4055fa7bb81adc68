package netguard

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"time"
)

const defaultTimeout = 2 * time.Second

// Guard applies the policy. The zero value blocks private targets and uses
// net.DefaultResolver; a nil *Guard behaves like the zero value.
type Guard struct {
	// AllowPrivate disables the policy (HERALD_ALLOW_PRIVATE_TARGETS), for
	// self-hosted installs whose webhooks legitimately live on the LAN.
	AllowPrivate bool
	// LookupNetIP resolves names at save time; nil means
	// net.DefaultResolver.LookupNetIP. Tests substitute a fake.
	LookupNetIP func(ctx context.Context, network, host string) ([]netip.Addr, error)
	// Timeout bounds the save-time lookup so a slow DNS server cannot stall
	// a settings request; 0 means 2s.
	Timeout time.Duration
}

// CheckHost is the save-time check; host is a URL's Hostname(). It exists to
// give customers an early, readable refusal. A name that does not resolve
// (or resolves too slowly) is accepted, because DNS may legitimately not be
// set up yet and Control has the last word at connect time.
func (g *Guard) CheckHost(ctx context.Context, host string) error {
	if g != nil && g.AllowPrivate {
		return nil
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip, err := netip.ParseAddr(host); err == nil {
		if reason, blocked := Blocked(ip); blocked {
			return refuse(host + " is " + describe(reason))
		}
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		// RFC 6761: resolvers may answer these locally without DNS.
		return refuse(host + " is a loopback host name")
	}
	for _, ip := range g.lookup(ctx, host) {
		if reason, blocked := Blocked(ip); blocked {
			return refuse(host + " resolves to " + ip.String() + ", " + describe(reason))
		}
	}
	return nil
}

// lookup resolves host within the timeout. It runs the lookup in its own
// goroutine so a resolver that ignores ctx still cannot hold up the caller.
func (g *Guard) lookup(ctx context.Context, host string) []netip.Addr {
	fn := net.DefaultResolver.LookupNetIP
	timeout := defaultTimeout
	if g != nil {
		if g.LookupNetIP != nil {
			fn = g.LookupNetIP
		}
		if g.Timeout > 0 {
			timeout = g.Timeout
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan []netip.Addr, 1)
	go func() {
		addrs, err := fn(ctx, "ip", host)
		if err != nil {
			addrs = nil
		}
		done <- addrs
	}()
	select {
	case addrs := <-done:
		return addrs
	case <-ctx.Done():
		return nil
	}
}
