package apicheck_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"herald/catalog"
	"herald/web/apicheck"
)

const account = `{"id": 1, "name": "Acme Corp", "created_at": "2026-05-04T12:00:00Z", "updated_at": "2026-05-04T12:00:00Z"}`

const invalid = `{"error": {"code": "invalid_input", "message": "invalid name", "fields": {"name": "is required", "a.b[1]": "x"}}}`

// TestExchange checks the checker tells documented exchanges from the
// ones the document does not allow, so the API tests that rely on it
// would fail on a drifting handler or document.
func TestExchange(t *testing.T) {
	t.Parallel()
	c, err := apicheck.Shared()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		method, path string
		token, body  string
		status       int
		answer       string
		wantErr      string // "" when the exchange is as documented
	}{
		{name: "documented answer", method: "GET", path: "/api/v1/accounts/1", token: "t", status: 200, answer: account},
		{name: "extra field in answer", method: "GET", path: "/api/v1/accounts/1", token: "t", status: 200,
			answer: strings.Replace(account, `"id"`, `"color": "red", "id"`, 1), wantErr: "color"},
		{name: "wrong type in answer", method: "GET", path: "/api/v1/accounts/1", token: "t", status: 200,
			answer: strings.Replace(account, `"Acme Corp"`, `5`, 1), wantErr: "does not match"},
		{name: "bad date-time in answer", method: "GET", path: "/api/v1/accounts/1", token: "t", status: 200,
			answer: strings.Replace(account, `"2026-05-04T12:00:00Z"`, `"yesterday"`, 1), wantErr: "date-time"},
		{name: "undocumented status", method: "GET", path: "/api/v1/accounts/1", token: "t", status: 418, answer: invalid, wantErr: "418"},
		{name: "error answer in the error shape", method: "PUT", path: "/api/v1/accounts/1", token: "t", body: `{"nme": "x"}`, status: 422, answer: invalid},
		{name: "error answer in another shape", method: "PUT", path: "/api/v1/accounts/1", token: "t", body: `{"name": "x"}`, status: 422,
			answer: `{"message": "bad"}`, wantErr: "does not match"},
		{name: "refused request accepted", method: "PUT", path: "/api/v1/accounts/1", token: "t", body: `{"nme": "x"}`, status: 201,
			answer: account, wantErr: "refuses this request"},
		{name: "request without credentials accepted", method: "GET", path: "/api/v1/accounts/1", status: 200, answer: account, wantErr: "refuses this request"},
		{name: "undeclared query parameter accepted", method: "GET", path: "/api/v1/accounts/1/events?color=red", token: "t", status: 200,
			answer: `{"data": [], "next_cursor": ""}`, wantErr: "color"},
		{name: "unknown path answered 404", method: "GET", path: "/api/v1/nope", token: "t", status: 404,
			answer: `{"error": {"code": "not_found", "message": "no such endpoint"}}`},
		{name: "unknown path answered 200", method: "GET", path: "/api/v1/nope", token: "t", status: 200, answer: `{}`, wantErr: "not in the OpenAPI document"},
		{name: "outside the API", method: "GET", path: "/healthz", status: 200, answer: `{"status": "ok"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, "http://herald.test"+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {"application/json"}}}
			err := c.Exchange(req, []byte(tt.body), res, []byte(tt.answer))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Exchange: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Exchange error = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	c, err := apicheck.Shared()
	if err != nil {
		t.Fatal(err)
	}
	e, _ := catalog.Lookup("run_failed")
	example := string(catalog.NewBuilder("prod-acme", "", "").Example(e))
	headers := map[string]string{
		"Content-Type": "application/json", "User-Agent": "Herald/1.0", "X-Herald-Event": "run_failed",
		"X-Herald-Delivery": "dlv_1", "webhook-id": "dlv_1", "webhook-timestamp": "1777896000",
	}
	tests := []struct {
		name    string
		body    string
		drop    string // a header left out
		wantErr bool
	}{
		{name: "as sent", body: example},
		{name: "no webhook-id", body: example, drop: "webhook-id", wantErr: true},
		{name: "extra payload field", body: strings.Replace(example, `"run_id"`, `"color": "red", "run_id"`, 1), wantErr: true},
		{name: "missing payload field", body: strings.Replace(example, `"run_status": "failed",`, ``, 1), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("POST", "http://hooks.acme.test/in?token=s3cret", nil)
			for k, v := range headers {
				if k != tt.drop {
					req.Header.Set(k, v)
				}
			}
			err := c.Webhook(req, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Errorf("Webhook error = %v, want error: %t", err, tt.wantErr)
			}
		})
	}
}
