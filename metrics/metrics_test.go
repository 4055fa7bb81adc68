package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"herald"
	"herald/dispatch"
	"herald/metrics"
	"herald/store"
)

// The worker reports to Metrics through this interface.
var _ dispatch.Observer = (*metrics.Metrics)(nil)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// fakeQueue returns stats or err, and records whether each call's context
// had a deadline no later than the promised 2s.
type fakeQueue struct {
	stats store.QueueStats
	err   error

	mu    sync.Mutex
	calls int
	bad   []string
}

func (q *fakeQueue) QueueStats(ctx context.Context) (store.QueueStats, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	if d, ok := ctx.Deadline(); !ok {
		q.bad = append(q.bad, "no deadline")
	} else if left := time.Until(d); left > 2*time.Second {
		q.bad = append(q.bad, "deadline "+left.String()+" away")
	}
	return q.stats, q.err
}

func (q *fakeQueue) check(t *testing.T, wantCalls int) {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.calls != wantCalls {
		t.Errorf("QueueStats called %d times, want %d", q.calls, wantCalls)
	}
	for _, b := range q.bad {
		t.Errorf("QueueStats context: %s", b)
	}
}

// scrape GETs the exposition, failing the test unless it is a 200.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, body:\n%s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	return string(body)
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	have := make(map[string]bool)
	for l := range strings.SplitSeq(body, "\n") {
		have[l] = true
	}
	for _, l := range lines {
		if !have[l] {
			t.Errorf("exposition lacks line %q", l)
		}
	}
}

func wantNoSeries(t *testing.T, body string, names ...string) {
	t.Helper()
	for l := range strings.SplitSeq(body, "\n") {
		for _, n := range names {
			if strings.HasPrefix(l, n+" ") || strings.HasPrefix(l, n+"{") {
				t.Errorf("exposition has unexpected series %q", l)
			}
		}
	}
}

func TestExposition(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{stats: store.QueueStats{Pending: 7, OldestPending: t0.Add(-90 * time.Second)}}
	m := metrics.New(q, fixedClock(t0))

	m.EventIngested(herald.RunFailed)
	m.EventIngested(herald.RunFailed)
	m.EventIngested(herald.TenantCreated)
	m.Delivered(herald.ChannelWebhook, herald.StatusSucceeded, 1500*time.Millisecond, 200*time.Millisecond)
	m.Delivered(herald.ChannelWebhook, herald.StatusFailed, 3*time.Hour, 10*time.Second)
	m.Delivered(herald.ChannelEmail, herald.StatusSucceeded, 40*time.Millisecond, 30*time.Millisecond)
	m.Taken("handed_over", 3)
	m.Taken("handed_over", 1)

	body := scrape(t, m.Handler())
	wantLines(t, body,
		`herald_events_ingested_total{event_type="run_failed"} 2`,
		`herald_events_ingested_total{event_type="tenant_created"} 1`,
		// Known keys are exposed from the start, at zero.
		`herald_events_ingested_total{event_type="tenant_archived"} 0`,
		`herald_deliveries_total{channel="webhook",status="succeeded"} 1`,
		`herald_deliveries_total{channel="webhook",status="failed"} 1`,
		`herald_deliveries_total{channel="email",status="succeeded"} 1`,
		`herald_deliveries_total{channel="email",status="failed"} 0`,
		`herald_deliveries_taken_total{how="handed_over"} 4`,
		`herald_deliveries_taken_total{how="claimed"} 0`,
		`herald_delivery_end_to_end_seconds_count{channel="webhook"} 2`,
		`herald_delivery_end_to_end_seconds_count{channel="email"} 1`,
		// 3h is past the last bucket (~65s), so only +Inf holds it.
		`herald_delivery_end_to_end_seconds_bucket{channel="webhook",le="65.536"} 1`,
		`herald_delivery_end_to_end_seconds_bucket{channel="webhook",le="+Inf"} 2`,
		`herald_delivery_end_to_end_seconds_sum{channel="webhook"} 10801.5`,
		// The call histograms are split by channel: each sees only its own.
		`herald_webhook_request_seconds_count 2`,
		`herald_webhook_request_seconds_sum 10.2`,
		`herald_webhook_request_seconds_bucket{le="0.256"} 1`,
		`herald_email_send_seconds_count 1`,
		`herald_email_send_seconds_sum 0.03`,
		`herald_queue_pending 7`,
		`herald_queue_oldest_pending_age_seconds 90`,
		`herald_queue_stats_errors_total 0`,
	)
	// The runtime and process collectors are registered too.
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("exposition lacks %s", name)
		}
	}
	q.check(t, 1)
}

func TestQueueGauges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		stats   store.QueueStats
		pending string
		age     string
	}{
		{"empty", store.QueueStats{}, "0", "0"},
		{"fractional age", store.QueueStats{Pending: 3, OldestPending: t0.Add(-1500 * time.Millisecond)}, "3", "1.5"},
		// The database's clock may run ahead of ours.
		{"oldest in the future", store.QueueStats{Pending: 1, OldestPending: t0.Add(time.Second)}, "1", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := &fakeQueue{stats: tc.stats}
			srv := httptest.NewServer(metrics.New(q, fixedClock(t0)).Handler())
			defer srv.Close()
			want := `
# HELP herald_queue_pending Deliveries pending, due now or later.
# TYPE herald_queue_pending gauge
herald_queue_pending ` + tc.pending + `
# HELP herald_queue_oldest_pending_age_seconds Age of the oldest pending delivery; 0 when none is pending.
# TYPE herald_queue_oldest_pending_age_seconds gauge
herald_queue_oldest_pending_age_seconds ` + tc.age + `
`
			if err := testutil.ScrapeAndCompare(srv.URL, strings.NewReader(want),
				"herald_queue_pending", "herald_queue_oldest_pending_age_seconds"); err != nil {
				t.Error(err)
			}
			q.check(t, 1)
		})
	}
}

func TestQueueStatsErrorKeepsScrape(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{err: errors.New("database is on fire")}
	m := metrics.New(q, fixedClock(t0))
	m.EventIngested(herald.RunFailed)
	m.Delivered(herald.ChannelEmail, herald.StatusFailed, time.Minute, time.Second)

	body := scrape(t, m.Handler())
	wantLines(t, body,
		`herald_queue_stats_errors_total 1`,
		`herald_events_ingested_total{event_type="run_failed"} 1`,
		`herald_deliveries_total{channel="email",status="failed"} 1`,
		`herald_email_send_seconds_count 1`,
	)
	// No made-up zeros that would read as an empty queue.
	wantNoSeries(t, body, "herald_queue_pending", "herald_queue_oldest_pending_age_seconds")
	// Nothing was reported as a handler error either.
	wantLines(t, body, `promhttp_metric_handler_errors_total{cause="gathering"} 0`)

	// Each failing scrape counts, and shows its own failure.
	wantLines(t, scrape(t, m.Handler()), `herald_queue_stats_errors_total 2`)
	q.check(t, 2)
}

func TestNilQueueAndClock(t *testing.T) {
	t.Parallel()
	m := metrics.New(nil, nil)
	m.EventIngested(herald.IntegrationCreated)
	body := scrape(t, m.Handler())
	wantLines(t, body, `herald_events_ingested_total{event_type="integration_created"} 1`)
	wantNoSeries(t, body, "herald_queue_pending", "herald_queue_oldest_pending_age_seconds", "herald_queue_stats_errors_total")

	// A nil clock means time.Now: an hour-old delivery is about an hour old.
	q := &fakeQueue{stats: store.QueueStats{Pending: 1, OldestPending: time.Now().Add(-time.Hour)}}
	body = scrape(t, metrics.New(q, nil).Handler())
	var age float64
	for l := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(l, "herald_queue_oldest_pending_age_seconds "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			age = f
		}
	}
	if age < 3600 || age > 3700 {
		t.Errorf("oldest pending age %v, want about 3600", age)
	}
}

func TestUnknownEventKey(t *testing.T) {
	t.Parallel()
	m := metrics.New(nil, nil)
	m.EventIngested(herald.EventKey("made_up"))
	m.EventIngested(herald.EventKey(""))
	body := scrape(t, m.Handler())
	wantLines(t, body, `herald_events_ingested_total{event_type="unknown"} 2`)
	if strings.Contains(body, "made_up") {
		t.Error("an invalid key became a label value")
	}
}

// TestConcurrent is for -race: workers report while Prometheus scrapes.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{stats: store.QueueStats{Pending: 1, OldestPending: t0}}
	m := metrics.New(q, fixedClock(t0))
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	const workers, each = 8, 100
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			ch := herald.ChannelWebhook
			if i%2 == 1 {
				ch = herald.ChannelEmail
			}
			for range each {
				m.EventIngested(herald.TenantArchived)
				m.Delivered(ch, herald.StatusSucceeded, time.Second, time.Millisecond)
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()

	wantLines(t, scrape(t, m.Handler()),
		`herald_events_ingested_total{event_type="tenant_archived"} 800`,
		`herald_deliveries_total{channel="webhook",status="succeeded"} 400`,
		`herald_deliveries_total{channel="email",status="succeeded"} 400`,
		`herald_webhook_request_seconds_count 400`,
		`herald_email_send_seconds_count 400`,
	)
}
