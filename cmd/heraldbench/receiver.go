package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// receiver is the loopback webhook endpoint: it records when each run_id
// of the benchmark's accounts first arrives and answers 204 to everything.
// It listens on one port per account, so that each account's webhook URL
// is a host of its own to Herald (whose per-host limits count host:port).
type receiver struct {
	accounts map[int64]bool
	delay    time.Duration // before each answer
	servers  []*http.Server
	urls     []string // by account, in the order given

	unique atomic.Int64 // distinct run_ids received
	conns  atomic.Int64 // connections Herald opened

	mu         sync.Mutex
	first      map[int64]time.Time // run_id -> first arrival
	duplicates int                 // arrivals of a run_id already seen
	foreign    int                 // other accounts, bad bodies, no X-Herald-Delivery
}

// startReceiver listens on a free loopback port per account and serves
// until close; each answer waits delay (a slow receiver keeps deliveries
// in flight).
func startReceiver(accounts []int64, expected int, delay time.Duration) (*receiver, error) {
	rc := &receiver{accounts: map[int64]bool{}, first: make(map[int64]time.Time, expected), delay: delay}
	for _, a := range accounts {
		rc.accounts[a] = true
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			rc.close()
			return nil, err
		}
		srv := &http.Server{
			Handler:           rc,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ConnState: func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					rc.conns.Add(1)
				}
			},
		}
		rc.servers = append(rc.servers, srv)
		rc.urls = append(rc.urls, "http://"+ln.Addr().String()+"/hook")
		go srv.Serve(ln)
	}
	return rc, nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	now := time.Now()
	var p struct {
		AccountID int64  `json:"account_id"`
		RunID     *int64 `json:"run_id"`
	}
	ok := err == nil && json.Unmarshal(body, &p) == nil && p.RunID != nil &&
		rc.accounts[p.AccountID] && r.Header.Get("X-Herald-Delivery") != ""
	rc.mu.Lock()
	switch {
	case !ok:
		rc.foreign++
	case !rc.first[*p.RunID].IsZero():
		rc.duplicates++
	default:
		rc.first[*p.RunID] = now
		rc.unique.Add(1)
	}
	rc.mu.Unlock()
	if rc.delay > 0 {
		time.Sleep(rc.delay)
	}
	// 204 even to what is not ours, so Herald does not retry it.
	w.WriteHeader(http.StatusNoContent)
}

// arrivals returns the first arrival of each run_id in [lo, lo+n); zero
// where it has not arrived.
func (rc *receiver) arrivals(lo int64, n int) []time.Time {
	out := make([]time.Time, n)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := range out {
		out[i] = rc.first[lo+int64(i)]
	}
	return out
}

// counts returns the duplicate and foreign arrivals so far.
func (rc *receiver) counts() (duplicates, foreign int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.duplicates, rc.foreign
}

// waitFor waits until want distinct run_ids have arrived, for at most
// limit; it reports whether they did.
func (rc *receiver) waitFor(want int64, limit time.Duration, stop <-chan struct{}) bool {
	return waitCount(&rc.unique, want, limit, stop)
}

func (rc *receiver) close() {
	for _, s := range rc.servers {
		s.Close()
	}
}
