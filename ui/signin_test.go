package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"herald"
)

func TestSignin(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		a := b.signin("admin@acme.test", "wrong password!").must(t, http.StatusUnauthorized)
		if !strings.Contains(a.body, "The email or password is wrong.") || !strings.Contains(a.body, `value="admin@acme.test"`) {
			t.Errorf("wrong password: page lacks the message or the typed email:\n%s", a.body)
		}
		a = b.signin("nobody@acme.test", testPassword).must(t, http.StatusUnauthorized)
		if !strings.Contains(a.body, "The email or password is wrong.") {
			t.Errorf("unknown email: page lacks the same message:\n%s", a.body)
		}
		b.get("/accounts/1/notifications").must(t, http.StatusSeeOther)

		a = b.signin("Admin@Acme.test", testPassword).must(t, http.StatusSeeOther)
		c := cookieOf(t, a)
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || !strings.HasPrefix(c.Value, "hs_") {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over http, an hs_ id", c)
		}
		if got := b.get("/").must(t, http.StatusSeeOther).header.Get("Location"); got != "/accounts/1/notifications" {
			t.Errorf("home sends to %q", got)
		}
		page := b.get("/accounts/1/notifications").must(t, 200)
		for _, want := range []string{"Notifications &amp; Webhooks", `name="webhook_url"`, `name="events.run_failed.send_webhook"`,
			`name="events.run_failed.email_subscribers"`, `id="save"`, "ann@acme.test"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("notifications page lacks %s", want)
			}
		}
		// Only the hash of the session id is stored.
		if _, err := e.st.Session(t.Context(), c.Value, e.clock.now()); herald.ErrorCode(err) != herald.CodeNotFound {
			t.Errorf("the raw session id finds a session: %v", err)
		}
		// A signed-in sign-in page sends home.
		b.get("/signin").must(t, http.StatusSeeOther)
	})
}

func cookieOf(t *testing.T, a answer) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", sessionCookie, a.header)
	return nil
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/h.db", envOptions{publicURL: "https://herald.example.com"})
	a := e.browser().signin("admin@acme.test", testPassword).must(t, http.StatusSeeOther)
	if c := cookieOf(t, a); !c.Secure || !c.HttpOnly {
		t.Errorf("cookie %+v: want Secure and HttpOnly behind https", c)
	}
}

func TestSigninThrottle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.ui.throttle = newThrottle(3, time.Minute)
		b := e.browser()
		for range 3 {
			b.signin("admin@acme.test", "wrong password!").must(t, http.StatusUnauthorized)
		}
		// The right password is refused too while the email is slowed.
		a := b.signin("admin@acme.test", testPassword).must(t, http.StatusTooManyRequests)
		if n, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || n < 1 || n > 60 {
			t.Errorf("Retry-After %q, want 1..60 seconds", a.header.Get("Retry-After"))
		}
		if !strings.Contains(a.body, "Too many failed sign-ins") {
			t.Errorf("429 page lacks its explanation:\n%s", a.body)
		}
		// The same address is slowed for another email as well.
		b.signin("viewer@acme.test", testPassword).must(t, http.StatusTooManyRequests)

		e.clock.advance(61 * time.Second)
		b.signin("admin@acme.test", testPassword).must(t, http.StatusSeeOther)
	})
}

func TestThrottlePerEmail(t *testing.T) {
	th := newThrottle(2, time.Minute)
	now := time.Now()
	th.fail(now, "ip:a", "email:x")
	th.fail(now.Add(time.Second), "ip:b", "email:x")
	if w := th.wait(now.Add(2*time.Second), "ip:c", "email:x"); w != 58*time.Second {
		t.Errorf("email slowed from a new address: wait %v, want 58s", w)
	}
	if w := th.wait(now.Add(2*time.Second), "ip:c", "email:y"); w != 0 {
		t.Errorf("another email from a new address waits %v", w)
	}
	th.reset("email:x")
	if w := th.wait(now.Add(2*time.Second), "ip:c", "email:x"); w != 0 {
		t.Errorf("after a reset: wait %v", w)
	}
}

func TestCSRF(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		tok := b.signedIn("admin@acme.test")
		form := e.settingsForm(tok)
		form.Del("csrf")
		b.post("/accounts/1/notifications", form).must(t, http.StatusForbidden)
		form.Set("csrf", tok+"x")
		b.post("/accounts/1/notifications", form).must(t, http.StatusForbidden)
		b.post("/accounts/1/notifications/test", url.Values{"event": {"run_failed"}}).must(t, http.StatusForbidden)
		b.post("/signout", url.Values{}).must(t, http.StatusForbidden)
		if st := e.settings(1); st.WebhookURL != "" {
			t.Errorf("refused forms changed the settings: %+v", st)
		}
		form.Set("csrf", tok)
		b.post("/accounts/1/notifications", form).must(t, http.StatusSeeOther)
		if st := e.settings(1); st.WebhookURL != e.hook || !st.Events[herald.TenantCreated].SendWebhook {
			t.Errorf("the valid form was not saved: %+v", st)
		}

		// The sign-in form carries its own token, bound to a cookie.
		fresh := e.browser()
		fresh.post("/signin", url.Values{"email": {"admin@acme.test"}, "password": {testPassword}}).must(t, http.StatusForbidden)
		tok = csrf(t, fresh.get("/signin").body)
		fresh.post("/signin", url.Values{"csrf": {"wrong"}, "email": {"admin@acme.test"}, "password": {testPassword}}).must(t, http.StatusForbidden)
		fresh.post("/signin", url.Values{"csrf": {tok}, "email": {"admin@acme.test"}, "password": {testPassword}}).must(t, http.StatusSeeOther)
	})
}

func TestSessionExpiresAndSignout(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signedIn("admin@acme.test")
		e.clock.advance(sessionLifetime + time.Minute)
		a := b.get("/accounts/1/notifications").must(t, http.StatusSeeOther)
		if loc := a.header.Get("Location"); !strings.HasPrefix(loc, "/signin") {
			t.Errorf("expired session sent to %q, want /signin", loc)
		}

		tok := b.signedIn("admin@acme.test")
		u, _ := url.Parse(e.url)
		old := b.c.Jar.Cookies(u)
		b.post("/signout", url.Values{"csrf": {tok}}).must(t, http.StatusSeeOther)
		b.get("/accounts/1/notifications").must(t, http.StatusSeeOther)
		// The old cookie, replayed, finds no session.
		replay := e.browser()
		replay.c.Jar.SetCookies(u, old)
		if loc := replay.get("/accounts/1/notifications").must(t, http.StatusSeeOther).header.Get("Location"); !strings.HasPrefix(loc, "/signin") {
			t.Errorf("replayed cookie after sign-out sent to %q", loc)
		}
	})
}

func TestCrossAccountRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		other := e.browser()
		tok2 := other.signedIn("admin@globex.test")
		other.post("/accounts/2/notifications", e.settingsForm(tok2)).must(t, http.StatusSeeOther)
		other.post("/accounts/2/notifications/test", url.Values{"csrf": {tok2}, "event": {"run_failed"}}).must(t, 200)
		ds, err := e.st.Deliveries(t.Context(), storeFilter(2))
		if err != nil || len(ds) != 1 {
			t.Fatalf("account 2 deliveries %v %v", ds, err)
		}

		b := e.browser()
		tok := b.signedIn("admin@acme.test")
		for _, p := range []string{"/accounts/2/notifications", "/accounts/2/company", "/accounts/2/deliveries", "/accounts/2/deliveries/" + ds[0].ID} {
			b.get(p).must(t, http.StatusForbidden)
		}
		b.post("/accounts/2/notifications", e.settingsForm(tok)).must(t, http.StatusForbidden)
		// Another account's delivery under one's own account is not found.
		b.get("/accounts/1/deliveries/"+ds[0].ID).must(t, http.StatusNotFound)
		b.post("/accounts/1/deliveries/"+ds[0].ID+"/redeliver", url.Values{"csrf": {tok}}).must(t, http.StatusNotFound)
		// Only operators switch.
		b.post("/switch", url.Values{"csrf": {tok}, "account_id": {"2"}}).must(t, http.StatusForbidden)
	})
}

func TestOperatorSwitchesAccounts(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signin("ops@herald.test", testPassword).must(t, http.StatusSeeOther)
		if loc := b.get("/").must(t, http.StatusSeeOther).header.Get("Location"); loc != "/accounts" {
			t.Errorf("an operator's home sends to %q, want the account list", loc)
		}
		tok := csrf(t, b.get("/accounts").must(t, 200).body)
		b.post("/switch", url.Values{"csrf": {tok}, "account_id": {"99"}}).must(t, http.StatusUnprocessableEntity)
		a := b.post("/switch", url.Values{"csrf": {tok}, "account_id": {"2"}}).must(t, http.StatusSeeOther)
		if loc := a.header.Get("Location"); loc != "/accounts/2/notifications" {
			t.Errorf("switch sent to %q", loc)
		}
		if loc := b.get("/").header.Get("Location"); loc != "/accounts/2/notifications" {
			t.Errorf("home after switch sends to %q", loc)
		}
		page := b.get("/accounts/2/notifications").must(t, 200)
		if !strings.Contains(page.body, "Globex") || !strings.Contains(page.body, `id="save"`) {
			t.Errorf("operator's view of account 2 lacks its name or Save")
		}
		b.post("/accounts/1/notifications", e.settingsForm(tok)).must(t, http.StatusSeeOther)
	})
}

func TestViewerReadsOnly(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.browser()
		atok := admin.signedIn("admin@acme.test")
		admin.post("/accounts/1/notifications", e.settingsForm(atok)).must(t, http.StatusSeeOther)
		admin.post("/accounts/1/notifications/test", url.Values{"csrf": {atok}, "event": {"tenant_created"}}).must(t, 200)
		ds, _ := e.st.Deliveries(t.Context(), storeFilter(1))

		b := e.browser()
		tok := b.signedIn("viewer@acme.test")
		page := b.get("/accounts/1/notifications").must(t, 200)
		for _, no := range []string{`id="save"`, "data-test", `id="test-form"`} {
			if strings.Contains(page.body, no) {
				t.Errorf("viewer's page has %s", no)
			}
		}
		if !strings.Contains(page.body, `<fieldset class="plain" disabled>`) {
			t.Errorf("viewer's fields are not disabled")
		}
		before := e.settings(1)
		form := e.settingsForm(tok)
		form.Set("webhook_url", "https://evil.example.com/")
		b.post("/accounts/1/notifications", form).must(t, http.StatusForbidden)
		b.post("/accounts/1/company", url.Values{"csrf": {tok}, "primary_contact.name": {"X"}, "primary_contact.email": {"x@x.test"}}).must(t, http.StatusForbidden)
		b.post("/accounts/1/notifications/test", url.Values{"csrf": {tok}, "event": {"run_failed"}}).must(t, http.StatusForbidden)
		b.post("/accounts/1/deliveries/"+ds[0].ID+"/redeliver", url.Values{"csrf": {tok}}).must(t, http.StatusForbidden)
		if d := b.get("/accounts/1/deliveries/"+ds[0].ID).must(t, 200); strings.Contains(d.body, "Redeliver") {
			t.Errorf("viewer sees Redeliver")
		}
		if after := e.settings(1); after.WebhookURL != before.WebhookURL {
			t.Errorf("viewer changed the URL to %q", after.WebhookURL)
		}
		// Admins may redeliver.
		admin.post("/accounts/1/deliveries/"+ds[0].ID+"/redeliver", url.Values{"csrf": {atok}}).must(t, http.StatusSeeOther)
	})
}

func TestPortalLinks(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		link := e.portalLink(1, herald.RoleAdmin, time.Hour)
		b := e.browser()
		a := b.get(link).must(t, http.StatusSeeOther)
		if loc := a.header.Get("Location"); loc != "/accounts/1/notifications" {
			t.Errorf("portal link lands on %q", loc)
		}
		page := b.get("/accounts/1/notifications").must(t, 200)
		if !strings.Contains(page.body, `id="save"`) {
			t.Errorf("admin link's page lacks Save")
		}
		b.get("/accounts/2/notifications").must(t, http.StatusForbidden)
		// Once only, for any browser.
		if a := e.browser().get(link).must(t, http.StatusGone); !strings.Contains(a.body, "already been used or has expired") {
			t.Errorf("410 page lacks its explanation:\n%s", a.body)
		}
		b.get(link).must(t, http.StatusGone)

		expired := e.portalLink(1, herald.RoleAdmin, time.Minute)
		e.clock.advance(2 * time.Minute)
		e.browser().get(expired).must(t, http.StatusGone)
		e.browser().get("/portal/hpl_unknown").must(t, http.StatusGone)

		v := e.browser()
		v.get(e.portalLink(1, herald.RoleViewer, time.Hour)).must(t, http.StatusSeeOther)
		page = v.get("/accounts/1/notifications").must(t, 200)
		if strings.Contains(page.body, `id="save"`) {
			t.Errorf("viewer link's page has Save")
		}
		v.post("/accounts/1/notifications", e.settingsForm(csrf(t, page.body))).must(t, http.StatusForbidden)
		if st := e.settings(1); st.WebhookURL != "" {
			t.Errorf("viewer link saved settings: %+v", st)
		}
	})
}
