package dispatch_test

import (
	"context"
	"runtime"
	"testing"

	"herald"
	"herald/catalog"
	"herald/dispatch"
)

// BenchmarkIngestDelivered is ingest and delivery at once on SQLite, as
// under load: b.N run_failed events ingested from 16 goroutines while one
// worker sends their webhooks to a loopback receiver. "claimed" is the
// worker finding each delivery with a claim; "handed over" is ingest giving
// the worker what it writes (handoff.go). cpu-ns/op is the process's CPU
// per event, receiver included.
//
//	go test -run '^$' -bench IngestDelivered -benchtime 5000x ./dispatch
func BenchmarkIngestDelivered(b *testing.B) {
	for _, handed := range []bool{false, true} {
		name := "claimed"
		if handed {
			name = "handed over"
		}
		b.Run(name, func(b *testing.B) {
			s, got := benchWebhookAccount(b, herald.SigningNone)
			w := benchWorker(b, s)
			ing := dispatch.NewIngester(s, catalog.NewBuilder("prod-acme", "", ""), nil)
			if handed {
				ing.HandTo(w)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				w.Run(ctx)
			}()
			defer func() {
				cancel()
				<-done
			}()
			ingestWith(b, ing, 1, 1) // the worker is running
			waitArrived(b, got, 1)
			runtime.GC()
			cpu := processCPU(b)
			b.ResetTimer()
			ingestWith(b, ing, 2, b.N+1)
			waitArrived(b, got, int64(b.N)+1)
			b.StopTimer()
			b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
