package dispatch_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/email"
	"herald/netguard"
	"herald/store"
	"herald/store/storetest"
	"herald/webhook"
)

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDeliverySigned is the delivery path end to end on SQLite: b.N
// run_failed webhooks, ingested beforehand, claimed, signed (or not), sent
// to a loopback receiver and recorded by one worker. cpu-ns/op is the
// process's CPU per webhook delivered (worker, store and receiver), so the
// cases' difference is what signing adds to a delivery.
//
//	go test -run '^$' -bench DeliverySigned -benchtime 3000x ./dispatch
func BenchmarkDeliverySigned(b *testing.B) {
	for _, scheme := range []herald.SigningScheme{herald.SigningNone, herald.SigningHMAC, herald.SigningEd25519} {
		b.Run(string(scheme), func(b *testing.B) {
			s, got := benchWebhookAccount(b, "sqlite:"+filepath.Join(b.TempDir(), "herald.db"), scheme)
			b.StopTimer()
			ingestRunFailed(b, s, b.N)
			wctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			runtime.GC() // the ingest's garbage is not the delivery's
			cpu := processCPU(b)
			b.StartTimer()
			go func() {
				defer close(done)
				benchWorker(b, s).Run(wctx)
			}()
			waitArrived(b, got, int64(b.N))
			b.StopTimer()
			b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			cancel()
			<-done
		})
	}
}

// benchWebhookAccount opens the store at url, whose account 1 sends
// run_failed webhooks, signed with scheme, to a loopback receiver; got
// counts those that arrived.
func benchWebhookAccount(b *testing.B, url string, scheme herald.SigningScheme) (*store.Store, *atomic.Int64) {
	b.Helper()
	s := storetest.Open(b, url)
	got := new(atomic.Int64)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got.Add(1)
	}))
	b.Cleanup(recv.Close)
	ctx := context.Background()
	now := time.Now()
	if _, _, err := s.PutAccount(ctx, 1, "Acme"); err != nil {
		b.Fatal(err)
	}
	st := herald.DefaultSettings()
	st.WebhookURL = recv.URL + "/in?token=s3cret"
	st.Events[herald.RunFailed] = herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{}}
	if err := s.PutSettings(ctx, 1, st); err != nil {
		b.Fatal(err)
	}
	if scheme != herald.SigningNone {
		k := herald.NewSigningKey(1, scheme, now)
		if err := s.ChangeSigning(ctx, 1, &k, now, now); err != nil {
			b.Fatal(err)
		}
	}
	return s, got
}

// benchWorker is a worker of s sending webhooks to loopback.
func benchWorker(b *testing.B, s *store.Store) *dispatch.Worker {
	b.Helper()
	renderer, err := email.NewRenderer("Herald <herald@herald.test>")
	if err != nil {
		b.Fatal(err)
	}
	sender := webhook.New(webhook.Options{Timeout: 5 * time.Second, Guard: &netguard.Guard{AllowPrivate: true}, MaxIdleConnsPerHost: dispatch.DefaultPerHost})
	b.Cleanup(sender.Close)
	return dispatch.NewWorker(dispatch.WorkerConfig{Store: s, Webhooks: sender, Renderer: renderer, Poll: 20 * time.Millisecond})
}

// waitArrived waits until got reaches n, for at most five minutes.
func waitArrived(b *testing.B, got *atomic.Int64, n int64) {
	b.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for got.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d webhooks arrived", got.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// ingestRunFailed ingests n run_failed events for account 1, from 16
// goroutines so commits are shared as under load.
func ingestRunFailed(b *testing.B, s *store.Store, n int) {
	b.Helper()
	ingestWith(b, dispatch.NewIngester(s, catalog.NewBuilder("prod-acme", "", ""), nil), 1, n)
}

// ingestWith ingests run_failed events first to last for account 1 with
// ing, from 16 goroutines.
func ingestWith(b *testing.B, ing *dispatch.Ingester, first, last int) {
	b.Helper()
	n := int64(last)
	var next atomic.Int64
	next.Store(int64(first) - 1)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				doc := map[string]any{"event_type": "run_failed", "account_id": json1, "data": map[string]any{
					"run_id": jsonNumber(i), "tenant_id": json1, "tenant_name": "Widget Co", "integration_id": json1, "integration_name": "Shopify"}}
				if _, err := ing.Ingest(context.Background(), doc); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

var json1 = jsonNumber(1)

func jsonNumber(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }
