package web_test

import (
	"net/http"
	"testing"
)

func TestCredentials(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.account(200, "Other Co")
		key := b.apiKey(100)
		otherKey := b.apiKey(200)

		tests := []struct {
			name, method, path, token, body string
			want                            int
		}{
			{"no token", "GET", "/api/v1/accounts/100", "", "", 401},
			{"wrong token", "GET", "/api/v1/accounts/100", "hp_nope", "", 401},
			{"wrong api key", "GET", "/api/v1/accounts/100", "hk_nope", "", 401},
			{"no token on ingest", "POST", "/api/v1/events", "", `{}`, 401},
			{"no token on unknown path", "GET", "/api/v1/nothing", "", "", 401},
			{"platform reads any account", "GET", "/api/v1/accounts/200", platformToken, "", 200},
			{"key reads its account", "GET", "/api/v1/accounts/100", key, "", 200},
			{"key reads its company", "GET", "/api/v1/accounts/100/company", key, "", 200},
			{"key reads its settings", "GET", "/api/v1/accounts/100/notifications", key, "", 200},
			{"key reads event types", "GET", "/api/v1/event-types", key, "", 200},
			{"key cannot create accounts", "PUT", "/api/v1/accounts/100", key, `{"name": "X"}`, 403},
			{"key cannot ingest", "POST", "/api/v1/events", key, `{"event_type": "run_failed"}`, 403},
			{"key cannot mint keys", "POST", "/api/v1/accounts/100/api-keys", key, `{"name": "x"}`, 403},
			{"key cannot see another account", "GET", "/api/v1/accounts/200", key, "", 404},
			{"key cannot see another company", "GET", "/api/v1/accounts/200/company", key, "", 404},
			{"key cannot see other settings", "GET", "/api/v1/accounts/200/notifications", key, "", 404},
			{"key cannot change other settings", "PUT", "/api/v1/accounts/200/notifications", key, `{"webhook_url": "https://evil.test/"}`, 404},
			{"key cannot change another company", "PUT", "/api/v1/accounts/200/company", key, `{"primary_contact": null}`, 404},
			{"key cannot list other events", "GET", "/api/v1/accounts/200/events", key, "", 404},
			{"other key cannot see", "GET", "/api/v1/accounts/100/notifications", otherKey, "", 404},
			{"unknown account is 404 like a foreign one", "GET", "/api/v1/accounts/999", key, "", 404},
			{"unknown endpoint", "GET", "/api/v1/nothing", platformToken, "", 404},
		}
		for _, tc := range tests {
			r := b.do(tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.want {
				t.Errorf("%s: %s %s = %d, want %d\n%s", tc.name, tc.method, tc.path, r.status, tc.want, r.raw)
				continue
			}
			if tc.want >= 400 {
				if r.errorCode() == "" || r.body["error"].(map[string]any)["message"] == "" {
					t.Errorf("%s: error body lacks code or message: %s", tc.name, r.raw)
				}
			}
			if tc.want == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
			}
		}
		// Nothing the refused requests tried was stored.
		st := b.must(200, "GET", "/api/v1/accounts/200/notifications", platformToken, "")
		if st.body["webhook_url"] != "" {
			t.Errorf("foreign key changed settings: %s", st.raw)
		}
		if c := b.must(200, "GET", "/api/v1/accounts/200/company", platformToken, ""); c.body["primary_contact"] == nil {
			t.Errorf("foreign key cleared the company: %s", c.raw)
		}
		if a := b.must(200, "GET", "/api/v1/accounts/100", platformToken, ""); a.body["name"] != "Acme Corp" {
			t.Errorf("key renamed its account: %s", a.raw)
		}
	})
}

func TestAPIKeysAreShownOnceListedAndRevocable(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		r := b.must(201, "POST", "/api/v1/accounts/100/api-keys", platformToken, `{"name": "ci"}`)
		key, _ := r.body["key"].(string)
		id, _ := r.body["id"].(string)
		if len(key) < 40 || key[:3] != "hk_" || id == "" || r.body["name"] != "ci" {
			t.Fatalf("created key = %s", r.raw)
		}
		list := b.must(200, "GET", "/api/v1/accounts/100/api-keys", platformToken, "")
		data := list.body["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("list = %s", list.raw)
		}
		if _, ok := data[0].(map[string]any)["key"]; ok {
			t.Errorf("list shows the key itself: %s", list.raw)
		}
		b.must(200, "GET", "/api/v1/accounts/100", key, "")
		b.must(http.StatusNoContent, "DELETE", "/api/v1/accounts/100/api-keys/"+id, platformToken, "")
		b.must(401, "GET", "/api/v1/accounts/100", key, "")
		b.must(404, "DELETE", "/api/v1/accounts/100/api-keys/"+id, platformToken, "")

		for _, body := range []string{`{}`, `{"name": ""}`, `{"name": 5}`, `{"name": "x", "scope": "all"}`} {
			if r := b.do("POST", "/api/v1/accounts/100/api-keys", platformToken, body); r.status != 422 {
				t.Errorf("create with %s = %d, want 422", body, r.status)
			}
		}
		b.must(404, "POST", "/api/v1/accounts/999/api-keys", platformToken, `{"name": "x"}`)
	})
}

func TestHealthAndReadiness(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.must(200, "GET", "/healthz", "", "")
		b.must(200, "GET", "/readyz", "", "")
		b.store.Close()
		b.must(503, "GET", "/readyz", "", "")
		b.must(200, "GET", "/healthz", "", "")
	})
}
