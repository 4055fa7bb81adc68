package email

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"herald"
)

// parsed is a message read back with net/mail and mime/multipart.
type parsed struct {
	header  netmail.Header
	subject string
	parts   []part
}

type part struct {
	contentType string
	body        string
}

func parse(t *testing.T, b []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ReadMessage: %v\n%s", err, b)
	}
	var p parsed
	p.header = msg.Header
	p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q, want multipart/alternative", mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		pt, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = pt
		if pt.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			r = quotedprintable.NewReader(pt)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, err := mime.ParseMediaType(pt.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		p.parts = append(p.parts, part{ct, string(body)})
	}
	return p
}

func TestBytes(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	for _, k := range herald.EventKeys() {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			n := specNotification(t, k)
			m, err := r.Render(n, "ann@acme.test", testNow)
			if err != nil {
				t.Fatal(err)
			}
			b, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			p := parse(t, b)

			to, err := p.header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Address != "ann@acme.test" {
				t.Errorf("To = %v (%v), want only ann@acme.test", to, err)
			}
			for _, h := range []string{"Cc", "Bcc", "Reply-To"} {
				if v := p.header.Get(h); v != "" {
					t.Errorf("%s = %q, want none", h, v)
				}
			}
			from, err := p.header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Address != "herald@localhost" || from[0].Name != "Herald" {
				t.Errorf("From = %v (%v)", from, err)
			}
			if p.subject != m.Subject {
				t.Errorf("Subject = %q, want %q", p.subject, m.Subject)
			}
			if d, err := p.header.Date(); err != nil || !d.Equal(testNow) {
				t.Errorf("Date = %v (%v), want %v", d, err, testNow)
			}
			for h, want := range map[string]string{
				"Message-Id":        "<dlv_01jtest@localhost>",
				"Mime-Version":      "1.0",
				"X-Herald-Event":    string(k),
				"X-Herald-Delivery": "dlv_01jtest",
				"Auto-Submitted":    "auto-generated",
			} {
				if got := p.header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if len(p.parts) != 2 || p.parts[0].contentType != "text/plain" || p.parts[1].contentType != "text/html" {
				t.Fatalf("parts = %v, want text/plain then text/html", p.parts)
			}
			if got := strings.ReplaceAll(p.parts[0].body, "\r\n", "\n"); got != m.Text {
				t.Errorf("text part = %q, want %q", got, m.Text)
			}
			if got := strings.ReplaceAll(p.parts[1].body, "\r\n", "\n"); got != m.HTML {
				t.Errorf("html part = %q, want %q", got, m.HTML)
			}

			// Another recipient's copy names only them.
			m2, err := r.Render(n, "Bob <bob@acme.test>", testNow)
			if err != nil {
				t.Fatal(err)
			}
			b2, err := m2.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("bob@")) || bytes.Contains(b2, []byte("ann@")) {
				t.Errorf("a message names another recipient")
			}
			if to, _ := parse(t, b2).header.AddressList("To"); len(to) != 1 || to[0].String() != `"Bob" <bob@acme.test>` {
				t.Errorf("To = %v", to)
			}

			// Deterministic, for the outbox.
			again, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, again) {
				t.Errorf("Bytes is not deterministic")
			}
		})
	}
}

func TestBytesNonASCII(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	n := Notification{
		EventKey: herald.IntegrationCreated, AccountName: "Société Générale",
		Payload:    []byte(`{"event_type":"new_integration_created","integration_name":"Café – Intégration ✓"}`),
		DeliveryID: "dlv_u",
	}
	m, err := r.Render(n, "zoë@acme.test", testNow)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, b)
	if want := "[Société Générale] New integration: Café – Intégration ✓"; p.subject != want {
		t.Errorf("subject = %q, want %q", p.subject, want)
	}
	if !strings.Contains(p.parts[0].body, "Café – Intégration ✓") {
		t.Errorf("text part: %q", p.parts[0].body)
	}
}

func TestBytesInvalid(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	good, err := r.Render(specNotification(t, herald.RunFailed), "ann@acme.test", testNow)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*Message)
	}{
		{"two recipients", func(m *Message) { m.To = "ann@acme.test, bob@acme.test" }},
		{"no recipient", func(m *Message) { m.To = "" }},
		{"bad from", func(m *Message) { m.From = "herald" }},
		{"no message id", func(m *Message) { m.MessageID = "" }},
		{"message id with brackets", func(m *Message) { m.MessageID = "<a@b>" }},
		{"message id with CRLF", func(m *Message) { m.MessageID = "a@b\r\nBcc: x@y" }},
		{"no date", func(m *Message) { m.Date = time.Time{} }},
		{"no text", func(m *Message) { m.Text = "" }},
		{"Bcc header", func(m *Message) { m.Headers = map[string]string{"Bcc": "eve@evil.test"} }},
		{"cc header any case", func(m *Message) { m.Headers = map[string]string{"cC": "eve@evil.test"} }},
		{"header name with colon", func(m *Message) { m.Headers = map[string]string{"X-A: b\r\nBcc": "x"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := good
			tt.edit(&m)
			_, err := m.Bytes()
			if !errors.Is(err, ErrInvalidMessage) || !Permanent(err) {
				t.Errorf("err = %v, want an ErrInvalidMessage", err)
			}
		})
	}
	// Header values are cleaned, not refused.
	m := good
	m.Headers = map[string]string{"X-Herald-Event": "run_failed\r\nBcc: eve@evil.test"}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if p := parse(t, b); p.header.Get("Bcc") != "" || !strings.HasPrefix(p.header.Get("X-Herald-Event"), "run_failed") {
		t.Errorf("header injection: %s", b)
	}
}
