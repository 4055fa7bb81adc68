package dispatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Schedule is a retry schedule: the delays before the second, third, ...
// attempts. A delivery that still fails after the last delay has failed.
type Schedule []time.Duration

// DefaultEmailRetrySchedule is how long a transient SMTP failure is tried
// again: dense while a server restarts, then hourly and sparser, 24 h 3.5
// min in all, so an SMTP server down for a day loses no email.
var DefaultEmailRetrySchedule = Schedule{
	30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 8 * time.Hour,
}

// ParseSchedule reads a comma-separated list of positive Go durations,
// e.g. "30s,5m,1h". An empty string is an empty schedule (no retries).
func ParseSchedule(s string) (Schedule, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Schedule{}, nil
	}
	var out Schedule
	for i, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("item %d: want a positive Go duration like 30s or 2h, got %q", i+1, strings.TrimSpace(part))
		}
		out = append(out, d)
	}
	if len(out) > 100 {
		return nil, errors.New("at most 100 delays")
	}
	return out, nil
}

// String is the schedule as ParseSchedule reads it.
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// Total is the sum of the delays: how long after the first attempt the
// last one is made, jitter aside.
func (s Schedule) Total() time.Duration {
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t
}

// Next returns the delay before the next attempt after attempts failed
// ones, with up to +20% jitter (never shorter, so the schedule's total is
// a floor), so a recovering server is not hit by every retry at once; ok is
// false when the schedule is used up.
func (s Schedule) Next(attempts int) (wait time.Duration, ok bool) {
	if attempts < 1 || attempts > len(s) {
		return 0, false
	}
	d := s[attempts-1]
	return d + time.Duration(rand.Int64N(int64(d)/5+1)), true
}
