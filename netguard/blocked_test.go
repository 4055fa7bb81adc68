package netguard

import (
	"net/netip"
	"testing"
)

func TestBlockedRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr   string
		reason string // "" means allowed
	}{
		// 0.0.0.0/8
		{"0.0.0.0", "unspecified"},
		{"0.255.255.255", "unspecified"},
		{"1.0.0.0", ""},
		// 10/8
		{"9.255.255.255", ""},
		{"10.0.0.0", "private"},
		{"10.0.0.5", "private"},
		{"10.255.255.255", "private"},
		{"11.0.0.0", ""},
		// 100.64/10 and Alibaba metadata
		{"100.63.255.255", ""},
		{"100.64.0.0", "carrier-grade NAT"},
		{"100.127.255.255", "carrier-grade NAT"},
		{"100.128.0.0", ""},
		{"100.100.100.200", "cloud metadata"},
		// 127/8
		{"126.255.255.255", ""},
		{"127.0.0.1", "loopback"},
		{"127.255.255.255", "loopback"},
		{"128.0.0.0", ""},
		// 169.254/16 and metadata
		{"169.253.255.255", ""},
		{"169.254.0.0", "link-local"},
		{"169.254.169.254", "cloud metadata"},
		{"169.254.255.255", "link-local"},
		{"169.255.0.0", ""},
		// 172.16/12
		{"172.15.255.255", ""},
		{"172.16.0.0", "private"},
		{"172.31.255.255", "private"},
		{"172.32.0.0", ""},
		// 192.0.0.0/24
		{"191.255.255.255", ""},
		{"192.0.0.0", "reserved"},
		{"192.0.0.255", "reserved"},
		{"192.0.1.0", ""},
		// 192.168/16
		{"192.167.255.255", ""},
		{"192.168.0.0", "private"},
		{"192.168.255.255", "private"},
		{"192.169.0.0", ""},
		// 198.18/15
		{"198.17.255.255", ""},
		{"198.18.0.0", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"198.20.0.0", ""},
		// 224/4, 240/4, broadcast
		{"223.255.255.255", ""},
		{"224.0.0.0", "multicast"},
		{"239.255.255.255", "multicast"},
		{"240.0.0.0", "reserved"},
		{"255.255.255.254", "reserved"},
		{"255.255.255.255", "broadcast"},
		// public IPv4
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"93.184.216.34", ""},
		// IPv6
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
		{"fe80::", "link-local"},
		{"fe80::1", "link-local"},
		{"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local"},
		{"fec0::", ""},
		{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
		{"fc00::", "unique-local"},
		{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique-local"},
		{"fe00::", ""},
		{"fd00:ec2::254", "cloud metadata"},
		{"fd00:ec2::253", "unique-local"},
		{"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
		{"ff00::", "multicast"},
		{"ff02::1", "multicast"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast"},
		{"2606:4700::1111", ""},
		{"2001:4860:4860::8888", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			checkBlocked(t, tt.addr, tt.reason)
		})
	}
}

func TestBlockedJudgesEmbeddedIPv4(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		addr   string
		reason string
	}{
		{"mapped loopback", "::ffff:127.0.0.1", "loopback"},
		{"mapped private", "::ffff:10.0.0.5", "private"},
		{"mapped metadata", "::ffff:169.254.169.254", "cloud metadata"},
		{"mapped public", "::ffff:8.8.8.8", ""},
		{"compatible loopback", "::127.0.0.1", "loopback"},
		{"compatible private", "::192.168.1.1", "private"},
		{"compatible public", "::8.8.8.8", ""},
		{"compatible low bits", "::2", "unspecified"},
		{"nat64 loopback", "64:ff9b::127.0.0.1", "loopback"},
		{"nat64 metadata", "64:ff9b::a9fe:a9fe", "cloud metadata"},
		{"nat64 public", "64:ff9b::8.8.8.8", ""},
		{"nat64 outside /96", "64:ff9b:0:0:1::7f00:1", ""},
		{"6to4 loopback", "2002:7f00:1::", "loopback"},
		{"6to4 private with host bits", "2002:a00:5:1::1", "private"},
		{"6to4 metadata", "2002:a9fe:a9fe::1", "cloud metadata"},
		{"6to4 public", "2002:808:808::1", ""},
		{"just outside 6to4", "2003:7f00:1::", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkBlocked(t, tt.addr, tt.reason)
		})
	}
}

func TestBlockedIgnoresZones(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr   string
		reason string
	}{
		{"fe80::1%eth0", "link-local"},
		{"::1%lo", "loopback"},
		{"ff02::1%eth0", "multicast"},
		{"::ffff:127.0.0.1%eth0", "loopback"},
		{"2606:4700::1111%eth0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			checkBlocked(t, tt.addr, tt.reason)
		})
	}
}

func TestBlockedRefusesInvalidAddr(t *testing.T) {
	t.Parallel()
	if _, blocked := Blocked(netip.Addr{}); !blocked {
		t.Fatal("zero netip.Addr is allowed, want blocked so parse slips fail closed")
	}
}

func checkBlocked(t *testing.T, addr, wantReason string) {
	t.Helper()
	reason, blocked := Blocked(netip.MustParseAddr(addr))
	if wantBlocked := wantReason != ""; blocked != wantBlocked || reason != wantReason {
		t.Errorf("Blocked(%s) = (%q, %v), want (%q, %v)", addr, reason, blocked, wantReason, wantBlocked)
	}
}
