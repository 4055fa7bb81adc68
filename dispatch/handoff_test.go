package dispatch_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"herald"
	"herald/dispatch"
	"herald/store"
	"herald/store/storetest"
)

// taken counts what a worker took on, and how (dispatch.Observer).
type taken struct{ handed, claimed, delivered atomic.Int64 }

func (o *taken) Delivered(herald.Channel, herald.Status, time.Duration, time.Duration) {
	o.delivered.Add(1)
}

func (o *taken) Taken(how string, n int) {
	switch how {
	case "handed_over":
		o.handed.Add(int64(n))
	case "claimed":
		o.claimed.Add(int64(n))
	}
}

// warm has the worker deliver one webhook, so it is running and taking
// handoffs, then forgets what obs counted.
func (h *harness) warm(obs *taken) {
	h.t.Helper()
	recv := newReceiver(h.t, nil)
	h.account(99, "", recv.URL+"/in", map[herald.EventKey]herald.EventSettings{
		herald.RunFailed: {SendWebhook: true, EmailSubscribers: []string{}}})
	h.emit(99, "run_failed", specData["run_failed"])
	h.settle(99, 10*time.Second)
	h.eventually(5*time.Second, "the warm-up is recorded", func() bool { return obs.delivered.Load() == 1 })
	obs.handed.Store(0)
	obs.claimed.Store(0)
	obs.delivered.Store(0)
}

// TestIngestHandsDeliveriesToItsWorker: with room, every delivery ingest
// writes reaches the worker of its process without a claim, and is sent
// and recorded.
func TestIngestHandsDeliveriesToItsWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		obs := &taken{}
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) {
			c.Observer = obs
			c.Heartbeat, c.DeadAfter = 50*time.Millisecond, time.Minute // alive, however loaded the machine
		})
		recv := newReceiver(t, nil)
		h.account(1, "ann@acme.test", recv.URL+"/in", map[herald.EventKey]herald.EventSettings{
			herald.RunFailed: {SendWebhook: true, EmailSubscribers: []string{}}})
		h.warm(obs)
		const events = 20
		for range events {
			h.emit(1, "run_failed", specData["run_failed"])
		}
		ds := h.settle(1, 10*time.Second)
		h.eventually(5*time.Second, "all deliveries recorded", func() bool { return obs.delivered.Load() == 2*events })
		for _, d := range ds {
			if d.Status != herald.StatusSucceeded {
				t.Errorf("delivery %s %s: %s", d.Channel, d.Status, d.Error)
			}
		}
		if got := len(recv.bodies()); got != events {
			t.Errorf("%d webhooks arrived, want %d", got, events)
		}
		handed, claimed := obs.handed.Load(), obs.claimed.Load()
		if want := int64(2 * events); handed != want || claimed != 0 {
			t.Errorf("handed over %d, claimed %d; want all %d handed over", handed, claimed, want)
		}
	})
}

// TestHandoffFallsBackToTheClaim: a worker with no room left for a host
// (its one webhook at a time is stuck, one more is waiting) is not handed
// more for it; those deliveries are written due, claimed once the host has
// room again, and none is lost or sent twice.
func TestHandoffFallsBackToTheClaim(t *testing.T) {
	s := storetest.Open(t, "sqlite:"+t.TempDir()+"/herald.db")
	obs := &taken{}
	release := make(chan struct{})
	var arrived atomic.Int64
	h := newHarness(t, s, func(c *dispatch.WorkerConfig) {
		c.Observer, c.PerHost = obs, 1
		c.Heartbeat, c.DeadAfter = 50*time.Millisecond, time.Minute
	})
	recv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		<-release
	})
	h.account(1, "", recv.URL+"/in", map[herald.EventKey]herald.EventSettings{
		herald.RunFailed: {SendWebhook: true, EmailSubscribers: []string{}}})
	h.warm(obs)
	const events = 6
	h.emit(1, "run_failed", specData["run_failed"])
	h.eventually(5*time.Second, "the first webhook arrives", func() bool { return arrived.Load() == 1 })
	for range events - 1 {
		h.emit(1, "run_failed", specData["run_failed"])
	}
	close(release)
	ds := h.settle(1, 20*time.Second)
	if len(ds) != events || int(arrived.Load()) != events {
		t.Fatalf("%d deliveries, %d webhooks arrived; want %d each", len(ds), arrived.Load(), events)
	}
	handed, claimed := obs.handed.Load(), obs.claimed.Load()
	// Room for two: the one sending, one waiting.
	if handed != 2 || claimed != events-2 {
		t.Errorf("handed over %d, claimed %d; want 2 handed over (one sending, one waiting), %d claimed", handed, claimed, events-2)
	}
}
