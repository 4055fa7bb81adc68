package dispatch_test

import (
	"context"
	"database/sql"
	"runtime"
	"strings"
	"testing"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/store/storetest"
)

// BenchmarkIngestDelivered is ingest and delivery at once, as under load:
// b.N run_failed events ingested from 16 goroutines while one worker sends
// their webhooks to a loopback receiver. "claimed" is the worker finding
// each delivery with a claim; "handed over" is ingest giving the worker
// what it writes (handoff.go). cpu-ns/op is this process's CPU per event
// (Herald and the receiver; not PostgreSQL's); on PostgreSQL wal-bytes/op
// is the WAL written per event.
//
//	go test -run '^$' -bench IngestDelivered -benchtime 5000x ./dispatch
func BenchmarkIngestDelivered(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			for _, handed := range []bool{false, true} {
				name := "claimed"
				if handed {
					name = "handed over"
				}
				b.Run(name, func(b *testing.B) { benchIngestDelivered(b, e.URL(b), handed) })
			}
		})
	}
}

func benchIngestDelivered(b *testing.B, url string, handed bool) {
	s, got := benchWebhookAccount(b, url, herald.SigningNone)
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
	wal := walPosition(b, url)
	runtime.GC()
	cpu := processCPU(b)
	b.ResetTimer()
	ingestWith(b, ing, 2, b.N+1)
	waitArrived(b, got, int64(b.N)+1)
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
	if wal != nil {
		b.ReportMetric(float64(*walPosition(b, url)-*wal)/float64(b.N), "wal-bytes/op")
	}
}

// walPosition is the WAL insert position, in bytes, of the PostgreSQL
// server at url; nil for SQLite.
func walPosition(b *testing.B, url string) *int64 {
	b.Helper()
	if !strings.HasPrefix(url, "postgres") {
		return nil
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT pg_current_wal_insert_lsn() - '0/0'`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return &n
}
