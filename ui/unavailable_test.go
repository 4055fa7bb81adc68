package ui

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/store/storetest"
)

// A test send while another process holds the SQLite file's write lock
// past the busy timeout says the database cannot be reached (503 with
// Retry-After), as a fragment and as a page, never "something went
// wrong"; nothing reaches the receiver; once the lock is gone, the same
// test is sent.
func TestSendTestWhileDatabaseLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	e := newEnv(t, "sqlite:"+path, envOptions{busyTimeout: 100 * time.Millisecond})
	b := e.browser()
	tok := b.signedIn("admin@acme.test")
	b.post("/accounts/1/notifications", e.settingsForm(tok)).must(t, http.StatusSeeOther)

	unlock := storetest.LockSQLite(t, path)

	form := url.Values{"csrf": {tok}, "event": {"run_failed"}}
	for _, header := range [][]string{{"X-Requested-With", "fetch"}, nil} {
		a := b.do("POST", "/accounts/1/notifications/test", form, header...).must(t, http.StatusServiceUnavailable)
		if !strings.Contains(a.body, "cannot reach its database") || a.header.Get("Retry-After") == "" {
			t.Errorf("test send with the file locked (%v): Retry-After %q\n%s", header, a.header.Get("Retry-After"), a.body)
		}
	}
	if n := e.hits.Load(); n != 0 {
		t.Errorf("receiver got %d requests while the database was locked, want 0", n)
	}

	unlock()
	a := b.do("POST", "/accounts/1/notifications/test", form, "X-Requested-With", "fetch").must(t, http.StatusOK)
	if !strings.Contains(a.body, "HTTP 200") || e.hits.Load() != 1 {
		t.Errorf("after the lock: %d requests\n%s", e.hits.Load(), a.body)
	}
}
