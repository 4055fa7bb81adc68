// Package storetest gives tests a fresh, migrated store on each engine:
// a SQLite file in a temporary directory and, when HERALD_TEST_POSTGRES_URL
// names a server, a PostgreSQL schema of its own.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"herald/seal"
	"herald/store"
)

// PostgresEnv names the PostgreSQL server tests use.
const PostgresEnv = "HERALD_TEST_POSTGRES_URL"

// Engine is one database a suite runs against.
type Engine struct {
	Name string
	// URL opens a new, empty database on this engine for the test.
	URL func(t testing.TB) string
}

// Engines returns SQLite, and PostgreSQL when configured. A suite runs
// t.Run(e.Name, ...) for each; PostgreSQL is skipped, saying how to enable
// it, when the variable is unset.
func Engines() []Engine {
	return []Engine{
		{Name: "sqlite", URL: func(t testing.TB) string {
			return "sqlite:" + filepath.Join(t.TempDir(), "herald.db")
		}},
		{Name: "postgres", URL: PostgresURL},
	}
}

// Each runs fn once per engine, each time with a fresh migrated store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, e.URL(t)))
		})
	}
}

// Open opens and migrates the store at databaseURL, closed at the test's end.
func Open(t testing.TB, databaseURL string) *store.Store {
	t.Helper()
	return OpenWith(t, databaseURL, store.Options{})
}

// OpenWith is Open with options (a SQLite busy timeout, say); the master
// key box is the test binary's unless opts has one.
func OpenWith(t testing.TB, databaseURL string, opts store.Options) *store.Store {
	t.Helper()
	ctx := context.Background()
	if opts.Secrets == nil {
		opts.Secrets = Secrets(t, databaseURL)
	}
	s, err := store.Open(ctx, databaseURL, opts)
	if err != nil {
		t.Fatalf("open %s: %v", databaseURL, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// testKey is the master key of every store a test binary opens, so two
// stores on one database (two "processes") read each other's secrets.
var testKey = seal.NewKey()

// SecretKey is the test binary's master key, base64, for herald commands
// run on a PostgreSQL database the tests also open (HERALD_SECRET_KEY).
func SecretKey() string { return seal.EncodeKey(testKey) }

// Secrets is the master key box for databaseURL: the key file beside a
// SQLite database, as Herald finds it, written with the test binary's own
// key when missing (so herald commands run on it later agree); the test
// binary's key on PostgreSQL.
func Secrets(t testing.TB, databaseURL string) *seal.Box {
	t.Helper()
	key := testKey
	if path, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		raw, err := os.ReadFile(path + ".key")
		if err != nil {
			raw = []byte(seal.EncodeKey(testKey))
			os.WriteFile(path+".key", raw, 0o600)
		}
		if key, err = seal.ParseKey(string(raw)); err != nil {
			t.Fatalf("key file beside %s: %v", path, err)
		}
	}
	box, err := seal.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// PostgresURL creates a schema of its own on the test server and returns a
// URL whose connections use it; the schema is dropped at the test's end.
// Without the server configured the test is skipped.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s=postgres://user@127.0.0.1:5432/db (scripts/test.sh starts a server and sets it)", PostgresEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
