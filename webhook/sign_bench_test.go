package webhook

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"herald"
)

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSendSigned sends the spec's run_failed payload to a loopback
// receiver, as the worker does (webhook-id and -timestamp always), with
// signing off, with one HMAC key, with one ed25519 key, and during an
// overlap (two keys). cpu-ns/op is the process's CPU per webhook, sender
// and receiver together, so the difference between the cases is what
// signing costs the delivery path.
//
//	go test -run '^$' -bench SendSigned -benchtime 20000x ./webhook
func BenchmarkSendSigned(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("..", "catalog", "testdata", "run_failed.json"))
	if err != nil {
		b.Fatal(err)
	}
	srv := newServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	now := time.Now()
	hmacKey := herald.NewSigningKey(1, herald.SigningHMAC, now)
	edKey := herald.NewSigningKey(1, herald.SigningEd25519, now)
	oldKey := herald.NewSigningKey(1, herald.SigningHMAC, now)
	oldKey.ExpiresAt = now.Add(time.Hour)
	cases := []struct {
		name string
		keys []herald.SigningKey
	}{
		{"off", nil},
		{"hmac-sha256", []herald.SigningKey{hmacKey}},
		{"ed25519", []herald.SigningKey{edKey}},
		{"hmac-overlap", []herald.SigningKey{hmacKey, oldKey}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := newSender(b, 5*time.Second)
			var cache SignerCache
			url := srv.URL + "/hook?token=s3cret"
			header := http.Header{"X-Herald-Event": {"run_failed"}, "X-Herald-Delivery": {"dlv_bench"}}
			send := func() {
				// As the worker: the Signer comes from the cache per send.
				res := s.Send(context.Background(), Request{URL: url, Body: body, Header: header, ID: "dlv_bench", Signer: cache.Signer(c.keys)})
				if !res.Success {
					b.Fatal(res.Error)
				}
			}
			send() // warm the connection and the cache
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			for b.Loop() {
				send()
			}
			b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkSign is signing alone, the part of BenchmarkSendSigned that
// differs between its cases.
func BenchmarkSign(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("..", "catalog", "testdata", "run_failed.json"))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for _, scheme := range []herald.SigningScheme{herald.SigningHMAC, herald.SigningEd25519} {
		b.Run(string(scheme), func(b *testing.B) {
			var cache SignerCache
			keys := []herald.SigningKey{herald.NewSigningKey(1, scheme, now)}
			b.ReportAllocs()
			for b.Loop() {
				cache.Signer(keys).Sign("dlv_bench", 1764500000, body)
			}
		})
	}
}
