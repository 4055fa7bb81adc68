package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"herald"
)

// TestEmailPreview checks the tab's "Preview email": for each event, the
// primary contact's copy (a settings link, no unsubscribe) and a
// subscriber's (List-Unsubscribe and one-click, a footer link), their
// headers, text part and HTML part, on the account's own pages only.
func TestEmailPreview(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		st := herald.DefaultSettings()
		st.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: []string{"oncall@acme.test", "dev@acme.test"}}
		if err := e.st.PutSettings(context.Background(), 1, st); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signedIn("viewer@acme.test") // reading is enough
		tab := b.get("/accounts/1/notifications").must(t, http.StatusOK).body
		for _, k := range herald.EventKeys() {
			if !strings.Contains(tab, `href="/accounts/1/notifications/preview/`+string(k)+`"`) {
				t.Errorf("the tab has no preview link for %s", k)
			}
		}

		page := b.get("/accounts/1/notifications/preview/run_failed").must(t, http.StatusOK).body
		contact, subscriber, ok := strings.Cut(page, `id="preview-subscriber"`)
		if !ok {
			t.Fatalf("no subscriber section:\n%s", page)
		}
		for _, want := range []string{"ann@acme.test", "[Acme Corp] Run 9876 failed: Shopify Integration / Widget Co",
			"&lt;run_failed.1.herald&gt;", "You receive every notification for Acme Corp as its primary contact.",
			`src="/accounts/1/notifications/preview/run_failed/contact"`} {
			if !strings.Contains(contact, want) {
				t.Errorf("contact copy lacks %q", want)
			}
		}
		if strings.Contains(contact, "List-Unsubscribe") {
			t.Error("the primary contact's copy has List-Unsubscribe")
		}
		for _, want := range []string{"oncall@acme.test", "Each of the 2 subscribers", "List-Unsubscribe-Post", "List-Unsubscribe=One-Click",
			"https://herald.example.test/unsubscribe/hu_example&gt;", "Unsubscribe from Run Failed emails: ", `src="/accounts/1/notifications/preview/run_failed/subscriber"`} {
			if !strings.Contains(subscriber, want) {
				t.Errorf("subscriber copy lacks %q", want)
			}
		}

		html := b.get("/accounts/1/notifications/preview/run_failed/subscriber").must(t, http.StatusOK)
		if !strings.HasPrefix(html.body, "<!DOCTYPE html>") || !strings.Contains(html.body, "Unsubscribe from Run Failed emails</a>") {
			t.Errorf("subscriber HTML part:\n%.1500s", html.body)
		}
		if csp := html.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") {
			t.Errorf("HTML part CSP = %q", csp)
		}
		if c := b.get("/accounts/1/notifications/preview/tenant_created/contact").must(t, http.StatusOK).body; !strings.Contains(c, "Notification settings</a>") {
			t.Errorf("contact HTML part has no settings link:\n%.1500s", c)
		}
		// With a digest window, the digest too.
		if strings.Contains(page, `id="preview-subscriber-digest"`) {
			t.Error("a digest preview for an event without a digest window")
		}
		st.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: []string{"oncall@acme.test"}, EmailDigestMinutes: 15}
		if err := e.st.PutSettings(context.Background(), 1, st); err != nil {
			t.Fatal(err)
		}
		page = b.get("/accounts/1/notifications/preview/run_failed").must(t, http.StatusOK).body
		_, digest, ok := strings.Cut(page, `id="preview-subscriber-digest"`)
		if !ok || !strings.Contains(page, `id="preview-contact-digest"`) || !strings.Contains(digest, "next 15 minutes") ||
			!strings.Contains(digest, "List-Unsubscribe-Post") {
			t.Errorf("digest previews:\n%s", page)
		}
		if d := b.get("/accounts/1/notifications/preview/run_failed/subscriber-digest").must(t, http.StatusOK).body; strings.Count(d, "Run 9876 of Shopify Integration") < 3 {
			t.Errorf("the digest preview does not list three events:\n%.3000s", d)
		}

		// No subscribers: an example address.
		if p := b.get("/accounts/1/notifications/preview/tenant_created").must(t, http.StatusOK).body; !strings.Contains(p, "subscriber@example.com") {
			t.Error("no example subscriber for an event without subscribers")
		}

		for p, want := range map[string]int{
			"/accounts/1/notifications/preview/nope":               http.StatusNotFound,
			"/accounts/1/notifications/preview/run_failed/nope":    http.StatusNotFound,
			"/accounts/2/notifications/preview/run_failed":         http.StatusForbidden, // like every other account's page
			"/accounts/2/notifications/preview/run_failed/contact": http.StatusForbidden,
		} {
			if got := b.get(p).status; got != want {
				t.Errorf("GET %s = %d, want %d", p, got, want)
			}
		}
	}, envOptions{publicURL: "https://herald.example.test"})
}
