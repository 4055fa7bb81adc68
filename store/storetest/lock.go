package storetest

import (
	"context"
	"database/sql"
	"testing"
)

// LockSQLite takes the SQLite file's write lock from another connection,
// as a second process would, and holds it until unlock (or the test's
// end): the store's writes then wait out their busy timeout.
func LockSQLite(t testing.TB, path string) (unlock func()) {
	t.Helper()
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		other.Close()
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		conn.Close()
		other.Close()
		t.Fatal(err)
	}
	locked := true
	unlock = func() {
		t.Helper()
		if !locked {
			return
		}
		locked = false
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Error(err)
		}
		conn.Close()
		other.Close()
	}
	t.Cleanup(unlock)
	return unlock
}
