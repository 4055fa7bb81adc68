package herald_test

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"herald"
)

func TestNewTokenKeepsPrefixAndCarries256Bits(t *testing.T) {
	t.Parallel()
	// 32 random bytes in unpadded base32 are 52 characters.
	shape := regexp.MustCompile(`^[a-z2-7]{52}$`)
	for _, prefix := range []string{herald.PlatformTokenPrefix, herald.APIKeyPrefix, ""} {
		tok := herald.NewToken(prefix)
		rest, ok := strings.CutPrefix(tok, prefix)
		if !ok {
			t.Errorf("NewToken(%q) = %q, want that prefix", prefix, tok)
			continue
		}
		if !shape.MatchString(rest) {
			t.Errorf("NewToken(%q) = %q, want prefix + 52 base32 characters", prefix, tok)
		}
	}
}

func TestNewTokenIsDistinctOver1000Draws(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool, 1000)
	for range 1000 {
		tok := herald.NewToken(herald.APIKeyPrefix)
		if seen[tok] {
			t.Fatalf("NewToken repeated %q", tok)
		}
		seen[tok] = true
	}
}

func TestHashTokenIsSHA256Hex(t *testing.T) {
	t.Parallel()
	hexShape := regexp.MustCompile(`^[0-9a-f]{64}$`)
	tests := []struct{ token, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"hk_abc", func() string { s := sha256.Sum256([]byte("hk_abc")); return hex.EncodeToString(s[:]) }()},
	}
	for _, tt := range tests {
		got := herald.HashToken(tt.token)
		if !hexShape.MatchString(got) {
			t.Errorf("HashToken(%q) = %q, want 64 lowercase hex characters", tt.token, got)
		}
		if got != tt.want {
			t.Errorf("HashToken(%q) = %q, want %q", tt.token, got, tt.want)
		}
	}
}

func TestHashTokenIsDeterministicAndDistinguishesTokens(t *testing.T) {
	t.Parallel()
	a, b := herald.NewToken(herald.APIKeyPrefix), herald.NewToken(herald.APIKeyPrefix)
	if first, second := herald.HashToken(a), herald.HashToken(a); first != second {
		t.Errorf("HashToken(%q) differs between calls", a)
	}
	if herald.HashToken(a) == herald.HashToken(b) {
		t.Errorf("HashToken gives the same hash for %q and %q", a, b)
	}
	if herald.HashToken(a) == a {
		t.Errorf("HashToken returned the token itself")
	}
}

func TestNewIDKeepsPrefixAndShape(t *testing.T) {
	t.Parallel()
	// 128 bits in unpadded Crockford base32 are 26 characters.
	shape := regexp.MustCompile(`^dlv_[0-9a-hjkmnp-tv-z]{26}$`)
	id := herald.NewID("dlv_", time.Now())
	if !shape.MatchString(id) {
		t.Errorf("NewID = %q, want dlv_ + 26 lowercase Crockford base32 characters", id)
	}
}

func TestNewIDSortsInCreationOrder(t *testing.T) {
	t.Parallel()
	starts := []time.Time{
		time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 990_000_000, time.UTC), // across a second, minute, ... year boundary
		time.UnixMilli(0),
		time.UnixMilli(1<<32 - 5), // across a 32-bit boundary of the millisecond count
	}
	for _, start := range starts {
		ids := make([]string, 1000)
		for i := range ids {
			ids[i] = herald.NewID("evt_", start.Add(time.Duration(i)*time.Millisecond))
		}
		for i := 1; i < len(ids); i++ {
			if ids[i-1] >= ids[i] {
				t.Errorf("start %v: id at +%dms %q does not sort before id at +%dms %q", start, i-1, ids[i-1], i, ids[i])
				break
			}
		}
	}
}

// IDBefore(t) sorts above every id made before t's millisecond and not
// above any made in it or later.
func TestIDBeforeSplitsIDsAtTheirMillisecond(t *testing.T) {
	t.Parallel()
	for _, at := range []time.Time{time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC), time.UnixMilli(1<<32 - 1), time.UnixMilli(1)} {
		bound := herald.IDBefore("evt_", at)
		for range 200 {
			if before := herald.NewID("evt_", at.Add(-time.Millisecond)); before >= bound {
				t.Fatalf("%v: id a millisecond before %q sorts at or above the bound %q", at, before, bound)
			}
			if in := herald.NewID("evt_", at); in < bound {
				t.Fatalf("%v: id of the millisecond %q sorts below the bound %q", at, in, bound)
			}
		}
	}
}

func TestNewIDIsUniqueOver10000Draws(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC) // same millisecond: only the random bits differ
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = herald.NewID("dlv_", now)
	}
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Fatalf("NewID repeated %q", ids[i])
		}
	}
}

func TestDeriveToken(t *testing.T) {
	t.Parallel()
	k1, k2 := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	a := herald.DeriveToken("hu_", k1, "100\x00run_failed\x00ann@acme.test")
	if a != herald.DeriveToken("hu_", k1, "100\x00run_failed\x00ann@acme.test") {
		t.Error("DeriveToken is not deterministic")
	}
	if !strings.HasPrefix(a, "hu_") || len(a) != 3+52 {
		t.Errorf("DeriveToken = %q, want hu_ and 256 bits in base32", a)
	}
	for _, other := range []string{
		herald.DeriveToken("hu_", k2, "100\x00run_failed\x00ann@acme.test"),
		herald.DeriveToken("hu_", k1, "100\x00run_failed\x00bob@acme.test"),
		herald.DeriveToken("hu_", k1, "101\x00run_failed\x00ann@acme.test"),
	} {
		if other == a {
			t.Errorf("another key or message gave the same token %q", a)
		}
	}
}
