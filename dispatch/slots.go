package dispatch

import (
	"sync"
	"time"

	"herald/store"
)

// slots tracks the jobs a worker holds (at most Concurrency): sending,
// and waiting for a slot of their host (at most PerHost each). Room is
// also kept for a claim in progress and for deliveries ingest is writing
// to hand over (handoff.go); mu guards it all, as ingest reserves and hands
// over from its own goroutines. A handoff does not wait for a claim: what
// is handed over while a claim runs may take the worker past Concurrency
// by that much, until its sends return (a claim runs once a poll when
// ingest hands everything over).
type slots struct {
	mu       sync.Mutex
	w        *Worker
	sending  int
	queued   int
	claiming int            // room kept for the claim in progress
	reserved int            // room kept for handoffs in progress
	hostKept map[string]int // of reserved, webhooks to each host
	// unrecorded counts jobs taken (claimed or handed over) whose
	// outcome is not yet written.
	unrecorded int
	open       bool          // Run is taking jobs: handoffs allowed
	poke       chan struct{} // a handoff ended while Run was stopping
	perHost    map[string]int
	waiting    map[string][]store.Job
	fast       map[string]bool // the host's last send took under fastSend
	// slowUntil holds hosts that said they are overloaded (hostslow.go).
	slowUntil map[string]time.Time
}

func newSlots(w *Worker) *slots {
	return &slots{w: w, perHost: map[string]int{}, waiting: map[string][]store.Job{}, fast: map[string]bool{},
		hostKept: map[string]int{}, poke: make(chan struct{}, 1)}
}

// held is how much of Concurrency is taken or promised.
func (q *slots) held() int { return q.sending + q.queued + q.reserved + q.claiming }

// claimRoom keeps what room is left for a claim, and returns it; Run gives
// it back when the claim returns.
func (q *slots) claimRoom() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := max(0, q.w.cfg.Concurrency-q.held())
	q.claiming = n
	return n
}

func (q *slots) setOpen(open bool) {
	q.mu.Lock()
	q.open = open
	q.mu.Unlock()
}

// lockedRoom is room for a claim's Room, which runs in the store's writer.
func (q *slots) lockedRoom(host string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.room(host)
}

// fastSend is how quick a host's answers must be for it to get the larger
// batch of waiting jobs.
const fastSend = 250 * time.Millisecond

// busy reports whether some host has no room left.
func (q *slots) busy() bool {
	for h := range q.perHost {
		if q.room(h) <= 0 {
			return true
		}
	}
	return false
}

// room is how many more jobs for host the worker may hold.
func (q *slots) room(host string) int {
	if host == "" {
		return q.w.cfg.Concurrency // emails: bounded by the total only
	}
	limit := q.limit(host)
	hold := 2 * limit
	if q.fast[host] && limit == q.w.cfg.PerHost {
		hold = 4 * limit
	}
	return hold - q.perHost[host] - len(q.waiting[host]) - q.hostKept[host]
}

// add starts j, or keeps it waiting while its host has PerHost sends
// going. Claims keep what the worker holds within Concurrency.
func (q *slots) add(j store.Job) {
	if j.Host == "" || q.perHost[j.Host] < q.limit(j.Host) {
		q.start(j)
		return
	}
	q.waiting[j.Host] = append(q.waiting[j.Host], j)
	q.queued++
}

func (q *slots) start(j store.Job) {
	q.sending++
	q.perHost[j.Host]++
	go q.w.deliver(j)
}

// done frees the slot of a send that returned and starts the host's next
// waiting job.
func (q *slots) done(r sendResult) {
	host := r.host
	if r.slow {
		q.slowDown(host, time.Now())
	}
	if host != "" {
		if r.took < fastSend {
			q.fast[host] = true
		} else {
			delete(q.fast, host)
		}
	}
	q.sending--
	if q.perHost[host]--; q.perHost[host] <= 0 {
		delete(q.perHost, host)
		if len(q.waiting[host]) == 0 {
			delete(q.fast, host)
		}
	}
	if next := q.waiting[host]; len(next) > 0 && q.perHost[host] < q.limit(host) {
		q.waiting[host] = next[1:]
		if len(q.waiting[host]) == 0 {
			delete(q.waiting, host)
		}
		q.queued--
		q.start(next[0])
	}
}
