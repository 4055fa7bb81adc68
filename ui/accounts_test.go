package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"herald"
)

// Operators list every account with its webhook state, search it, filter
// it by state and page through it; nobody else sees the list.
func TestAccountListPage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		st := herald.DefaultSettings()
		st.WebhookURL = e.hook
		if err := e.st.PutSettings(ctx, 2, st); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.st.PutAccount(ctx, 3, "Initech <Ltd>"); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signin("ops@herald.test", testPassword).must(t, http.StatusSeeOther)
		page := b.get("/accounts").must(t, 200).body
		for _, want := range []string{
			`<a href="/accounts/1/notifications">Acme Corp</a>`,
			`<a href="/accounts/2/notifications">Globex</a>`,
			`Initech &lt;Ltd&gt;`, // escaped
			`<a href="/accounts/2/deliveries">Deliveries</a>`,
			`<span class="badge badge-healthy">healthy</span>`,
			`<span class="badge badge-none">no webhook</span>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the account list lacks %s", want)
			}
		}
		if i, j := strings.Index(page, "Acme Corp"), strings.Index(page, "Globex"); i < 0 || j < i {
			t.Errorf("accounts are not listed by ascending id")
		}

		rows := func(path string) []string {
			t.Helper()
			var names []string
			for _, name := range []string{"Acme Corp", "Globex", "Initech"} {
				if strings.Contains(b.get(path).must(t, 200).body, ">"+name) {
					names = append(names, name)
				}
			}
			return names
		}
		for path, want := range map[string]string{
			"/accounts?q=GLOB":                        "Globex",
			"/accounts?q=3":                           "Initech",
			"/accounts?q=ann%40acme":                  "Acme Corp,Globex",
			"/accounts?state=healthy":                 "Globex",
			"/accounts?state=none":                    "Acme Corp,Initech",
			"/accounts?state=none&q=initech":          "Initech",
			"/accounts?state=bogus":                   "Acme Corp,Globex,Initech",
			"/accounts?q=" + strings.Repeat("x", 300): "",
		} {
			if got := strings.Join(rows(path), ","); got != want {
				t.Errorf("GET %s lists %q, want %q", path, got, want)
			}
		}
		if !strings.Contains(b.get("/accounts?q=nobody").body, "No accounts match this search") {
			t.Errorf("an empty search does not say so")
		}

		// Paging, one a page.
		e.ui.pageSize = 1
		defer func() { e.ui.pageSize = defaultPageSize }()
		p1 := b.get("/accounts?state=none").must(t, 200).body
		next := `href="/accounts?cursor=1&amp;state=none"`
		if !strings.Contains(p1, next) || strings.Contains(p1, "Initech") {
			t.Fatalf("first page of one: no %s, or more than one account", next)
		}
		p2 := b.get("/accounts?cursor=1&state=none").must(t, 200).body
		if !strings.Contains(p2, "Initech") || strings.Contains(p2, ">Acme Corp") || !strings.Contains(p2, `href="/accounts?state=none">First page`) {
			t.Errorf("second page:\n%.3000s", p2)
		}

		for _, who := range []string{"admin@acme.test", "viewer@acme.test"} {
			o := e.browser()
			o.signin(who, testPassword).must(t, http.StatusSeeOther)
			if a := o.get("/accounts"); a.status != http.StatusForbidden || strings.Contains(a.body, "Globex") {
				t.Errorf("%s: GET /accounts %d, want 403 without the list", who, a.status)
			}
		}
		e.browser().get("/accounts").must(t, http.StatusSeeOther) // signed out: to the sign-in page
	})
}
