package netguard

import (
	"net/netip"
	"syscall"
)

// Control is for net.Dialer.Control. It runs after DNS resolution with the
// address actually being dialled, which is what defeats DNS rebinding
// between CheckHost and the request. Unparseable addresses are refused so
// that anything unexpected fails closed.
func (g *Guard) Control(network, address string, c syscall.RawConn) error {
	if g != nil && g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refuse("cannot check dial address " + address)
	}
	if reason, blocked := Blocked(ap.Addr()); blocked {
		return refuse(ap.Addr().String() + " is " + describe(reason))
	}
	return nil
}
