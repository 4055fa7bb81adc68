package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// Concurrent ingests share commits (on PostgreSQL one statement per
// group): each still gets its own answer. An event of an account that does
// not exist fails alone; a repeated idempotency key answers the first
// event; a delivery planned as skipped keeps its completion time.
func TestInsertEventConcurrentMixFailsOnlyTheBad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		now := time.Now().UTC().Truncate(time.Millisecond)
		type result struct {
			ev      herald.Event
			ds      []herald.Delivery
			got     herald.Event
			created bool
			err     error
		}
		results := make([]result, 24)
		var wg sync.WaitGroup
		for i := range results {
			account, key := int64(1), ""
			switch i % 4 {
			case 1:
				key = "shared"
			case 2:
				key = fmt.Sprint("own-", i)
			case 3:
				if i == 3 {
					account = 999 // no such account
				}
			}
			ev, ds := newEvent(account, key, now)
			if i%6 == 0 {
				ds[1].Status, ds[1].CompletedAt, ds[1].Error = herald.StatusSkipped, now, "unsubscribed"
			}
			results[i].ev, results[i].ds = ev, ds
			wg.Go(func() {
				r := &results[i]
				r.got, _, r.created, r.err = s.InsertEvent(ctx, ev, ds)
			})
		}
		wg.Wait()
		shared := ""
		for i, r := range results {
			switch {
			case r.ev.AccountID == 999:
				if r.err == nil {
					t.Errorf("event %d of a missing account was accepted", i)
				}
				if _, err := s.Event(ctx, r.ev.ID); err == nil {
					t.Errorf("event %d of a missing account was stored", i)
				}
				continue
			case r.err != nil:
				t.Errorf("event %d: %v", i, r.err)
				continue
			case r.ev.IdempotencyKey == "shared":
				if shared == "" {
					shared = r.got.ID
				}
				if r.got.ID != shared {
					t.Errorf("event %d answered %s, another answered %s", i, r.got.ID, shared)
				}
				if !r.created {
					continue
				}
			case !r.created:
				t.Errorf("event %d was not created", i)
				continue
			}
			sds, err := s.EventDeliveries(ctx, r.ev.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(r.ds, sds); diff != "" {
				t.Errorf("event %d's stored deliveries (-want +got):\n%s", i, diff)
			}
		}
		created := 0
		for _, r := range results {
			if r.created && r.ev.IdempotencyKey == "shared" {
				created++
			}
		}
		if created != 1 {
			t.Errorf("%d events with the shared key were created, want 1", created)
		}
		evs, err := s.Events(ctx, 1, "", 100)
		if want := 24 - 1 - 5; err != nil || len(evs) != want {
			t.Errorf("events stored = %d, %v; want %d", len(evs), err, want)
		}
	})
}
