package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"herald"
	"herald/store"
)

// a11yPage is one page, in one state, that the accessibility audit checks.
type a11yPage struct {
	name string
	as   string                  // who is signed in ("" = nobody)
	path func(f *a11yFix) string // the page to open
	then func(p *page)           // what to do on it before the audit (nil: nothing)
}

// a11yFix is what the pages show: an account with a webhook, subscribers,
// delivered events (webhooks and outbox emails) and a test send.
type a11yFix struct {
	e                              *env
	webhookDelivery, emailDelivery string
	outboxMessage                  string
	unsubscribe                    string // a subscriber's unsubscribe link's path
}

func fixed(path string) func(*a11yFix) string { return func(*a11yFix) string { return path } }

// a11yPages is every page of the product, in each state worth auditing.
// A new page is one line here.
var a11yPages = []a11yPage{
	{name: "sign-in", path: fixed("/signin")},
	{name: "sign-in refused", path: fixed("/signin"), then: func(p *page) {
		p.typeInto("#email", "admin@acme.test")
		p.typeInto("#password", "wrong password")
		p.do(chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#page-error")))
	}},
	{name: "portal link used", path: func(f *a11yFix) string {
		link := f.e.portalLink(1, herald.RoleAdmin, time.Hour)
		f.e.st.UsePortalLink(context.Background(), herald.HashToken(strings.TrimPrefix(link, "/portal/")), f.e.clock.now())
		return link
	}},
	{name: "operator home", as: "ops@herald.test", path: fixed("/")},
	{name: "account list, searched", as: "ops@herald.test", path: fixed("/accounts?q=acme&state=none")},
	{name: "operator on an account", as: "ops@herald.test", path: fixed("/accounts/1/notifications")},
	{name: "accounts", as: "ops@herald.test", path: fixed("/accounts")},
	{name: "accounts searched", as: "ops@herald.test", path: fixed("/accounts?q=nobody"), then: func(p *page) {
		p.do(chromedp.SetValue(chromedp.CSS("#f-q"), "Acme"), chromedp.Submit(chromedp.CSS("#f-q")), chromedp.WaitVisible(chromedp.CSS("table.accounts")))
	}},
	{name: "accounts searched, none found", as: "ops@herald.test", path: fixed("/accounts?q=nobody")},
	{name: "company", as: "admin@acme.test", path: fixed("/accounts/1/company")},
	{name: "company with errors", as: "admin@acme.test", path: fixed("/accounts/1/company"), then: func(p *page) {
		p.typeInto("#contact-email", "bo@")
		p.submitUnchecked("#contact-email-error")
	}},
	{name: "notifications", as: "admin@acme.test", path: fixed("/accounts/1/notifications")},
	{name: "notifications with errors", as: "admin@acme.test", path: fixed("/accounts/1/notifications"), then: func(p *page) {
		p.typeInto("#webhook_url", "ftp://x.test")
		p.typeInto("#subs-tenant_archived", "ok@acme.test, bob@")
		p.submitUnchecked("#subs-tenant_archived-error")
	}},
	{name: "notifications after a test send", as: "admin@acme.test", path: fixed("/accounts/1/notifications"), then: func(p *page) {
		p.do(chromedp.Click(chromedp.CSS("#test-run_failed")), chromedp.WaitVisible(chromedp.CSS("#result-run_failed .result")))
	}},
	{name: "signing on, the secret shown", as: "admin@acme.test", path: fixed("/accounts/1/notifications"), then: func(p *page) {
		p.do(chromedp.SetValue(chromedp.CSS("#signing-scheme"), "hmac-sha256"), chromedp.Click(chromedp.CSS("#signing-save")),
			chromedp.WaitVisible(chromedp.CSS("#signing-secret")))
	}},
	{name: "signing rotated, two keys", as: "admin@acme.test", path: fixed("/accounts/1/notifications"), then: func(p *page) {
		p.do(chromedp.SetValue(chromedp.CSS("#signing-overlap"), "3600"), chromedp.Click(chromedp.CSS("#signing-rotate")),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
	}},
	{name: "signing ed25519, the public key and how to verify", as: "admin@acme.test", path: fixed("/accounts/1/notifications"), then: func(p *page) {
		p.do(chromedp.SetValue(chromedp.CSS("#signing-scheme"), "ed25519"), chromedp.Click(chromedp.CSS("#signing-save")),
			chromedp.WaitVisible(chromedp.CSS("#public-key")))
		evalJS[bool](p, `(() => { document.querySelectorAll('details').forEach(d => d.open = true); return true })()`)
	}},
	{name: "deliveries", as: "admin@acme.test", path: fixed("/accounts/1/deliveries")},
	{name: "webhook delivery", as: "admin@acme.test", path: func(f *a11yFix) string { return "/accounts/1/deliveries/" + f.webhookDelivery }},
	{name: "email delivery", as: "admin@acme.test", path: func(f *a11yFix) string { return "/accounts/1/deliveries/" + f.emailDelivery }},
	{name: "outbox", as: "admin@acme.test", path: fixed("/accounts/1/outbox")},
	{name: "outbox message", as: "admin@acme.test", path: func(f *a11yFix) string { return "/accounts/1/outbox/" + f.outboxMessage }},
	{name: "not found", as: "admin@acme.test", path: fixed("/accounts/1/deliveries/dlv_nope")},
	{name: "notifications, viewer", as: "viewer@acme.test", path: fixed("/accounts/1/notifications")},
	{name: "delivery, viewer", as: "viewer@acme.test", path: func(f *a11yFix) string { return "/accounts/1/deliveries/" + f.webhookDelivery }},
	{name: "email preview", as: "admin@acme.test", path: fixed("/accounts/1/notifications/preview/run_failed")},
	{name: "email preview, text part open", as: "admin@acme.test", path: fixed("/accounts/1/notifications/preview/tenant_created"), then: func(p *page) {
		evalJS[bool](p, `(() => { document.querySelectorAll('details').forEach(d => d.open = true); return true })()`)
	}},
	{name: "notifications, a digest window refused", as: "admin@acme.test", path: fixed("/accounts/1/notifications"), then: func(p *page) {
		// Only a hand-made form can post a window the choice does not offer.
		evalJS[bool](p, `(() => { document.querySelector('#digest-run_failed option:checked').value = '3'; return true })()`)
		p.submitUnchecked("#digest-run_failed-error")
	}},
	{name: "unsubscribe link unknown", path: fixed("/unsubscribe/hu_nope")},
	{name: "unsubscribe", path: func(f *a11yFix) string { return f.unsubscribe }},
	{name: "unsubscribed", path: func(f *a11yFix) string { return f.unsubscribe }, then: func(p *page) {
		p.do(chromedp.Click(chromedp.CSS("#unsubscribe")), chromedp.WaitVisible(chromedp.CSS("#unsubscribed")))
	}},
	{name: "notifications with an unsubscribe", as: "admin@acme.test", path: fixed("/accounts/1/notifications")},
	{name: "deliveries, a replay refused", as: "admin@acme.test", path: fixed("/accounts/1/deliveries"), then: func(p *page) {
		p.typeInto("#replay-since", "yesterday")
		p.do(chromedp.Click(chromedp.CSS("#replay button")), chromedp.WaitVisible(chromedp.CSS("#page-error")))
	}},
	{name: "deliveries, replayed", as: "admin@acme.test", path: fixed("/accounts/1/deliveries"), then: func(p *page) {
		p.typeInto("#replay-since", time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04"))
		p.do(chromedp.Click(chromedp.CSS("#replay button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	}},
	{name: "webhook failing", as: "admin@acme.test", path: func(f *a11yFix) string {
		f.webhookResults(store.WebhookResult{Error: "HTTP 503"}, store.WebhookResult{Error: "HTTP 503"})
		return "/accounts/1/notifications"
	}},
	{name: "webhook disabled, the banner", as: "admin@acme.test", path: func(f *a11yFix) string {
		f.webhookResults(store.WebhookResult{Gone: true, Error: "HTTP 410"})
		return "/accounts/1/notifications"
	}, then: func(p *page) { p.do(chromedp.WaitVisible(chromedp.CSS("#webhook-disabled"))) }},
	{name: "webhook disabled, viewer", as: "viewer@acme.test", path: fixed("/accounts/1/notifications")},
	{name: "webhook turned back on", as: "admin@acme.test", path: fixed("/accounts/1/notifications"), then: func(p *page) {
		p.do(chromedp.Click(chromedp.CSS("#enable-webhook")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	}},
}

// webhookResults records webhook outcomes of account 1, now, as the
// worker does, for the health the tab shows.
func (f *a11yFix) webhookResults(rs ...store.WebhookResult) {
	f.e.t.Helper()
	for i := range rs {
		rs[i].AccountID, rs[i].At = 1, time.Now()
	}
	if _, err := f.e.st.RecordWebhookResults(context.Background(), rs, store.HealthPolicy{FailingNotice: 10}); err != nil {
		f.e.t.Fatal(err)
	}
}

// submitUnchecked submits the page's main form without the browser's own
// checks (as an old browser would), so the server's errors show, and
// waits for the error sel.
func (p *page) submitUnchecked(sel string) {
	p.t.Helper()
	evalJS[bool](p, `(() => { for (const f of document.forms) f.noValidate = true; return true })()`)
	p.do(chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS(sel)))
}

func newA11yFix(t *testing.T) *a11yFix {
	t.Helper()
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "herald.db"), envOptions{outbox: true})
	// The receiver answers at length, so the test result's body scrolls.
	long := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{\n"+strings.Repeat("  \"received\": true,\n", 80)+"  \"ok\": true\n}")
	}))
	t.Cleanup(long.Close)
	st := herald.DefaultSettings()
	st.WebhookURL = long.URL + "/hooks/herald?token=s3cret"
	for _, k := range []herald.EventKey{herald.RunFailed, herald.TenantCreated} {
		ev := st.Events[k]
		ev.SendWebhook, ev.EmailSubscribers = true, []string{"oncall@acme.test", "dev@acme.test"}
		st.Events[k] = ev
	}
	if err := e.st.PutSettings(t.Context(), 1, st); err != nil {
		t.Fatal(err)
	}
	e.ingest(t, "run_failed", `{"run_id": 9876, "tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`)
	e.ingest(t, "tenant_created", `{"tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`)
	e.deliverAll(t)
	f := &a11yFix{e: e}
	for _, c := range []struct {
		ch  herald.Channel
		dst *string
	}{{herald.ChannelWebhook, &f.webhookDelivery}, {herald.ChannelEmail, &f.emailDelivery}} {
		ds, err := e.st.Deliveries(t.Context(), store.DeliveryFilter{AccountID: 1, Channel: c.ch, Limit: 1})
		if err != nil || len(ds) == 0 {
			t.Fatalf("no %s delivery: %v", c.ch, err)
		}
		*c.dst = ds[0].ID
	}
	msgs, err := e.st.Outbox(t.Context(), 1, "", 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no outbox message: %v", err)
	}
	f.outboxMessage = msgs[0].ID
	tok, err := e.st.UnsubscribeToken(t.Context(), 1, herald.RunFailed, "oncall@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	f.unsubscribe = "/unsubscribe/" + tok
	return f
}

// TestBrowserAccessibility audits every page with axe-core (WCAG 2.2 AA
// and best practices), at a desktop width and a 375 px phone width, and
// checks that no page is wider than the phone and that every control is
// reachable with the Tab key.
func TestBrowserAccessibility(t *testing.T) {
	src := axeSource(t)
	ctx := chrome(t, 4*time.Minute)
	f := newA11yFix(t)
	p := &page{t: t, ctx: ctx, e: f.e}
	who := ""
	for _, pg := range a11yPages {
		if pg.as != who {
			if who != "" {
				p.signout()
			}
			if pg.as != "" {
				p.open("/signin")
				p.typeInto("#email", pg.as)
				p.typeInto("#password", testPassword)
				p.do(chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#signout")))
			}
			who = pg.as
		}
		p.do(chromedp.EmulateViewport(1280, 900))
		p.open(pg.path(f))
		if pg.then != nil {
			pg.then(p)
		}
		for _, v := range p.axeViolations(src) {
			t.Errorf("%s at 1280 px: %s", pg.name, v)
		}
		for _, k := range p.keyboardFaults() {
			t.Errorf("%s: %s", pg.name, k)
		}
		p.do(chromedp.EmulateViewport(375, 812))
		if over, worst := p.overflow(); over > 0 {
			t.Errorf("%s is %d px wider than a 375 px screen: %s", pg.name, over, worst)
		}
		for _, v := range p.axeViolations(src) {
			t.Errorf("%s at 375 px: %s", pg.name, v)
		}
	}
}

// TestBrowserKeyboardUse changes and saves the settings with the keyboard
// alone: Tab to a Send Webhook switch, Space turns it on, Enter on Save.
func TestBrowserKeyboardUse(t *testing.T) {
	ctx := chrome(t, 90*time.Second)
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "herald.db"))
	st := herald.DefaultSettings()
	st.WebhookURL = e.hook
	if err := e.st.PutSettings(t.Context(), 1, st); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, e: e}
	p.signin("admin@acme.test")
	p.open("/accounts/1/notifications")
	p.tabTo("#sw-run_failed")
	p.do(chromedp.KeyEvent(" "))
	if !evalJS[bool](p, `document.getElementById('sw-run_failed').checked`) {
		t.Fatal("Space did not turn the switch on")
	}
	p.tabTo("#save")
	p.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if !e.settings(1).Events[herald.RunFailed].SendWebhook {
		t.Errorf("the switch turned on by keyboard was not saved")
	}
}

// tabTo presses Tab until sel has the focus.
func (p *page) tabTo(sel string) {
	p.t.Helper()
	for range 200 {
		if evalJS[bool](p, `document.activeElement === document.querySelector(`+jsString(sel)+`)`) {
			return
		}
		p.do(tabKey())
	}
	p.t.Fatalf("Tab never reached %s", sel)
}
