package dispatch_test

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"herald"
	"herald/dispatch"
	"herald/email"
	"herald/store"
	"herald/store/storetest"
)

// The copies of one event's email, rendered once and addressed to each
// recipient (email.Renderer), each carry their recipient's own links: a
// subscriber their own one-click unsubscribe link (header and footer
// alike), the primary contact the settings link and none.
func TestEmailCopiesCarryTheirOwnLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		mail := startMailServer(t)
		sender, err := email.NewSMTP("smtp://" + mail.addr)
		if err != nil {
			t.Fatal(err)
		}
		const public = "https://herald.acme.test"
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) { c.SMTP, c.PublicURL = sender, public })
		subscribers := []string{"oncall@acme.test", "ops@acme.test"}
		h.account(510, "ann@acme.test", "", map[herald.EventKey]herald.EventSettings{
			herald.RunFailed: {EmailSubscribers: subscribers},
		})
		h.emit(510, "run_failed", specData["run_failed"])
		for _, d := range h.settle(510, 15*time.Second) {
			if d.Status != herald.StatusSucceeded {
				t.Fatalf("delivery %+v", d)
			}
		}
		links := map[string]bool{}
		for _, to := range append([]string{"ann@acme.test"}, subscribers...) {
			msgs := mail.received(to)
			if len(msgs) != 1 {
				t.Fatalf("%s got %d messages", to, len(msgs))
			}
			msg, text := readEmail(t, msgs[0])
			if got := msg.Header.Get("List-Id"); got != "<run_failed.510.herald>" {
				t.Errorf("%s: List-Id %q", to, got)
			}
			unsub := msg.Header.Get("List-Unsubscribe")
			if to == "ann@acme.test" {
				if unsub != "" || !strings.Contains(text, dispatch.SettingsURL(public, 510)) {
					t.Errorf("contact: List-Unsubscribe %q, text:\n%s", unsub, text)
				}
				continue
			}
			token, err := s.UnsubscribeToken(context.Background(), 510, herald.RunFailed, to)
			if err != nil {
				t.Fatal(err)
			}
			link := dispatch.UnsubscribeURL(public, token)
			if unsub != "<"+link+">" || msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Errorf("%s: List-Unsubscribe %q, want <%s>", to, unsub, link)
			}
			if !strings.Contains(text, "Unsubscribe from Run Failed emails: "+link+"\n") {
				t.Errorf("%s: footer lacks %s:\n%s", to, link, text)
			}
			links[link] = true
		}
		if len(links) != len(subscribers) {
			t.Errorf("subscribers' links %v, want one each", links)
		}
	})
}

// readEmail parses a received message and returns it with its text part.
func readEmail(t *testing.T, raw string) (*netmail.Message, string) {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := multipart.NewReader(msg.Body, params["boundary"]).NextRawPart()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	return msg, strings.ReplaceAll(string(b), "\r\n", "\n")
}
