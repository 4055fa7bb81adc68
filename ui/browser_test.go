package ui

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"herald"
)

var screenshotDir = flag.String("screenshots", "", "directory where the browser tests save the README's screenshots")

// chromiumPath finds the browser: HERALD_TEST_CHROMIUM (scripts/test.sh
// sets it), then the usual names. Without one the browser tests skip,
// except in CI, where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HERALD_TEST_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missingTool(t, "browser tests need Chromium: install it (apt-get install chromium) or set HERALD_TEST_CHROMIUM; scripts/test.sh does")
	return ""
}

// missingTool skips the test for want of a tool, except in CI, where
// every test must run: there it fails.
func missingTool(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// chrome starts a headless Chromium for the test, bounded in time.
func chrome(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-default-apps", true))
	cctx, ccancel := chromedp.NewContext(actx)
	t.Cleanup(func() { ccancel(); acancel(); cancel() })
	if err := chromedp.Do(cctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return cctx
}

// page drives one browser tab against an env.
type page struct {
	t   *testing.T
	ctx context.Context
	e   *env
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

func evalJS[T any](p *page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: %v", js, err)
	}
	return v
}

func (p *page) open(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.e.url+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// status opens path and returns the HTTP status of the final answer.
func (p *page) status(path string) int64 {
	p.t.Helper()
	res, err := chromedp.Run(p.ctx, chromedp.NavigateResponse(p.e.url+path))
	if err != nil {
		p.t.Fatal(err)
	}
	return res.Status
}

func (p *page) location() string {
	p.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, p.e.url)
}

func (p *page) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// typeInto clears a field the way a person would, then types text.
func (p *page) typeInto(sel, text string) {
	p.t.Helper()
	evalJS[bool](p, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.value = '';
		e.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
	if text != "" {
		p.do(chromedp.SendKeys(chromedp.CSS(sel), text))
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (p *page) signin(email string) {
	p.t.Helper()
	p.open("/signin")
	p.typeInto("#email", email)
	p.typeInto("#password", testPassword)
	p.do(chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("nav.tabs")))
}

func (p *page) signout() {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#signin")))
}

// switchesDisabled reports each Send Webhook switch's disabled state.
func (p *page) switchesDisabled() []bool {
	return evalJS[[]bool](p, `[...document.querySelectorAll('input[data-switch]')].map(s => s.disabled)`)
}

func all(bs []bool, want bool) bool {
	for _, b := range bs {
		if b != want {
			return false
		}
	}
	return len(bs) == 5
}

// postFromPage posts a form from inside the page, with the page's CSRF
// token, as a script or a hand-made form would; it returns the status.
func (p *page) postFromPage(path string, fields map[string]string) int {
	p.t.Helper()
	f, _ := json.Marshal(fields)
	return evalJS[int](p, `(async () => {
		const body = new URLSearchParams(`+string(f)+`);
		body.set('csrf', document.querySelector('input[name=csrf]').value);
		const r = await fetch(`+jsString(path)+`, {method: 'POST', body, redirect: 'manual'});
		return r.status })()`)
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	if *screenshotDir == "" {
		return
	}
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.MkdirAll(*screenshotDir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshotDir, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// apiSettings reads the settings back through the API.
func (e *env) apiSettings(t *testing.T) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/api/v1/accounts/1/notifications", nil)
	req.Header.Set("Authorization", "Bearer "+platformToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc map[string]any
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&doc) != nil {
		t.Fatalf("API settings: status %d", res.StatusCode)
	}
	return doc
}

func eventOf(doc map[string]any, key string) map[string]any {
	ev, _ := doc["events"].(map[string]any)
	m, _ := ev[key].(map[string]any)
	return m
}

func TestBrowserAdminFlow(t *testing.T) {
	ctx := chrome(t, 90*time.Second)
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "herald.db"))
	p := &page{t: t, ctx: ctx, e: e}

	p.signin("admin@acme.test")
	if loc := p.location(); loc != "/accounts/1/notifications" {
		t.Fatalf("signed in to %q", loc)
	}

	// The switches are inactive until the field holds a valid URL.
	if d := p.switchesDisabled(); !all(d, true) {
		t.Errorf("empty URL: switches disabled %v, want all", d)
	}
	for _, bad := range []string{"not a url", "ftp://files.acme.test/x", "https://"} {
		p.typeInto("#webhook_url", bad)
		if d := p.switchesDisabled(); !all(d, true) {
			t.Errorf("URL %q: switches disabled %v, want all", bad, d)
		}
	}
	p.typeInto("#webhook_url", e.hook)
	if d := p.switchesDisabled(); !all(d, false) {
		t.Errorf("valid URL: switches disabled %v, want none", d)
	}

	// Two events on, subscribers, save.
	p.do(chromedp.Click(chromedp.CSS("#sw-tenant_created")), chromedp.Click(chromedp.CSS("#sw-run_failed")))
	p.typeInto("#subs-run_failed", "oncall@acme.test, dev@acme.test")
	p.do(chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	st := e.settings(1)
	if st.WebhookURL != e.hook || !st.Events[herald.TenantCreated].SendWebhook || !st.Events[herald.RunFailed].SendWebhook ||
		st.Events[herald.TenantArchived].SendWebhook || strings.Join(st.Events[herald.RunFailed].EmailSubscribers, ",") != "oncall@acme.test,dev@acme.test" {
		t.Fatalf("saved settings %+v", st)
	}

	// A reload shows them saved.
	p.open("/accounts/1/notifications")
	checked := evalJS[[]bool](p, `[...document.querySelectorAll('input[data-switch]')].map(s => s.checked)`)
	if want := []bool{false, true, false, false, true}; !slices.Equal(checked, want) {
		t.Errorf("after reload switches %v, want %v", checked, want)
	}
	if v := evalJS[string](p, `document.getElementById('subs-run_failed').value`); v != "oncall@acme.test, dev@acme.test" {
		t.Errorf("after reload subscribers %q", v)
	}
	if v := evalJS[string](p, `document.getElementById('webhook_url').value`); v != e.hook {
		t.Errorf("after reload URL %q", v)
	}

	// An invalid subscriber is marked beside its field; nothing changes.
	p.typeInto("#subs-tenant_archived", "ok@acme.test, bob@")
	p.do(chromedp.Click(chromedp.CSS("#sw-tenant_archived")))
	p.do(chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#subs-tenant_archived-error")))
	if msg := p.text("#subs-tenant_archived-error"); !strings.Contains(msg, `"bob@"`) {
		t.Errorf("subscriber error %q does not name the address", msg)
	}
	beside := evalJS[bool](p, `document.getElementById('subs-tenant_archived-error').closest('td') === document.getElementById('subs-tenant_archived').closest('td')`)
	if !beside {
		t.Errorf("the error is not beside its field")
	}
	if v := evalJS[string](p, `document.getElementById('subs-tenant_archived').value`); v != "ok@acme.test, bob@" {
		t.Errorf("typed subscribers not kept: %q", v)
	}
	doc := e.apiSettings(t)
	if subs, _ := eventOf(doc, "tenant_archived")["email_subscribers"].([]any); len(subs) != 0 || eventOf(doc, "tenant_archived")["send_webhook"] != false {
		t.Errorf("API shows a change after a refused save: %v", eventOf(doc, "tenant_archived"))
	}

	// Send test shows the status, the time and the start of the response.
	p.open("/accounts/1/notifications")
	p.do(chromedp.Click(chromedp.CSS("#test-integration_created")), chromedp.WaitVisible(chromedp.CSS("#result-integration_created .result")))
	res := p.text("#result-integration_created")
	for _, want := range []string{"HTTP 200", "UTC", " ms", `{"received": true}`} {
		if !strings.Contains(res, want) {
			t.Errorf("test result %q lacks %q", res, want)
		}
	}
	p.do(chromedp.Click(chromedp.CSS("#test-run_failed")), chromedp.WaitVisible(chromedp.CSS("#result-run_failed .result")))
	p.screenshot("notifications.png")
	if *screenshotDir != "" {
		p.do(chromedp.EmulateViewport(375, 812))
		p.screenshot("notifications-mobile.png")
		p.do(chromedp.EmulateViewport(1280, 900))
	}

	// The deliveries page lists the test sends, newest first, and shows one.
	p.open("/accounts/1/deliveries")
	rows := evalJS[[]string](p, `[...document.querySelectorAll('table.deliveries tbody tr')].map(r => r.innerText)`)
	if len(rows) != 2 || !strings.Contains(rows[0], "run_failed") || !strings.Contains(rows[1], "integration_created") ||
		!strings.Contains(rows[1], "succeeded") || !strings.Contains(rows[1], "token=***") || !strings.Contains(rows[1], "200") {
		t.Errorf("deliveries rows %q", rows)
	}
	p.screenshot("deliveries.png")
	p.do(chromedp.Click(chromedp.CSS("table.deliveries tbody tr:last-child a")), chromedp.WaitVisible(chromedp.CSS(".attempt")))
	p.screenshot("delivery.png")
	detail := p.text("main")
	for _, want := range []string{"POST http", "Content-Type: application/json", `"event_type": "new_integration_created"`, "HTTP 200", "Redeliver"} {
		if !strings.Contains(detail, want) {
			t.Errorf("delivery detail lacks %q", want)
		}
	}
	p.open("/accounts/1/company")
	p.screenshot("company.png")

	// Sign-out ends the session.
	p.signout()
	p.open("/accounts/1/notifications")
	if loc := p.location(); !strings.HasPrefix(loc, "/signin") {
		t.Errorf("after sign-out the page opened at %q", loc)
	}

	// A viewer cannot change anything: no controls, and the server refuses.
	p.signin("viewer@acme.test")
	p.viewerRefused()
	p.signout()
}

// viewerRefused checks the Notifications tab offers a viewer nothing to
// change and that the server refuses changes posted anyway.
func (p *page) viewerRefused() {
	p.t.Helper()
	p.open("/accounts/1/notifications")
	n := evalJS[int](p, `document.querySelectorAll('#save, button[data-test], #redeliver').length`)
	disabled := evalJS[bool](p, `document.getElementById('webhook_url').matches(':disabled') && [...document.querySelectorAll('input[data-switch], input[name$=email_subscribers]')].every(i => i.matches(':disabled'))`)
	if n != 0 || !disabled {
		p.t.Errorf("viewer's page: %d change buttons, fields disabled %v", n, disabled)
	}
	before := p.e.settings(1)
	if code := p.postFromPage("/accounts/1/notifications", map[string]string{"webhook_url": "https://evil.example.com/"}); code != 403 {
		p.t.Errorf("viewer's save answered %d, want 403", code)
	}
	if code := p.postFromPage("/accounts/1/notifications/test", map[string]string{"event": "run_failed"}); code != 403 {
		p.t.Errorf("viewer's send test answered %d, want 403", code)
	}
	if after := p.e.settings(1); after.WebhookURL != before.WebhookURL {
		p.t.Errorf("viewer changed the URL")
	}
}

func TestBrowserPortalLinks(t *testing.T) {
	ctx := chrome(t, 60*time.Second)
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "herald.db"))
	p := &page{t: t, ctx: ctx, e: e}

	link := e.portalLink(1, herald.RoleAdmin, time.Hour)
	if code := p.status(link); code != 200 {
		t.Errorf("portal link answered %d", code)
	}
	if loc := p.location(); loc != "/accounts/1/notifications" {
		t.Errorf("portal link landed on %q", loc)
	}
	if n := evalJS[int](p, `document.querySelectorAll('#save').length`); n != 1 {
		t.Errorf("admin link's page has no Save")
	}
	if code := p.status(link); code != http.StatusGone {
		t.Errorf("second use answered %d, want 410", code)
	}
	if !strings.Contains(p.text("main"), "already been used or has expired") {
		t.Errorf("410 page lacks its explanation")
	}
	expired := e.portalLink(1, herald.RoleAdmin, time.Minute)
	e.clock.advance(2 * time.Minute)
	if code := p.status(expired); code != http.StatusGone {
		t.Errorf("expired link answered %d, want 410", code)
	}
	if code := p.status(e.portalLink(1, herald.RoleViewer, time.Hour)); code != 200 {
		t.Errorf("viewer link answered %d", code)
	}
	p.viewerRefused()
}
