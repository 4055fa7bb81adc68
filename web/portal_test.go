package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"herald"
)

func TestCreatePortalLink(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		tests := []struct {
			name, body string
			role       herald.Role
			ttl        time.Duration
		}{
			{"admin, default ttl", `{"role": "admin"}`, herald.RoleAdmin, 900 * time.Second},
			{"viewer, shortest ttl", `{"role": "viewer", "ttl_seconds": 60}`, herald.RoleViewer, time.Minute},
			{"longest ttl", `{"role": "admin", "ttl_seconds": 86400}`, herald.RoleAdmin, 24 * time.Hour},
			{"null ttl is the default", `{"role": "admin", "ttl_seconds": null}`, herald.RoleAdmin, 900 * time.Second},
		}
		for _, tc := range tests {
			before := time.Now()
			r := b.must(201, "POST", "/api/v1/accounts/100/portal-links", platformToken, tc.body)
			u, _ := r.body["url"].(string)
			token, ok := strings.CutPrefix(u, "http://herald.test/portal/")
			if !ok || !strings.HasPrefix(token, "hpl_") || len(token) < 40 {
				t.Errorf("%s: url %q, want http://herald.test/portal/hpl_<token>", tc.name, u)
				continue
			}
			if r.body["role"] != string(tc.role) || fmt.Sprint(r.body["account_id"]) != "100" {
				t.Errorf("%s: answer %s, want role %s and account_id 100", tc.name, r.raw, tc.role)
			}
			expires, err := time.Parse(time.RFC3339, r.body["expires_at"].(string))
			if err != nil || expires.Location() != time.UTC {
				t.Errorf("%s: expires_at %q is not RFC 3339 UTC: %v", tc.name, r.body["expires_at"], err)
			}
			if lo, hi := before.Add(tc.ttl-time.Second), time.Now().Add(tc.ttl); expires.Before(lo) || expires.After(hi) {
				t.Errorf("%s: expires_at %v, want about %v from now", tc.name, expires, tc.ttl)
			}

			// The store knows the link by its token's hash only, and it
			// signs in once.
			ctx := context.Background()
			id, role, err := b.store.UsePortalLink(ctx, herald.HashToken(token), time.Now())
			if err != nil || id != 100 || role != tc.role {
				t.Errorf("%s: first use = %d, %q, %v; want 100, %q", tc.name, id, role, err, tc.role)
			}
			_, _, err = b.store.UsePortalLink(ctx, herald.HashToken(token), time.Now())
			if herald.ErrorCode(err) != herald.CodeGone {
				t.Errorf("%s: second use: err = %v, want gone (410)", tc.name, err)
			}
			if _, _, err := b.store.UsePortalLink(ctx, token, time.Now()); herald.ErrorCode(err) != herald.CodeGone {
				t.Errorf("%s: the plain token is usable as a stored hash: %v", tc.name, err)
			}
		}
	})
}

func TestCreatePortalLinkRefusals(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		key := b.apiKey(100)
		const path = "/api/v1/accounts/100/portal-links"
		tests := []struct {
			name, path, token, body string
			want                    int
			field                   string // named in error.fields for 422
		}{
			{"no token", path, "", `{"role": "admin"}`, 401, ""},
			{"the account's own API key", path, key, `{"role": "admin"}`, 403, ""},
			{"unknown account", "/api/v1/accounts/999/portal-links", platformToken, `{"role": "admin"}`, 404, ""},
			{"account id not a number", "/api/v1/accounts/acme/portal-links", platformToken, `{"role": "admin"}`, 404, ""},
			{"no body", path, platformToken, ``, 400, ""},
			{"not an object", path, platformToken, `["admin"]`, 400, ""},
			{"no role", path, platformToken, `{}`, 422, "role"},
			{"operator role", path, platformToken, `{"role": "operator"}`, 422, "role"},
			{"unknown role", path, platformToken, `{"role": "owner"}`, 422, "role"},
			{"role not a string", path, platformToken, `{"role": 1}`, 422, "role"},
			{"role in capitals", path, platformToken, `{"role": "Admin"}`, 422, "role"},
			{"ttl too short", path, platformToken, `{"role": "admin", "ttl_seconds": 59}`, 422, "ttl_seconds"},
			{"ttl too long", path, platformToken, `{"role": "admin", "ttl_seconds": 86401}`, 422, "ttl_seconds"},
			{"ttl fractional", path, platformToken, `{"role": "admin", "ttl_seconds": 90.5}`, 422, "ttl_seconds"},
			{"ttl a string", path, platformToken, `{"role": "admin", "ttl_seconds": "900"}`, 422, "ttl_seconds"},
			{"unknown field", path, platformToken, `{"role": "admin", "redirect": "/"}`, 422, "redirect"},
		}
		for _, tc := range tests {
			r := b.do("POST", tc.path, tc.token, tc.body)
			if r.status != tc.want {
				t.Errorf("%s: status %d, want %d\n%s", tc.name, r.status, tc.want, r.raw)
				continue
			}
			if tc.field != "" {
				if _, ok := r.errorFields()[tc.field]; !ok {
					t.Errorf("%s: error.fields %v does not name %q", tc.name, r.errorFields(), tc.field)
				}
			}
			if _, ok := r.body["url"]; ok {
				t.Errorf("%s: a refused request answered a link: %s", tc.name, r.raw)
			}
		}
	})
}
