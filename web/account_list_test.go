package web_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type listedAccount struct {
	ID             int64                   `json:"id"`
	Name           string                  `json:"name"`
	CreatedAt      string                  `json:"created_at"`
	PrimaryContact *struct{ Email string } `json:"primary_contact"`
	WebhookState   string                  `json:"webhook_state"`
}

// GET /api/v1/accounts lists accounts by ascending id for the platform,
// searching id, name and contact email, pages with limit and cursor, and
// gives each its primary contact and webhook state.
func TestAccountList(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		for i := 1; i <= 5; i++ {
			b.must(201, "PUT", fmt.Sprintf("/api/v1/accounts/%d", 10*i), platformToken, fmt.Sprintf(`{"name": "Account %d"}`, i))
		}
		b.must(200, "PUT", "/api/v1/accounts/30/company", platformToken, `{"primary_contact": {"name": "Ann Lee", "email": "ann@acme.test"}}`)
		b.must(200, "PUT", "/api/v1/accounts/40/notifications", platformToken, `{"webhook_url": "https://hooks.acme.test/in", "events": {}}`)

		list := func(query string) ([]listedAccount, string) {
			t.Helper()
			r := b.must(200, "GET", "/api/v1/accounts"+query, platformToken, "")
			var l struct {
				Data       []listedAccount `json:"data"`
				NextCursor string          `json:"next_cursor"`
			}
			if err := json.Unmarshal(r.raw, &l); err != nil {
				t.Fatal(err)
			}
			return l.Data, l.NextCursor
		}
		ids := func(as []listedAccount) []int64 {
			out := []int64{}
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}

		// Paging: 2 + 2 + 1, ascending.
		var all []int64
		cursor := ""
		for page := 0; page < 5; page++ {
			q := "?limit=2"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			as, next := list(q)
			all = append(all, ids(as)...)
			if cursor = next; cursor == "" {
				break
			}
		}
		if diff := cmp.Diff([]int64{10, 20, 30, 40, 50}, all); diff != "" {
			t.Errorf("paged ids (-want +got):\n%s", diff)
		}

		for _, tc := range []struct {
			query string
			want  []int64
		}{
			{"?q=ACCOUNT%203", []int64{30}},
			{"?q=acme.TEST", []int64{30}},
			{"?q=0", []int64{10, 20, 30, 40, 50}},
			{"?q=nobody", []int64{}},
			{"?webhook_state=healthy", []int64{40}},
			{"?webhook_state=none&q=account", []int64{10, 20, 30, 50}},
		} {
			as, _ := list(tc.query)
			if diff := cmp.Diff(tc.want, ids(as)); diff != "" {
				t.Errorf("GET /api/v1/accounts%s (-want +got):\n%s", tc.query, diff)
			}
		}

		as, _ := list("?q=30")
		if len(as) != 1 || as[0].Name != "Account 3" || as[0].CreatedAt == "" || as[0].PrimaryContact == nil ||
			as[0].PrimaryContact.Email != "ann@acme.test" || as[0].WebhookState != "none" {
			t.Errorf("account 30 listed as %+v", as)
		}
		r := b.must(200, "GET", "/api/v1/accounts?q=10", platformToken, "")
		var raw struct {
			Data []map[string]any `json:"data"`
		}
		if err := json.Unmarshal(r.raw, &raw); err != nil || len(raw.Data) != 1 {
			t.Fatalf("%s: %v", r.raw, err)
		}
		if v, ok := raw.Data[0]["primary_contact"]; !ok || v != nil {
			t.Errorf("an account without a contact lists primary_contact %v (present %v), want null", v, ok)
		}
	})
}

func TestAccountListRefusesBadInputAndAccountKeys(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(1, "Acme Corp")
		for _, tc := range []struct{ query, field string }{
			{"?limit=0", "limit"},
			{"?limit=101", "limit"},
			{"?cursor=abc", "cursor"},
			{"?cursor=-5", "cursor"},
			{"?webhook_state=broken", "webhook_state"},
			{"?q=" + fmt.Sprintf("%0201d", 0), "q"},
		} {
			r := b.do("GET", "/api/v1/accounts"+tc.query, platformToken, "")
			if r.status != 422 || r.errorFields()[tc.field] == "" {
				t.Errorf("GET /api/v1/accounts%s: %d %s; want 422 naming %s", tc.query, r.status, r.raw, tc.field)
			}
		}
		b.must(401, "GET", "/api/v1/accounts", "", "")
		b.must(403, "GET", "/api/v1/accounts", b.apiKey(1), "")
	})
}
