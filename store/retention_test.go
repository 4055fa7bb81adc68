package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

func TestPruneKeepsPendingAndRecent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		old := time.Now().Add(-40 * 24 * time.Hour).UTC().Truncate(time.Millisecond)
		cutoff := time.Now().Add(-30 * 24 * time.Hour)

		done, dds := queued(t, s, old)       // completed long ago: pruned
		stuck, _ := queued(t, s, old)        // still pending: kept
		recent, rds := queued(t, s, old)     // redelivered lately: kept
		fresh, _ := queued(t, s, time.Now()) // new: kept
		complete := func(ds []herald.Delivery, at time.Time) {
			t.Helper()
			if _, err := s.Claim(ctx, store.ClaimRequest{Owner: "w", Now: time.Now(), Lease: time.Minute, Limit: 100}); err != nil {
				t.Fatal(err)
			}
			var outs []store.Outcome
			for _, d := range ds {
				o := outcome(d, "w", herald.StatusSucceeded, at)
				o.Outbox = &store.OutboxMessage{ID: herald.NewID("msg_", at), DeliveryID: d.ID, AccountID: 1, Recipient: d.Target, Subject: "s", Message: "m", CreatedAt: at}
				outs = append(outs, o)
			}
			if err := s.Complete(ctx, outs); err != nil {
				t.Fatal(err)
			}
		}
		complete(dds, old)
		complete(rds, time.Now())
		// Leave stuck's deliveries pending: release its leases by making
		// a stale owner complete nothing; they stay pending regardless.

		n, err := s.Prune(ctx, cutoff, 500)
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
		if _, err := s.Event(ctx, done.ID); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("old completed event kept: %v", err)
		}
		if _, err := s.Delivery(ctx, dds[0].ID); !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("its delivery kept: %v", err)
		}
		if atts, _ := s.Attempts(ctx, dds[0].ID); len(atts) != 0 {
			t.Errorf("its attempts kept: %v", atts)
		}
		for _, ev := range []herald.Event{stuck, recent, fresh} {
			if _, err := s.Event(ctx, ev.ID); err != nil {
				t.Errorf("event %s pruned: %v", ev.ID, err)
			}
		}
		if msgs, _ := s.Outbox(ctx, 1, "", 100); len(msgs) != 3 {
			t.Errorf("outbox has %d messages, want recent's 3", len(msgs))
		}
		if n, err := s.Prune(ctx, cutoff, 500); err != nil || n != 0 {
			t.Errorf("second prune = %d, %v", n, err)
		}
	})
}
