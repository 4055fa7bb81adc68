package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"herald/mailpit"
)

// TestServeOneClickUnsubscribeThroughMailpit runs the whole path: herald
// serve sends over SMTP to a real Mailpit; the subscriber's raw message
// carries List-Unsubscribe and List-Unsubscribe-Post; a one-click POST to
// that URL, as a mail client sends it, removes only that subscriber; the
// next event reaches everyone else and not them.
func TestServeOneClickUnsubscribeThroughMailpit(t *testing.T) {
	mp := mailpit.Start(t)
	p := startServe(t, map[string]string{
		"HERALD_DATABASE_URL":   "sqlite:" + filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_PLATFORM_TOKEN": "tok",
		"HERALD_SMTP_URL":       mp.SMTPURL(),
	})
	p.expect(t, http.StatusCreated, "PUT", "/api/v1/accounts/100", "tok", `{"name": "Acme Corp"}`)
	p.expect(t, http.StatusOK, "PUT", "/api/v1/accounts/100/company", "tok", `{"primary_contact": {"name": "Ann Lee", "email": "ann@acme.test"}}`)
	p.expect(t, http.StatusOK, "PUT", "/api/v1/accounts/100/notifications", "tok", `{"webhook_url": "", "events": {
		"run_failed": {"send_webhook": false, "email_subscribers": "oncall@acme.test, dev@acme.test"},
		"tenant_created": {"send_webhook": false, "email_subscribers": "oncall@acme.test"}}}`)
	event := `{"event_type": "run_failed", "account_id": 100, "data": {"run_id": 9876, "tenant_id": 789,
		"tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}}`
	p.expect(t, http.StatusAccepted, "POST", "/api/v1/events", "tok", event)

	byRecipient := func(n int) map[string][]*mail.Message {
		out := map[string][]*mail.Message{}
		for _, s := range mp.WaitMessages(n) {
			m, err := mail.ReadMessage(bytes.NewReader(mp.Raw(s.ID)))
			if err != nil {
				t.Fatal(err)
			}
			out[s.To[0].Address] = append(out[s.To[0].Address], m)
		}
		return out
	}
	got := byRecipient(3)
	if h := got["ann@acme.test"][0].Header; h.Get("List-Unsubscribe") != "" || h.Get("List-Id") != "<run_failed.100.herald>" {
		t.Errorf("primary contact's headers: List-Unsubscribe %q, List-Id %q", h.Get("List-Unsubscribe"), h.Get("List-Id"))
	}
	h := got["oncall@acme.test"][0].Header
	link := strings.Trim(h.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(link, p.base+"/unsubscribe/hu_") || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("subscriber's List-Unsubscribe %q, List-Unsubscribe-Post %q", link, h.Get("List-Unsubscribe-Post"))
	}

	res, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("one-click POST: %d", res.StatusCode)
	}
	var settings struct {
		Events map[string]struct {
			EmailSubscribers []string `json:"email_subscribers"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(p.expect(t, http.StatusOK, "GET", "/api/v1/accounts/100/notifications", "tok", "")), &settings); err != nil {
		t.Fatal(err)
	}
	if r, tc := settings.Events["run_failed"].EmailSubscribers, settings.Events["tenant_created"].EmailSubscribers; !slices.Equal(r, []string{"dev@acme.test"}) ||
		!slices.Equal(tc, []string{"oncall@acme.test"}) {
		t.Errorf("subscribers after unsubscribing: run_failed %v, tenant_created %v", r, tc)
	}

	p.expect(t, http.StatusAccepted, "POST", "/api/v1/events", "tok", event)
	got = byRecipient(5)
	if len(got["ann@acme.test"]) != 2 || len(got["dev@acme.test"]) != 2 || len(got["oncall@acme.test"]) != 1 {
		t.Errorf("emails: ann %d, dev %d, oncall %d; want 2, 2, 1", len(got["ann@acme.test"]), len(got["dev@acme.test"]), len(got["oncall@acme.test"]))
	}
}
