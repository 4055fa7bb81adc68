package email

import (
	"bytes"
	"sort"
	"strings"
	"testing"

	"herald"
)

// composeCases are messages whose exact bytes testdata/message/ holds:
// every sample email, and the edge cases of the encoding (non-ASCII
// names and subjects, long subjects folded, lines starting with a dot,
// long lines, trailing spaces). The golden files were first written by
// go-mail, which Herald used before it composed messages itself, so
// they pin down that receivers get the same bytes as before.
func composeCases(t *testing.T) map[string]Message {
	t.Helper()
	r := newRenderer(t)
	out := map[string]Message{}
	for k, f := range samples {
		for name, m := range f(t, r) {
			out[k+"/"+strings.ReplaceAll(name, "/", ".")] = m
		}
	}
	base := render(t, r, specNotification(t, herald.RunFailed), "ann@acme.test")

	m := render(t, r, Notification{
		EventKey: herald.IntegrationCreated, AccountName: "Société Générale",
		Payload:    []byte(`{"event_type":"new_integration_created","integration_name":"Café – Intégration ✓"}`),
		DeliveryID: "dlv_u", UnsubscribeURL: "https://herald.example.com/unsubscribe/hu_x",
	}, "Zoë Ünal <zoe@acme.test>")
	out["edge/non-ascii"] = m

	m = base
	m.Subject = strings.Repeat("A long subject that goes on ", 8) + "and ends"
	out["edge/long-ascii-subject"] = m

	m = base
	m.Subject = "Überweisung " + strings.Repeat("sehr lang und größer ", 6)
	out["edge/long-non-ascii-subject"] = m

	m = base
	m.Text = ".a line starting with a dot\n..two dots\n.\nend without a newline"
	m.HTML = "<p>\n.dot</p>\n" + strings.Repeat("x", 75) + ".y\n"
	out["edge/dots"] = m

	m = base
	m.Text = strings.Repeat("word ", 40) + "\n" + strings.Repeat("é", 100) + "\ntrailing space \ntab\t\n\r\nmixed\rbreaks=\n"
	m.HTML = ""
	out["edge/text-only"] = m

	m = base
	m.Headers = map[string]string{"X-Herald-Event": "run_failed", "X-Long": strings.Repeat("v", 120), "X-Words": strings.Repeat("word ", 30)}
	out["edge/headers"] = m
	return out
}

// TestComposeGolden pins every composed message to its golden bytes.
func TestComposeGolden(t *testing.T) {
	t.Parallel()
	cases := composeCases(t)
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		b, err := cases[name].Bytes()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		golden(t, "message/"+name+".eml", string(b))
		checkWire(t, name, b)
	}
}

// checkWire checks what every message must be on the wire: CRLF line
// ends only, no line over 998 octets, 7-bit only.
func checkWire(t *testing.T, name string, b []byte) {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Errorf("%s: does not end in CRLF", name)
	}
	for i, line := range bytes.Split(b, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("%s line %d: bare CR or LF: %q", name, i+1, line)
		}
		if len(line) > 998 {
			t.Errorf("%s line %d: %d octets", name, i+1, len(line))
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Errorf("%s line %d: 8-bit octet in %q", name, i+1, line)
				break
			}
		}
	}
}

func TestDotStuff(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ".\r\n"},
		{"a\r\n", "a\r\n.\r\n"},
		{"a", "a\r\n.\r\n"},
		{".a\r\n", "..a\r\n.\r\n"},
		{"a\r\n.\r\n..b\r\nc.d\r\n.", "a\r\n..\r\n...b\r\nc.d\r\n..\r\n.\r\n"},
		{".\r\n.\r\n", "..\r\n..\r\n.\r\n"},
	}
	for _, tt := range tests {
		if got := string(dotStuff([]byte(tt.in))); got != tt.want {
			t.Errorf("dotStuff(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The composer's checks: the structure of a message read back by
// net/mail and mime/multipart, line lengths, encoded non-ASCII subjects.
func TestComposeStructure(t *testing.T) {
	t.Parallel()
	for name, m := range composeCases(t) {
		b, err := m.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range bytes.Split(b, []byte("\r\n")) {
			// Only a header too long to fold (a long URL, a word of 120
			// v's) may pass 78.
			if len(line) > 78 && !bytes.HasPrefix(line, []byte(" v")) {
				t.Errorf("%s line %d: %d octets: %q", name, i+1, len(line), line)
			}
		}
		if m.HTML == "" {
			continue
		}
		p := parse(t, b)
		if p.subject != clean(m.Subject) {
			t.Errorf("%s: subject %q, want %q", name, p.subject, m.Subject)
		}
		if len(p.parts) != 2 || p.parts[0].contentType != "text/plain" || p.parts[1].contentType != "text/html" {
			t.Errorf("%s: parts %v", name, p.parts)
			continue
		}
		crlf := strings.NewReplacer("\r\n", "\n", "\r", "\n")
		if got := strings.ReplaceAll(p.parts[0].body, "\r\n", "\n"); got != crlf.Replace(m.Text) {
			t.Errorf("%s: text part %q, want %q", name, got, m.Text)
		}
		if got := strings.ReplaceAll(p.parts[1].body, "\r\n", "\n"); got != crlf.Replace(m.HTML) {
			t.Errorf("%s: html part %q, want %q", name, got, m.HTML)
		}
	}
}
