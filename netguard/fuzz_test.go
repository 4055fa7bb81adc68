package netguard

import (
	"net/netip"
	"testing"
)

func FuzzBlocked(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1", "10.0.0.5", "8.8.8.8", "::1", "fe80::1%eth0",
		"64:ff9b::7f00:1", "2002:a00:1::", "::ffff:192.168.0.1", "fd00:ec2::254",
	} {
		a := netip.MustParseAddr(s)
		b := a.As16()
		f.Add(b[:], a.Zone())
	}
	f.Fuzz(func(t *testing.T, raw []byte, zone string) {
		var a netip.Addr
		switch len(raw) {
		case 4:
			a = netip.AddrFrom4([4]byte(raw))
		case 16:
			a = netip.AddrFrom16([16]byte(raw)).WithZone(zone)
		default:
			a, _ = netip.ParseAddr(string(raw))
		}
		reason, blocked := Blocked(a) // must not panic
		if blocked && reason == "" {
			t.Fatalf("Blocked(%v) blocked without a reason", a)
		}
		if a.Is4() {
			mapped := netip.AddrFrom16(a.As16())
			mr, mb := Blocked(mapped)
			if mr != reason || mb != blocked {
				t.Fatalf("Blocked(%v) = (%q, %v) but Blocked(%v) = (%q, %v)", a, reason, blocked, mapped, mr, mb)
			}
		}
	})
}
