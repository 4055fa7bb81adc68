package netguard

import "net/netip"

type blockedRange struct {
	prefix netip.Prefix
	reason string
}

// exactBlocked names single addresses whose reason is more specific than the
// range they sit in, so operators can tell a metadata probe from a typo.
var exactBlocked = map[netip.Addr]string{
	netip.MustParseAddr("169.254.169.254"): "cloud metadata",
	netip.MustParseAddr("100.100.100.200"): "cloud metadata", // Alibaba Cloud
	netip.MustParseAddr("fd00:ec2::254"):   "cloud metadata", // AWS IPv6
	netip.MustParseAddr("255.255.255.255"): "broadcast",
	netip.MustParseAddr("::"):              "unspecified",
	netip.MustParseAddr("::1"):             "loopback",
}

var blockedRanges = []blockedRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"}, // IETF protocol assignments
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Blocked reports whether ip is an address webhooks must never reach, and a
// short reason suitable for messages. Addresses that carry an IPv4 address
// inside an IPv6 one are judged by the IPv4 address, because that is where
// the packets end up. The invalid zero Addr is blocked so a parsing slip
// upstream fails closed.
func Blocked(ip netip.Addr) (reason string, blocked bool) {
	if !ip.IsValid() {
		return "invalid", true
	}
	ip = ip.WithZone("").Unmap()
	if v4, ok := embeddedIPv4(ip); ok {
		ip = v4
	}
	if r, ok := exactBlocked[ip]; ok {
		return r, true
	}
	for _, br := range blockedRanges {
		if br.prefix.Contains(ip) {
			return br.reason, true
		}
	}
	return "", false
}
