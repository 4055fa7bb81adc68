package ui

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"herald"
)

// TestBrowserEmailPreview opens the tab's "Preview email" in Chromium,
// without any script of ours, and renders a subscriber's Run Failed email
// as a mail client's HTML view would: it must fit a 640 px window (the
// card is at most 600 px wide) and a 375 px phone. With -screenshots it saves the README's
// email.png and email-preview.png.
func TestBrowserEmailPreview(t *testing.T) {
	ctx := chrome(t, 2*time.Minute)
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "herald.db"), envOptions{publicURL: "https://herald.example.test"})
	st := herald.DefaultSettings()
	st.Events[herald.RunFailed] = herald.EventSettings{EmailSubscribers: []string{"oncall@acme.test", "dev@acme.test"}}
	if err := e.st.PutSettings(t.Context(), 1, st); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, e: e}
	p.signin("admin@acme.test")
	p.open("/accounts/1/notifications")
	p.do(chromedp.Click(chromedp.CSS("#preview-run_failed")), chromedp.WaitVisible(chromedp.CSS("#preview-subscriber")))
	if got := p.location(); got != "/accounts/1/notifications/preview/run_failed" {
		t.Fatalf("Preview email opened %s", got)
	}
	if h := p.text("h1"); h != "Email preview: Run Failed" {
		t.Errorf("heading = %q", h)
	}
	// The frames load the HTML parts (the page's CSP allows them); the
	// document is complete once they have.
	for i := 0; !evalJS[bool](p, `document.readyState === 'complete'`); i++ {
		if i == 500 {
			t.Fatal("the preview never finished loading")
		}
		time.Sleep(20 * time.Millisecond)
	}
	loaded := evalJS[int](p, `[...document.querySelectorAll('iframe.email-frame')].filter(f => f.getBoundingClientRect().height > 300).length`)
	if loaded != 2 {
		t.Errorf("%d email frames shown, want 2", loaded)
	}
	if *screenshotDir != "" {
		// A window as tall as the page: Chromium paints the sandboxed
		// frames only inside the viewport.
		p.do(chromedp.EmulateViewport(1280, int64(evalJS[int](p, `document.documentElement.scrollHeight`))))
		time.Sleep(300 * time.Millisecond) // the frames repaint at the new size; only the picture depends on it
		p.screenshot("email-preview.png")
	}

	p.do(chromedp.EmulateViewport(640, 900))
	p.open("/accounts/1/notifications/preview/run_failed/subscriber")
	if h := p.text("h1"); h != "Run Failed" {
		t.Errorf("email heading = %q", h)
	}
	if w := evalJS[int](p, `document.documentElement.scrollWidth`); w > 640 {
		t.Errorf("the email is %d px wide in a 640 px window", w)
	}
	if link := evalJS[string](p, `[...document.links].find(a => a.textContent.startsWith('Unsubscribe')).href`); link != "https://herald.example.test/unsubscribe/hu_example" {
		t.Errorf("footer unsubscribe link = %q", link)
	}
	p.screenshot("email.png")
	// And a phone: the long links wrap (at their slashes) rather than
	// widen the email.
	p.do(chromedp.EmulateViewport(375, 900))
	p.open("/accounts/1/notifications/preview/run_failed/subscriber")
	if w := evalJS[int](p, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the email is %d px wide in a 375 px window", w)
	}
	p.do(chromedp.EmulateViewport(1280, 900))
}
