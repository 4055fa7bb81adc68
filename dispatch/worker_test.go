package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/email"
	"herald/netguard"
	"herald/store"
	"herald/store/storetest"
	"herald/web/apicheck"
	"herald/webhook"
)

// receiver is a loopback webhook endpoint that records what arrives.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []*http.Request
	body [][]byte
}

func newReceiver(t *testing.T, h http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		apicheck.CheckWebhook(t, req, b)
		r.mu.Lock()
		r.got = append(r.got, req)
		r.body = append(r.body, b)
		r.mu.Unlock()
		if h != nil {
			h(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) bodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.body...)
}

// harness is a store on one engine, an ingester and a running worker.
type harness struct {
	t       *testing.T
	store   *store.Store
	ingest  *dispatch.Ingester
	builder *catalog.Builder
	stop    func()
}

func newHarness(t *testing.T, s *store.Store, mutate func(*dispatch.WorkerConfig)) *harness {
	t.Helper()
	b := catalog.NewBuilder("prod-acme", "", "")
	renderer, err := email.NewRenderer("Herald <herald@herald.test>")
	if err != nil {
		t.Fatal(err)
	}
	sender := webhook.New(webhook.Options{Timeout: 2 * time.Second, Guard: &netguard.Guard{AllowPrivate: true}})
	t.Cleanup(sender.Close)
	cfg := dispatch.WorkerConfig{Store: s, Webhooks: sender, Renderer: renderer, WebhookTimeout: 2 * time.Second, Poll: 50 * time.Millisecond}
	if mutate != nil {
		mutate(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w := dispatch.NewWorker(cfg)
	go func() { done <- w.Run(ctx) }()
	// As herald serve wires them: ingest hands the worker what it writes.
	ing := dispatch.NewIngester(s, b, nil)
	ing.HandTo(w)
	h := &harness{t: t, store: s, ingest: ing, builder: b}
	h.stop = sync.OnceFunc(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("worker did not stop")
		}
	})
	t.Cleanup(h.stop)
	return h
}

func (h *harness) account(id int64, contact, webhookURL string, events map[herald.EventKey]herald.EventSettings) {
	h.t.Helper()
	ctx := context.Background()
	if _, _, err := h.store.PutAccount(ctx, id, "Acme Corp"); err != nil {
		h.t.Fatal(err)
	}
	if contact != "" {
		if err := h.store.PutCompany(ctx, id, herald.Company{PrimaryContact: &herald.Contact{Name: "Ann", Email: contact}}); err != nil {
			h.t.Fatal(err)
		}
	}
	st := herald.DefaultSettings()
	st.WebhookURL = webhookURL
	for k, es := range events {
		st.Events[k] = es
	}
	if err := h.store.PutSettings(ctx, id, st); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) emit(account int64, eventType, data string) dispatch.Result {
	h.t.Helper()
	dec := json.NewDecoder(strings.NewReader(`{"event_type": "` + eventType + `", "account_id": ` + jsonInt(account) +
		`, "occurred_at": "2026-05-04T12:00:00Z", "data": ` + data + `}`))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		h.t.Fatal(err)
	}
	res, err := h.ingest.Ingest(context.Background(), doc)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

func jsonInt(i int64) string { b, _ := json.Marshal(i); return string(b) }

// settle waits until none of the account's deliveries is pending.
func (h *harness) settle(account int64, within time.Duration) []herald.Delivery {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ds, err := h.store.Deliveries(context.Background(), store.DeliveryFilter{AccountID: account, Limit: 1000})
		if err != nil {
			h.t.Fatal(err)
		}
		pending := 0
		for _, d := range ds {
			if d.Status == herald.StatusPending {
				pending++
			}
		}
		if pending == 0 {
			return ds
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d of %d deliveries still pending after %v", pending, len(ds), within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var specData = map[string]string{
	"new_integration_created":     `{"integration_id": 42, "integration_name": "Shopify Integration"}`,
	"new_tenant_created":          `{"tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`,
	"tenant_archived":             `{"tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`,
	"partner_integration_updated": `{"integration_id": 42, "integration_name": "Shopify Integration", "partner_id": 55, "partner_name": "Partner Inc"}`,
	"run_failed":                  `{"run_id": 9876, "run_status": "failed", "tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`,
}

// The spec's five examples, emitted, arrive at the receiver byte for byte;
// the primary contact gets one email per event, each subscriber theirs, and
// no message names anyone else.
func TestSpecExamplesArriveByteForByte(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, nil)
		recv := newReceiver(t, nil)
		all := map[herald.EventKey]herald.EventSettings{}
		for _, k := range herald.EventKeys() {
			all[k] = herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{"oncall@acme.test", "ANN@acme.test"}}
		}
		h.account(100, "ann@acme.test", recv.URL+"/in?token=s3cret", all)
		for _, e := range catalog.Events() {
			h.emit(100, e.Type, specData[e.Type])
		}
		ds := h.settle(100, 10*time.Second)
		if len(ds) != 15 {
			t.Fatalf("%d deliveries, want 15 (a webhook and two emails per event)", len(ds))
		}
		for _, d := range ds {
			if d.Status != herald.StatusSucceeded || d.Attempts != 1 {
				t.Errorf("delivery %+v", d)
			}
		}
		got := map[string]bool{}
		for _, b := range recv.bodies() {
			got[string(b)] = true
		}
		for _, e := range catalog.Events() {
			want, err := os.ReadFile(filepath.Join("..", "catalog", "testdata", e.Type+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if !got[string(want)] {
				t.Errorf("receiver never got the spec's %s example byte for byte; got:\n%s", e.Type, bytes.Join(recv.bodies(), []byte("\n")))
			}
		}
		recv.mu.Lock()
		for _, r := range recv.got {
			if r.URL.RawQuery != "token=s3cret" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "" ||
				!strings.HasPrefix(r.Header.Get("User-Agent"), "Herald") || r.Method != "POST" {
				t.Errorf("request %s %s %v", r.Method, r.URL, r.Header)
			}
		}
		recv.mu.Unlock()
		msgs, err := s.Outbox(context.Background(), 100, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, m := range msgs {
			per[m.Recipient]++
			full, err := s.OutboxMessage(context.Background(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, other := range []string{"ann@acme.test", "oncall@acme.test"} {
				if other != m.Recipient && strings.Contains(strings.ToLower(full.Message), other) {
					t.Errorf("message to %s names %s", m.Recipient, other)
				}
			}
		}
		if per["ann@acme.test"] != 5 || per["oncall@acme.test"] != 5 || len(per) != 2 {
			t.Errorf("emails per recipient = %v, want 5 each for the contact and the subscriber", per)
		}
	})
}

// Every failure the endpoint can produce is recorded, one attempt each.
func TestWebhookFailuresAreRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, nil)
		hit := make(chan struct{}, 10)
		target := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { hit <- struct{}{} })
		cases := []struct {
			name      string
			handler   http.HandlerFunc
			status    int
			errSubstr string
		}{
			{"server error", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500); io.WriteString(w, "boom") }, 500, "HTTP 500"},
			{"redirect", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+"/x?k=v", http.StatusFound)
			}, 302, "redirect"},
			{"slow", func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			}, 0, "timeout"},
			{"huge body", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				chunk := bytes.Repeat([]byte("x"), 64<<10)
				for range 256 { // 16 MiB
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			}, 200, ""},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				id := int64(200 + i)
				recv := newReceiver(t, tc.handler)
				h.account(id, "", recv.URL+"/hook", map[herald.EventKey]herald.EventSettings{herald.RunFailed: {SendWebhook: true}})
				res := h.emit(id, "run_failed", specData["run_failed"])
				ds := h.settle(id, 10*time.Second)
				d := ds[0]
				if d.ResponseStatus != tc.status || !strings.Contains(d.Error, tc.errSubstr) || d.Attempts != 1 {
					t.Errorf("delivery = status %d error %q attempts %d; want status %d error containing %q", d.ResponseStatus, d.Error, d.Attempts, tc.status, tc.errSubstr)
				}
				atts, err := s.Attempts(context.Background(), res.Deliveries[0].ID)
				if err != nil || len(atts) != 1 {
					t.Fatalf("attempts = %v, %v", atts, err)
				}
				if len(atts[0].ResponseBody) > webhook.MaxResponseBody {
					t.Errorf("stored %d bytes of response body", len(atts[0].ResponseBody))
				}
			})
		}
		select {
		case <-hit:
			t.Error("a redirect was followed")
		default:
		}
	})
}

// A worker stopping finishes what it has in flight; what it never claimed
// stays pending for the next one, and a job leased by a worker that died
// is taken over once the lease runs out.
func TestDeadWorkersJobsAreTakenOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		recv := newReceiver(t, nil)
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) { c.Concurrency = 1 })
		h.stop() // no worker for now
		h.account(300, "", recv.URL, map[herald.EventKey]herald.EventSettings{herald.RunFailed: {SendWebhook: true}})
		h.emit(300, "run_failed", specData["run_failed"])
		// A worker claims the job and dies before sending.
		jobs, err := s.Claim(ctx, store.ClaimRequest{Owner: "dead", Now: time.Now(), Lease: 300 * time.Millisecond, Limit: 10})
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claim = %v, %v", jobs, err)
		}
		newHarness(t, s, nil)
		ds := h.settle(300, 10*time.Second)
		if ds[0].Status != herald.StatusSucceeded || len(recv.bodies()) != 1 {
			t.Errorf("after the lease ran out: %+v, %d requests", ds[0], len(recv.bodies()))
		}
	})
}

// An endpoint that never answers holds at most PerHost of the worker's
// slots: other accounts' webhooks keep flowing while it hangs.
func TestBlackHoleDoesNotDelayOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		release := make(chan struct{})
		hole := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		ok := newReceiver(t, nil)
		// The black hole's requests outlast the test (a minute's timeout):
		// if the healthy account's webhooks had to wait for its backlog, they
		// could not complete before the hole's first request gives up. No
		// clock is asserted; the order of completions is.
		slow := webhook.New(webhook.Options{Timeout: time.Minute, Guard: &netguard.Guard{AllowPrivate: true}})
		t.Cleanup(slow.Close)
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) {
			c.Concurrency, c.PerHost = 8, 2
			c.Webhooks, c.WebhookTimeout = slow, time.Minute
		})
		t.Cleanup(func() { close(release) }) // before the worker stops: its sends return
		h.account(400, "", hole.URL, map[herald.EventKey]herald.EventSettings{herald.RunFailed: {SendWebhook: true}})
		h.account(401, "", ok.URL, map[herald.EventKey]herald.EventSettings{herald.RunFailed: {SendWebhook: true}})
		for range 20 {
			h.emit(400, "run_failed", specData["run_failed"])
		}
		for range 20 {
			h.emit(401, "run_failed", specData["run_failed"])
		}
		h.settle(401, 30*time.Second)
		held, err := h.store.Deliveries(context.Background(), store.DeliveryFilter{AccountID: 400, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range held {
			if d.Status != herald.StatusPending {
				t.Errorf("black-holed delivery %s is %s before the healthy account finished; want pending", d.ID, d.Status)
			}
		}
	})
}
