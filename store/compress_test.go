package store

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// A rendered notification like the dictionary's, with other ids, dates and
// recipient, is stored in a small fraction of its size and read back byte
// for byte.
func TestCompressMessageRoundTrip(t *testing.T) {
	i := bytes.LastIndex(outboxDictV1, []byte("Auto-Submitted:"))
	msg := string(outboxDictV1[i:])
	msg = strings.NewReplacer("ann@acme.test", "oncall@widgets.example", "Acme Corp", "Widgets Ltd", "dlv_", "dlv_x9").Replace(msg)
	for _, m := range []string{msg, "", "Subject: x\r\n\r\nhello \x00\xff not UTF-8"} {
		z := compressMessage(m)
		got, err := decompressMessage(z)
		if err != nil || got != m {
			t.Fatalf("round trip of %d bytes: got %d bytes, %v", len(m), len(got), err)
		}
	}
	if z := compressMessage(msg); len(z) > len(msg)/10 {
		t.Errorf("a %d-byte notification compressed to %d bytes, want under a tenth", len(msg), len(z))
	}
	if _, err := decompressMessage([]byte{99, 1, 2}); err == nil {
		t.Error("an unknown dictionary version was accepted")
	}
}

// Rows written before compression (message set, message_z NULL) read as
// they were.
func TestOutboxReadsUncompressedRows(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "h.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutAccount(ctx, 1, "A"); err != nil {
		t.Fatal(err)
	}
	err = s.Transact(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`INSERT INTO events (id, account_id, event_key, fingerprint, occurred_at, payload, created_at) VALUES ('evt_1', 1, 'run_failed', 'f', 0, '{}', 0)`,
			`INSERT INTO deliveries (id, event_id, seq, account_id, event_key, channel, target, status, created_at) VALUES ('dlv_1', 'evt_1', 0, 1, 'run_failed', 'email', 'a@b.test', 'succeeded', 0)`,
			`INSERT INTO outbox (id, delivery_id, account_id, recipient, subject, message, created_at) VALUES ('msg_1', 'dlv_1', 1, 'a@b.test', 'S', 'Subject: S` + "\r\n\r\n" + `old', 0)`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.OutboxMessage(ctx, "msg_1")
	if err != nil || m.Message != "Subject: S\r\n\r\nold" {
		t.Errorf("old row = %+v, %v", m, err)
	}
}
