package dispatch_test

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"herald"
	"herald/dispatch"
	"herald/store"
	"herald/store/storetest"
)

// testClock is a clock the test moves forward, shared by ingest and the
// worker, so a digest window passes without waiting for it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// digestHarness is a worker and an ingester on s, both on clk.
func digestHarness(t *testing.T, s *store.Store, clk *testClock) *harness {
	t.Helper()
	h := newHarness(t, s, func(c *dispatch.WorkerConfig) {
		c.Now, c.Poll, c.PublicURL = clk.now, 10*time.Millisecond, "https://herald.acme.test"
	})
	h.ingest = dispatch.NewIngester(s, h.builder, clk.now)
	return h
}

// emitRun emits run_failed for run id at the clock's time.
func (h *harness) emitRun(id int, at time.Time) {
	h.t.Helper()
	doc := map[string]any{"event_type": "run_failed", "account_id": json.Number("100"), "occurred_at": at.UTC().Format(time.RFC3339),
		"data": map[string]any{"run_id": json.Number(strconv.Itoa(id)), "tenant_id": json.Number("789"), "tenant_name": "Widget Co",
			"integration_id": json.Number("42"), "integration_name": "Shopify Integration"}}
	if _, err := h.ingest.Ingest(context.Background(), doc); err != nil {
		h.t.Fatal(err)
	}
}

// outboxBy returns the outbox's messages per recipient, oldest first.
func outboxBy(t *testing.T, s *store.Store) map[string][]store.OutboxMessage {
	t.Helper()
	msgs, err := s.Outbox(context.Background(), 100, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]store.OutboxMessage{}
	for i := len(msgs) - 1; i >= 0; i-- { // the outbox lists newest first
		out[msgs[i].Recipient] = append(out[msgs[i].Recipient], msgs[i])
	}
	return out
}

// waitFor polls cond until it holds, failing after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitPending waits until exactly n of the account's deliveries are
// pending: those held for a digest, once the worker has sent the rest. The
// tests move the clock only then, so that no lease runs out under a send.
func (h *harness) waitPending(n int) {
	h.t.Helper()
	waitFor(h.t, 10*time.Second, strconv.Itoa(n)+" pending deliveries", func() bool {
		pending := 0
		for _, d := range mustDeliveries(h.t, h.store) {
			if d.Status == herald.StatusPending {
				pending++
			}
		}
		return pending == n
	})
}

// checkDigests checks that each recipient (the primary contact first) got the burst's first run at
// once and exactly one digest listing every other run, and that every
// email delivery succeeded.
func checkDigests(t *testing.T, s *store.Store, recipients []string, runs []int) {
	t.Helper()
	by := outboxBy(t, s)
	for _, rcpt := range recipients {
		msgs := by[rcpt]
		if len(msgs) != 2 {
			t.Errorf("%s got %d emails, want 2 (the first run at once, then one digest)", rcpt, len(msgs))
			continue
		}
		if !strings.Contains(msgs[0].Subject, "Run "+strconv.Itoa(runs[0])+" failed") {
			t.Errorf("%s's first email is %q", rcpt, msgs[0].Subject)
		}
		want := "[Acme Corp] Digest: " + strconv.Itoa(len(runs)-1) + " Run Failed events"
		if msgs[1].Subject != want {
			t.Errorf("%s's second email is %q, want %q", rcpt, msgs[1].Subject, want)
		}
		full, err := s.OutboxMessage(context.Background(), msgs[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		text := textPart(t, full.Message)
		// Headers as for any email: a subscriber can unsubscribe from it,
		// the primary contact (the first recipient) cannot.
		m, err := mail.ReadMessage(strings.NewReader(full.Message))
		if err != nil {
			t.Fatal(err)
		}
		unsub := m.Header.Get("List-Unsubscribe")
		if contact := rcpt == recipients[0]; contact != (unsub == "") || m.Header.Get("List-Id") != "<run_failed.100.herald>" {
			t.Errorf("%s's digest: List-Unsubscribe %q, List-Id %q", rcpt, unsub, m.Header.Get("List-Id"))
		}
		for _, run := range runs[1:] {
			if link := "https://admin.prod-acme.pandium.com/runs/" + strconv.Itoa(run) + "/show"; !strings.Contains(text, link) {
				t.Errorf("%s's digest lacks run %d's link", rcpt, run)
			}
		}
		if strings.Contains(text, "/runs/"+strconv.Itoa(runs[0])+"/show") {
			t.Errorf("%s's digest repeats the run sent at once", rcpt)
		}
	}
	ds, err := s.Deliveries(context.Background(), store.DeliveryFilter{AccountID: 100, Channel: herald.ChannelEmail, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(recipients)*len(runs) {
		t.Errorf("%d email deliveries, want %d", len(ds), len(recipients)*len(runs))
	}
	for _, d := range ds {
		if d.Status != herald.StatusSucceeded || d.Attempts != 1 {
			t.Errorf("email delivery %s to %s: %s after %d attempts", d.ID, d.Target, d.Status, d.Attempts)
		}
	}
}

// The first run_failed of a burst is emailed at once, webhooks are never
// held, and when the window ends each recipient (the primary contact too)
// gets one digest of the rest.
func TestDigestSendsTheFirstEmailAtOnceAndOneDigestOfTheRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		clk := &testClock{t: time.Now().UTC().Truncate(time.Second)}
		h := digestHarness(t, s, clk)
		recv := newReceiver(t, nil)
		h.account(100, "ann@acme.test", recv.URL+"/in", map[herald.EventKey]herald.EventSettings{
			herald.RunFailed: {SendWebhook: true, EmailSubscribers: []string{"oncall@acme.test"}, EmailDigestMinutes: 15}})
		runs := []int{9876, 9877, 9878, 9879}
		for i, run := range runs {
			h.emitRun(run, clk.now())
			// Every webhook goes at once; the emails after the first wait.
			h.waitPending(2 * i)
			waitFor(t, 10*time.Second, strconv.Itoa(i+1)+" webhooks", func() bool { return len(recv.bodies()) == i+1 })
			clk.advance(time.Minute)
		}
		if by := outboxBy(t, s); len(by["ann@acme.test"]) != 1 || len(by["oncall@acme.test"]) != 1 {
			t.Fatalf("before the window ended: %d and %d emails, want 1 each", len(by["ann@acme.test"]), len(by["oncall@acme.test"]))
		}
		clk.advance(15 * time.Minute)
		h.settle(100, 10*time.Second)
		checkDigests(t, s, []string{"ann@acme.test", "oncall@acme.test"}, runs)

		// The next burst starts over: its first email goes at once.
		h.emitRun(9990, clk.now())
		waitFor(t, 10*time.Second, "the next burst's first email", func() bool { return len(outboxBy(t, s)["ann@acme.test"]) == 3 })
	})
}

// textPart returns the decoded text part of a raw message.
func textPart(t *testing.T, raw string) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	part, err := multipart.NewReader(m.Body, params["boundary"]).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(part)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustDeliveries(t *testing.T, s *store.Store) []herald.Delivery {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), store.DeliveryFilter{AccountID: 100, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// Herald restarted in the middle of a window (the worker stopped, the
// database closed and opened again from its file) loses nothing and sends
// each recipient's digest once.
func TestDigestSurvivesARestartMidWindow(t *testing.T) {
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "herald.db")
	open := func() *store.Store {
		s, err := store.Open(ctx, url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	clk := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	s := open()
	h := digestHarness(t, s, clk)
	h.account(100, "ann@acme.test", "", map[herald.EventKey]herald.EventSettings{
		herald.RunFailed: {EmailSubscribers: []string{"oncall@acme.test"}, EmailDigestMinutes: 60}})
	runs := []int{1, 2, 3, 4, 5}
	for i, run := range runs[:3] {
		h.emitRun(run, clk.now())
		h.waitPending(2 * i)
		clk.advance(5 * time.Minute)
	}
	h.stop()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open()
	t.Cleanup(func() { s.Close() })
	h = digestHarness(t, s, clk)
	for i, run := range runs[3:] {
		h.emitRun(run, clk.now())
		h.waitPending(2 * (i + 3))
		clk.advance(5 * time.Minute)
	}
	clk.advance(time.Hour)
	h.settle(100, 10*time.Second)
	h.stop()
	// Once more, as after a second restart: nothing is sent again.
	h = digestHarness(t, s, clk)
	clk.advance(2 * time.Hour)
	h.settle(100, 10*time.Second)
	checkDigests(t, s, []string{"ann@acme.test", "oncall@acme.test"}, runs)
}
