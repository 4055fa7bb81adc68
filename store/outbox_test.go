package store_test

import (
	"context"
	"testing"
	"time"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// A message's subject and recipient are stored once, in the message, when
// its Subject and To read back as them (an encoded subject too); otherwise
// they are stored beside it. The list and the message show them the same
// either way.
func TestOutboxSubjectAndRecipientStoredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now, ds := leased(t, s, "w")
		for _, tc := range []struct {
			d                  herald.Delivery
			subject, recipient string
			message            string
			stored             bool
		}{
			{ds[1], "[Ünïcode & Co] Run 7 failed", ds[1].Target,
				"Subject: =?utf-8?q?[=C3=9Cn=C3=AFcode_&_Co]_Run_7_failed?=\r\nTo: <" + ds[1].Target + ">\r\n\r\nbody", false},
			{ds[2], "[A] Run failed", ds[2].Target, "Subject: something else\r\nTo: other@x.test\r\n\r\nbody", true},
		} {
			o := outcome(tc.d, "w", herald.StatusSucceeded, now)
			o.Outbox = &store.OutboxMessage{ID: herald.NewID("msg_", now), DeliveryID: tc.d.ID, AccountID: 1, Recipient: tc.recipient,
				Subject: tc.subject, Message: tc.message, CreatedAt: now}
			if err := s.Complete(ctx, []store.Outcome{o}); err != nil {
				t.Fatal(err)
			}
			recipient, subject, err := s.OutboxColumns(ctx, o.Outbox.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored := subject != "" && recipient != ""; stored != tc.stored || (subject == "") != (recipient == "") {
				t.Errorf("%s: stored subject %q, recipient %q; want them stored: %v", tc.subject, subject, recipient, tc.stored)
			}
			m, err := s.OutboxMessage(ctx, o.Outbox.ID)
			if err != nil || m.Subject != tc.subject || m.Recipient != tc.recipient || m.Message != tc.message {
				t.Errorf("message = %+v, %v", m, err)
			}
		}
		msgs, err := s.Outbox(ctx, 1, "", 10)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("outbox = %+v, %v", msgs, err)
		}
		for _, m := range msgs {
			want := "[A] Run failed"
			if m.DeliveryID == ds[1].ID {
				want = "[Ünïcode & Co] Run 7 failed"
			}
			if m.Subject != want || m.Recipient == "" || m.Message != "" {
				t.Errorf("listed = %+v", m)
			}
		}
	})
}

// Migration 10 keeps every attempt (SQLite makes the table again) and the
// delivery log's status filter, on both engines.
func TestMigration10KeepsAttempts(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			u := e.URL(t)
			s, err := store.Open(ctx, u, store.Options{Secrets: storetest.Secrets(t, u)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.MigrateUpTo(ctx, 9); err != nil {
				t.Fatal(err)
			}
			s.PutAccount(ctx, 1, "A")
			now := time.Now().UTC().Truncate(time.Millisecond)
			_, ds := queued(t, s, now)
			claimIDs(t, s, "w", now, 10)
			// An attempt written before the migration.
			if err := s.Complete(ctx, []store.Outcome{outcome(ds[0], "w", herald.StatusFailed, now)}); err != nil {
				t.Fatal(err)
			}
			before, err := s.Attempts(ctx, ds[0].ID)
			if err != nil || len(before) != 1 {
				t.Fatalf("attempts = %v, %v", before, err)
			}
			if applied, err := s.Migrate(ctx); err != nil || len(applied) == 0 || applied[0] != 10 {
				t.Fatalf("migrate = %v, %v", applied, err)
			}
			after, err := s.Attempts(ctx, ds[0].ID)
			if err != nil || len(after) != 1 || after[0].ID != before[0].ID || after[0].ResponseBody != before[0].ResponseBody ||
				after[0].RequestHeaders["Content-Type"][0] != "application/json" {
				t.Fatalf("attempts after = %+v, %v; before %+v", after, err, before)
			}
			failed, err := s.Deliveries(ctx, store.DeliveryFilter{AccountID: 1, Status: herald.StatusFailed, Limit: 10})
			if err != nil || len(failed) != 1 || failed[0].ID != ds[0].ID {
				t.Errorf("failed deliveries = %v, %v", failed, err)
			}
		})
	}
}
