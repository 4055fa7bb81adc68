package ui

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"herald"
	"herald/store"
)

// An operator signs in to the account list, searches it, filters it by
// webhook state, and opens an account's pages from it.
func TestBrowserAccountList(t *testing.T) {
	ctx := chrome(t, 90*time.Second)
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "herald.db"))
	accounts := []struct {
		id            int64
		name, contact string
		webhook       bool
	}{
		{3, "Initech", "peter@initech.test", true},
		{4, "Umbrella Corp", "", false},
		{5, "Hooli", "gavin@hooli.test", true},
		{6, "Stark Industries", "pepper@stark.test", true},
	}
	for _, a := range accounts {
		if _, _, err := e.st.PutAccount(t.Context(), a.id, a.name); err != nil {
			t.Fatal(err)
		}
		if a.contact != "" {
			if err := e.st.PutCompany(t.Context(), a.id, herald.Company{PrimaryContact: &herald.Contact{Name: "X", Email: a.contact}}); err != nil {
				t.Fatal(err)
			}
		}
		if a.webhook {
			st := herald.DefaultSettings()
			st.WebhookURL = fmt.Sprintf("https://hooks.example.test/%d?token=s3cret", a.id)
			if err := e.st.PutSettings(t.Context(), a.id, st); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Initech's webhook fails; Stark's answered 410 Gone, which disables it.
	now := time.Now()
	if _, err := e.st.RecordWebhookResults(t.Context(), []store.WebhookResult{
		{AccountID: 3, At: now, Error: "HTTP 503"},
		{AccountID: 6, At: now, Gone: true, Error: "HTTP 410"},
	}, store.HealthPolicy{}); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, e: e}
	p.open("/signin")
	p.typeInto("#email", "ops@herald.test")
	p.typeInto("#password", testPassword)
	p.do(chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("table.accounts")))
	if loc := p.location(); loc != "/accounts" {
		t.Errorf("an operator signs in to %s, want /accounts", loc)
	}
	rowCount := func() int {
		return evalJS[int](p, `document.querySelectorAll('table.accounts tbody tr').length`)
	}
	if n := rowCount(); n != 6 {
		t.Errorf("the list shows %d accounts, want 6", n)
	}
	p.screenshot("accounts.png")

	p.typeInto("#f-q", "hooli")
	p.submitTo(".filters button", "/accounts?q=hooli&state=")
	if n, name := rowCount(), p.text("table.accounts tbody td[data-label=Name]"); n != 1 || name != "Hooli" {
		t.Errorf("searching hooli shows %d rows, first %q", n, name)
	}

	p.typeInto("#f-q", "")
	p.do(chromedp.SetValue(chromedp.CSS("#f-state"), "failing"))
	p.submitTo(".filters button", "/accounts?q=&state=failing")
	if n, name := rowCount(), p.text("table.accounts tbody td[data-label=Name]"); n != 1 || name != "Initech" {
		t.Errorf("filtering by failing shows %d rows, first %q", n, name)
	}
	if badge := p.text("table.accounts tbody .badge"); badge != "failing" {
		t.Errorf("Initech's webhook shows as %q, want failing", badge)
	}

	p.do(chromedp.SetValue(chromedp.CSS("#f-state"), "none"))
	p.submitTo(".filters button", "/accounts?q=&state=none")
	names := evalJS[[]string](p, `[...document.querySelectorAll('table.accounts tbody td[data-label=Name]')].map(td => td.textContent.trim())`)
	if fmt.Sprint(names) != "[Acme Corp Globex Umbrella Corp]" {
		t.Errorf("filtering by no webhook shows %v", names)
	}

	p.do(chromedp.Click(chromedp.CSS(`a[href="/accounts/4/notifications"]`)), chromedp.WaitVisible(chromedp.CSS("nav.tabs")))
	if loc, h := p.location(), p.text("header .account"); loc != "/accounts/4/notifications" || h != "Umbrella Corp #4" {
		t.Errorf("opening Umbrella Corp from the list led to %s (%q)", loc, h)
	}
}

// submitTo clicks sel and waits until the page at path (with its query)
// has loaded.
func (p *page) submitTo(sel, path string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(30 * time.Second)
	for {
		loc := evalJS[string](p, `document.readyState === 'complete' ? location.pathname + location.search : ''`)
		if loc == path {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("clicking %s did not load %s (at %q)", sel, path, loc)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
