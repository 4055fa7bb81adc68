package dispatch_test

import (
	"context"
	"io"
	"mime/quotedprintable"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"herald"
	"herald/dispatch"
	"herald/store"
	"herald/store/storetest"
)

var runFailed = map[herald.EventKey]herald.EventSettings{herald.RunFailed: {SendWebhook: true, EmailSubscribers: []string{"oncall@acme.test"}}}

// retries turns the account's retry_failed_webhooks on.
func (h *harness) retries(id int64) {
	h.t.Helper()
	ctx := context.Background()
	st, err := h.store.Settings(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	st.RetryFailedWebhooks = true
	if err := h.store.PutSettings(ctx, id, st); err != nil {
		h.t.Fatal(err)
	}
}

// eventually polls cond until it holds, failing the test after within.
func (h *harness) eventually(within time.Duration, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) health(id int64) herald.WebhookHealth {
	h.t.Helper()
	wh, err := h.store.WebhookHealth(context.Background(), id, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return wh
}

// notices lists the subjects of the account's outbox messages that are
// webhook notices.
func (h *harness) notices(id int64) []string {
	h.t.Helper()
	msgs, err := h.store.Outbox(context.Background(), id, "", 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if strings.Contains(m.Subject, "Webhook") {
			out = append(out, m.Subject)
		}
	}
	return out
}

func (h *harness) delivery(id string) herald.Delivery {
	h.t.Helper()
	d, err := h.store.Delivery(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

func webhookOf(t *testing.T, res dispatch.Result) herald.Delivery {
	t.Helper()
	for _, d := range res.Deliveries {
		if d.Channel == herald.ChannelWebhook {
			return d
		}
	}
	t.Fatal("no webhook planned")
	return herald.Delivery{}
}

func shortSchedule(n int, each time.Duration) func(*dispatch.WorkerConfig) {
	return func(c *dispatch.WorkerConfig) {
		c.RetrySchedule = make(dispatch.Schedule, n)
		for i := range c.RetrySchedule {
			c.RetrySchedule[i] = each
		}
	}
}

func TestRetriesOffMeansOneAttempt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, shortSchedule(3, 10*time.Millisecond))
		recv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
		h.account(100, "", recv.URL, runFailed)
		wh := webhookOf(t, h.emit(100, "run_failed", specData["run_failed"]))
		h.settle(100, 10*time.Second)
		// Long enough for the schedule's retries to have happened, were
		// any scheduled.
		time.Sleep(200 * time.Millisecond)
		if d := h.delivery(wh.ID); d.Status != herald.StatusFailed || d.Attempts != 1 || len(recv.bodies()) != 1 {
			t.Errorf("delivery %s after %d attempts (%d received), want failed after 1", d.Status, d.Attempts, len(recv.bodies()))
		}
		if wh := h.health(100); wh.State != herald.WebhookFailing || wh.ConsecutiveFailures != 1 || wh.LastError != "HTTP 503" {
			t.Errorf("health = %+v", wh)
		}
	})
}

func TestRetriesFollowTheScheduleThenFail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, shortSchedule(3, 20*time.Millisecond))
		recv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
		h.account(100, "", recv.URL, runFailed)
		h.retries(100)
		wh := webhookOf(t, h.emit(100, "run_failed", specData["run_failed"]))
		h.settle(100, 10*time.Second)
		d := h.delivery(wh.ID)
		if d.Status != herald.StatusFailed || d.Attempts != 4 || !d.NextAttemptAt.IsZero() {
			t.Errorf("delivery %s after %d attempts (next %v), want failed after 4", d.Status, d.Attempts, d.NextAttemptAt)
		}
		recv.mu.Lock()
		defer recv.mu.Unlock()
		if len(recv.got) != 4 {
			t.Fatalf("receiver got %d requests, want 4", len(recv.got))
		}
		for _, r := range recv.got {
			if id := r.Header.Get("webhook-id"); id != wh.ID || r.Header.Get("X-Herald-Delivery") != wh.ID {
				t.Errorf("attempt carries delivery id %q, want %q on every attempt", id, wh.ID)
			}
		}
	})
}

func TestRetryAfterMovesTheNextTry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, shortSchedule(2, 10*time.Millisecond))
		var calls atomic.Int32
		recv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
			if calls.Add(1) == 1 {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		h.account(100, "", recv.URL, runFailed)
		h.retries(100)
		wh := webhookOf(t, h.emit(100, "run_failed", specData["run_failed"]))
		var d herald.Delivery
		h.eventually(10*time.Second, "first attempt recorded", func() bool {
			d = h.delivery(wh.ID)
			return d.Attempts == 1 && !d.NextAttemptAt.IsZero()
		})
		if d.Status != herald.StatusPending {
			t.Fatalf("after a 503 with retries on: %s", d.Status)
		}
		atts, err := s.Attempts(context.Background(), wh.ID)
		if err != nil || len(atts) != 1 {
			t.Fatalf("attempts %v, %v", atts, err)
		}
		// The schedule says 10ms; Retry-After: 2 says two seconds.
		if gap := d.NextAttemptAt.Sub(atts[0].CompletedAt); gap < 1900*time.Millisecond || gap > 2100*time.Millisecond {
			t.Errorf("next try %v after the failure, want 2s (Retry-After)", gap)
		}
		h.settle(100, 10*time.Second)
		if d := h.delivery(wh.ID); d.Status != herald.StatusSucceeded || d.Attempts != 2 {
			t.Errorf("delivery %s after %d attempts, want succeeded after 2", d.Status, d.Attempts)
		}
		h.eventually(10*time.Second, "healthy again with 2 attempts, 1 succeeded", func() bool {
			wh := h.health(100)
			return wh.State == herald.WebhookHealthy && !wh.LastSuccessAt.IsZero() && wh.Attempts24h == 2 && wh.Succeeded24h == 1
		})
	})
}

// A 410 disables the webhook at once; the next event's webhook is
// skipped while its emails go out, and the primary contact has a notice.
func TestGoneDisablesAndSkipsTheNextWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) { c.PublicURL = "https://herald.acme.test/" })
		recv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) })
		h.account(100, "ann@acme.test", recv.URL+"/in?token=s3cret", runFailed)
		h.retries(100) // a 410 is not retried even so
		first := webhookOf(t, h.emit(100, "run_failed", specData["run_failed"]))
		h.eventually(10*time.Second, "webhook disabled", func() bool { return h.health(100).State == herald.WebhookDisabled })
		if d := h.delivery(first.ID); d.Status != herald.StatusFailed || d.Attempts != 1 {
			t.Errorf("the 410'd delivery: %s after %d attempts", d.Status, d.Attempts)
		}
		next := h.emit(100, "run_failed", specData["run_failed"])
		ds := h.settle(100, 10*time.Second)
		for _, pd := range next.Deliveries {
			d := h.delivery(pd.ID)
			switch d.Channel {
			case herald.ChannelWebhook:
				if d.Status != herald.StatusSkipped || !strings.Contains(d.Error, "410") || d.Attempts != 0 {
					t.Errorf("webhook while disabled: %+v", d)
				}
			default:
				if d.Status != herald.StatusSucceeded {
					t.Errorf("email to %s while the webhook is disabled: %s", d.Target, d.Status)
				}
			}
		}
		if len(recv.bodies()) != 1 {
			t.Errorf("receiver got %d requests, want 1", len(recv.bodies()))
		}
		h.eventually(10*time.Second, "disabled notice in the outbox", func() bool { return len(h.notices(100)) == 1 })
		msgs, _ := s.Outbox(context.Background(), 100, "", 100)
		for _, m := range msgs {
			if strings.Contains(m.Subject, "Webhook disabled") {
				full, err := s.OutboxMessage(context.Background(), m.ID)
				if err != nil {
					t.Fatal(err)
				}
				text := decodedText(t, full.Message)
				for _, want := range []string{"ann@acme.test", "token=***", "410 Gone", "https://herald.acme.test/accounts/100/notifications"} {
					if !strings.Contains(text, want) {
						t.Errorf("notice lacks %q", want)
					}
				}
				if strings.Contains(text, "s3cret") {
					t.Error("notice shows the URL's secret")
				}
			}
		}
		_ = ds
	})
}

// decodedText is a whole message, headers and the text part, with the
// quoted-printable encoding undone.
func decodedText(t *testing.T, raw string) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A failing streak sends its notice once, not once per failure; failing
// for the configured span then disables the webhook and its waiting retry
// becomes skipped.
func TestFailingStreakNoticeOnceThenAutoDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) {
			shortSchedule(50, 40*time.Millisecond)(c)
			c.Health = store.HealthPolicy{FailingNotice: 3, DisableAfter: 600 * time.Millisecond}
		})
		recv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
		h.account(100, "ann@acme.test", recv.URL, runFailed)
		h.retries(100)
		wh := webhookOf(t, h.emit(100, "run_failed", specData["run_failed"]))
		h.eventually(20*time.Second, "webhook disabled", func() bool { return h.health(100).State == herald.WebhookDisabled })
		health := h.health(100)
		if !strings.Contains(health.DisabledReason, "every attempt failed") || health.ConsecutiveFailures < 3 ||
			health.DisabledAt.Sub(health.FailingSince) < 600*time.Millisecond {
			t.Errorf("health = %+v", health)
		}
		h.settle(100, 10*time.Second)
		d := h.delivery(wh.ID)
		if d.Status != herald.StatusSkipped || d.Attempts < 3 || !strings.Contains(d.Error, "disabled") {
			t.Errorf("the retrying delivery: %s after %d attempts (%s)", d.Status, d.Attempts, d.Error)
		}
		h.eventually(10*time.Second, "two notices", func() bool { return len(h.notices(100)) >= 2 })
		time.Sleep(100 * time.Millisecond) // a third would have been planned by now
		got := h.notices(100)
		failing, disabled := 0, 0
		for _, subj := range got {
			switch {
			case strings.Contains(subj, "Webhook failing"):
				failing++
			case strings.Contains(subj, "Webhook disabled"):
				disabled++
			}
		}
		if failing != 1 || disabled != 1 {
			t.Errorf("notices %q, want one failing and one disabled", got)
		}
	})
}

// A big replay to one slow host goes at that host's pace while another
// account's webhooks are delivered beside it: the per-host limits hold.
func TestBigReplayDoesNotStarveOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		release := make(chan struct{})
		slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		ok := newReceiver(t, nil)
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) { c.Concurrency, c.PerHost = 8, 2 })
		t.Cleanup(func() { close(release) }) // before the worker stops: its sends return
		h.account(400, "", slow.URL, map[herald.EventKey]herald.EventSettings{herald.RunFailed: {SendWebhook: true}})
		h.account(401, "", ok.URL, map[herald.EventKey]herald.EventSettings{herald.RunFailed: {SendWebhook: true}})
		ctx := context.Background()
		created := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
		const missed = 500
		payload, err := os.ReadFile(filepath.Join("..", "catalog", "testdata", "run_failed.json"))
		if err != nil {
			t.Fatal(err)
		}
		for range missed {
			ev := herald.Event{ID: herald.NewID("evt_", created), AccountID: 400, Key: herald.RunFailed, Fingerprint: "f", OccurredAt: created,
				Payload: payload, CreatedAt: created}
			d := herald.Delivery{ID: herald.NewID("dlv_", created), EventID: ev.ID, AccountID: 400, EventKey: herald.RunFailed,
				Channel: herald.ChannelWebhook, Target: slow.URL, Status: herald.StatusSkipped, Error: "disabled", CreatedAt: created, CompletedAt: created}
			if _, _, _, err := s.InsertEvent(ctx, ev, []herald.Delivery{d}); err != nil {
				t.Fatal(err)
			}
		}
		replayed, remaining, err := dispatch.Replay(ctx, s, 400, created.Add(-time.Minute), time.Now(),
			[]herald.Status{herald.StatusFailed, herald.StatusSkipped}, time.Now())
		if err != nil || replayed != missed || remaining != 0 {
			t.Fatalf("replay: %d, %d, %v", replayed, remaining, err)
		}
		for range 20 {
			h.emit(401, "run_failed", specData["run_failed"])
		}
		h.settle(401, 10*time.Second)
		ds, err := s.Deliveries(ctx, store.DeliveryFilter{AccountID: 400, Status: herald.StatusPending, Limit: missed})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) < missed-10 {
			t.Errorf("%d of the replayed %d still pending: the other account should not have waited for the replay", len(ds), missed)
		}
		if got := len(ok.bodies()); got != 20 {
			t.Errorf("the other account's receiver got %d webhooks, want 20", got)
		}
	})
}

// concurrency is a receiver that answers status after a pause and
// records how many requests were in flight as each arrived.
type concurrency struct {
	*receiver
	mu      sync.Mutex
	now     int
	atStart []int
}

func newConcurrency(t *testing.T, status int) *concurrency {
	c := &concurrency{}
	c.receiver = newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		c.mu.Lock()
		c.now++
		c.atStart = append(c.atStart, c.now)
		c.mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		c.mu.Lock()
		c.now--
		c.mu.Unlock()
		w.WriteHeader(status)
	})
	return c
}

func (c *concurrency) arrivals() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.atStart...)
}

// A 429 slows every webhook to that host to one at a time; another host
// keeps its parallel sends.
func TestTooManyRequestsSlowsThatHostOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) { c.PerHost, c.HostSlowdown = 4, time.Minute })
		busy := newConcurrency(t, http.StatusTooManyRequests)
		fine := newConcurrency(t, http.StatusOK)
		h.account(500, "", busy.URL, map[herald.EventKey]herald.EventSettings{herald.RunFailed: {SendWebhook: true}})
		h.account(501, "", fine.URL, map[herald.EventKey]herald.EventSettings{herald.RunFailed: {SendWebhook: true}})
		for range 16 {
			h.emit(500, "run_failed", specData["run_failed"])
			h.emit(501, "run_failed", specData["run_failed"])
		}
		h.settle(500, 20*time.Second)
		h.settle(501, 20*time.Second)
		got := busy.arrivals()
		if len(got) != 16 {
			t.Fatalf("busy host got %d requests, want 16", len(got))
		}
		// The first sends went out together, before any 429 came back;
		// every one after the first 429 went alone.
		for i, n := range got[4:] {
			if n != 1 {
				t.Errorf("request %d to the 429 host arrived with %d in flight, want 1: %v", i+4, n, got)
				break
			}
		}
		if peak := slices.Max(fine.arrivals()); peak < 2 {
			t.Errorf("the other host got at most %d at once: it should not be slowed", peak)
		}
	})
}
