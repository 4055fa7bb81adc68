package password_test

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"herald/password"
)

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=1,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashIsPHCArgon2idAndVerifies(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery staple"
	h, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !phcRE.MatchString(h) {
		t.Errorf("hash %q is not $argon2id$v=19$m=65536,t=1,p=4$<16-byte salt>$<32-byte key>", h)
	}
	if strings.Contains(h, pw) {
		t.Errorf("hash contains the password: %q", h)
	}
	h2, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		name, pw, hash string
		want           bool
	}{
		{"right password", pw, h, true},
		{"right password, other salt", pw, h2, true},
		{"wrong password", pw + "!", h, false},
		{"empty password", "", h, false},
		{"case differs", strings.ToUpper(pw), h, false},
	}
	for _, tc := range tests {
		if got := password.Verify(tc.pw, tc.hash); got != tc.want {
			t.Errorf("%s: Verify = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A hash made with other parameters still verifies: they are read from
// the string, so new hashes may use stronger ones later.
func TestVerifyReadsParametersFromTheHash(t *testing.T) {
	t.Parallel()
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("another password"), salt, 2, 19*1024, 1, 24)
	h := "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$" + base64.RawStdEncoding.EncodeToString(key)
	if !password.Verify("another password", h) {
		t.Errorf("Verify rejects a valid hash with m=19456,t=2,p=1 and a 24-byte key: %s", h)
	}
	if password.Verify("another passwore", h) {
		t.Error("Verify accepts a wrong password")
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	t.Parallel()
	good, err := password.Hash("twelve chars!")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := map[string]string{
		"empty":               "",
		"plain text":          "twelve chars!",
		"argon2i":             with(1, "argon2i"),
		"bcrypt":              "$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
		"old version":         with(2, "v=16"),
		"missing parameter":   with(3, "m=65536,t=1"),
		"parameters reversed": with(3, "p=4,t=1,m=65536"),
		"signed parameter":    with(3, "m=65536,t=+1,p=4"),
		"zero iterations":     with(3, "m=65536,t=0,p=4"),
		"zero threads":        with(3, "m=65536,t=1,p=0"),
		"too many threads":    with(3, "m=65536,t=1,p=256"),
		"huge memory":         with(3, "m=4194304,t=1,p=4"),
		"many iterations":     with(3, "m=65536,t=1000,p=4"),
		"bad salt":            with(4, "!!!"),
		"short key":           with(5, "AAAA"),
		"padded base64 key":   with(5, parts[5]+"="),
		"extra field":         good + "$x",
	}
	for name, h := range tests {
		if password.Verify("twelve chars!", h) {
			t.Errorf("%s: Verify accepted %q", name, h)
		}
	}
	if !password.Verify("twelve chars!", good) {
		t.Error("the unmodified hash does not verify")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pw, want string
	}{
		{"", "must be at least 12 characters"},
		{"elevenchars", "must be at least 12 characters"},
		{"twelve chars", ""},
		{"ünïcödé-ōk!", "must be at least 12 characters"}, // 11 characters, more bytes
		{"ünïcödé-ōk!!", ""},
		{strings.Repeat("x", 256), ""},
		{strings.Repeat("x", 257), "must be at most 256 characters"},
	}
	for _, tc := range tests {
		if got := password.Check(tc.pw); got != tc.want {
			t.Errorf("Check(%q) = %q, want %q", tc.pw, got, tc.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		pw := password.Generate()
		if len(pw) != 20 || !regexp.MustCompile(`^[a-km-zA-HJ-NP-Z2-9]{20}$`).MatchString(pw) {
			t.Fatalf("Generate() = %q, want 20 unambiguous letters and digits", pw)
		}
		if password.Check(pw) != "" {
			t.Fatalf("Generate() = %q fails Check: %s", pw, password.Check(pw))
		}
		if seen[pw] {
			t.Fatalf("Generate() repeated %q", pw)
		}
		seen[pw] = true
	}
}
