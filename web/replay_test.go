package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The contract's story of a receiver that went away and came back: a 410
// disables the webhook, the next event's webhook is skipped while its
// emails go out, the primary contact's notice is in the outbox, and after
// turning the webhook back on a replay delivers what was missed.
func TestGoneThenEnableAndReplay(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		key := b.apiKey(100)
		recv := newHook(t, 410)
		b.must(200, "PUT", "/api/v1/accounts/100/company", key, `{"primary_contact": {"name": "Ann Lee", "email": "ann@acme.test"}}`)
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", key,
			`{"webhook_url": "`+recv.URL+`/in", "events": {"run_failed": {"send_webhook": true, "email_subscribers": "oncall@acme.test"}}}`)
		since := time.Now().UTC().Add(-time.Second).Format(time.RFC3339)
		b.must(202, "POST", "/api/v1/events", platformToken, event("run_failed", 100, specEvents[4].data))
		b.eventually("the webhook disabled", func() bool {
			return b.must(200, "GET", "/api/v1/accounts/100/webhook-status", key, "").body["state"] == "disabled"
		})
		b.must(202, "POST", "/api/v1/events", platformToken, event("run_failed", 100, specEvents[4].data))
		b.settled(100)
		skipped := b.must(200, "GET", "/api/v1/accounts/100/deliveries?status=skipped", key, "").body["data"].([]any)
		if len(skipped) != 1 || !strings.Contains(fmt.Sprint(skipped[0].(map[string]any)["error"]), "disabled") {
			t.Fatalf("skipped deliveries = %v", skipped)
		}
		emails := b.must(200, "GET", "/api/v1/accounts/100/deliveries?channel=email&status=succeeded", key, "").body["data"].([]any)
		if len(emails) < 4 { // two events × (contact + subscriber), and the notice
			t.Errorf("%d emails sent, want the 4 of the events and the notice", len(emails))
		}
		// The notice is an event of Herald's own, with its email.
		notices := b.must(200, "GET", "/api/v1/accounts/100/deliveries?channel=email", key, "").body["data"].([]any)
		for _, n := range notices {
			if m := n.(map[string]any); m["key"] == "webhook_disabled" {
				ev := b.must(200, "GET", "/api/v1/events/"+fmt.Sprint(m["event_id"]), key, "")
				if p, _ := ev.body["payload"].(map[string]any); p["notice"] != "webhook_disabled" || !strings.Contains(fmt.Sprint(p["last_error"]), "410") {
					t.Errorf("notice event = %s", ev.raw)
				}
			}
		}
		b.eventually("the disabled notice in the outbox", func() bool {
			for _, m := range b.must(200, "GET", "/api/v1/accounts/100/outbox", key, "").body["data"].([]any) {
				if strings.Contains(fmt.Sprint(m.(map[string]any)["subject"]), "Webhook disabled") {
					return true
				}
			}
			return false
		})

		// Replay refuses while the webhook is off; enabling turns it on.
		replay := `{"since": "` + since + `"}`
		if r := b.must(422, "POST", "/api/v1/accounts/100/deliveries/replay", key, replay); r.errorFields()["webhook_url"] == "" {
			t.Errorf("replay while disabled = %s", r.raw)
		}
		if r := b.must(200, "POST", "/api/v1/accounts/100/webhook-status/enable", key, ""); r.body["state"] != "healthy" {
			t.Errorf("enable = %s", r.raw)
		}
		recv.status.Store(200)
		r := b.must(202, "POST", "/api/v1/accounts/100/deliveries/replay", key, replay)
		if fmt.Sprint(r.body["replayed"]) != "2" || fmt.Sprint(r.body["remaining"]) != "0" {
			t.Errorf("replay = %s, want the failed and the skipped webhook", r.raw)
		}
		b.settled(100)
		hooks := b.must(200, "GET", "/api/v1/accounts/100/deliveries?channel=webhook", key, "").body["data"].([]any)
		for _, h := range hooks {
			if h.(map[string]any)["status"] != "succeeded" {
				t.Errorf("after the replay: %v", h)
			}
		}
		recv.mu.Lock()
		n := len(recv.bodies)
		recv.mu.Unlock()
		if n != 3 || len(hooks) != 2 {
			t.Errorf("receiver got %d requests for %d webhooks, want the 410'd one, then both", n, len(hooks))
		}
		// Nothing left to replay.
		if r := b.must(202, "POST", "/api/v1/accounts/100/deliveries/replay", key, replay); fmt.Sprint(r.body["replayed"]) != "0" {
			t.Errorf("second replay = %s", r.raw)
		}
	}, options{delivering: true})
}

func TestReplayBadInput(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.account(200, "Other Corp")
		key := b.apiKey(100)
		tests := []struct{ body, field string }{
			{`{}`, "since"},
			{`{"since": "yesterday"}`, "since"},
			{`{"since": "2026-05-04T12:00:00Z", "until": "2026-05-03T12:00:00Z"}`, "until"},
			{`{"since": "2026-05-04T12:00:00Z", "status": []}`, "status"},
			{`{"since": "2026-05-04T12:00:00Z", "status": ["failed", "succeeded"]}`, "status[1]"},
			{`{"since": "2026-05-04T12:00:00Z", "limit": 5}`, "limit"},
			{`{"since": "2026-05-04T12:00:00Z"}`, "webhook_url"}, // no URL saved
		}
		for _, tt := range tests {
			if r := b.must(422, "POST", "/api/v1/accounts/100/deliveries/replay", key, tt.body); r.errorFields()[tt.field] == "" {
				t.Errorf("%s: fields %v, want %s named", tt.body, r.errorFields(), tt.field)
			}
		}
		b.must(404, "POST", "/api/v1/accounts/200/deliveries/replay", key, `{"since": "2026-05-04T12:00:00Z"}`)
	})
}

// eventually polls cond for up to 10 seconds.
func (b *bundle) eventually(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			b.t.Fatalf("never: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
