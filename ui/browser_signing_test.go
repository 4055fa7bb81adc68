package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"herald"
)

// signingKeys is what the store says signs account 1 now.
func (e *env) signingKeys() []herald.SigningKey {
	e.t.Helper()
	keys, err := e.st.SigningKeys(context.Background(), 1, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return keys
}

// The Signing section: an admin turns HMAC on and sees the secret once,
// reveals it again, rotates with an overlap and switches to ed25519 (the
// public key shown); a viewer sees that signing is on, never a secret, and
// cannot change it. Every action is a plain form post.
func TestBrowserSigning(t *testing.T) {
	ctx := chrome(t, 90*time.Second)
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "herald.db"))
	p := &page{t: t, ctx: ctx, e: e}
	p.signin("admin@acme.test")
	if s := p.text("#signing-state"); s != "off" {
		t.Fatalf("signing state %q, want off", s)
	}

	// Turn HMAC on: the answer shows the new secret.
	p.do(chromedp.SetValue(chromedp.CSS("#signing-scheme"), "hmac-sha256"), chromedp.Click(chromedp.CSS("#signing-save")),
		chromedp.WaitVisible(chromedp.CSS("#signing-secret")))
	keys := e.signingKeys()
	secret := evalJS[string](p, `document.getElementById('signing-secret').value`)
	if len(keys) != 1 || !strings.HasPrefix(secret, "whsec_") || secret != keys[0].SecretString() {
		t.Fatalf("after turning HMAC on: page secret %q, keys %+v", secret, keys)
	}
	if s := p.text("#signing-state"); s != "on (hmac-sha256)" {
		t.Errorf("signing state %q", s)
	}
	// A reload hides it; Reveal shows it again.
	p.open("/accounts/1/notifications")
	if n := evalJS[int](p, `document.querySelectorAll('#signing-secret').length`); n != 0 {
		t.Error("the secret is shown without being asked for")
	}
	p.do(chromedp.Click(chromedp.CSS("#signing-reveal")), chromedp.WaitVisible(chromedp.CSS("#signing-secret")))
	if got := evalJS[string](p, `document.getElementById('signing-secret').value`); got != secret {
		t.Errorf("revealed %q, want %q", got, secret)
	}

	// Rotate with a one-hour overlap: two keys sign, the old until in an hour.
	p.do(chromedp.SetValue(chromedp.CSS("#signing-overlap"), "3600"), chromedp.Click(chromedp.CSS("#signing-rotate")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	keys = e.signingKeys()
	if len(keys) != 2 || keys[1].SecretString() != secret || time.Until(keys[1].ExpiresAt) > time.Hour || time.Until(keys[1].ExpiresAt) < 59*time.Minute {
		t.Fatalf("after rotating: %+v", keys)
	}
	if n := evalJS[int](p, `document.querySelectorAll('#signing table.keys tbody tr').length`); n != 2 {
		t.Errorf("the page lists %d keys, want 2", n)
	}

	// Switch to ed25519: the public key is shown, no secret.
	p.do(chromedp.SetValue(chromedp.CSS("#signing-scheme"), "ed25519"), chromedp.Click(chromedp.CSS("#signing-save")),
		chromedp.WaitVisible(chromedp.CSS("#public-key")))
	keys = e.signingKeys()
	pub := evalJS[string](p, `document.getElementById('public-key').value`)
	if len(keys) < 2 || keys[0].Scheme != herald.SigningEd25519 || pub != keys[0].PublicKeyString() || !strings.HasPrefix(pub, "whpk_") {
		t.Fatalf("after switching to ed25519: public key %q, keys %+v", pub, keys)
	}
	if n := evalJS[int](p, `document.querySelectorAll('#signing-secret, #signing-reveal').length`); n != 0 {
		t.Error("an ed25519 account shows a secret or a reveal button")
	}
	p.do(chromedp.ScrollIntoView(chromedp.CSS("#signing")))
	p.screenshot("signing.png")
	// The section with keys, a public key and the guide open passes the
	// same accessibility audit as every page, and fits a phone.
	p.do(chromedp.Click(chromedp.CSS("#signing summary")))
	if v := p.axeViolations(axeSource(t)); len(v) > 0 {
		t.Errorf("accessibility violations with signing on:\n%s", strings.Join(v, "\n"))
	}
	p.do(chromedp.EmulateViewport(375, 800))
	if over, worst := p.overflow(); over > 0 {
		t.Errorf("at 375 px the page is %d px too wide: %s", over, worst)
	}
	p.do(chromedp.EmulateViewport(1280, 900))

	// Back to HMAC for the viewer's part: a viewer sees signing on, never
	// the secret, and every change is refused.
	p.do(chromedp.SetValue(chromedp.CSS("#signing-scheme"), "hmac-sha256"), chromedp.Click(chromedp.CSS("#signing-save")),
		chromedp.WaitVisible(chromedp.CSS("#signing-secret")))
	secret = evalJS[string](p, `document.getElementById('signing-secret').value`)
	p.signout()
	p.signin("viewer@acme.test")
	p.open("/accounts/1/notifications")
	if s := p.text("#signing-state"); s != "on (hmac-sha256)" {
		t.Errorf("viewer sees signing state %q", s)
	}
	html := evalJS[string](p, `document.documentElement.outerHTML`)
	if strings.Contains(html, secret) || strings.Contains(html, "signing-save") || strings.Contains(html, "signing-reveal") {
		t.Error("the viewer's page shows the secret or a signing form")
	}
	before := e.signingKeys()
	for path, fields := range map[string]map[string]string{
		"/accounts/1/signing":        {"scheme": "none"},
		"/accounts/1/signing/rotate": {"overlap_seconds": "0"},
		"/accounts/1/signing/secret": {},
	} {
		if code := p.postFromPage(path, fields); code != 403 {
			t.Errorf("viewer's POST %s answered %d, want 403", path, code)
		}
	}
	if after := e.signingKeys(); len(after) != len(before) || after[0].ID != before[0].ID {
		t.Error("a viewer changed signing")
	}
}
