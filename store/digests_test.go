package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// digestEvent inserts one event whose two emails (z@ and a@) have a
// 15-minute digest window, and returns its deliveries as committed.
func digestEvent(t *testing.T, s *store.Store, now time.Time) []herald.Delivery {
	t.Helper()
	ev, ds := newEvent(1, "", now)
	for i := range ds {
		if ds[i].Channel == herald.ChannelEmail {
			ds[i].DigestWindow = 15 * time.Minute
		}
	}
	_, got, _, err := s.InsertEvent(context.Background(), ev, ds)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func emailsOf(ds []herald.Delivery) []herald.Delivery {
	return slices.DeleteFunc(slices.Clone(ds), func(d herald.Delivery) bool { return d.Channel != herald.ChannelEmail })
}

func TestDigestHoldsAWindowsEmailsAfterTheFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "Acme Corp")
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		end := t0.Add(15 * time.Minute)

		first := digestEvent(t, s, t0)
		for _, d := range first {
			if d.DigestID != "" {
				t.Errorf("first event's %s %s is held: %+v", d.Channel, d.Target, d)
			}
		}
		second := digestEvent(t, s, t0.Add(time.Minute))
		third := digestEvent(t, s, t0.Add(2*time.Minute))
		if second[0].DigestID != "" || third[0].DigestID != "" {
			t.Errorf("a webhook is held")
		}
		carriers := map[string]string{} // target -> carrier
		for _, d := range emailsOf(second) {
			if d.DigestID != d.ID || !d.NextAttemptAt.Equal(end) {
				t.Errorf("second event's email to %s: digest %q, due %v; want its own digest, due %v", d.Target, d.DigestID, d.NextAttemptAt, end)
			}
			carriers[d.Target] = d.ID
		}
		for _, d := range emailsOf(third) {
			if d.DigestID != carriers[d.Target] {
				t.Errorf("third event's email to %s joins %q, want %q", d.Target, d.DigestID, carriers[d.Target])
			}
		}

		// Before the window ends only the first event's deliveries and the
		// webhooks are due.
		due := claimIDs(t, s, "w1", end.Add(-time.Millisecond), 100)
		if len(due) != 5 {
			t.Errorf("claimed %d before the window ended, want 5 (first event's 3, two webhooks)", len(due))
		}
		for id := range due {
			if slices.ContainsFunc(append(emailsOf(second), emailsOf(third)...), func(d herald.Delivery) bool { return d.ID == id }) {
				t.Errorf("held email %s claimed before the window ended", id)
			}
		}
		// When it ends, the two carriers, and nothing else.
		jobs := claimIDs(t, s, "w1", end, 100)
		if len(jobs) != 2 {
			t.Fatalf("claimed %d at the window's end, want the 2 digests", len(jobs))
		}
		for target, carrier := range carriers {
			j, ok := jobs[carrier]
			if !ok || j.DigestID != carrier {
				t.Fatalf("digest for %s: job %+v", target, j)
			}
			items, err := s.DigestItems(ctx, carrier)
			if err != nil || len(items) != 2 || items[0].DeliveryID != carrier || items[0].EventID != second[0].EventID || items[1].EventID != third[0].EventID {
				t.Fatalf("digest items for %s: %+v, %v", target, items, err)
			}
			out := store.Outcome{DeliveryID: carrier, Owner: "w1", Status: herald.StatusSucceeded, Digest: true,
				Attempt: herald.Attempt{ID: herald.NewID("att_", end), DeliveryID: carrier, StartedAt: end, CompletedAt: end, Target: target}}
			if err := s.Complete(ctx, []store.Outcome{out}); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range append(emailsOf(second), emailsOf(third)...) {
			got, err := s.Delivery(ctx, d.ID)
			if err != nil || got.Status != herald.StatusSucceeded || got.Attempts != 1 {
				t.Errorf("held email %s after its digest: %+v, %v", d.ID, got, err)
			}
			atts, err := s.Attempts(ctx, d.ID)
			if err != nil || len(atts) != 1 {
				t.Errorf("held email %s has %d attempts (%v), want 1", d.ID, len(atts), err)
			}
		}

		// After the window, the next event goes at once and opens another.
		next := digestEvent(t, s, end.Add(time.Second))
		for _, d := range next {
			if d.DigestID != "" {
				t.Errorf("first event after the window is held: %+v", d)
			}
		}
		if held := digestEvent(t, s, end.Add(2*time.Second)); emailsOf(held)[0].DigestID == "" {
			t.Errorf("the new window holds nothing")
		}
	})
}

// An email of the window arriving once its recipient's digest is taken
// starts a digest of its own: it is not lost in one already being sent.
func TestDigestTakenByAWorkerGetsNoNewEmails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "Acme Corp")
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		end := t0.Add(15 * time.Minute)
		digestEvent(t, s, t0)
		second := emailsOf(digestEvent(t, s, t0.Add(time.Minute)))
		// A worker whose clock runs ahead claims the digests early.
		if jobs := claimIDs(t, s, "fast", end, 100); len(jobs) != 6 {
			t.Fatalf("claimed %d, want 6 (two events' webhook and emails)", len(jobs))
		}
		late := emailsOf(digestEvent(t, s, t0.Add(2*time.Minute)))
		for i, d := range late {
			if d.DigestID != d.ID || d.DigestID == second[i].ID || !d.NextAttemptAt.Equal(end) {
				t.Errorf("late email to %s: digest %q due %v, want a digest of its own due %v", d.Target, d.DigestID, d.NextAttemptAt, end)
			}
		}
		if items, _ := s.DigestItems(ctx, second[0].ID); len(items) != 1 {
			t.Errorf("the claimed digest grew to %d events", len(items))
		}
	})
}

// Events of one type accepted at the same moment (on PostgreSQL, in
// concurrent transactions) still give each recipient exactly one email at
// once and one digest of the rest.
func TestDigestConcurrentEventsOpenOneWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "Acme Corp")
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		const n = 16
		var wg sync.WaitGroup
		got := make([][]herald.Delivery, n)
		for i := range n {
			wg.Go(func() { got[i] = digestEvent(t, s, t0.Add(time.Duration(i)*time.Millisecond)) })
		}
		wg.Wait()
		at, carriers, members := map[string]int{}, map[string]int{}, map[string]int{}
		for _, ds := range got {
			for _, d := range emailsOf(ds) {
				stored, err := s.Delivery(ctx, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case d.DigestID == "":
					at[stored.Target]++
				case d.DigestID == d.ID:
					carriers[stored.Target]++
				default:
					members[stored.Target]++
				}
			}
		}
		for _, target := range []string{"z@acme.test", "a@acme.test"} {
			if at[target] != 1 || carriers[target] != 1 || members[target] != n-2 {
				t.Errorf("%s: %d at once, %d digests, %d held in them; want 1, 1, %d", target, at[target], carriers[target], members[target], n-2)
			}
		}
	})
}
