package seal

import (
	"errors"
	"strings"
	"testing"
)

func TestSealOpensAndHides(t *testing.T) {
	key := NewKey()
	b, err := NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"https://hooks.acme.test/in?token=s3cret", "x", strings.Repeat("é", 3000)} {
		s := b.Seal(p)
		if strings.Contains(s, "s3cret") || !strings.HasPrefix(s, "sealed1."+b.KeyID()+".") {
			t.Errorf("Seal(%q) = %q", p, s)
		}
		got, err := b.Open(s)
		if err != nil || got != p {
			t.Errorf("Open(Seal(%q)) = %q, %v", p, got, err)
		}
		// A fresh Box with the same key (a restart) opens it too, uncached.
		again, _ := NewBox(key)
		if got, err := again.Open(s); err != nil || got != p {
			t.Errorf("another Box: Open = %q, %v", got, err)
		}
	}
	if b.Seal("") != "" {
		t.Error("the empty string is sealed")
	}
	if p, err := b.Open(""); p != "" || err != nil {
		t.Errorf("Open(\"\") = %q, %v", p, err)
	}
}

func TestWrongKeyAndTamperingFail(t *testing.T) {
	k1, k2 := NewKey(), NewKey()
	b1, _ := NewBox(k1)
	b2, _ := NewBox(k2)
	s := b1.Seal("https://x.test/?token=s3cret")
	if _, err := b2.Open(s); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), KeyID(k1)) {
		t.Errorf("wrong key: %v", err)
	}
	// The same id with an altered byte fails authentication.
	tampered := s[:len(s)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(s, "AA")]
	if _, err := b1.Open(tampered); err == nil {
		t.Error("a tampered value opened")
	}
	if _, err := b1.Open("https://x.test/?token=s3cret"); err == nil {
		t.Error("a plaintext value opened")
	}
	// A Box holding the previous key opens old values and seals under the new.
	both, _ := NewBox(k2, k1)
	if p, err := both.Open(s); err != nil || p != "https://x.test/?token=s3cret" {
		t.Errorf("previous key: %q, %v", p, err)
	}
	if both.Current(s) || !both.Current(both.Seal("a")) || both.KeyID() != KeyID(k2) {
		t.Error("Current misreports which key sealed a value")
	}
}

func TestParseKey(t *testing.T) {
	k := NewKey()
	for _, s := range []string{EncodeKey(k), " " + EncodeKey(k) + "\n", strings.TrimRight(EncodeKey(k), "=")} {
		got, err := ParseKey(s)
		if err != nil || string(got) != string(k) {
			t.Errorf("ParseKey(%q) = %v", s, err)
		}
	}
	for _, bad := range []string{"", "not base64!", EncodeKey(k[:16])} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}
