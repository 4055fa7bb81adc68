package herald_test

import (
	"strings"
	"testing"

	"herald"
)

func TestCheckEmailAcceptsPlainAddresses(t *testing.T) {
	t.Parallel()
	// 64 + 1 + 63 + 1 + 63 + 1 + 56 + 5 = 254 characters, the longest allowed.
	longest := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 56) + ".test"
	if len(longest) != herald.MaxEmailLength {
		t.Fatalf("test setup: len(longest) = %d, want %d", len(longest), herald.MaxEmailLength)
	}
	for _, addr := range []string{
		"ops@acme.test",
		"first.last+tag@sub.example.co.uk",
		"Ops@Acme.Test",
		"o_p-s9@a-b.test",
		longest,
	} {
		t.Run(addr[:min(len(addr), 40)], func(t *testing.T) {
			t.Parallel()
			if reason := herald.CheckEmail(addr); reason != "" {
				t.Errorf("CheckEmail(%q) = %q, want \"\"", addr, reason)
			}
		})
	}
}

func TestCheckEmailRefusesWhatIsNotAPlainAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, addr string
	}{
		{"empty", ""},
		{"no at sign", "ops"},
		{"no domain", "ops@"},
		{"no local part", "@acme.test"},
		{"display name", "Ann <ann@acme.test>"},
		{"angle brackets only", "<ann@acme.test>"},
		{"comment", "ann@acme.test (Ann)"},
		{"domain without a dot", "ann@localhost"},
		{"double dot in domain", "ann@acme..test"},
		{"leading dot in domain", "ann@.acme.test"},
		{"trailing dot in domain", "ann@acme.test."},
		{"space in local part", "a b@acme.test"},
		{"surrounding spaces", " ann@acme.test "},
		{"two addresses", "a@acme.test, b@acme.test"},
		{"two at signs", "a@b@acme.test"},
		{"255 characters", strings.Repeat("a", 255-len("@acme.test")) + "@acme.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if reason := herald.CheckEmail(tt.addr); reason == "" {
				t.Errorf("CheckEmail(%q) = \"\", want a reason", tt.addr)
			}
		})
	}
}
