package email

import (
	"bytes"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// stdQP is mime/quotedprintable's encoding of s, which appendQP must
// match exactly.
func stdQP(s string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func TestAppendQP(t *testing.T) {
	t.Parallel()
	tests := []string{
		"",
		"plain",
		"a=b",
		"trailing space \nand tab\t\r\nend ",
		"\r\n\r\n\n\r\r\n",
		"\r\xc3\xa9\n", // a CR, then encoded octets, then LF
		strings.Repeat("x", 75) + "\n" + strings.Repeat("x", 76) + "\n" + strings.Repeat("x", 200),
		strings.Repeat("x", 73) + "é" + strings.Repeat("y", 80),
		strings.Repeat("x", 74) + " \n" + strings.Repeat("x", 75) + " \n" + strings.Repeat("x", 75) + "\t",
		strings.Repeat("é", 100),
		".dot\n..\n.",
	}
	for _, s := range tests {
		if got, want := string(appendQP(nil, s)), stdQP(s); got != want {
			t.Errorf("appendQP(%q)\n got %q\nwant %q", s, got, want)
		}
	}
	// Random text from the octets that matter, in runs that cross the
	// line length.
	alphabet := []string{"a", "b", " ", "\t", "\r", "\n", "\r\n", "=", ".", "é", "\x00", "\xff", strings.Repeat("z", 70)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var sb strings.Builder
		for range rng.IntN(60) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := sb.String()
		if got, want := string(appendQP([]byte("prefix\r\n"), s)), "prefix\r\n"+stdQP(s); got != want {
			t.Fatalf("appendQP(%q)\n got %q\nwant %q", s, got, want)
		}
	}
}

func FuzzAppendQP(f *testing.F) {
	f.Add("trailing space \nx=y\r\n.dot")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendQP(nil, s)), stdQP(s); got != want {
			t.Fatalf("appendQP(%q)\n got %q\nwant %q", s, got, want)
		}
	})
}
