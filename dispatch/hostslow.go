package dispatch

import "time"

// A host that answers 429, 502 or 504 is overloaded: for HostSlowdown the
// worker sends it one webhook at a time (and holds one more), instead of
// PerHost at once. Other hosts are not affected.

// slowDown marks host slow until now + HostSlowdown.
func (q *slots) slowDown(host string, now time.Time) {
	if host == "" {
		return
	}
	if q.slowUntil == nil {
		q.slowUntil = map[string]time.Time{}
	}
	q.slowUntil[host] = now.Add(q.w.cfg.HostSlowdown)
}

// limit is how many webhooks to host may be sent at once.
func (q *slots) limit(host string) int {
	if until, ok := q.slowUntil[host]; ok {
		if time.Now().Before(until) {
			return 1
		}
		delete(q.slowUntil, host)
	}
	return q.w.cfg.PerHost
}
