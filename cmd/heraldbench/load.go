package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const (
	burstLimit    = 10 * time.Minute  // a burst's sending, at most
	deliveryWait  = 120 * time.Second // waiting for a phase's deliveries, at most
	steadySenders = 16
	readLogLimit  = 30 * time.Second
)

// Realistic accounts: a primary contact and two subscribers of run_failed,
// so every event plans a webhook and three emails.
var realisticEmails = []string{"contact@bench.test", "oncall@bench.test", "dev@bench.test"}

// load drives one service (herald or the relay) and measures it: run_ids
// 1..n, each sent once, arrivals noted by the receiver (and the mail sink
// in the realistic mode). sent and answered are indexed by run_id − 1;
// each index is written by one sender only.
type load struct {
	base, token string
	client      *http.Client
	accounts    []int64 // run_id n goes to accounts[(n-1) % len]
	perEvent    int     // deliveries planned per event: 1, or 4 when realistic
	nonce       string  // makes idempotency keys unique to this load
	rc          *receiver
	mail        *mailSink // realistic over SMTP; nil otherwise

	sent     []time.Time // just before the POST
	answered []time.Time // when the 202 came; zero if not accepted
	accepted atomic.Int64
	next     int64 // the next run_id to send

	errMu    sync.Mutex
	errs     int
	firstErr string
}

func newLoad(accounts []int64, rc *receiver, n, clients int) *load {
	return &load{
		accounts: accounts, rc: rc, perEvent: 1, nonce: rand.Text()[:8], next: 1,
		sent: make([]time.Time, n), answered: make([]time.Time, n),
		client: &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConns:        clients + steadySenders + 8,
				MaxIdleConnsPerHost: clients + steadySenders + 8,
				IdleConnTimeout:     time.Minute,
				DisableCompression:  true,
			},
		},
	}
}

// setup creates the accounts in Herald and saves their settings: the
// receiver's URL with run_failed webhooks on and, when realistic, a
// primary contact and two subscribers.
func (l *load) setup(ctx context.Context, realistic bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	subscribers := []string{}
	if realistic {
		l.perEvent = 1 + len(realisticEmails)
		subscribers = realisticEmails[1:]
	}
	for i, a := range l.accounts {
		if err := l.call(ctx, http.MethodPut, fmt.Sprintf("/api/v1/accounts/%d", a),
			map[string]any{"name": "heraldbench"}, nil, http.StatusCreated, http.StatusOK); err != nil {
			return err
		}
		if realistic {
			if err := l.call(ctx, http.MethodPut, fmt.Sprintf("/api/v1/accounts/%d/company", a), map[string]any{
				"primary_contact": map[string]any{"name": "Bench Contact", "email": realisticEmails[0]},
			}, nil, http.StatusOK); err != nil {
				return err
			}
		}
		if err := l.call(ctx, http.MethodPut, fmt.Sprintf("/api/v1/accounts/%d/notifications", a), map[string]any{
			"webhook_url": l.rc.urls[i],
			"events": map[string]any{
				"run_failed": map[string]any{"send_webhook": true, "email_subscribers": subscribers},
			},
		}, nil, http.StatusOK); err != nil {
			return err
		}
	}
	return nil
}

// call sends one API request and decodes the answer into out (if not
// nil); an answer other than want is an error.
func (l *load) call(ctx context.Context, method, path string, body, out any, want ...int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	for _, w := range want {
		if resp.StatusCode == w {
			if out != nil {
				return json.Unmarshal(data, out)
			}
			return nil
		}
	}
	return fmt.Errorf("%s %s: %s: %.300s", method, path, resp.Status, data)
}

// send ingests the run_failed event of runID and notes its times.
func (l *load) send(ctx context.Context, runID int64) {
	body := fmt.Appendf(nil, `{"event_type":"run_failed","account_id":%d,"idempotency_key":"bench-%s-%d",`+
		`"data":{"run_id":%d,"run_status":"failed","tenant_id":1,"tenant_name":"Widget Co","integration_id":1,"integration_name":"Shopify Integration"}}`,
		l.accounts[(runID-1)%int64(len(l.accounts))], l.nonce, runID, runID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		l.fail(err.Error())
		return
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", "application/json")
	i := runID - 1
	l.sent[i] = time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			l.fail(err.Error())
		}
		return
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	now := time.Now()
	switch {
	case err != nil:
		l.fail(err.Error())
		return
	case resp.StatusCode != http.StatusAccepted:
		l.fail(fmt.Sprintf("POST /api/v1/events: %s: %.300s", resp.Status, data))
		return
	}
	l.answered[i] = now
	l.accepted.Add(1)
	var ans struct {
		Deliveries []json.RawMessage `json:"deliveries"`
	}
	if json.Unmarshal(data, &ans) != nil || len(ans.Deliveries) != l.perEvent {
		l.fail(fmt.Sprintf("POST /api/v1/events: want %d deliveries planned, got %.300s", l.perEvent, data))
	}
}

func (l *load) fail(msg string) {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	if l.errs == 0 {
		l.firstErr = msg
		progress("ingest error (further ones only counted): %s", msg)
	}
	l.errs++
}

func (l *load) errors() (int, string) {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.errs, l.firstErr
}

// burst sends the next n run_ids from clients at once and returns the
// first of them; it does not wait for deliveries.
func (l *load) burst(ctx context.Context, n, clients int) int64 {
	lo := l.next
	l.next += int64(n)
	sendCtx, cancel := context.WithTimeout(ctx, burstLimit)
	defer cancel()
	var next atomic.Int64
	next.Store(lo - 1)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				id := next.Add(1)
				if id >= lo+int64(n) || sendCtx.Err() != nil {
					return
				}
				l.send(sendCtx, id)
			}
		})
	}
	wg.Wait()
	return lo
}

// steady sends the next n run_ids at rate per second, spread evenly by a
// ticker (catching up on ticks it dropped) into a queue that
// steadySenders senders drain, so one slow answer does not slow the rate.
func (l *load) steady(ctx context.Context, n, rate int) int64 {
	lo := l.next
	l.next += int64(n)
	sendCtx, cancel := context.WithTimeout(ctx, time.Duration(n/rate+60)*time.Second)
	defer cancel()
	queue := make(chan int64, n)
	var wg sync.WaitGroup
	for range steadySenders {
		wg.Go(func() {
			for id := range queue {
				if sendCtx.Err() == nil {
					l.send(sendCtx, id)
				}
			}
		})
	}
	interval := time.Second / time.Duration(rate)
	tick := time.NewTicker(interval)
	start := time.Now()
	queue <- lo
	scheduled := 1
loop:
	for scheduled < n {
		select {
		case <-sendCtx.Done():
			break loop
		case now := <-tick.C:
			due := min(n, int(now.Sub(start)/interval)+1)
			for ; scheduled < due; scheduled++ {
				queue <- lo + int64(scheduled)
			}
		}
	}
	tick.Stop()
	close(queue)
	wg.Wait()
	return lo
}

// waitDelivered waits, at most deliveryWait, until every event accepted
// so far has reached the receiver and, when there is a mail sink, its
// emails have too. It reports whether everything arrived.
func (l *load) waitDelivered(ctx context.Context) bool {
	want := l.accepted.Load()
	deadline := time.Now().Add(deliveryWait)
	ok := l.rc.waitFor(want, deliveryWait, ctx.Done())
	if l.mail != nil {
		ok = l.mail.waitFor(want*int64(l.perEvent-1), time.Until(deadline), ctx.Done()) && ok
	}
	if !ok {
		progress("stopped waiting after %v: %d of %d webhooks arrived", deliveryWait, l.rc.unique.Load(), want)
	}
	return ok
}

// phase is one phase's figures.
type phase struct {
	Events, Accepted, Errors, Delivered, Lost int
	IngestRate                                float64 // accepted/s, first send to last 202
	DeliveredRate                             float64 // events/s fully delivered, first send to last arrival
	Ingest, EndToEnd                          latency // POST round trip; send to webhook arrival
}

// result computes the figures of run_ids [lo, lo+n). When the mail sink
// is used, an event counts as delivered at the later of its webhook and
// the last email's arrival (emails are counted, not matched to events).
func (l *load) result(lo int64, n int) phase {
	var p phase
	arrived := l.rc.arrivals(lo, n)
	var start, lastAnswer, lastArrival time.Time
	var ingest, e2e []time.Duration
	for i := range n {
		sent, answered := l.sent[lo-1+int64(i)], l.answered[lo-1+int64(i)]
		if sent.IsZero() {
			continue // never sent: interrupted or out of time
		}
		p.Events++
		if start.IsZero() || sent.Before(start) {
			start = sent
		}
		if answered.IsZero() {
			p.Errors++
			continue
		}
		p.Accepted++
		ingest = append(ingest, answered.Sub(sent))
		lastAnswer = later(lastAnswer, answered)
		if arrived[i].IsZero() {
			p.Lost++
			continue
		}
		p.Delivered++
		e2e = append(e2e, arrived[i].Sub(sent))
		lastArrival = later(lastArrival, arrived[i])
	}
	if l.mail != nil && p.Delivered > 0 {
		lastArrival = later(lastArrival, l.mail.lastArrival())
	}
	p.IngestRate = perSecond(p.Accepted, lastAnswer.Sub(start))
	p.DeliveredRate = perSecond(p.Delivered, lastArrival.Sub(start))
	p.Ingest, p.EndToEnd = summarize(ingest), summarize(e2e)
	return p
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// pending asks Herald how many of the accounts' deliveries are pending
// (any channel), up to one page of 100 per account.
func (l *load) pending(ctx context.Context) (int, error) {
	total := 0
	for _, a := range l.accounts {
		var page struct {
			Data []json.RawMessage `json:"data"`
		}
		path := fmt.Sprintf("/api/v1/accounts/%d/deliveries?status=pending&limit=100", a)
		if err := l.call(ctx, http.MethodGet, path, nil, &page, http.StatusOK); err != nil {
			return total, err
		}
		total += len(page.Data)
	}
	return total, nil
}

// waitIdle waits, at most deliveryWait, until Herald has no pending
// deliveries of the accounts left (the outbox's emails are not seen from
// outside otherwise).
func (l *load) waitIdle(ctx context.Context) error {
	deadline := time.Now().Add(deliveryWait)
	for {
		n, err := l.pending(ctx)
		if err != nil || n == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d deliveries still pending after %v", n, deliveryWait)
		}
		sleep(ctx, 50*time.Millisecond)
	}
}

// readLog times n reads of the accounts' first delivery log page (limit
// 50), alternating the unfiltered log with a filter that matches few rows
// (failed emails), the read that grows worst when an index is missing. It
// stops early after readLogLimit (at least 10 reads).
func (l *load) readLog(ctx context.Context, n int) (latency, error) {
	var took []time.Duration
	a := l.accounts[0]
	deadline := time.Now().Add(readLogLimit)
	for i := range n {
		if i >= 10 && time.Now().After(deadline) {
			break
		}
		path := fmt.Sprintf("/api/v1/accounts/%d/deliveries?limit=50", a)
		if i%2 == 1 {
			path += "&channel=email&status=failed"
		}
		start := time.Now()
		if err := l.call(ctx, http.MethodGet, path, nil, nil, http.StatusOK); err != nil {
			return latency{}, err
		}
		took = append(took, time.Since(start))
	}
	return summarize(took), nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
