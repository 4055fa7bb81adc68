package ui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"herald"
	"herald/catalog"
	"herald/email"
)

// TestBrowserDigestEmail renders a digest as the worker does and opens its
// HTML part in Chromium: every run is listed with its link, the page fits
// a phone, and with -screenshots it is the README's digest.png.
func TestBrowserDigestEmail(t *testing.T) {
	ctx := chrome(t, 60*time.Second)
	r, err := email.NewRenderer("Herald <herald@acme.test>")
	if err != nil {
		t.Fatal(err)
	}
	ev := catalog.ByKey(herald.RunFailed)
	b := catalog.NewBuilder("prod-acme", "", "")
	at := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	dg := email.Digest{Notification: email.Notification{EventKey: ev.Key, AccountName: "Acme Corp", DeliveryID: "dlv_digest",
		UnsubscribeURL: "https://herald.acme.test/unsubscribe/hu_example"}}
	runs := []string{"9877", "9878", "9879"}
	for i, run := range runs {
		data, bad := ev.ParseData(map[string]any{"run_id": json.Number(run), "tenant_id": json.Number("789"), "tenant_name": "Widget Co",
			"integration_id": json.Number("42"), "integration_name": "Shopify Integration"})
		if len(bad) > 0 {
			t.Fatal(bad)
		}
		dg.Payloads = append(dg.Payloads, b.Payload(ev, 100, "Acme Corp", at.Add(time.Duration(3+2*i)*time.Minute), data))
	}
	m, err := r.RenderDigest(dg, "oncall@acme.test", at.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(m.HTML))
	}))
	t.Cleanup(srv.Close)

	p := &page{t: t, ctx: ctx, e: &env{url: srv.URL}}
	p.do(chromedp.EmulateViewport(700, 900))
	p.open("/")
	body := p.text("body")
	for _, run := range runs {
		if !strings.Contains(body, "Run "+run+" of Shopify Integration") {
			t.Errorf("the digest does not show run %s", run)
		}
		if n := evalJS[int](p, `document.querySelectorAll('a[href="https://admin.prod-acme.pandium.com/runs/`+run+`/show"]').length`); n == 0 {
			t.Errorf("run %s has no link", run)
		}
	}
	p.screenshot("digest.png")
	p.do(chromedp.EmulateViewport(375, 812))
	if over, worst := p.overflow(); over > 0 {
		t.Errorf("the digest is %d px wider than a 375 px screen: %s", over, worst)
	}
}
