package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald"
	"herald/seal"
	"herald/store"
)

const plainURL = "https://hooks.acme.test/in?token=s3cret-at-rest"

// openSQLite opens and migrates path under box.
func openSQLite(t *testing.T, path string, box *seal.Box) (*store.Store, error) {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+path, store.Options{Secrets: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	_, err = s.Migrate(context.Background())
	return s, err
}

func newBox(t *testing.T, keys ...[]byte) *seal.Box {
	t.Helper()
	b, err := seal.NewBox(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawColumns reads the stored secrets as they are on disk.
func rawColumns(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, q := range []string{`SELECT webhook_url FROM accounts`, `SELECT target FROM deliveries WHERE channel = 'webhook'`, `SELECT secret FROM signing_keys`} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v string
			rows.Scan(&v)
			out = append(out, v)
		}
		rows.Close()
	}
	return out
}

// seed writes an account with a webhook URL, a signing key and a webhook
// delivery.
func seed(t *testing.T, s *store.Store) herald.SigningKey {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	if _, _, err := s.PutAccount(ctx, 1, "Acme"); err != nil {
		t.Fatal(err)
	}
	st := herald.DefaultSettings()
	st.WebhookURL = plainURL
	if err := s.PutSettings(ctx, 1, st); err != nil {
		t.Fatal(err)
	}
	k := herald.NewSigningKey(1, herald.SigningHMAC, now)
	if err := s.ChangeSigning(ctx, 1, &k, now, now); err != nil {
		t.Fatal(err)
	}
	ev := herald.Event{ID: herald.NewID("evt_", now), AccountID: 1, Key: herald.EventKeys()[0], Fingerprint: "f", OccurredAt: now, Payload: []byte(`{}`), CreatedAt: now}
	d := herald.Delivery{ID: herald.NewID("dlv_", now), EventID: ev.ID, AccountID: 1, EventKey: ev.Key, Channel: herald.ChannelWebhook,
		Target: plainURL, Status: herald.StatusPending, CreatedAt: now}
	if _, _, _, err := s.InsertEvent(ctx, ev, []herald.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	return k
}

// checkReadable asserts the seeded secrets read back in plain.
func checkReadable(t *testing.T, s *store.Store, k herald.SigningKey) {
	t.Helper()
	ctx := context.Background()
	st, err := s.Settings(ctx, 1)
	if err != nil || st.WebhookURL != plainURL {
		t.Fatalf("settings = %q, %v", st.WebhookURL, err)
	}
	ds, err := s.Deliveries(ctx, store.DeliveryFilter{AccountID: 1, Limit: 10})
	if err != nil || len(ds) != 1 || ds[0].Target != plainURL {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
	keys, err := s.SigningKeys(ctx, 1, time.Now())
	if err != nil || len(keys) != 1 || keys[0].SecretString() != k.SecretString() {
		t.Fatalf("signing keys = %+v, %v", keys, err)
	}
}

// checkSealed asserts every stored secret is sealed under key.
func checkSealed(t *testing.T, path string, key []byte) {
	t.Helper()
	vals := rawColumns(t, path)
	if len(vals) != 3 {
		t.Fatalf("stored secrets = %q, want 3", vals)
	}
	for _, v := range vals {
		if id, ok := seal.SealedKeyID(v); !ok || id != seal.KeyID(key) || strings.Contains(v, "s3cret") {
			t.Errorf("stored %q, want sealed under %s", v, seal.KeyID(key))
		}
	}
}

// seeded is a new SQLite database under key, seeded.
func seeded(t *testing.T, key []byte) (string, *store.Store, herald.SigningKey) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := openSQLite(t, path, newBox(t, key))
	if err != nil {
		t.Fatal(err)
	}
	return path, s, seed(t, s)
}

func TestSecretsAreSealedAndReadBack(t *testing.T) {
	key := seal.NewKey()
	path, s, k := seeded(t, key)
	checkReadable(t, s, k)
	checkSealed(t, path, key)
}

// A database written before sealing existed (plain values, no master key
// recorded) is sealed on the next start.
func TestPlainValuesAreSealedOnStart(t *testing.T) {
	key := seal.NewKey()
	path, s, k := seeded(t, key)
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE accounts SET webhook_url = '` + plainURL + `'`, `UPDATE deliveries SET target = '` + plainURL + `'`, `DELETE FROM master_keys`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err = openSQLite(t, path, newBox(t, key))
	if err != nil {
		t.Fatal(err)
	}
	checkReadable(t, s, k)
	checkSealed(t, path, key)
}

// Another key fails the start, clearly, and changes nothing; the previous
// key beside a new one reseals everything under the new one.
func TestWrongKeyFailsAndRotationReseals(t *testing.T) {
	oldKey, newKey := seal.NewKey(), seal.NewKey()
	path, s, k := seeded(t, oldKey)
	s.Close()
	_, err := openSQLite(t, path, newBox(t, newKey))
	if !errors.Is(err, store.ErrWrongMasterKey) || !strings.Contains(err.Error(), seal.KeyID(oldKey)) {
		t.Fatalf("start with another key: %v, want a wrong master key error naming %s", err, seal.KeyID(oldKey))
	}
	checkSealed(t, path, oldKey)
	s, err = openSQLite(t, path, newBox(t, newKey, oldKey))
	if err != nil {
		t.Fatal(err)
	}
	checkReadable(t, s, k)
	checkSealed(t, path, newKey)
	s.Close()
	s, err = openSQLite(t, path, newBox(t, newKey))
	if err != nil {
		t.Fatal(err)
	}
	checkReadable(t, s, k)
	if _, err := openSQLite(t, path, newBox(t, oldKey)); !errors.Is(err, store.ErrWrongMasterKey) {
		t.Errorf("the old key still opens the database after rotation: %v", err)
	}
}
