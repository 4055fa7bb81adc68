package web_test

import (
	"fmt"
	"testing"
	"time"

	"herald/store"
)

func TestWebhookStatusAndEnable(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.account(200, "Other Corp")
		key := b.apiKey(100)
		r := b.must(200, "GET", "/api/v1/accounts/100/webhook-status", key, "")
		want := map[string]any{"state": "none", "consecutive_failures": 0, "last_success_at": nil, "last_failure_at": nil,
			"failing_since": nil, "disabled_at": nil, "disabled_reason": "", "attempts_24h": 0, "succeeded_24h": 0}
		for k, v := range want {
			if got, ok := r.body[k]; !ok || fmt.Sprint(got) != fmt.Sprint(v) {
				t.Errorf("%s = %v, want %v", k, got, v)
			}
		}
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", key, `{"webhook_url": "https://hooks.acme.test/in", "retry_failed_webhooks": true}`)
		if r := b.must(200, "GET", "/api/v1/accounts/100/notifications", key, ""); r.body["retry_failed_webhooks"] != true {
			t.Errorf("retry_failed_webhooks = %v", r.body["retry_failed_webhooks"])
		}
		if r := b.must(200, "GET", "/api/v1/accounts/100/webhook-status", key, ""); r.body["state"] != "healthy" {
			t.Errorf("state with a URL and no attempts = %v", r.body["state"])
		}
		now := time.Now()
		_, err := b.store.RecordWebhookResults(t.Context(), []store.WebhookResult{
			{AccountID: 100, At: now.Add(-time.Second), Success: true},
			{AccountID: 100, At: now, Gone: true, Error: "HTTP 410"},
		}, store.HealthPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		r = b.must(200, "GET", "/api/v1/accounts/100/webhook-status", platformToken, "")
		if r.body["state"] != "disabled" || fmt.Sprint(r.body["consecutive_failures"]) != "1" || r.body["disabled_at"] == nil ||
			r.body["last_success_at"] == nil || fmt.Sprint(r.body["attempts_24h"]) != "2" || fmt.Sprint(r.body["succeeded_24h"]) != "1" {
			t.Errorf("after a 410: %s", r.raw)
		}
		// Another account's key sees nothing; bad bodies change nothing.
		b.must(404, "GET", "/api/v1/accounts/200/webhook-status", key, "")
		b.must(404, "POST", "/api/v1/accounts/200/webhook-status/enable", key, "")
		b.must(404, "GET", "/api/v1/accounts/300/webhook-status", platformToken, "")
		if r := b.must(422, "POST", "/api/v1/accounts/100/webhook-status/enable", key, `{"now": true}`); r.errorFields()["now"] == "" {
			t.Errorf("fields = %v", r.errorFields())
		}
		r = b.must(200, "POST", "/api/v1/accounts/100/webhook-status/enable", key, "")
		if r.body["state"] != "healthy" || fmt.Sprint(r.body["consecutive_failures"]) != "0" || r.body["disabled_at"] != nil || r.body["last_failure_at"] == nil {
			t.Errorf("after enable: %s", r.raw)
		}
		b.must(200, "POST", "/api/v1/accounts/100/webhook-status/enable", key, "{}")
		if r := b.must(422, "PUT", "/api/v1/accounts/100/notifications", key, `{"retry_failed_webhooks": "yes"}`); r.errorFields()["retry_failed_webhooks"] == "" {
			t.Errorf("fields = %v", r.errorFields())
		}
	})
}
