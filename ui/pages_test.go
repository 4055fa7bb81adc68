package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"herald"
	"herald/store"
)

func storeFilter(account int64) store.DeliveryFilter {
	return store.DeliveryFilter{AccountID: account, Limit: 100}
}

func TestNotificationsForm(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		tok := b.signedIn("admin@acme.test")
		b.post("/accounts/1/notifications", e.settingsForm(tok)).must(t, http.StatusSeeOther)
		page := b.get("/accounts/1/notifications?saved=1").must(t, 200)
		if !strings.Contains(page.body, "Notification settings saved.") ||
			!strings.Contains(page.body, `value="ops@acme.test, dev@acme.test"`) {
			t.Errorf("saved page lacks the flash or the subscribers")
		}

		// Every invalid field is marked beside itself, typed values stay,
		// nothing is stored.
		form := url.Values{"csrf": {tok}, "webhook_url": {"ftp://x.test"},
			"events.run_failed.send_webhook":           {"true"},
			"events.tenant_archived.email_subscribers": {"ok@acme.test, bob@"}}
		a := b.post("/accounts/1/notifications", form).must(t, http.StatusUnprocessableEntity)
		for _, want := range []string{`id="webhook_url-error"`, `id="sw-run_failed-error"`, `id="subs-tenant_archived-error"`,
			`value="ftp://x.test"`, `value="ok@acme.test, bob@"`, "bob@", "Nothing was saved"} {
			if !strings.Contains(a.body, want) {
				t.Errorf("invalid form's page lacks %s", want)
			}
		}
		if st := e.settings(1); st.WebhookURL != e.hook || st.Events[herald.RunFailed].SendWebhook {
			t.Errorf("invalid form changed the settings: %+v", st)
		}

		// Without a URL a switch is refused, by name.
		a = b.post("/accounts/1/notifications", url.Values{"csrf": {tok}, "webhook_url": {""},
			"events.tenant_created.send_webhook": {"true"}}).must(t, http.StatusUnprocessableEntity)
		if !strings.Contains(a.body, `id="sw-tenant_created-error"`) {
			t.Errorf("switch on without URL not marked")
		}
		// Clearing the URL with the switches off (as the page posts them) saves.
		b.post("/accounts/1/notifications", url.Values{"csrf": {tok}, "webhook_url": {""}}).must(t, http.StatusSeeOther)
		if st := e.settings(1); st.WebhookURL != "" || st.Events[herald.TenantCreated].SendWebhook {
			t.Errorf("cleared settings: %+v", st)
		}
	})
}

func TestSendTestAndDeliveries(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		tok := b.signedIn("admin@acme.test")
		// Nothing saved: the test explains.
		a := b.post("/accounts/1/notifications/test", url.Values{"csrf": {tok}, "event": {"run_failed"}}).must(t, http.StatusUnprocessableEntity)
		if !strings.Contains(a.body, "Webhook URL") {
			t.Errorf("test without URL lacks the reason:\n%s", a.body)
		}
		b.post("/accounts/1/notifications", e.settingsForm(tok)).must(t, http.StatusSeeOther)
		// A script gets a fragment; a form post gets the page.
		a = b.do("POST", "/accounts/1/notifications/test", url.Values{"csrf": {tok}, "event": {"run_failed"}}, "X-Requested-With", "fetch").must(t, 200)
		if strings.Contains(a.body, "<html") || !strings.Contains(a.body, "HTTP 200") || !strings.Contains(a.body, "received") {
			t.Errorf("fragment:\n%s", a.body)
		}
		e.clock.advance(time.Second) // ids sort by time: newest first
		a = b.post("/accounts/1/notifications/test", url.Values{"csrf": {tok}, "event": {"tenant_created"}}).must(t, 200)
		if !strings.Contains(a.body, "<html") || !strings.Contains(a.body, "HTTP 200") {
			t.Errorf("page with result lacks it")
		}
		if e.hits.Load() != 2 {
			t.Errorf("receiver got %d requests, want 2", e.hits.Load())
		}

		list := b.get("/accounts/1/deliveries").must(t, 200)
		for _, want := range []string{"run_failed", "tenant_created", "token=***", "badge-succeeded"} {
			if !strings.Contains(list.body, want) {
				t.Errorf("deliveries page lacks %s", want)
			}
		}
		if strings.Contains(list.body, "s3cret") {
			t.Errorf("deliveries page shows the URL's token")
		}
		if i, j := strings.Index(list.body, "tenant_created"), strings.Index(list.body, "run_failed"); i > j {
			t.Errorf("deliveries not newest first")
		}
		filtered := b.get("/accounts/1/deliveries?event=run_failed&status=succeeded&channel=webhook").must(t, 200)
		if strings.Contains(filtered.body, "<code>tenant_created</code>") {
			t.Errorf("filter by event kept another event")
		}
		e.ui.pageSize = 1
		first := b.get("/accounts/1/deliveries").must(t, 200)
		if !strings.Contains(first.body, `rel="next"`) {
			t.Fatalf("no next page link with page size 1")
		}
		e.ui.pageSize = defaultPageSize

		ds, _ := e.st.Deliveries(t.Context(), storeFilter(1))
		d := b.get("/accounts/1/deliveries/"+ds[0].ID).must(t, 200)
		for _, want := range []string{"POST ", "Content-Type", "&#34;event_type&#34;: &#34;new_tenant_created&#34;", "HTTP 200", "Redeliver",
			"<dt>Attempts</dt><dd>1</dd>"} {
			if !strings.Contains(d.body, want) {
				t.Errorf("delivery page lacks %s\n%s", want, d.body)
			}
		}
		b.get("/accounts/1/deliveries/dlv_nope").must(t, http.StatusNotFound)
		b.get("/accounts/1/outbox").must(t, http.StatusNotFound)
	})
}

func TestCompanyForm(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signedIn("admin@acme.test")
		page := b.get("/accounts/1/company").must(t, 200)
		if !strings.Contains(page.body, "receives every event notification") || !strings.Contains(page.body, `name="primary_contact.email"`) {
			t.Errorf("company page:\n%s", page.body)
		}
		tok := csrf(t, page.body)
		a := b.post("/accounts/1/company", url.Values{"csrf": {tok}, "primary_contact.name": {"Bo"}, "primary_contact.email": {"bo@"}}).must(t, http.StatusUnprocessableEntity)
		if !strings.Contains(a.body, `id="contact-email-error"`) || !strings.Contains(a.body, `value="bo@"`) {
			t.Errorf("invalid company form:\n%s", a.body)
		}
		b.post("/accounts/1/company", url.Values{"csrf": {tok}, "primary_contact.name": {"Bo Chen"}, "primary_contact.email": {"bo@acme.test"}}).must(t, http.StatusSeeOther)
		c, _ := e.st.Company(t.Context(), 1)
		if c.PrimaryContact == nil || c.PrimaryContact.Email != "bo@acme.test" {
			t.Errorf("company %+v", c)
		}
	})
}

func TestHeadersAndStatic(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/h.db", envOptions{outbox: true})
	b := e.browser()
	a := b.get("/signin").must(t, 200)
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for _, p := range []string{"/static/app.css", "/static/app.js"} {
		b.get(p).must(t, 200)
	}
	b.signedIn("admin@acme.test")
	b.get("/accounts/1/outbox").must(t, 200)
	b.get("/accounts/1/outbox/obx_nope").must(t, http.StatusNotFound)

	framed := newEnv(t, "sqlite:"+t.TempDir()+"/h.db", envOptions{frameAncestors: "https://portal.example.com"})
	if csp := framed.browser().get("/signin").header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://portal.example.com") {
		t.Errorf("configured CSP %q", csp)
	}
	// The pages leave the API's and the probes' paths alone.
	h := New(Config{Store: e.st})
	for _, p := range []string{"/api/v1/event-types", "/healthz", "/metrics"} {
		rec := newRecorder()
		h.ServeHTTP(rec, mustRequest(t, p))
		if rec.Code != http.StatusNotFound {
			t.Errorf("ui answers %s with %d", p, rec.Code)
		}
	}
}
