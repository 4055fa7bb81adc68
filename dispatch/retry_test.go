package dispatch

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryPolicyNext(t *testing.T) {
	t.Parallel()
	end := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	p := newRetryPolicy(Schedule{5 * time.Second, time.Minute})
	p.jitter = func(d time.Duration) time.Duration { return d } // exact, for the table
	tests := []struct {
		name       string
		attempts   int
		retryAfter string
		want       time.Duration
		ok         bool
	}{
		{"first retry", 1, "", 5 * time.Second, true},
		{"second retry", 2, "", time.Minute, true},
		{"schedule ended", 3, "", 0, false},
		{"Retry-After seconds moves it later", 1, "120", 2 * time.Minute, true},
		{"Retry-After never earlier", 2, "1", time.Minute, true},
		{"Retry-After as an HTTP date", 1, end.Add(time.Hour).Format(http.TimeFormat), time.Hour, true},
		{"Retry-After in the past", 1, end.Add(-time.Hour).Format(http.TimeFormat), 5 * time.Second, true},
		{"Retry-After at most 24h", 1, "999999", 24 * time.Hour, true},
		{"Retry-After garbage ignored", 1, "soon", 5 * time.Second, true},
		{"Retry-After negative ignored", 1, "-5", 5 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			at, ok := p.next(tt.attempts, end, h)
			if ok != tt.ok || (ok && at.Sub(end) != tt.want) {
				t.Errorf("next = %v, %v; want +%v, %v", at.Sub(end), ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRetryJitterStaysWithinTwentyPercent(t *testing.T) {
	t.Parallel()
	p := newRetryPolicy(nil)
	seen := map[bool]bool{}
	for range 1000 {
		d := p.jitter(100 * time.Second)
		if d < 80*time.Second || d > 120*time.Second {
			t.Fatalf("jittered 100s to %v", d)
		}
		seen[d > 100*time.Second] = true
	}
	if !seen[true] || !seen[false] {
		t.Error("jitter moves only one way")
	}
}
