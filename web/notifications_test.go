package web_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The settings document of api.md, as saved and as GET returns it.
const apiExampleSettings = `{
  "webhook_url": "https://hooks.acme.test/in?token=s3cret",
  "events": {
    "integration_created":         {"send_webhook": true,  "email_subscribers": ["ops@acme.test"]},
    "tenant_created":              {"send_webhook": true,  "email_subscribers": []},
    "tenant_archived":             {"send_webhook": false, "email_subscribers": []},
    "partner_integration_updated": {"send_webhook": false, "email_subscribers": []},
    "run_failed":                  {"send_webhook": true,  "email_subscribers": ["oncall@acme.test", "dev@acme.test"]}
  }
}`

const apiExampleSettingsCompact = `{"webhook_url":"https://hooks.acme.test/in?token=s3cret","retry_failed_webhooks":false,"events":{` +
	`"integration_created":{"send_webhook":true,"email_subscribers":["ops@acme.test"],"email_digest_minutes":0},` +
	`"tenant_created":{"send_webhook":true,"email_subscribers":[],"email_digest_minutes":0},` +
	`"tenant_archived":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
	`"partner_integration_updated":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
	`"run_failed":{"send_webhook":true,"email_subscribers":["oncall@acme.test","dev@acme.test"],"email_digest_minutes":0}}}` + "\n"

func TestNotificationsDefaultsListAllFiveEvents(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		r := b.must(200, "GET", "/api/v1/accounts/100/notifications", platformToken, "")
		want := `{"webhook_url":"","retry_failed_webhooks":false,"events":{` +
			`"integration_created":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
			`"tenant_created":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
			`"tenant_archived":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
			`"partner_integration_updated":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0},` +
			`"run_failed":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0}}}` + "\n"
		if diff := cmp.Diff(want, string(r.raw)); diff != "" {
			t.Errorf("defaults (-want +got):\n%s", diff)
		}
	})
}

func TestNotificationsSaveAndReplaceWhole(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		key := b.apiKey(100)
		r := b.must(200, "PUT", "/api/v1/accounts/100/notifications", key, apiExampleSettings)
		if diff := cmp.Diff(apiExampleSettingsCompact, string(r.raw)); diff != "" {
			t.Errorf("PUT answer (-want +got):\n%s", diff)
		}
		r = b.must(200, "GET", "/api/v1/accounts/100/notifications", key, "")
		if diff := cmp.Diff(apiExampleSettingsCompact, string(r.raw)); diff != "" {
			t.Errorf("GET (-want +got):\n%s", diff)
		}
		// The form's comma-separated string; PUT replaces the document
		// whole, so what is left out goes back to its default.
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken,
			`{"webhook_url": "", "events": {"tenant_archived": {"email_subscribers": " a@acme.test, B@acme.test,,b@ACME.test , "}}}`)
		r = b.must(200, "GET", "/api/v1/accounts/100/notifications", platformToken, "")
		events := r.body["events"].(map[string]any)
		if got := events["tenant_archived"].(map[string]any)["email_subscribers"]; !cmp.Equal(got, []any{"a@acme.test", "B@acme.test"}) {
			t.Errorf("subscribers = %v", got)
		}
		if got := events["run_failed"].(map[string]any); got["send_webhook"] != false || len(got["email_subscribers"].([]any)) != 0 {
			t.Errorf("run_failed not reset: %v", got)
		}
		if r.body["webhook_url"] != "" {
			t.Errorf("webhook_url = %v", r.body["webhook_url"])
		}
		// The URL comes back byte for byte, & unescaped.
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": "https://hooks.acme.test/in?a=1&b=%20<x>"}`)
		r = b.must(200, "GET", "/api/v1/accounts/100/notifications", platformToken, "")
		if !strings.Contains(string(r.raw), `"webhook_url":"https://hooks.acme.test/in?a=1&b=%20<x>"`) {
			t.Errorf("URL not returned as saved: %s", r.raw)
		}
	})
}

// Each bad input is refused with 422 naming its field, and the saved
// document stays as it was.
func TestNotificationsBadInputChangesNothing(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, apiExampleSettings)
		sub51 := make([]string, 51)
		for i := range sub51 {
			sub51[i] = `"s` + itoa(i) + `@acme.test"`
		}
		tests := []struct {
			name, body string
			fields     []string
		}{
			{"bad URL", `{"webhook_url": "not a url"}`, []string{"webhook_url"}},
			{"URL without host", `{"webhook_url": "https:///hooks"}`, []string{"webhook_url"}},
			{"non-http scheme", `{"webhook_url": "ftp://hooks.acme.test/in"}`, []string{"webhook_url"}},
			{"javascript scheme", `{"webhook_url": "javascript:alert(1)"}`, []string{"webhook_url"}},
			{"credentials in URL", `{"webhook_url": "https://u:p@hooks.acme.test/"}`, []string{"webhook_url"}},
			{"URL too long", `{"webhook_url": "https://hooks.acme.test/` + strings.Repeat("a", 2048) + `"}`, []string{"webhook_url"}},
			{"loopback URL", `{"webhook_url": "http://127.0.0.1:8080/hook"}`, []string{"webhook_url"}},
			{"localhost URL", `{"webhook_url": "http://localhost/hook"}`, []string{"webhook_url"}},
			{"metadata URL", `{"webhook_url": "http://169.254.169.254/latest/meta-data"}`, []string{"webhook_url"}},
			{"IPv6 mapped loopback", `{"webhook_url": "http://[::ffff:127.0.0.1]/"}`, []string{"webhook_url"}},
			{"host resolving to a private address", `{"webhook_url": "https://internal.acme.test/hook"}`, []string{"webhook_url"}},
			{"host resolving to public and loopback", `{"webhook_url": "https://rebind.acme.test/hook"}`, []string{"webhook_url"}},
			{"toggle without URL", `{"webhook_url": "", "events": {"run_failed": {"send_webhook": true}}}`, []string{"events.run_failed.send_webhook"}},
			{"toggle with bad URL", `{"webhook_url": "nope", "events": {"tenant_created": {"send_webhook": true}}}`, []string{"webhook_url", "events.tenant_created.send_webhook"}},
			{"toggle not boolean", `{"webhook_url": "https://hooks.acme.test/", "events": {"run_failed": {"send_webhook": "yes"}}}`, []string{"events.run_failed.send_webhook"}},
			{"bad subscriber in list", `{"events": {"run_failed": {"email_subscribers": ["ok@acme.test", "not-an-email"]}}}`, []string{"events.run_failed.email_subscribers[1]"}},
			{"bad subscriber in string", `{"events": {"run_failed": {"email_subscribers": "ok@acme.test, nope"}}}`, []string{"events.run_failed.email_subscribers[1]"}},
			{"too many subscribers", `{"events": {"run_failed": {"email_subscribers": [` + strings.Join(sub51, ",") + `]}}}`, []string{"events.run_failed.email_subscribers"}},
			{"unknown event", `{"events": {"run_succeeded": {"send_webhook": false}}}`, []string{"events.run_succeeded"}},
			{"unknown top-level field", `{"webhook_url": "", "secret": "x"}`, []string{"secret"}},
			{"unknown event field", `{"events": {"run_failed": {"send_email": true}}}`, []string{"events.run_failed.send_email"}},
			{"every bad field at once", `{"webhook_url": "ftp://x", "events": {"run_failed": {"send_webhook": true, "email_subscribers": ["x"]}}}`,
				[]string{"webhook_url", "events.run_failed.send_webhook", "events.run_failed.email_subscribers[0]"}},
		}
		for _, tc := range tests {
			r := b.do("PUT", "/api/v1/accounts/100/notifications", platformToken, tc.body)
			if r.status != 422 || r.errorCode() != "invalid_input" {
				t.Errorf("%s: status %d, want 422\n%s", tc.name, r.status, r.raw)
				continue
			}
			got := r.errorFields()
			for _, f := range tc.fields {
				if got[f] == "" {
					t.Errorf("%s: error does not name %s: %v", tc.name, f, got)
				}
			}
			if len(got) != len(tc.fields) {
				t.Errorf("%s: error names %v, want exactly %v", tc.name, got, tc.fields)
			}
		}
		for _, tc := range []struct {
			name, body string
			status     int
		}{
			{"malformed JSON", `{"webhook_url": `, 400},
			{"oversized body", `{"webhook_url": "` + strings.Repeat("a", 1<<20) + `"}`, 413},
		} {
			if r := b.do("PUT", "/api/v1/accounts/100/notifications", platformToken, tc.body); r.status != tc.status {
				t.Errorf("%s: status %d, want %d", tc.name, r.status, tc.status)
			}
		}
		r := b.must(200, "GET", "/api/v1/accounts/100/notifications", platformToken, "")
		if diff := cmp.Diff(apiExampleSettingsCompact, string(r.raw)); diff != "" {
			t.Errorf("bad input changed the settings (-want +got):\n%s", diff)
		}
		b.must(404, "PUT", "/api/v1/accounts/999/notifications", platformToken, apiExampleSettings)
	})
}
