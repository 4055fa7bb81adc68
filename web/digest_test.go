package web_test

import (
	"strings"
	"testing"
)

// email_digest_minutes is saved per event, shown by GET, 0 when absent,
// and refused (by its path, nothing saved) outside 0 and 5 to 1440.
func TestNotificationsDigestMinutes(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken,
			`{"webhook_url": "", "events": {"run_failed": {"email_subscribers": [], "email_digest_minutes": 15}}}`)
		r := b.must(200, "GET", "/api/v1/accounts/100/notifications", platformToken, "")
		for _, want := range []string{`"run_failed":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":15}`,
			`"tenant_created":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0}`} {
			if !strings.Contains(string(r.raw), want) {
				t.Errorf("GET lacks %s:\n%s", want, r.raw)
			}
		}
		for _, bad := range []string{"4", "1441", "7.5", `"15"`, "-1"} {
			r := b.must(422, "PUT", "/api/v1/accounts/100/notifications", platformToken,
				`{"webhook_url": "", "events": {"run_failed": {"email_digest_minutes": `+bad+`}, "tenant_created": {"email_digest_minutes": 1440}}}`)
			if f := r.errorFields(); len(f) != 1 || f["events.run_failed.email_digest_minutes"] == "" {
				t.Errorf("%s: fields %v, want events.run_failed.email_digest_minutes alone", bad, f)
			}
		}
		r = b.must(200, "GET", "/api/v1/accounts/100/notifications", platformToken, "")
		if !strings.Contains(string(r.raw), `"run_failed":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":15}`) ||
			!strings.Contains(string(r.raw), `"tenant_created":{"send_webhook":false,"email_subscribers":[],"email_digest_minutes":0}`) {
			t.Errorf("a refused PUT changed the settings:\n%s", r.raw)
		}
		// Absent means 0: PUT replaces the document whole.
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": ""}`)
		r = b.must(200, "GET", "/api/v1/accounts/100/notifications", platformToken, "")
		if strings.Contains(string(r.raw), `"email_digest_minutes":15`) {
			t.Errorf("an absent window was kept:\n%s", r.raw)
		}
	})
}
