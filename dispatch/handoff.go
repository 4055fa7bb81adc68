package dispatch

import (
	"herald"
	"herald/store"
)

// Ingest hands the deliveries it writes straight to a worker of its
// process when the worker has room for them (store.Handoff says why): the
// rows are committed leased to the worker, which sends them without
// claiming them. Without room (the worker is full, a host has as many
// webhooks held as it may, the worker is stopping or its heartbeat is
// late) the deliveries are written due, for a claim, as before.

// A reservation is room a worker keeps for the deliveries an ingest is
// writing, until hand gives them over.
type reservation struct {
	lease store.Handoff
	n     int      // deliveries kept room for
	hosts []string // the webhooks' hosts among them
}

// reserve keeps room for the deliveries of ds a worker may send at once;
// false when it has none (or w is nil). Each successful reserve must be
// followed by hand.
func (w *Worker) reserve(ds []herald.Delivery) (reservation, bool) {
	if w == nil {
		return reservation{}, false
	}
	var r reservation
	for _, d := range ds {
		if !store.DueAtOnce(d) {
			continue
		}
		r.n++
		if d.Channel == herald.ChannelWebhook {
			r.hosts = append(r.hosts, store.HostOf(d.Channel, d.Target))
		}
	}
	now := w.cfg.Now()
	if r.n == 0 || !w.alive(now) {
		return r, false
	}
	q := w.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.open || q.held()-q.claiming+r.n > w.cfg.Concurrency || q.unrecorded+r.n > 2*w.cfg.Concurrency {
		return r, false
	}
	for i, h := range r.hosts {
		if q.room(h) <= 0 {
			for _, k := range r.hosts[:i] {
				q.keep(k, -1)
			}
			return r, false
		}
		q.keep(h, 1)
	}
	q.reserved += r.n
	r.lease = store.Handoff{Owner: w.cfg.Owner, Until: now.Add(w.cfg.Lease)}
	return r, true
}

// keep adds n to the room kept for webhooks to host.
func (q *slots) keep(host string, n int) {
	if q.hostKept[host] += n; q.hostKept[host] <= 0 {
		delete(q.hostKept, host)
	}
}

// hand gives the worker the jobs the insert of r leased (none if it
// failed), and frees the rest of r's room.
func (w *Worker) hand(r reservation, jobs []store.Job) {
	q := w.q
	q.mu.Lock()
	q.reserved -= r.n
	for _, h := range r.hosts {
		q.keep(h, -1)
	}
	q.unrecorded += len(jobs)
	for _, j := range jobs {
		q.add(j)
	}
	stopping := !q.open
	q.mu.Unlock()
	if len(jobs) > 0 && w.cfg.Observer != nil {
		w.cfg.Observer.Taken("handed_over", len(jobs))
	}
	if stopping {
		select {
		case q.poke <- struct{}{}:
		default:
		}
	}
}
