package web_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"herald/store/storetest"
)

// BenchmarkIngest measures accepted events per second with 32 concurrent
// clients over loopback HTTP, each event planning a webhook and three
// emails. Target (2-core machine, SQLite): at least 3,000 events/s.
//
//	go test -run '^$' -bench Ingest -benchtime 20000x ./web
func BenchmarkIngest(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			h := setup(b, e.URL(b))
			h.account(100, "Acme Corp")
			h.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": "https://hooks.acme.test/in?token=s3cret",
				"events": {"run_failed": {"send_webhook": true, "email_subscribers": "oncall@acme.test, dev@acme.test"}}}`)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var seq atomic.Int64
			var failed atomic.Int64
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0))) // 32 clients
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					body := fmt.Appendf(nil, `{"event_type":"run_failed","account_id":100,"idempotency_key":"run-%d","data":{"run_id":%d,"tenant_id":789,"tenant_name":"Widget Co","integration_id":42,"integration_name":"Shopify Integration"}}`, n, n)
					req, _ := http.NewRequest("POST", h.url+"/api/v1/events", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+platformToken)
					res, err := client.Do(req)
					if err != nil {
						failed.Add(1)
						continue
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusAccepted {
						failed.Add(1)
					}
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d of %d events were not accepted", f, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
		})
	}
}
