package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// queued inserts one event with a webhook and two emails, all due at now.
func queued(t *testing.T, s *store.Store, now time.Time) (herald.Event, []herald.Delivery) {
	t.Helper()
	ev, ds := newEvent(1, "", now)
	if _, _, _, err := s.InsertEvent(context.Background(), ev, ds); err != nil {
		t.Fatal(err)
	}
	return ev, ds
}

// leased queues one event of account 1 (a webhook and two emails) and
// leases its deliveries to owner.
func leased(t *testing.T, s *store.Store, owner string) (time.Time, []herald.Delivery) {
	t.Helper()
	s.PutAccount(context.Background(), 1, "A")
	now := time.Now().UTC().Truncate(time.Millisecond)
	_, ds := queued(t, s, now)
	claimIDs(t, s, owner, now, 10)
	return now, ds
}

func claimIDs(t *testing.T, s *store.Store, owner string, now time.Time, limit int, busy ...string) map[string]store.Job {
	t.Helper()
	room := func(h string) int {
		if slices.Contains(busy, h) {
			return 0
		}
		return 1 << 20
	}
	jobs, err := s.Claim(context.Background(), store.ClaimRequest{Owner: owner, Now: now, Lease: time.Minute, Limit: limit, Room: room, Busy: busy, Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Job{}
	for _, j := range jobs {
		out[j.Delivery.ID] = j
	}
	return out
}

func TestClaimLeasesDueDeliveriesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "Acme Corp")
		now := time.Now().UTC().Truncate(time.Millisecond)
		ev, ds := queued(t, s, now)
		got := claimIDs(t, s, "w1", now, 10)
		if len(got) != 3 {
			t.Fatalf("claimed %d, want 3", len(got))
		}
		j := got[ds[0].ID]
		if string(j.Payload) != string(ev.Payload) || j.AccountName != "Acme Corp" || j.Host != "h.test" || j.Delivery.Channel != herald.ChannelWebhook {
			t.Errorf("job = %+v", j)
		}
		if again := claimIDs(t, s, "w2", now, 10); len(again) != 0 {
			t.Errorf("leased deliveries claimed again: %v", again)
		}
		// A worker that died: its lease expires and another takes over.
		if later := claimIDs(t, s, "w2", now.Add(2*time.Minute), 10); len(later) != 3 {
			t.Errorf("after the lease expired, claimed %d, want 3", len(later))
		}
	})
}

func TestClaimSkipsBusyHostsAndRespectsLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		now := time.Now().UTC().Truncate(time.Millisecond)
		_, ds := queued(t, s, now)
		got := claimIDs(t, s, "w", now, 10, "h.test")
		if _, ok := got[ds[0].ID]; ok || len(got) != 2 {
			t.Errorf("claimed %v, want the two emails only", got)
		}
		queued(t, s, now)
		if got := claimIDs(t, s, "w", now, 1); len(got) != 1 {
			t.Errorf("limit 1 claimed %d", len(got))
		}
		if got := claimIDs(t, s, "w", now.Add(-time.Hour), 10); len(got) != 0 {
			t.Errorf("claimed deliveries not yet due: %v", got)
		}
		// Room caps webhooks per host within one claim; emails are free.
		for range 3 {
			queued(t, s, now)
		}
		jobs, err := s.Claim(ctx, store.ClaimRequest{Owner: "w", Now: now, Lease: time.Minute, Limit: 100,
			Room: func(host string) int { return 2 }})
		if err != nil {
			t.Fatal(err)
		}
		hooks := 0
		for _, j := range jobs {
			if j.Host == "h.test" {
				hooks++
			}
		}
		// Due were 4 or 5 webhooks and 8 or 7 emails, depending on which the
		// limit-1 claim took.
		if hooks != 2 || len(jobs) < 2+7 {
			t.Errorf("claimed %d jobs with %d webhooks, want 2 webhooks and every email", len(jobs), hooks)
		}
		if rest := claimIDs(t, s, "w", now, 100, "h.test"); len(rest) != 0 {
			t.Errorf("emails left behind: %v", rest)
		}
	})
}

func outcome(d herald.Delivery, owner string, status herald.Status, at time.Time) store.Outcome {
	return store.Outcome{DeliveryID: d.ID, Owner: owner, Status: status, Attempt: herald.Attempt{
		ID: herald.NewID("att_", at), DeliveryID: d.ID, StartedAt: at, CompletedAt: at.Add(15 * time.Millisecond),
		Target: d.Target, RequestHeaders: map[string][]string{"Content-Type": {"application/json"}},
		ResponseStatus: 500, ResponseHeaders: map[string][]string{"X-A": {"1"}}, ResponseBody: "oops\x00\xff", Error: "HTTP 500",
		Latency: 15 * time.Millisecond,
	}}
}

func TestCompleteRecordsAttemptsAndRedeliverKeepsHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		now := time.Now().UTC().Truncate(time.Millisecond)
		_, ds := queued(t, s, now)
		claimIDs(t, s, "w1", now, 10)
		// A stale worker whose lease was taken over cannot change the
		// delivery, though its attempt is logged.
		if err := s.Complete(ctx, []store.Outcome{outcome(ds[0], "someone-else", herald.StatusSucceeded, now)}); err != nil {
			t.Fatal(err)
		}
		if d, _ := s.Delivery(ctx, ds[0].ID); d.Status != herald.StatusPending {
			t.Errorf("stale owner changed the delivery: %+v", d)
		}
		if err := s.Complete(ctx, []store.Outcome{outcome(ds[0], "w1", herald.StatusFailed, now)}); err != nil {
			t.Fatal(err)
		}
		d, err := s.Delivery(ctx, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != herald.StatusFailed || d.Attempts != 1 || d.ResponseStatus != 500 || d.Error != "HTTP 500" ||
			d.Latency != 15*time.Millisecond || d.CompletedAt.IsZero() {
			t.Errorf("completed delivery = %+v", d)
		}
		if got := claimIDs(t, s, "w2", now.Add(time.Hour), 10); len(got) != 2 {
			t.Errorf("a completed delivery is claimable: %v", got)
		}
		back, err := s.Redeliver(ctx, ds[0].ID, "https://new.test/hook", now)
		if err != nil {
			t.Fatal(err)
		}
		d, _ = s.Delivery(ctx, ds[0].ID)
		if d.Status != herald.StatusPending || d.Target != "https://new.test/hook" || !d.CompletedAt.IsZero() {
			t.Errorf("redelivered = %+v", d)
		}
		if diff := cmp.Diff(d, back); diff != "" {
			t.Errorf("Redeliver answered (-stored +answered):\n%s", diff)
		}
		got := claimIDs(t, s, "w3", now, 10)
		if j, ok := got[ds[0].ID]; !ok || j.Host != "new.test" {
			t.Errorf("redelivery not claimable at the new host: %v", got)
		}
		atts, err := s.Attempts(ctx, ds[0].ID)
		if err != nil || len(atts) != 2 {
			t.Fatalf("attempts = %v, %v", atts, err)
		}
		if atts[1].ResponseBody != "oops\uFFFD\uFFFD" || atts[1].RequestHeaders["Content-Type"][0] != "application/json" || atts[1].ResponseHeaders["X-A"][0] != "1" {
			t.Errorf("attempt = %+v", atts[1])
		}
	})
}

func TestCompleteRetryAndOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now, ds := leased(t, s, "w")
		retry := outcome(ds[1], "w", herald.StatusPending, now)
		retry.RetryAt = now.Add(time.Minute)
		sent := outcome(ds[2], "w", herald.StatusSucceeded, now)
		sent.Outbox = &store.OutboxMessage{ID: herald.NewID("msg_", now), DeliveryID: ds[2].ID, AccountID: 1, Recipient: ds[2].Target,
			Subject: "[A] Run failed", Message: "Subject: x\r\n\r\nhello", CreatedAt: now}
		if err := s.Complete(ctx, []store.Outcome{retry, sent}); err != nil {
			t.Fatal(err)
		}
		if got := claimIDs(t, s, "w", now.Add(30*time.Second), 10); len(got) != 0 {
			t.Errorf("retry claimed before it is due: %v", got)
		}
		// Due then: the retry, and the webhook whose lease ran out.
		if got := claimIDs(t, s, "w", now.Add(61*time.Second), 10); len(got) != 2 {
			t.Errorf("retry not claimable when due: %v", got)
		}
		msgs, err := s.Outbox(ctx, 1, "", 10)
		if err != nil || len(msgs) != 1 || msgs[0].Recipient != ds[2].Target || msgs[0].Message != "" {
			t.Fatalf("outbox = %+v, %v", msgs, err)
		}
		m, err := s.OutboxMessage(ctx, msgs[0].ID)
		if err != nil || m.Message != "Subject: x\r\n\r\nhello" {
			t.Errorf("message = %+v, %v", m, err)
		}
		qs, err := s.QueueStats(ctx)
		if err != nil || qs.Pending != 2 || !qs.OldestPending.Equal(now) {
			t.Errorf("queue stats = %+v, %v", qs, err)
		}
	})
}

func TestDeliveriesFilterAndPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		now := time.Now().UTC().Truncate(time.Millisecond)
		for i := range 3 {
			queued(t, s, now.Add(time.Duration(i)*time.Millisecond))
		}
		all, err := s.Deliveries(ctx, store.DeliveryFilter{AccountID: 1, Limit: 100})
		if err != nil || len(all) != 9 {
			t.Fatalf("all = %d, %v", len(all), err)
		}
		for i := 1; i < len(all); i++ {
			if all[i-1].ID < all[i].ID {
				t.Errorf("not newest first at %d", i)
			}
		}
		hooks, _ := s.Deliveries(ctx, store.DeliveryFilter{AccountID: 1, Channel: herald.ChannelWebhook, Limit: 100})
		if len(hooks) != 3 {
			t.Errorf("webhooks = %d", len(hooks))
		}
		page, _ := s.Deliveries(ctx, store.DeliveryFilter{AccountID: 1, After: all[3].ID, Limit: 100})
		if len(page) != 5 || page[0].ID != all[4].ID {
			t.Errorf("page after cursor = %d", len(page))
		}
		none, _ := s.Deliveries(ctx, store.DeliveryFilter{AccountID: 2, Limit: 100})
		if len(none) != 0 {
			t.Errorf("another account sees %d", len(none))
		}
	})
}

func TestWakeupsOnIngest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		wake := s.Wakeups()
		// The PostgreSQL listener wakes once when it connects; drain it.
		select {
		case <-wake:
		case <-time.After(time.Second):
		}
		queued(t, s, time.Now())
		select {
		case <-wake:
		case <-time.After(5 * time.Second):
			t.Fatal("no wakeup after ingest")
		}
	})
}

// A busy host's backlog ahead of other work: the cheap scan sees only the
// backlog; the deep one looks past it.
func TestClaimDeepLooksPastBusyBacklog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.PutAccount(ctx, 1, "A")
		base := time.Now().UTC().Truncate(time.Millisecond)
		for i := range 80 { // webhooks to h.test only, more than a scan reads
			ev, d := newEvent(1, "", base.Add(time.Duration(i)*time.Millisecond))
			if _, _, _, err := s.InsertEvent(ctx, ev, d[:1]); err != nil {
				t.Fatal(err)
			}
		}
		other, od := newEvent(1, "", base.Add(time.Second))
		od[0].Target = "https://other.test/hook"
		if _, _, _, err := s.InsertEvent(ctx, other, od[:1]); err != nil {
			t.Fatal(err)
		}
		now := base.Add(2 * time.Second)
		req := store.ClaimRequest{Owner: "w", Now: now, Lease: time.Minute, Limit: 4, Busy: []string{"h.test"},
			Room: func(h string) int {
				if h == "h.test" {
					return 0
				}
				return 10
			}}
		if jobs, err := s.Claim(ctx, req); err != nil || len(jobs) != 0 {
			t.Fatalf("cheap claim = %v, %v; want nothing (only the busy backlog is in reach)", jobs, err)
		}
		req.Deep = true
		jobs, err := s.Claim(ctx, req)
		if err != nil || len(jobs) != 1 || jobs[0].Host != "other.test" {
			t.Fatalf("deep claim = %v, %v; want the other host's delivery", jobs, err)
		}
	})
}

// Two processes' workers claiming at once never get the same delivery.
func TestConcurrentClaimsNeverOverlap(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			url := e.URL(t)
			a := storetest.Open(t, url)
			b := storetest.Open(t, url)
			ctx := context.Background()
			a.PutAccount(ctx, 1, "A")
			now := time.Now()
			for range 40 {
				queued(t, a, now)
			}
			var mu sync.Mutex
			seen := map[string]string{}
			var wg sync.WaitGroup
			for w, s := range []*store.Store{a, b, a, b} {
				wg.Go(func() {
					owner := string(rune('a' + w))
					for {
						jobs, err := s.Claim(ctx, store.ClaimRequest{Owner: owner, Now: now, Lease: time.Minute, Limit: 7})
						if err != nil {
							t.Error(err)
							return
						}
						if len(jobs) == 0 {
							return
						}
						mu.Lock()
						for _, j := range jobs {
							if prev, ok := seen[j.Delivery.ID]; ok {
								t.Errorf("%s claimed by %s and %s", j.Delivery.ID, prev, owner)
							}
							seen[j.Delivery.ID] = owner
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(seen) != 120 {
				t.Errorf("claimed %d deliveries, want 120", len(seen))
			}
		})
	}
}

// A batch of webhook outcomes (no outbox message, no digest), as workers
// record them: each delivery takes its own outcome, a stale owner's leaves
// its delivery alone, and every attempt is logged.
func TestCompleteBatchOfOutcomes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now, ds := leased(t, s, "w")
		retry := outcome(ds[0], "w", herald.StatusPending, now)
		retry.RetryAt = now.Add(time.Minute)
		refused := outcome(ds[1], "w", herald.StatusFailed, now)
		refused.Attempt.ResponseStatus, refused.Attempt.Error = 0, "connection refused \xff"
		stale := outcome(ds[2], "someone-else", herald.StatusSucceeded, now)
		if err := s.Complete(ctx, []store.Outcome{retry, refused, stale}); err != nil {
			t.Fatal(err)
		}
		want := []struct {
			status      herald.Status
			attempts    int
			response    int
			error       string
			completed   bool
			attemptLogs int
		}{
			{herald.StatusPending, 1, 500, "HTTP 500", false, 1},
			{herald.StatusFailed, 1, 0, "connection refused \uFFFD", true, 1},
			{herald.StatusPending, 0, 0, "", false, 1},
		}
		for i, w := range want {
			d, err := s.Delivery(ctx, ds[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != w.status || d.Attempts != w.attempts || d.ResponseStatus != w.response || d.Error != w.error || d.CompletedAt.IsZero() == w.completed {
				t.Errorf("delivery %d = %+v, want %+v", i, d, w)
			}
			atts, err := s.Attempts(ctx, ds[i].ID)
			if err != nil || len(atts) != w.attemptLogs {
				t.Errorf("delivery %d: attempts %+v, %v", i, atts, err)
			}
		}
		if atts, _ := s.Attempts(ctx, ds[1].ID); len(atts) == 1 && (atts[0].ResponseStatus != 0 || atts[0].Error != "connection refused \uFFFD") {
			t.Errorf("refused attempt = %+v", atts[0])
		}
		// The retry is due at its time, not before; the stale owner's
		// delivery stays leased to w.
		if got := claimIDs(t, s, "w2", now.Add(30*time.Second), 10); len(got) != 0 {
			t.Errorf("claimed before anything is due: %v", got)
		}
		if got := claimIDs(t, s, "w2", now.Add(61*time.Second), 10); len(got) != 2 {
			t.Errorf("due after a minute: %v, want the retry and the expired lease", got)
		}
	})
}
