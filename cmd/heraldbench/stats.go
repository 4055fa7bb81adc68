package main

import (
	"slices"
	"time"
)

// latency summarises a set of durations.
type latency struct {
	N   int
	P50 time.Duration
	P99 time.Duration
	Max time.Duration
}

// summarize returns the count, median, 99th percentile and maximum of ds,
// which it leaves unchanged.
func summarize(ds []time.Duration) latency {
	s := slices.Clone(ds)
	slices.Sort(s)
	l := latency{N: len(s), P50: percentile(s, 50), P99: percentile(s, 99)}
	if len(s) > 0 {
		l.Max = s[len(s)-1]
	}
	return l
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest value that at least p% of the values
// are less than or equal to. It is 0 for an empty slice.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// rank = ceil(p/100 × n), computed in integers where p is whole, so
	// that 99% of 100 values is rank 99 and not 100 by rounding.
	rank := int(p * float64(n) / 100)
	if float64(rank)*100 < p*float64(n) {
		rank++
	}
	return sorted[min(max(rank, 1), n)-1]
}

// perSecond is n over d, 0 when d is not positive.
func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
