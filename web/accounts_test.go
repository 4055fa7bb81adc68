package web_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAccountCreateRenameGet(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		r := b.must(201, "PUT", "/api/v1/accounts/100", platformToken, `{"name": "Acme"}`)
		if r.body["id"].(interface{ String() string }).String() != "100" || r.body["name"] != "Acme" {
			t.Errorf("created = %s", r.raw)
		}
		b.must(200, "PUT", "/api/v1/accounts/100", platformToken, `{"name": "  Acme Corp "}`)
		r = b.must(200, "GET", "/api/v1/accounts/100", platformToken, "")
		if r.body["name"] != "Acme Corp" {
			t.Errorf("renamed = %s", r.raw)
		}
		b.must(404, "GET", "/api/v1/accounts/101", platformToken, "")
	})
}

func TestAccountBadInputChangesNothing(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		tests := []struct {
			name, path, body string
			status           int
			field            string
		}{
			{"missing name", "/api/v1/accounts/100", `{}`, 422, "name"},
			{"empty name", "/api/v1/accounts/100", `{"name": "  "}`, 422, "name"},
			{"number name", "/api/v1/accounts/100", `{"name": 5}`, 422, "name"},
			{"long name", "/api/v1/accounts/100", `{"name": "` + strings.Repeat("x", 201) + `"}`, 422, "name"},
			{"unknown field", "/api/v1/accounts/100", `{"name": "X", "plan": "gold"}`, 422, "plan"},
			{"id not a number", "/api/v1/accounts/acme", `{"name": "X"}`, 422, "account_id"},
			{"id zero", "/api/v1/accounts/0", `{"name": "X"}`, 422, "account_id"},
			{"malformed", "/api/v1/accounts/100", `{"name": `, 400, ""},
			{"not an object", "/api/v1/accounts/100", `["X"]`, 400, ""},
			{"trailing data", "/api/v1/accounts/100", `{"name": "X"} {}`, 400, ""},
		}
		for _, tc := range tests {
			r := b.do("PUT", tc.path, platformToken, tc.body)
			if r.status != tc.status {
				t.Errorf("%s: status %d, want %d\n%s", tc.name, r.status, tc.status, r.raw)
				continue
			}
			if tc.field != "" {
				if _, ok := r.errorFields()[tc.field]; !ok {
					t.Errorf("%s: error does not name %s: %s", tc.name, tc.field, r.raw)
				}
			}
		}
		if r := b.must(200, "GET", "/api/v1/accounts/100", platformToken, ""); r.body["name"] != "Acme Corp" {
			t.Errorf("account changed: %s", r.raw)
		}
		b.must(404, "GET", "/api/v1/accounts/0", platformToken, "")
	})
}

func TestCompany(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.must(201, "PUT", "/api/v1/accounts/100", platformToken, `{"name": "Acme"}`)
		r := b.must(200, "GET", "/api/v1/accounts/100/company", platformToken, "")
		if string(r.raw) != `{"primary_contact":null}`+"\n" {
			t.Errorf("fresh company = %s", r.raw)
		}
		b.must(200, "PUT", "/api/v1/accounts/100/company", platformToken, `{"primary_contact": {"name": "Ann Lee", "email": " ann@acme.test "}}`)
		want := `{"primary_contact":{"name":"Ann Lee","email":"ann@acme.test"}}` + "\n"
		r = b.must(200, "GET", "/api/v1/accounts/100/company", platformToken, "")
		if diff := cmp.Diff(want, string(r.raw)); diff != "" {
			t.Errorf("company (-want +got):\n%s", diff)
		}
		bad := []struct{ body, field string }{
			{`{"primary_contact": {"name": "Ann", "email": "not-an-email"}}`, "primary_contact.email"},
			{`{"primary_contact": {"name": "Ann"}}`, "primary_contact.email"},
			{`{"primary_contact": {"name": 5, "email": "a@acme.test"}}`, "primary_contact.name"},
			{`{"primary_contact": {"email": "a@acme.test", "phone": "1"}}`, "primary_contact.phone"},
			{`{"primary_contact": "ann@acme.test"}`, "primary_contact"},
			{`{}`, "primary_contact"},
		}
		for _, tc := range bad {
			r := b.must(422, "PUT", "/api/v1/accounts/100/company", platformToken, tc.body)
			if _, ok := r.errorFields()[tc.field]; !ok {
				t.Errorf("%s: error does not name %s: %s", tc.body, tc.field, r.raw)
			}
		}
		r = b.must(200, "GET", "/api/v1/accounts/100/company", platformToken, "")
		if string(r.raw) != want {
			t.Errorf("bad input changed the company: %s", r.raw)
		}
		b.must(200, "PUT", "/api/v1/accounts/100/company", platformToken, `{"primary_contact": null}`)
		if r := b.must(200, "GET", "/api/v1/accounts/100/company", platformToken, ""); r.body["primary_contact"] != nil {
			t.Errorf("null did not clear: %s", r.raw)
		}
		b.must(404, "PUT", "/api/v1/accounts/999/company", platformToken, `{"primary_contact": null}`)
	})
}
