package dispatch

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultRetrySchedule is the Standard Webhooks schedule: the delays
// before each retry of a failed webhook, for accounts that opt in.
var DefaultRetrySchedule = Schedule{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// retryJitter is the share by which a scheduled delay may move either way
// (the contract's ±20%, where emails' Schedule.Next only adds), so the
// retries of many deliveries that failed together spread out.
const retryJitter = 0.2

// maxRetryAfter caps how far a receiver's Retry-After may push a try.
const maxRetryAfter = 24 * time.Hour

// retryPolicy decides whether and when a failed webhook is tried again.
type retryPolicy struct {
	schedule Schedule
	jitter   func(d time.Duration) time.Duration
}

func newRetryPolicy(schedule Schedule) retryPolicy {
	if schedule == nil {
		schedule = DefaultRetrySchedule
	}
	return retryPolicy{schedule: schedule, jitter: func(d time.Duration) time.Duration {
		span := int64(float64(d) * retryJitter)
		return d + time.Duration(rand.Int64N(2*span+1)-span)
	}}
}

// next returns when to try a webhook again after its attempt number
// attempts (1 for the first) failed at end with header (nil when no
// answer came); ok is false when the schedule has ended. A Retry-After
// moves the try later, never earlier, by at most maxRetryAfter.
func (p retryPolicy) next(attempts int, end time.Time, header http.Header) (at time.Time, ok bool) {
	if attempts < 1 || attempts > len(p.schedule) {
		return time.Time{}, false
	}
	wait := p.jitter(p.schedule[attempts-1])
	if ra, ok := retryAfter(header, end); ok {
		wait = max(wait, min(ra, maxRetryAfter))
	}
	return end.Add(wait), true
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// slowsHost reports answers that mean the host is overloaded: every
// webhook to it slows down for a while.
func slowsHost(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusBadGateway || status == http.StatusGatewayTimeout
}
