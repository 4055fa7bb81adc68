package ui

import (
	"net/http"
	"strings"
	"testing"

	"herald"
)

// The Emails choice posts events.<key>.email_digest_minutes: saved, shown
// selected again, refused beside its field when out of range.
func TestNotificationsDigestChoice(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		tok := b.signedIn("admin@acme.test")
		page := b.get("/accounts/1/notifications").must(t, 200)
		for _, want := range []string{`name="events.run_failed.email_digest_minutes"`, `<option value="0" selected>Each at once</option>`,
			`<option value="1440">Digest, 24 hours</option>`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		form := e.settingsForm(tok)
		form.Set("events.run_failed.email_digest_minutes", "60")
		form.Set("events.tenant_created.email_digest_minutes", "0")
		b.post("/accounts/1/notifications", form).must(t, http.StatusSeeOther)
		if m := e.settings(1).Events[herald.RunFailed].EmailDigestMinutes; m != 60 {
			t.Errorf("saved window %d, want 60", m)
		}
		page = b.get("/accounts/1/notifications").must(t, 200)
		if !strings.Contains(page.body, `<option value="60" selected>Digest, 1 hour</option>`) {
			t.Errorf("saved window not selected")
		}

		form.Set("events.run_failed.email_digest_minutes", "3")
		a := b.post("/accounts/1/notifications", form).must(t, http.StatusUnprocessableEntity)
		if !strings.Contains(a.body, `id="digest-run_failed-error"`) || !strings.Contains(a.body, `<option value="3" selected>`) {
			t.Errorf("refused window not marked:\n%s", a.body)
		}
		if m := e.settings(1).Events[herald.RunFailed].EmailDigestMinutes; m != 60 {
			t.Errorf("a refused form changed the window to %d", m)
		}
	})
}
