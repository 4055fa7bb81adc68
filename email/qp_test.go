package email

import (
	"bytes"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"

	"herald"
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

// A part encoded from its top's encoding is the part encoded whole.
func TestEncodedTop(t *testing.T) {
	t.Parallel()
	alphabet := []string{"a", " ", "\t", "\r", "\n", "\r\n", "=", "é", strings.Repeat("z", 70)}
	rng := rand.New(rand.NewPCG(3, 4))
	random := func() string {
		var sb strings.Builder
		for range rng.IntN(40) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return sb.String()
	}
	used := 0
	for range 3000 {
		top, rest := random(), random()
		e := encodeTop(top)
		if got, want := string(e.append(nil, top+rest)), string(appendQP(nil, top+rest)); got != want {
			t.Fatalf("top %q, rest %q:\n got %q\nwant %q", top, rest, got, want)
		}
		// A part that does not start with the top is encoded whole.
		if got, want := string(e.append(nil, rest)), string(appendQP(nil, rest)); got != want {
			t.Fatalf("rest %q without top %q:\n got %q\nwant %q", rest, top, got, want)
		}
		if e.raw != "" {
			used++
		}
	}
	if used < 500 {
		t.Errorf("only %d tops of 3000 encoded ahead", used)
	}
	// The layouts' tops are, in every sample.
	for _, k := range herald.EventKeys() {
		m := render(t, newRenderer(t), specNotification(t, k), "ann@acme.test")
		if m.encoded == nil || m.encoded.text.raw == "" || m.encoded.html.raw == "" {
			t.Errorf("%s: tops not encoded ahead", k)
		}
	}
}
