//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPostgresRestartUnderIngest restarts herald's PostgreSQL server with
// pg_ctl restart -m immediate (a crash of every backend, then recovery)
// under steady ingest, then stops it for a while and starts it again.
// Every answer is 202 or 503 unavailable with Retry-After, never a 500;
// while the server is down the API, /readyz and the pages answer 503; herald
// recovers by itself; and every event answered 202 is delivered.
func TestPostgresRestartUnderIngest(t *testing.T) {
	requireLeaseKnob(t)
	pg := startPostgres(t)
	rcv := newReceiver(t, 0)
	p := startProcess(t, durableVars(pg.url()))
	setupWebhookAccount(t, p, 1, rcv.url())

	in := startSteadyIngest(p.base, 1, 4, 3000)
	in.waitAccepted(t, 50)

	start := time.Now()
	pg.ctl(t, "restart", "-m", "immediate")
	waitReady(t, p, 60*time.Second)
	in.waitAccepted(t, in.acceptedCount()+50)
	restarted := time.Since(start)

	pg.ctl(t, "stop", "-m", "immediate")
	down := time.Now()
	expectUnavailable(t, p)
	pg.start(t)
	waitReady(t, p, 60*time.Second)
	in.waitAccepted(t, in.acceptedCount()+50)
	back := time.Since(down)

	res := in.stop()
	for _, e := range res.errs {
		t.Errorf("ingest: %s", e)
	}
	if len(res.accepted) == 0 {
		t.Fatal("no event was accepted")
	}
	waitAllDelivered(t, p, rcv, 1, res.accepted, 60*time.Second)
	dups, runs := rcv.check(t, 1, res.sent, res.sent)
	checkNoneFailed(t, p, 1)
	t.Logf("%d events sent, %d accepted (%d of them on a retry after a 503), %d answers 503; restart under ingest took %v to accept again, a stop/start %v; %d runs arrived, %d duplicate requests",
		res.sent, len(res.accepted), res.recovered, res.unavailable, restarted.Round(time.Millisecond), back.Round(time.Millisecond), runs, dups)
	if strings.Contains(p.stderr.String(), `"level":"ERROR","msg":"request failed"`) {
		t.Errorf("herald logged a request as failed (a 500):\n%s", tail(p.stderr.String(), 4000))
	}
}

// expectUnavailable checks that, with the database down, an API route
// answers 503 unavailable with Retry-After, /readyz 503, and a page a 503
// "try again" page.
func expectUnavailable(t *testing.T, p *proc) {
	t.Helper()
	checks := []struct {
		path, cookie, want string
	}{
		{path: "/api/v1/accounts/1/notifications", want: `"code":"unavailable"`},
		{path: "/readyz", want: "database unreachable"},
		{path: "/accounts/1/notifications", cookie: "hs_no-such-session", want: "Try again in a moment"},
	}
	for _, c := range checks {
		req, err := http.NewRequest("GET", p.base+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+processToken)
		if c.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "herald_session", Value: c.cookie})
		}
		resp, err := p.client.Do(req)
		if err != nil {
			t.Fatalf("GET %s with the database down: %v", c.path, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), c.want) {
			t.Errorf("GET %s with the database down: %d, Retry-After %q, body %.300s; want 503 with Retry-After and %s",
				c.path, resp.StatusCode, resp.Header.Get("Retry-After"), b, c.want)
		}
	}
}

// waitReady waits until /readyz answers 200: herald reaches its database.
func waitReady(t *testing.T, p *proc, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := p.client.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz did not answer 200 within %v of the database's return (last: %v); herald stderr:\n%s", within, err, tail(p.stderr.String(), 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// steadyIngest posts run_failed events, run ids 1, 2, ..., from a few
// clients at a bounded pace until stopped or max events are sent. An
// answer 503 must carry Retry-After and code unavailable; the event is then
// sent again with the same idempotency key, as a client should, after a
// short pause (shorter than Retry-After, to keep the test quick).
type steadyIngest struct {
	base    string
	account int64
	max     int64
	done    chan struct{}
	wg      sync.WaitGroup
	client  *http.Client

	mu  sync.Mutex
	res ingestResult
}

// ingestResult is what the clients of a steady ingest saw.
type ingestResult struct {
	sent        int64   // run ids 1..sent were sent
	accepted    []int64 // answered 202, or 200 to a retry after a 503
	recovered   int     // accepted by a 200 after a 503: stored before the answer was lost
	unavailable int     // answers 503
	errs        []string
}

func startSteadyIngest(base string, account int64, clients int, max int64) *steadyIngest {
	in := &steadyIngest{base: base, account: account, max: max, done: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}}
	for range clients {
		in.wg.Go(in.run)
	}
	return in
}

func (in *steadyIngest) run() {
	for {
		select {
		case <-in.done:
			return
		case <-time.After(5 * time.Millisecond):
		}
		in.mu.Lock()
		if in.res.sent == in.max {
			in.mu.Unlock()
			return
		}
		in.res.sent++
		id := in.res.sent
		in.mu.Unlock()
		in.send(id)
	}
}

// send posts run id until it is answered other than 503, for at most a
// minute.
func (in *steadyIngest) send(id int64) {
	body := fmt.Sprintf(`{"event_type":"run_failed","account_id":%d,"idempotency_key":"k-%d","data":{"run_id":%d,"tenant_id":1,"tenant_name":"T","integration_id":1,"integration_name":"I"}}`, in.account, id, id)
	deadline := time.Now().Add(time.Minute)
	refused := 0
	for {
		status, answer, err := postEvent(in.client, in.base+"/api/v1/events", body)
		in.mu.Lock()
		switch {
		case err != nil:
			in.res.errs = append(in.res.errs, fmt.Sprintf("run %d: no answer: %v", id, err))
		case status == http.StatusServiceUnavailable:
			in.res.unavailable++
			if e := unavailableProblem(answer); e != "" {
				in.res.errs = append(in.res.errs, fmt.Sprintf("run %d: %s", id, e))
				break
			}
			refused++
			in.mu.Unlock()
			if time.Now().After(deadline) {
				in.fail("run %d: still 503 after a minute", id)
				return
			}
			time.Sleep(20 * time.Millisecond)
			continue
		case status == http.StatusAccepted:
			in.res.accepted = append(in.res.accepted, id)
		case status == http.StatusOK && refused > 0:
			in.res.accepted = append(in.res.accepted, id)
			in.res.recovered++
		default:
			in.res.errs = append(in.res.errs, fmt.Sprintf("run %d: status %d (after %d answers 503); body: %.300s", id, status, refused, answer))
		}
		in.mu.Unlock()
		return
	}
}

func (in *steadyIngest) fail(format string, args ...any) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.res.errs = append(in.res.errs, fmt.Sprintf(format, args...))
}

// unavailableProblem says what is wrong with a 503 body, "" if nothing.
func unavailableProblem(body string) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != "unavailable" {
		return fmt.Sprintf("a 503 without code unavailable: %.300s", body)
	}
	return ""
}

func (in *steadyIngest) acceptedCount() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.res.accepted)
}

// waitAccepted waits until n events were accepted in all.
func (in *steadyIngest) waitAccepted(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for in.acceptedCount() < n {
		if time.Now().After(deadline) {
			in.mu.Lock()
			defer in.mu.Unlock()
			t.Fatalf("only %d events accepted within a minute, want %d; sent %d, %d answers 503, errors: %v", len(in.res.accepted), n, in.res.sent, in.res.unavailable, in.res.errs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends the ingest and returns what it saw.
func (in *steadyIngest) stop() ingestResult {
	close(in.done)
	in.wg.Wait()
	in.client.CloseIdleConnections()
	in.mu.Lock()
	defer in.mu.Unlock()
	res := in.res
	slices.Sort(res.accepted)
	return res
}

// TestServeWaitsForItsDatabase starts herald serve while its PostgreSQL is
// down, with HERALD_DATABASE_WAIT set: it waits, saying so, instead of
// exiting, and serves once the database is up.
func TestServeWaitsForItsDatabase(t *testing.T) {
	pg := startPostgres(t)
	pg.ctl(t, "stop", "-m", "fast")
	p := launchServe(t, map[string]string{"HERALD_DATABASE_URL": pg.url(), "HERALD_PLATFORM_TOKEN": processToken, "HERALD_DATABASE_WAIT": "2m"})
	p.stderr.waitFor(t, "database unreachable; waiting for it", startDeadline)
	pg.start(t)
	p.waitReady(t)
	resp, err := p.client.Get(p.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz answers %d once the database is up, want 200", resp.StatusCode)
	}
}
