package ui

import (
	"sync"
	"time"
)

// throttle slows failed sign-ins: after limit failures within window for a
// key (an address, an email), further attempts are refused until the
// oldest of them leaves the window. It lives in memory: a restart forgets.
type throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	fails  map[string][]time.Time
}

// maxThrottleKeys bounds the memory a flood of distinct keys can take.
const maxThrottleKeys = 100_000

func newThrottle(limit int, window time.Duration) *throttle {
	return &throttle{limit: limit, window: window, fails: make(map[string][]time.Time)}
}

// recent drops the failures of key older than the window and returns the
// rest; call with mu held.
func (t *throttle) recent(key string, now time.Time) []time.Time {
	fs := t.fails[key]
	i := 0
	for i < len(fs) && !fs[i].After(now.Add(-t.window)) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fails, key)
		return nil
	}
	t.fails[key] = fs
	return fs
}

// wait returns how long the caller must wait before another attempt for
// any of keys is allowed, 0 when allowed now.
func (t *throttle) wait(now time.Time, keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var longest time.Duration
	for _, k := range keys {
		fs := t.recent(k, now)
		if len(fs) < t.limit {
			continue
		}
		// Allowed again once enough failures have aged out of the window.
		d := fs[len(fs)-t.limit].Add(t.window).Sub(now)
		longest = max(longest, d)
	}
	return longest
}

// fail records a failed attempt for each key.
func (t *throttle) fail(now time.Time, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) >= maxThrottleKeys {
		for k := range t.fails {
			t.recent(k, now)
		}
	}
	for _, k := range keys {
		if len(t.fails) >= maxThrottleKeys {
			return
		}
		fs := append(t.recent(k, now), now)
		if len(fs) > t.limit {
			fs = fs[len(fs)-t.limit:]
		}
		t.fails[k] = fs
	}
}

// reset forgets key's failures (a successful sign-in for an email).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}
