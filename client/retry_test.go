package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"herald/client"
)

// flaky is a proxy in front of a real herald serve that fails the next
// requests as told, then passes them on.
type flaky struct {
	*httptest.Server
	mu       sync.Mutex
	plan     []string // per request: "503", "503-retry-after", "429", "drop-after", "pass"
	requests atomic.Int32
}

func newFlaky(t *testing.T, base string) *flaky {
	t.Helper()
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	f := &flaky{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.mu.Lock()
		step := "pass"
		if len(f.plan) > 0 {
			step, f.plan = f.plan[0], f.plan[1:]
		}
		f.mu.Unlock()
		switch step {
		case "503":
			http.Error(w, `{"error":{"code":"unavailable","message":"try again"}}`, http.StatusServiceUnavailable)
		case "503-retry-after":
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":{"code":"unavailable","message":"try again"}}`, http.StatusServiceUnavailable)
		case "429":
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case "drop-after":
			// Herald stores the event, but its answer is lost on the way.
			proxy.ServeHTTP(httptest.NewRecorder(), r)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *flaky) then(steps ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan = steps
	f.requests.Store(0)
}

func TestEmitRetries(t *testing.T) {
	base := serve(t, "sqlite:"+filepath.Join(t.TempDir(), "herald.db"))
	ctx := context.Background()
	f := newFlaky(t, base)
	c := client.New(f.URL, token, client.WithBackoff(time.Millisecond, 5*time.Millisecond), client.WithRetries(3))
	if _, _, err := c.PutAccount(ctx, 100, "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	emit := func(key string) (client.EmitResult, error) {
		return c.Emit(ctx, client.EventRequest{EventType: "run_failed", AccountID: 100, IdempotencyKey: key, Data: json.RawMessage(runFailedData)})
	}

	t.Run("429 and 503 are retried", func(t *testing.T) {
		f.then("429", "503", "pass")
		r, err := emit("a")
		if err != nil || !r.Created || f.requests.Load() != 3 {
			t.Fatalf("Emit = %+v, %v after %d requests; want created after 3", r, err, f.requests.Load())
		}
	})
	t.Run("Retry-After is waited out", func(t *testing.T) {
		f.then("503-retry-after", "pass")
		start := time.Now()
		r, err := emit("b")
		if err != nil || !r.Created || f.requests.Load() != 2 {
			t.Fatalf("Emit = %+v, %v after %d requests", r, err, f.requests.Load())
		}
		// The backoff alone is at most 5 ms: only Retry-After waits a second.
		if waited := time.Since(start); waited < time.Second {
			t.Errorf("retried after %v, before Retry-After's 1s", waited)
		}
	})
	t.Run("a lost answer is retried and the event stored once", func(t *testing.T) {
		f.then("drop-after", "pass")
		r, err := c.Emit(ctx, client.EventRequest{EventType: "run_failed", AccountID: 100, Data: json.RawMessage(runFailedData)})
		if err != nil || r.Created || f.requests.Load() != 2 {
			t.Fatalf("Emit = %+v, %v after %d requests; want the stored event (200) after 2", r, err, f.requests.Load())
		}
		p, err := c.ListEvents(ctx, 100, client.ListOptions{Limit: 100})
		if err != nil || len(p.Data) != 3 {
			t.Fatalf("events = %d, %v; want 3 (a, b and this one once)", len(p.Data), err)
		}
	})
	t.Run("other 4xx are not retried", func(t *testing.T) {
		f.then()
		_, err := c.Emit(ctx, client.EventRequest{EventType: "run_failed", AccountID: 100, Data: map[string]any{}})
		apiError(t, err, 422, "invalid_input")
		_, err = c.Emit(ctx, client.EventRequest{EventType: "run_failed", AccountID: 404, Data: json.RawMessage(runFailedData)})
		apiError(t, err, 404, "not_found")
		if n := f.requests.Load(); n != 2 {
			t.Errorf("%d requests for two refused events, want 2", n)
		}
	})
	t.Run("retries end", func(t *testing.T) {
		f.then("503", "503", "503", "503", "pass")
		_, err := emit("c")
		apiError(t, err, 503, "unavailable")
		if n := f.requests.Load(); n != 4 {
			t.Errorf("%d requests, want 4 (1 + 3 retries)", n)
		}
	})
	t.Run("calls that are not idempotent are not retried", func(t *testing.T) {
		f.then("503", "pass")
		_, err := c.CreateAPIKey(ctx, 100, "ci")
		apiError(t, err, 503, "unavailable")
		if n := f.requests.Load(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("the context ends the wait", func(t *testing.T) {
		f.then("503-retry-after", "pass")
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := c.Emit(ctx, client.EventRequest{EventType: "run_failed", AccountID: 100, IdempotencyKey: "d", Data: json.RawMessage(runFailedData)})
		apiError(t, err, 503, "unavailable")
	})
}
