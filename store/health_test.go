package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

func healthAccount(t *testing.T, s *store.Store, id int64, webhookURL string) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.PutAccount(ctx, id, "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	st := herald.DefaultSettings()
	st.WebhookURL = webhookURL
	if err := s.PutSettings(ctx, id, st); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookHealthTransitions(t *testing.T) {
	t0 := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	fail := func(at time.Duration) store.WebhookResult {
		return store.WebhookResult{AccountID: 1, At: t0.Add(at), Error: "HTTP 503"}
	}
	ok := func(at time.Duration) store.WebhookResult {
		return store.WebhookResult{AccountID: 1, At: t0.Add(at), Success: true}
	}
	gone := store.WebhookResult{AccountID: 1, At: t0.Add(time.Minute), Gone: true, Error: "HTTP 410"}
	policy := store.HealthPolicy{DisableAfter: time.Hour, MinFailures: 3, FailingNotice: 3}
	tests := []struct {
		name        string
		batches     [][]store.WebhookResult
		state       herald.WebhookState
		failures    int
		notices     int // failing notices
		disables    int
		reason      string
		attempts24h int
	}{
		{"no attempts yet", nil, herald.WebhookHealthy, 0, 0, 0, "", 0},
		{"a success", [][]store.WebhookResult{{ok(0)}}, herald.WebhookHealthy, 0, 0, 0, "", 1},
		{"a failure starts a streak", [][]store.WebhookResult{{ok(0), fail(time.Second)}}, herald.WebhookFailing, 1, 0, 0, "", 2},
		{"a success ends it", [][]store.WebhookResult{{fail(0), fail(time.Second)}, {ok(2 * time.Second)}}, herald.WebhookHealthy, 0, 0, 0, "", 3},
		{"a failure older than the latest success is no streak", [][]store.WebhookResult{{ok(2 * time.Second)}, {fail(time.Second)}},
			herald.WebhookHealthy, 0, 0, 0, "", 2},
		{"the notice is planned once per streak",
			[][]store.WebhookResult{{fail(0), fail(1)}, {fail(2)}, {fail(3), fail(4)}, {fail(5)}}, herald.WebhookFailing, 6, 1, 0, "", 6},
		{"a new streak gets a new notice",
			[][]store.WebhookResult{{fail(0), fail(1), fail(2)}, {ok(3)}, {fail(4), fail(5), fail(6)}}, herald.WebhookFailing, 3, 2, 0, "", 7},
		{"a 410 disables at once", [][]store.WebhookResult{{gone}}, herald.WebhookDisabled, 1, 0, 1, "410 Gone", 1},
		// The third failure both reaches the notice and disables: each has its notice.
		{"failing for the span disables", [][]store.WebhookResult{{fail(0)}, {fail(30 * time.Minute)}, {fail(time.Hour)}, {fail(2 * time.Hour)}},
			herald.WebhookDisabled, 4, 1, 1, "every attempt failed for 60 minutes (3 in a row); the last: HTTP 503", 4},
		{"the span alone is not enough", [][]store.WebhookResult{{fail(0)}, {fail(2 * time.Hour)}}, herald.WebhookFailing, 2, 0, 0, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				healthAccount(t, s, 1, "https://hooks.acme.test/in")
				notices, disables := 0, 0
				for _, b := range tt.batches {
					changes, err := s.RecordWebhookResults(ctx, b, policy)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range changes {
						if c.Disabled {
							disables++
						}
						if c.FailingNotice {
							notices++
						}
					}
				}
				h, err := s.WebhookHealth(ctx, 1, t0.Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if h.State != tt.state || h.ConsecutiveFailures != tt.failures || notices != tt.notices || disables != tt.disables ||
					!strings.Contains(h.DisabledReason, tt.reason) || h.Attempts24h != tt.attempts24h {
					t.Errorf("health %+v, %d notices, %d disables; want %s, %d failures, %d notices, %d disables, reason %q, %d attempts",
						h, notices, disables, tt.state, tt.failures, tt.notices, tt.disables, tt.reason, tt.attempts24h)
				}
				if (tt.state == herald.WebhookHealthy) != h.FailingSince.IsZero() {
					t.Errorf("failing since %v in state %s", h.FailingSince, h.State)
				}
			})
		})
	}
}

func TestDisablingSkipsWaitingWebhooksAndEnableResets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		healthAccount(t, s, 1, "https://hooks.acme.test/in")
		healthAccount(t, s, 2, "https://hooks.other.test/in")
		var ds []herald.Delivery
		for i, acct := range []int64{1, 1, 2} {
			ev := herald.Event{ID: herald.NewID("evt_", now), AccountID: acct, Key: herald.RunFailed, Fingerprint: "f", OccurredAt: now, Payload: []byte("{}"), CreatedAt: now}
			d := herald.Delivery{ID: herald.NewID("dlv_", now), EventID: ev.ID, AccountID: acct, EventKey: herald.RunFailed, Channel: herald.ChannelWebhook,
				Target: "https://hooks.acme.test/in", Status: herald.StatusPending, CreatedAt: now, NextAttemptAt: now.Add(time.Duration(i) * time.Hour)}
			e := herald.Delivery{ID: herald.NewID("dlv_", now), EventID: ev.ID, AccountID: acct, EventKey: herald.RunFailed, Channel: herald.ChannelEmail,
				Target: "ann@acme.test", Status: herald.StatusPending, CreatedAt: now, NextAttemptAt: now.Add(time.Hour)}
			if _, _, _, err := s.InsertEvent(ctx, ev, []herald.Delivery{d, e}); err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d, e)
		}
		changes, err := s.RecordWebhookResults(ctx, []store.WebhookResult{{AccountID: 1, At: now, Gone: true, Error: "HTTP 410"}}, store.HealthPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || !changes[0].Disabled || changes[0].Skipped != 2 {
			t.Fatalf("changes = %+v, want one disabling that skipped 2", changes)
		}
		for i, want := range []herald.Status{herald.StatusSkipped, herald.StatusPending, herald.StatusSkipped, herald.StatusPending, herald.StatusPending, herald.StatusPending} {
			d, err := s.Delivery(ctx, ds[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != want {
				t.Errorf("delivery %d (%s to account %d) is %s, want %s", i, d.Channel, d.AccountID, d.Status, want)
			}
			if want == herald.StatusSkipped && (!strings.Contains(d.Error, "disabled") || d.CompletedAt.IsZero() || !d.NextAttemptAt.IsZero()) {
				t.Errorf("skipped delivery = %+v", d)
			}
		}
		r, err := s.Recipients(ctx, 1)
		if err != nil || !strings.Contains(r.WebhookDisabled, "410") {
			t.Fatalf("recipients say disabled %q, %v", r.WebhookDisabled, err)
		}
		states, err := s.WebhookStates(ctx, []int64{1, 2, 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != 2 || states[1] != herald.WebhookDisabled || states[2] != herald.WebhookHealthy {
			t.Errorf("states = %v", states)
		}
		// The operators' account list shows and filters by the state.
		list, err := s.Accounts(ctx, store.AccountFilter{State: "disabled", Limit: 10})
		if err != nil || len(list) != 1 || list[0].Account.ID != 1 || list[0].WebhookState != "disabled" {
			t.Errorf("disabled accounts = %+v, %v", list, err)
		}
		// A second 410 while disabled is no new change.
		if changes, err := s.RecordWebhookResults(ctx, []store.WebhookResult{{AccountID: 1, At: now, Gone: true}}, store.HealthPolicy{}); err != nil || len(changes) != 0 {
			t.Errorf("second 410: %+v, %v", changes, err)
		}
		if err := s.EnableWebhook(ctx, 1); err != nil {
			t.Fatal(err)
		}
		h, err := s.WebhookHealth(ctx, 1, now)
		if err != nil {
			t.Fatal(err)
		}
		if h.State != herald.WebhookHealthy || h.ConsecutiveFailures != 0 || !h.DisabledAt.IsZero() || h.LastFailureAt.IsZero() {
			t.Errorf("after enable: %+v", h)
		}
		if err := s.EnableWebhook(ctx, 99); err == nil {
			t.Error("enabled an account that does not exist")
		}
	})
}

func TestSavingADifferentURLTurnsTheWebhookBackOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		healthAccount(t, s, 1, "https://hooks.acme.test/in")
		if _, err := s.RecordWebhookResults(ctx, []store.WebhookResult{{AccountID: 1, At: time.Now(), Gone: true}}, store.HealthPolicy{}); err != nil {
			t.Fatal(err)
		}
		st, err := s.Settings(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		st.RetryFailedWebhooks = true
		if err := s.PutSettings(ctx, 1, st); err != nil { // the same URL
			t.Fatal(err)
		}
		if h, _ := s.WebhookHealth(ctx, 1, time.Now()); h.State != herald.WebhookDisabled {
			t.Fatalf("saving the same URL: %s", h.State)
		}
		if got, _ := s.Settings(ctx, 1); !got.RetryFailedWebhooks {
			t.Error("retry_failed_webhooks not saved")
		}
		st.WebhookURL = "https://hooks.acme.test/v2"
		if err := s.PutSettings(ctx, 1, st); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.WebhookHealth(ctx, 1, time.Now()); h.State != herald.WebhookHealthy {
			t.Errorf("saving a different URL: %s", h.State)
		}
		st.WebhookURL = ""
		if err := s.PutSettings(ctx, 1, st); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.WebhookHealth(ctx, 1, time.Now()); h.State != herald.WebhookNone {
			t.Errorf("no URL: %s", h.State)
		}
	})
}

// Successes recorded together for accounts in every state: each account's
// health follows its own row (on PostgreSQL the healthy ones take a
// shorter path than the failing and disabled ones).
func TestWebhookSuccessesAcrossAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
		for id := int64(1); id <= 4; id++ {
			healthAccount(t, s, id, "https://hooks.acme.test/in")
		}
		before := []store.WebhookResult{
			{AccountID: 1, At: t0, Error: "HTTP 503"},
			{AccountID: 2, At: t0, Success: true},
			{AccountID: 3, At: t0, Gone: true, Error: "HTTP 410"},
		}
		if _, err := s.RecordWebhookResults(ctx, before, store.HealthPolicy{}); err != nil {
			t.Fatal(err)
		}
		ok := func(id int64, after time.Duration) store.WebhookResult {
			return store.WebhookResult{AccountID: id, At: t0.Add(after), Success: true}
		}
		batch := []store.WebhookResult{ok(2, 3*time.Second), ok(1, time.Second), ok(4, time.Second), ok(2, 2*time.Second), ok(3, time.Second)}
		changes, err := s.RecordWebhookResults(ctx, batch, store.HealthPolicy{})
		if err != nil || len(changes) != 0 {
			t.Fatalf("changes %+v, %v", changes, err)
		}
		want := []struct {
			state       herald.WebhookState
			lastSuccess time.Duration
			attempts    int
			succeeded   int
		}{
			{herald.WebhookHealthy, time.Second, 2, 1},
			{herald.WebhookHealthy, 3 * time.Second, 3, 3},
			{herald.WebhookDisabled, time.Second, 2, 1},
			{herald.WebhookHealthy, time.Second, 1, 1},
		}
		for i, w := range want {
			h, err := s.WebhookHealth(ctx, int64(i+1), t0.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if h.State != w.state || h.ConsecutiveFailures != 0 || !h.LastSuccessAt.Equal(t0.Add(w.lastSuccess)) || h.Attempts24h != w.attempts || h.Succeeded24h != w.succeeded {
				t.Errorf("account %d: %+v, want %+v", i+1, h, w)
			}
		}
	})
}
