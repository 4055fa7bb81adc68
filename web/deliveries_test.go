package web_test

import (
	"herald/web/apicheck"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hook is a loopback webhook receiver answering status (settable).
type hook struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	bodies []string
	paths  []string
}

func newHook(t *testing.T, status int) *hook {
	t.Helper()
	h := &hook{}
	h.status.Store(int32(status))
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		apicheck.CheckWebhook(t, r, b)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.paths = append(h.paths, r.URL.RequestURI())
		h.mu.Unlock()
		w.Header().Set("X-Receiver", "test")
		w.WriteHeader(int(h.status.Load()))
		io.WriteString(w, "thanks")
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) received() ([]string, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...), append([]string(nil), h.paths...)
}

// settled polls the account's delivery log until nothing is pending.
func (b *bundle) settled(account int) []any {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := b.must(200, "GET", "/api/v1/accounts/"+itoa(account)+"/deliveries?limit=100", platformToken, "")
		data := r.body["data"].([]any)
		pending := 0
		for _, d := range data {
			if d.(map[string]any)["status"] == "pending" {
				pending++
			}
		}
		if pending == 0 {
			return data
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("deliveries still pending: %s", r.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTestSend(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.account(200, "Other Co")
		key := b.apiKey(100)
		r := b.must(422, "POST", "/api/v1/accounts/100/notifications/test", key, `{"event_type": "run_failed"}`)
		if r.errorFields()["webhook_url"] == "" {
			t.Errorf("no URL: error does not name webhook_url: %s", r.raw)
		}
		recv := newHook(t, 200)
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", key, `{"webhook_url": "`+recv.URL+`/in?token=s3cret"}`)
		before := time.Now().UTC().Truncate(time.Second)
		r = b.must(200, "POST", "/api/v1/accounts/100/notifications/test", key, `{"event_type": "run_failed"}`)
		if r.body["test"] != true || r.body["status"] != "succeeded" || r.body["channel"] != "webhook" ||
			r.body["target"] != recv.URL+"/in?token=***" || r.body["response_status"].(interface{ String() string }).String() != "200" {
			t.Errorf("test send answer = %s", r.raw)
		}
		atts := r.body["attempts"].([]any)
		if len(atts) != 1 {
			t.Fatalf("attempts = %v", atts)
		}
		resp := atts[0].(map[string]any)["response"].(map[string]any)
		if resp["body"] != "thanks" {
			t.Errorf("response = %v", resp)
		}
		bodies, paths := recv.received()
		if len(bodies) != 1 || paths[0] != "/in?token=s3cret" {
			t.Fatalf("receiver got %v at %v", bodies, paths)
		}
		for _, want := range []string{`"event_type": "run_failed"`, `"environment": "prod-acme"`, `"account_id": 100`, `"account_name": "Acme Corp"`, `"run_id": 9876`} {
			if !strings.Contains(bodies[0], want) {
				t.Errorf("test payload lacks %s:\n%s", want, bodies[0])
			}
		}
		if strings.Contains(bodies[0], "2026-05-04T12:00:00Z") || !strings.Contains(bodies[0], before.Format("2006-01-02T")) {
			t.Errorf("test payload does not carry the current time:\n%s", bodies[0])
		}
		if strings.Contains(string(r.raw), "s3cret") {
			t.Errorf("answer shows the URL's secret: %s", r.raw)
		}
		// Tests send no emails, whatever the settings; the toggles do
		// not matter either (all are off here).
		if o := b.must(200, "GET", "/api/v1/accounts/100/outbox", platformToken, ""); len(o.body["data"].([]any)) != 0 {
			t.Errorf("a test send made emails: %s", o.raw)
		}
		b.must(422, "POST", "/api/v1/accounts/100/notifications/test", key, `{"event_type": "run_succeeded"}`)
		b.must(422, "POST", "/api/v1/accounts/100/notifications/test", key, `{}`)
		b.must(404, "POST", "/api/v1/accounts/200/notifications/test", key, `{"event_type": "run_failed"}`)
		// A receiver that fails: the answer says so, still 200.
		recv.status.Store(503)
		r = b.must(200, "POST", "/api/v1/accounts/100/notifications/test", key, `{"event_type": "tenant_created"}`)
		if r.body["status"] != "failed" || r.body["error"] != "HTTP 503" {
			t.Errorf("failed test send = %s", r.raw)
		}
	}, options{delivering: true})
}

func TestDeliveryLogFiltersPagesAndScopes(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.account(200, "Other Co")
		otherKey := b.apiKey(200)
		recv := newHook(t, 200)
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": "`+recv.URL+`/in?token=s3cret",
			"events": {"run_failed": {"send_webhook": true, "email_subscribers": ["oncall@acme.test"]}, "tenant_created": {"send_webhook": true}}}`)
		b.must(202, "POST", "/api/v1/events", platformToken, event("run_failed", 100, specEvents[4].data))
		b.must(202, "POST", "/api/v1/events", platformToken, event("tenant_created", 100, specEvents[1].data))
		all := b.settled(100)
		if len(all) != 5 { // run_failed: webhook, contact, subscriber; tenant_created: webhook, contact
			t.Fatalf("%d deliveries, want 5", len(all))
		}
		for _, d := range all {
			m := d.(map[string]any)
			for _, k := range []string{"id", "event_id", "event_type", "channel", "target", "status", "attempts", "response_status", "error", "latency_ms", "created_at", "completed_at"} {
				if _, ok := m[k]; !ok {
					t.Errorf("delivery lacks %s: %v", k, m)
				}
			}
			if m["status"] != "succeeded" || strings.Contains(m["target"].(string), "s3cret") {
				t.Errorf("delivery = %v", m)
			}
		}
		count := func(query string) int {
			r := b.must(200, "GET", "/api/v1/accounts/100/deliveries?"+query, platformToken, "")
			return len(r.body["data"].([]any))
		}
		for q, want := range map[string]int{
			"channel=webhook": 2, "channel=email": 3, "status=succeeded": 5, "status=failed": 0, "status=pending": 0,
			"event_type=run_failed": 3, "event_type=new_tenant_created": 2, "event_type=tenant_created&channel=email": 1,
		} {
			if got := count(q); got != want {
				t.Errorf("%s: %d deliveries, want %d", q, got, want)
			}
		}
		for _, q := range []string{"channel=sms", "status=done", "event_type=nope", "limit=1000"} {
			b.must(422, "GET", "/api/v1/accounts/100/deliveries?"+q, platformToken, "")
		}
		// Paging, newest first, covers everything once.
		seen := map[string]bool{}
		cursor := ""
		for range 10 {
			r := b.must(200, "GET", "/api/v1/accounts/100/deliveries?limit=2&cursor="+cursor, platformToken, "")
			for _, d := range r.body["data"].([]any) {
				seen[d.(map[string]any)["id"].(string)] = true
			}
			if cursor = r.body["next_cursor"].(string); cursor == "" {
				break
			}
		}
		if len(seen) != 5 {
			t.Errorf("paging saw %d deliveries, want 5", len(seen))
		}
		id := all[0].(map[string]any)["id"].(string)
		b.must(404, "GET", "/api/v1/accounts/100/deliveries", otherKey, "")
		b.must(404, "GET", "/api/v1/deliveries/"+id, otherKey, "")
		b.must(404, "POST", "/api/v1/deliveries/"+id+"/redeliver", otherKey, "")
		b.must(404, "GET", "/api/v1/deliveries/dlv_nope", platformToken, "")
	}, options{delivering: true})
}

func TestDeliveryDetailAndRedeliver(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		key := b.apiKey(100)
		bad := newHook(t, 500)
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": "`+bad.URL+`/old?token=s3cret",
			"events": {"run_failed": {"send_webhook": true}}}`)
		ev := b.must(202, "POST", "/api/v1/events", platformToken, event("run_failed", 100, specEvents[4].data))
		hookID, mailID := "", ""
		for _, d := range ev.body["deliveries"].([]any) {
			m := d.(map[string]any)
			if m["channel"] == "webhook" {
				hookID = m["id"].(string)
			} else {
				mailID = m["id"].(string)
			}
		}
		b.settled(100)
		r := b.must(200, "GET", "/api/v1/deliveries/"+hookID, key, "")
		if r.body["status"] != "failed" || r.body["error"] != "HTTP 500" {
			t.Fatalf("failed delivery = %s", r.raw)
		}
		att := r.body["attempts"].([]any)[0].(map[string]any)
		req := att["request"].(map[string]any)
		resp := att["response"].(map[string]any)
		if req["method"] != "POST" || req["url"] != bad.URL+"/old?token=***" || !strings.Contains(req["body"].(string), `"run_id": 9876`) ||
			req["headers"].(map[string]any)["Content-Type"].([]any)[0] != "application/json" {
			t.Errorf("attempt request = %v", req)
		}
		if resp["status"].(interface{ String() string }).String() != "500" || resp["body"] != "thanks" ||
			resp["headers"].(map[string]any)["X-Receiver"].([]any)[0] != "test" {
			t.Errorf("attempt response = %v", resp)
		}
		// Fix the endpoint, save a new URL, redeliver: the same bytes go to
		// the URL saved now, as a second attempt of the same delivery.
		good := newHook(t, 200)
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": "`+good.URL+`/new",
			"events": {"run_failed": {"send_webhook": true}}}`)
		r = b.must(202, "POST", "/api/v1/deliveries/"+hookID+"/redeliver", key, "")
		if r.body["status"] != "pending" && r.body["status"] != "succeeded" {
			t.Errorf("redeliver answer = %s", r.raw)
		}
		b.settled(100)
		r = b.must(200, "GET", "/api/v1/deliveries/"+hookID, key, "")
		atts := r.body["attempts"].([]any)
		if r.body["status"] != "succeeded" || len(atts) != 2 || r.body["attempt_count"].(interface{ String() string }).String() != "2" {
			t.Fatalf("after redelivery = %s", r.raw)
		}
		// Both attempts carry the Standard Webhooks headers: the delivery's
		// id, the same on the redelivery, and each attempt's own time.
		for i, a := range atts {
			h := a.(map[string]any)["request"].(map[string]any)["headers"].(map[string]any)
			id, _ := h["Webhook-Id"].([]any)
			ts, _ := h["Webhook-Timestamp"].([]any)
			if len(id) != 1 || id[0] != hookID || len(ts) != 1 {
				t.Fatalf("attempt %d headers = %v, want Webhook-Id %s and a Webhook-Timestamp", i, h, hookID)
			}
			sec, err := strconv.ParseInt(ts[0].(string), 10, 64)
			if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
				t.Errorf("attempt %d Webhook-Timestamp = %v, want Unix seconds of the attempt", i, ts[0])
			}
			if _, signed := h["Webhook-Signature"]; signed {
				t.Errorf("attempt %d is signed although signing is off: %v", i, h)
			}
		}
		oldBodies, _ := bad.received()
		newBodies, newPaths := good.received()
		if len(newBodies) != 1 || newBodies[0] != oldBodies[0] || newPaths[0] != "/new" {
			t.Errorf("redelivery sent %v to %v; first attempt sent %v", newBodies, newPaths, oldBodies)
		}
		// Emails redeliver to the same address: a second outbox message.
		b.must(202, "POST", "/api/v1/deliveries/"+mailID+"/redeliver", platformToken, "")
		b.settled(100)
		o := b.must(200, "GET", "/api/v1/accounts/100/outbox", key, "")
		msgs := o.body["data"].([]any)
		if len(msgs) != 2 {
			t.Fatalf("outbox = %s", o.raw)
		}
		m := b.must(200, "GET", "/api/v1/outbox/"+msgs[0].(map[string]any)["id"].(string), key, "")
		if !strings.Contains(m.body["message"].(string), "Subject: [Acme Corp] Run 9876 failed") || m.body["recipient"] != "ann@acme.test" {
			t.Errorf("outbox message = %.400s", m.raw)
		}
		// With no URL saved, a webhook cannot be redelivered.
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": ""}`)
		r = b.must(422, "POST", "/api/v1/deliveries/"+hookID+"/redeliver", key, "")
		if r.errorFields()["webhook_url"] == "" {
			t.Errorf("redeliver without URL = %s", r.raw)
		}
	}, options{delivering: true})
}

func TestMetrics(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		recv := newHook(t, 200)
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": "`+recv.URL+`", "events": {"run_failed": {"send_webhook": true}}}`)
		b.must(202, "POST", "/api/v1/events", platformToken, event("run_failed", 100, specEvents[4].data))
		b.settled(100)
		res, err := http.Get(b.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		for _, want := range []string{
			`herald_events_ingested_total{event_type="run_failed"} 1`,
			`herald_deliveries_total{channel="webhook",status="succeeded"} 1`,
			`herald_deliveries_total{channel="email",status="succeeded"} 1`,
			`herald_delivery_end_to_end_seconds_count{channel="webhook"} 1`,
			`herald_webhook_request_seconds_count 1`,
			"herald_queue_pending 0",
			"herald_queue_oldest_pending_age_seconds 0",
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	}, options{delivering: true})
}
