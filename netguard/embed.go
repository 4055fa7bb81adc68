package netguard

import "net/netip"

var (
	ipv4Compatible = netip.MustParsePrefix("::/96")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	unspecified6   = netip.IPv6Unspecified()
	loopback6      = netip.IPv6Loopback()
)

// embeddedIPv4 extracts the IPv4 address that translation and tunnelling
// schemes route an IPv6 address to; without it 64:ff9b::7f00:1 would slip
// past the IPv4 ranges. ip must already be unmapped and unzoned.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case ip == unspecified6 || ip == loopback6:
		// Inside ::/96 but with their own IPv6 meaning.
		return netip.Addr{}, false
	case ipv4Compatible.Contains(ip), nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
