package store_test

import (
	"context"
	"testing"
	"time"

	"herald/store"
	"herald/store/storetest"
)

// A worker that stopped beating has its leases released, however long
// they were; a worker still beating keeps its own.
func TestTakeOverReleasesOnlyDeadWorkersLeases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		queued(t, s, t0)
		queued(t, s, t0)
		// claimIDs leases for a minute.
		dead := claimIDs(t, s, "dead", t0, 3)
		live := claimIDs(t, s, "live", t0, 100)
		if len(dead) != 3 || len(live) == 0 {
			t.Fatalf("claimed %d and %d", len(dead), len(live))
		}
		beat := func(owner string, at time.Time, wantFresh bool) {
			t.Helper()
			fresh, err := s.Heartbeat(ctx, owner, at)
			if err != nil || fresh != wantFresh {
				t.Fatalf("Heartbeat(%s) = %v, %v; want fresh %v", owner, fresh, err, wantFresh)
			}
		}
		beat("dead", t0, true)
		beat("live", t0, true)
		beat("live", t0.Add(5*time.Second), false)

		now := t0.Add(5 * time.Second)
		n, err := s.TakeOver(ctx, now.Add(-3*time.Second), now)
		if err != nil || n != len(dead) {
			t.Fatalf("TakeOver = %d, %v; want the dead worker's %d", n, err, len(dead))
		}
		got := claimIDs(t, s, "heir", now, 100)
		if len(got) != len(dead) {
			t.Errorf("after the takeover %d deliveries are due, want %d", len(got), len(dead))
		}
		for id := range got {
			if _, ok := dead[id]; !ok {
				t.Errorf("%s was not the dead worker's", id)
			}
		}
		if n, err := s.TakeOver(ctx, now.Add(-3*time.Second), now); err != nil || n != 0 {
			t.Errorf("second TakeOver = %d, %v; want nothing left", n, err)
		}
		// The dead worker, forgotten, registers afresh if it comes back.
		beat("dead", now, true)

		// A clean stop hands back what the worker still holds.
		n, err = s.Unregister(ctx, "live", now)
		if err != nil || n != len(live) {
			t.Errorf("Unregister = %d, %v; want %d", n, err, len(live))
		}
		beat("live", now, true)
	})
}
