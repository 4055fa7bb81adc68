package web_test

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"herald/store/storetest"
)

// While another process holds the SQLite file's write lock past the busy
// timeout, writes answer 503 unavailable with Retry-After (never a 500)
// and change nothing; reads go on (WAL); once the lock is gone, the same
// requests succeed.
func TestLockedSQLiteAnswers503(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	b := setup(t, "sqlite:"+path, options{busyTimeout: 100 * time.Millisecond})
	b.account(1, "Acme Corp")

	unlock := storetest.LockSQLite(t, path)

	event := `{"event_type": "run_failed", "account_id": 1, "idempotency_key": "k1", "data": {"run_id": 9876, "tenant_id": 789,
		"tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}}`
	writes := []struct{ method, path, body string }{
		{"PUT", "/api/v1/accounts/2", `{"name": "Beta"}`},
		{"PUT", "/api/v1/accounts/1/company", `{"primary_contact": {"name": "Bo", "email": "bo@acme.test"}}`},
		{"POST", "/api/v1/events", event},
	}
	for _, w := range writes {
		r := b.do(w.method, w.path, platformToken, w.body)
		if r.status != 503 || r.errorCode() != "unavailable" || r.header.Get("Retry-After") == "" {
			t.Errorf("%s %s with the file locked: %d, Retry-After %q: %s; want 503 unavailable with Retry-After", w.method, w.path, r.status, r.header.Get("Retry-After"), r.raw)
		}
	}
	b.must(404, "GET", "/api/v1/accounts/2", platformToken, "")
	if r := b.must(200, "GET", "/api/v1/accounts/1/company", platformToken, ""); bytes.Contains(r.raw, []byte("bo@acme.test")) {
		t.Errorf("the refused write changed the company: %s", r.raw)
	}

	unlock()
	b.must(201, "PUT", "/api/v1/accounts/2", platformToken, `{"name": "Beta"}`)
	b.must(200, "PUT", "/api/v1/accounts/1/company", platformToken, `{"primary_contact": {"name": "Bo", "email": "bo@acme.test"}}`)
	b.must(202, "POST", "/api/v1/events", platformToken, event)
}
