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
			url := "sqlite:" + filepath.Join(b.TempDir(), "herald.db")
			s := storetest.Open(b, url)
			var got atomic.Int64
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				got.Add(1)
			}))
			defer recv.Close()
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
			b.StopTimer()
			ingestRunFailed(b, s, b.N)
			renderer, err := email.NewRenderer("Herald <herald@herald.test>")
			if err != nil {
				b.Fatal(err)
			}
			sender := webhook.New(webhook.Options{Timeout: 5 * time.Second, Guard: &netguard.Guard{AllowPrivate: true}, MaxIdleConnsPerHost: dispatch.DefaultPerHost})
			defer sender.Close()
			wctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			runtime.GC() // the ingest's garbage is not the delivery's
			cpu := processCPU(b)
			b.StartTimer()
			go func() {
				defer close(done)
				dispatch.NewWorker(dispatch.WorkerConfig{Store: s, Webhooks: sender, Renderer: renderer, Poll: 20 * time.Millisecond}).Run(wctx)
			}()
			deadline := time.Now().Add(5 * time.Minute)
			for got.Load() < int64(b.N) {
				if time.Now().After(deadline) {
					b.Fatalf("%d of %d webhooks arrived", got.Load(), b.N)
				}
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			cancel()
			<-done
		})
	}
}

// ingestRunFailed ingests n run_failed events for account 1, from 16
// goroutines so commits are shared as under load.
func ingestRunFailed(b *testing.B, s *store.Store, n int) {
	b.Helper()
	ing := dispatch.NewIngester(s, catalog.NewBuilder("prod-acme", "", ""), nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
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
