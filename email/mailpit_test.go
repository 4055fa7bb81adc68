package email

import (
	"context"
	"strings"
	"testing"
	"time"

	"herald/mailpit"
)

// minSupported is the least share of the major mail clients' HTML and CSS
// support (Mailpit's html-check, Total.Supported) any email may have.
const minSupported = 95.0

// TestMailpitHTMLCheck sends every sample email (every kind, every
// variant) through a real Mailpit and requires its HTML compatibility
// score to reach minSupported.
func TestMailpitHTMLCheck(t *testing.T) {
	mp := mailpit.Start(t)
	smtp, err := NewSMTP(mp.SMTPURL())
	if err != nil {
		t.Fatal(err)
	}
	r := newRenderer(t)
	sent := map[string]Message{}
	for k, f := range samples {
		for name, m := range f(t, r) {
			sent[k+"/"+name] = m
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := smtp.Send(ctx, m)
			cancel()
			if err != nil {
				t.Fatalf("%s/%s: %v", k, name, err)
			}
		}
	}
	byID := map[string]string{}
	for _, m := range mp.WaitMessages(len(sent)) {
		byID[m.MessageID] = m.ID
	}
	for name, m := range sent {
		t.Run(name, func(t *testing.T) {
			id, ok := byID[m.MessageID]
			if !ok {
				t.Fatalf("message %s not in Mailpit", m.MessageID)
			}
			// The headers as received, not only as written.
			h := mp.Headers(id)
			for _, name := range []string{"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"} {
				want, got := m.Headers[name], strings.Join(h[name], ", ")
				if got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			c := mp.HTMLCheck(id)
			t.Logf("html-check %s", c)
			if c.Total.Supported < minSupported {
				t.Errorf("html-check %s", c)
			}
		})
	}
}
