package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"herald/store"
)

// TestSeed stores a few deliveries in a migrated SQLite database and
// checks they are all there, with their events and attempts.
func TestSeed(t *testing.T) {
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "seed.db")
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutAccount(ctx, 7, "seeded"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	const n = 1003 // not a multiple of 4 nor of a batch
	if err := seed(ctx, url, 7, n); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for table, want := range map[string]int{"events": (n + 3) / 4, "deliveries": n, "delivery_attempts": n} {
		var got int
		if err := st.Transact(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&got)
		}); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
}
