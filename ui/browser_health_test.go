package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"herald"
	"herald/store"
)

// TestBrowserWebhookHealth: the tab shows the webhook's health like a
// hook list (state, last success, last failure with its reason, the day's
// count); a disabled webhook gets a banner whose button turns it back on;
// the retry switch saves; the Deliveries page replays what was skipped.
func TestBrowserWebhookHealth(t *testing.T) {
	ctx := chrome(t, 90*time.Second)
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "herald.db"))
	p := &page{t: t, ctx: ctx, e: e}
	bg := context.Background()
	st := herald.DefaultSettings()
	st.WebhookURL = e.hook
	st.Events[herald.RunFailed] = herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{}}
	if err := e.st.PutSettings(bg, 1, st); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	results := []store.WebhookResult{{AccountID: 1, At: now.Add(-2 * time.Hour), Success: true}}
	for i := range 3 {
		results = append(results, store.WebhookResult{AccountID: 1, At: now.Add(time.Duration(i-60) * time.Minute), Error: "HTTP 503"})
	}
	if _, err := e.st.RecordWebhookResults(bg, results, store.HealthPolicy{FailingNotice: 10}); err != nil {
		t.Fatal(err)
	}

	p.signin("admin@acme.test")
	if got := p.text("#health-state"); got != "failing" {
		t.Errorf("state shows %q, want failing", got)
	}
	if got := p.text("#health-error"); got != "HTTP 503" {
		t.Errorf("last failure shows %q", got)
	}
	if got := p.text("#health-24h"); got != "1 of 4 attempts succeeded" {
		t.Errorf("24h shows %q", got)
	}

	// A 410 disables; an event meanwhile is kept as skipped.
	if _, err := e.st.RecordWebhookResults(bg, []store.WebhookResult{{AccountID: 1, At: now, Gone: true, Error: "HTTP 410"}}, store.HealthPolicy{}); err != nil {
		t.Fatal(err)
	}
	e.ingest(t, "run_failed", `{"run_id": 9876, "tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`)
	p.open("/accounts/1/notifications")
	if banner := p.text("#webhook-disabled"); !strings.Contains(banner, "410 Gone") || !strings.Contains(banner, "replayed") {
		t.Errorf("banner says %q", banner)
	}
	if got := p.text("#health-state"); got != "disabled" {
		t.Errorf("state shows %q, want disabled", got)
	}
	if src := axeSourceOrEmpty(t); src != "" {
		if v := p.axeViolations(src); len(v) > 0 {
			t.Errorf("the banner and health fail the audit:\n\t%s", strings.Join(v, "\n\t"))
		}
	}
	p.screenshot("health.png")

	p.do(chromedp.Click(chromedp.CSS("#enable-webhook")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := p.text("#health-state"); got != "healthy" {
		t.Errorf("after turning it on: %q", got)
	}
	if n := evalJS[int](p, `document.querySelectorAll('#webhook-disabled').length`); n != 0 {
		t.Error("the banner is still there")
	}

	// The retry switch posts retry_failed_webhooks.
	p.open("/accounts/1/notifications")
	p.do(chromedp.Click(chromedp.CSS("#retry_failed_webhooks")), chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if s := e.settings(1); !s.RetryFailedWebhooks || s.WebhookURL != e.hook {
		t.Errorf("saved settings: retry %v, URL %q", s.RetryFailedWebhooks, s.WebhookURL)
	}

	// Replay what was skipped from the Deliveries page.
	p.open("/accounts/1/deliveries?status=skipped")
	if !strings.Contains(p.text("table.deliveries"), "skipped") {
		t.Fatal("the skipped webhook is not listed")
	}
	since := now.UTC().Add(-time.Hour).Format("2006-01-02T15:04")
	evalJS[bool](p, `(() => { document.querySelector('#replay-since').value = `+jsString(since)+`; return true })()`)
	p.do(chromedp.Click(chromedp.CSS("#replay button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := p.text(".flash"); !strings.Contains(got, "1 webhook will be sent again") {
		t.Errorf("after replay: %q", got)
	}
	ds, err := e.st.Deliveries(bg, store.DeliveryFilter{AccountID: 1, Channel: herald.ChannelWebhook, Limit: 10})
	if err != nil || len(ds) != 1 || ds[0].Status != herald.StatusPending {
		t.Errorf("replayed webhook: %+v, %v", ds, err)
	}
}

// axeSourceOrEmpty is axe-core when installed: the audit of every page
// (browser_a11y_test.go) insists on it; this test only uses it.
func axeSourceOrEmpty(t *testing.T) string {
	t.Helper()
	if os.Getenv("HERALD_TEST_AXE") == "" {
		return ""
	}
	return axeSource(t)
}
