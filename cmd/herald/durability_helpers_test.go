//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"herald/store/storetest"
)

// Durability tests run real herald processes, kill them with SIGKILL and
// restart them; these are their helpers.

// testLease is the HERALD_LEASE of the durability tests: how long a killed
// process's claimed deliveries stay its own before another takes them.
const testLease = 2 * time.Second

// leaseKnob reports whether the binary understands HERALD_LEASE; without
// it a killed process's jobs come back only after 2 × timeout + 30s.
func leaseKnob(t *testing.T) bool {
	t.Helper()
	out, err := exec.Command(heraldBinary(t), "serve", "-help").CombinedOutput()
	if err != nil {
		t.Fatalf("herald serve -help: %v\n%s", err, out)
	}
	return strings.Contains(string(out), "HERALD_LEASE")
}

// requireLeaseKnob skips the test unless HERALD_LEASE is recognized.
func requireLeaseKnob(t *testing.T) {
	t.Helper()
	if !leaseKnob(t) {
		t.Skip("needs HERALD_LEASE: without it a killed process's leased deliveries return only after 2 × HERALD_WEBHOOK_TIMEOUT + 30s")
	}
}

// durableVars is the environment of every herald in these tests.
func durableVars(databaseURL string) map[string]string {
	return map[string]string{
		"HERALD_DATABASE_URL":          databaseURL,
		"HERALD_PLATFORM_TOKEN":        processToken,
		"HERALD_ALLOW_PRIVATE_TARGETS": "true",
		"HERALD_WEBHOOK_TIMEOUT":       "1s",
		"HERALD_LEASE":                 testLease.String(),
		// Processes sharing one PostgreSQL share its master key.
		"HERALD_SECRET_KEY": storetest.SecretKey(),
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.client.CloseIdleConnections()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill -9 herald: %v", err)
	}
	if code := p.waitExit(t, stopDeadline); code != -1 {
		t.Fatalf("herald exited with code %d before SIGKILL got to it; stderr:\n%s", code, p.stderr)
	}
}

// setupWebhookAccount creates account id whose run_failed events go to url.
func setupWebhookAccount(t *testing.T, p *proc, id int64, url string) {
	t.Helper()
	path := fmt.Sprintf("/api/v1/accounts/%d", id)
	p.expect(t, 201, "PUT", path, processToken, `{"name":"A"}`)
	p.expect(t, 200, "PUT", path+"/notifications", processToken,
		`{"webhook_url": "`+url+`", "events": {"run_failed": {"send_webhook": true, "email_subscribers": []}}}`)
}

// arrival is one webhook request the receiver got.
type arrival struct {
	delivery string // X-Herald-Delivery
	body     []byte
}

// receiver is a webhook endpoint that records every request by run_id and
// by delivery id, answering 200 after delay.
type receiver struct {
	srv   *httptest.Server
	delay time.Duration
	// owners, once set, tells which herald process sent each request.
	owners atomic.Pointer[portOwners]

	mu         sync.Mutex
	byRun      map[int64][]arrival
	byDelivery map[string]int
	bySender   map[int]int // pid → requests; 0: unknown
	total      int
	problems   []string // malformed requests
}

// connSender is the sender of one connection, found on its first request.
type connSender struct {
	once sync.Once
	pid  int
}

type connSenderKey struct{}

func newReceiver(t *testing.T, delay time.Duration) *receiver {
	t.Helper()
	r := &receiver{delay: delay, byRun: map[int64][]arrival{}, byDelivery: map[string]int{}, bySender: map[int]int{}}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serveHTTP))
	r.srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connSenderKey{}, &connSender{})
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

// sender is the pid of the process that sent req, 0 when unknown or not
// watched. While it is being found the request is unanswered, so the
// sender's socket is still open.
func (r *receiver) sender(req *http.Request) int {
	o := r.owners.Load()
	cs, _ := req.Context().Value(connSenderKey{}).(*connSender)
	if o == nil || cs == nil {
		return 0
	}
	cs.once.Do(func() {
		_, p, _ := net.SplitHostPort(req.RemoteAddr)
		port, _ := strconv.Atoi(p)
		cs.pid = o.lookup(port)
	})
	return cs.pid
}

// watchSenders makes the receiver find out which of procs sends each
// request; call it before they send any.
func (r *receiver) watchSenders(t *testing.T, procs ...*proc) {
	t.Helper()
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.cmd.Process.Pid
	}
	_, p, _ := net.SplitHostPort(r.srv.Listener.Addr().String())
	port, _ := strconv.Atoi(p)
	o := newPortOwners(pids, port)
	t.Cleanup(o.stop)
	r.owners.Store(o)
}

// sentBy returns how many requests each watched pid sent; key 0 counts
// those whose sender is unknown.
func (r *receiver) sentBy() map[int]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.bySender)
}

// portOwners finds which of some processes holds the TCP connection from
// a local port to a server port, reading /proc/net/tcp and /proc/PID/fd
// (so it knows only on Linux). Reading those takes milliseconds, so one
// goroutine does it for a batch of ports at a time.
type portOwners struct {
	pids       []int
	serverPort int
	asks       chan portAsk
	done       chan struct{}
	stopped    chan struct{}
}

type portAsk struct {
	port  int
	reply chan int // buffered
}

func newPortOwners(pids []int, serverPort int) *portOwners {
	o := &portOwners{pids: pids, serverPort: serverPort, asks: make(chan portAsk, 1024),
		done: make(chan struct{}), stopped: make(chan struct{})}
	go o.run()
	return o
}

// lookup returns the pid holding port, 0 when it is not found soon.
func (o *portOwners) lookup(port int) int {
	ask := portAsk{port: port, reply: make(chan int, 1)}
	select {
	case o.asks <- ask:
	default:
		return 0
	}
	select {
	case pid := <-ask.reply:
		return pid
	case <-time.After(300 * time.Millisecond): // well within the sender's timeout
		return 0
	}
}

func (o *portOwners) stop() {
	close(o.done)
	<-o.stopped
}

func (o *portOwners) run() {
	defer close(o.stopped)
	for {
		var batch []portAsk
		select {
		case a := <-o.asks:
			batch = append(batch, a)
		case <-o.done:
			return
		}
	drain:
		for {
			select {
			case a := <-o.asks:
				batch = append(batch, a)
			default:
				break drain
			}
		}
		ports := make([]int, len(batch))
		for i, a := range batch {
			ports[i] = a.port
		}
		found := o.resolve(ports)
		for _, a := range batch {
			a.reply <- found[a.port]
		}
	}
}

// resolve maps each of ports to the pid whose socket it is.
func (o *portOwners) resolve(ports []int) map[int]int {
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return nil
	}
	hexPort := func(hexAddr string) int {
		_, p, _ := strings.Cut(hexAddr, ":")
		n, err := strconv.ParseUint(p, 16, 16)
		if err != nil {
			return -1
		}
		return int(n)
	}
	inodes := map[string]int{} // "socket:[inode]" → port
	for line := range strings.Lines(string(table)) {
		f := strings.Fields(line)
		if len(f) <= 9 || f[9] == "0" || hexPort(f[2]) != o.serverPort {
			continue
		}
		if local := hexPort(f[1]); slices.Contains(ports, local) {
			inodes["socket:["+f[9]+"]"] = local
		}
	}
	found := map[int]int{}
	for _, pid := range o.pids {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, _ := os.ReadDir(dir)
		for _, fd := range fds {
			link, _ := os.Readlink(filepath.Join(dir, fd.Name()))
			if port, ok := inodes[link]; ok {
				found[port] = pid
			}
		}
	}
	return found
}

func (r *receiver) url() string { return r.srv.URL + "/hook" }

func (r *receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		return // the sender died mid-request: nothing arrived
	}
	var p struct {
		RunID *int64 `json:"run_id"`
	}
	delivery := req.Header.Get("X-Herald-Delivery")
	sender := r.sender(req)
	r.mu.Lock()
	switch {
	case json.Unmarshal(body, &p) != nil || p.RunID == nil:
		r.problems = append(r.problems, fmt.Sprintf("a body without run_id: %.200q", body))
	case delivery == "" || req.Header.Get("X-Herald-Event") != "run_failed":
		r.problems = append(r.problems, fmt.Sprintf("run %d: X-Herald-Delivery %q, X-Herald-Event %q", *p.RunID, delivery, req.Header.Get("X-Herald-Event")))
	default:
		r.byRun[*p.RunID] = append(r.byRun[*p.RunID], arrival{delivery: delivery, body: body})
		r.byDelivery[delivery]++
		r.bySender[sender]++
		r.total++
	}
	r.mu.Unlock()
	select {
	case <-time.After(r.delay):
	case <-req.Context().Done():
	}
	w.WriteHeader(http.StatusOK)
}

// seen is how many well-formed requests arrived so far.
func (r *receiver) seen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// waitSeen waits until at least n requests arrived.
func (r *receiver) waitSeen(t *testing.T, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for r.seen() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver saw %d webhook requests within %v, want ≥ %d", r.seen(), within, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// missing returns the run ids of ids that have not arrived.
func (r *receiver) missing(ids []int64) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, id := range ids {
		if len(r.byRun[id]) == 0 {
			out = append(out, id)
		}
	}
	return out
}

// check reports malformed requests, run ids never sent (outside [1,
// maxSent]), and duplicates of a run that differ from its first arrival in
// delivery id or payload bytes. It returns how many requests were
// duplicates and how many distinct runs arrived, counting runs in [lo, hi].
func (r *receiver) check(t *testing.T, lo, hi, maxSent int64) (dups, runs int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.problems {
		t.Errorf("malformed webhook: %s", p)
	}
	for id, as := range r.byRun {
		if id < 1 || id > maxSent {
			t.Errorf("run_id %d arrived; no such event was sent", id)
		}
		if id < lo || id > hi {
			continue
		}
		runs++
		first := as[0]
		for _, a := range as[1:] {
			dups++
			if a.delivery != first.delivery {
				t.Errorf("run %d came as delivery %s, then again as delivery %s: one event, one webhook delivery", id, first.delivery, a.delivery)
			}
			if !bytes.Equal(a.body, first.body) {
				t.Errorf("run %d was sent again with a different payload:\nfirst: %s\nagain: %s", id, first.body, a.body)
			}
		}
	}
	return dups, runs
}

// sentTwice returns the delivery ids that arrived more than once.
func (r *receiver) sentTwice() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for id, n := range r.byDelivery {
		if n > 1 {
			out[id] = n
		}
	}
	return out
}

// deliveryCount is how many distinct delivery ids arrived.
func (r *receiver) deliveryCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byDelivery)
}

// burstResult is what the senders of a burst of events learned.
type burstResult struct {
	// accepted are the run ids Herald took: answered 202, or 200 to a
	// retry with the same idempotency key after a try that got no answer.
	accepted []int64
	// recovered counts the latter: stored before the crash, answer lost.
	recovered int
	errs      []string
}

// sendEvents posts a run_failed event for each of runIDs to
// target(runID), with clients senders at once. A try that gets no answer
// (the process was killed) is repeated with the same idempotency key,
// against whatever target then returns, until deadline. It touches no
// *testing.T, so it may run beside the test.
func sendEvents(target func(runID int64) string, account int64, runIDs []int64, clients int, deadline time.Time) burstResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	ids := make(chan int64)
	go func() {
		defer close(ids)
		for _, id := range runIDs {
			ids <- id
		}
	}()
	var (
		mu  sync.Mutex
		res burstResult
		wg  sync.WaitGroup
	)
	for range clients {
		wg.Go(func() {
			for id := range ids {
				body := fmt.Sprintf(`{"event_type":"run_failed","account_id":%d,"idempotency_key":"k-%d","data":{"run_id":%d,"tenant_id":1,"tenant_name":"T","integration_id":1,"integration_name":"I"}}`, account, id, id)
				unanswered, tries := 0, 0
				for {
					tries++
					status, answer, err := postEvent(client, target(id)+"/api/v1/events", body)
					mu.Lock()
					switch {
					case err != nil && time.Now().Before(deadline):
						unanswered++
						mu.Unlock()
						time.Sleep(20 * time.Millisecond)
						continue
					case err != nil:
						res.errs = append(res.errs, fmt.Sprintf("run %d: no answer in %d tries before the deadline; last: %v", id, tries, err))
					case status == http.StatusAccepted:
						res.accepted = append(res.accepted, id)
					case status == http.StatusOK && unanswered > 0:
						res.accepted = append(res.accepted, id)
						res.recovered++
					default:
						res.errs = append(res.errs, fmt.Sprintf("run %d: status %d after %d unanswered tries; body: %s", id, status, unanswered, answer))
					}
					mu.Unlock()
					break
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(res.accepted)
	return res
}

func postEvent(client *http.Client, url, body string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+processToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, string(b), nil
}

// runBurst runs sendEvents in the background; wait returns its result,
// failing the test if it has not finished within.
type runningBurst chan burstResult

func runBurst(target func(int64) string, account int64, runIDs []int64, clients int, deadline time.Time) runningBurst {
	c := make(runningBurst, 1)
	go func() { c <- sendEvents(target, account, runIDs, clients, deadline) }()
	return c
}

func (c runningBurst) wait(t *testing.T, within time.Duration) burstResult {
	t.Helper()
	select {
	case r := <-c:
		for _, e := range r.errs {
			t.Errorf("ingest: %s", e)
		}
		return r
	case <-time.After(within):
		t.Fatalf("the senders did not finish within %v", within)
		return burstResult{}
	}
}

// runIDRange is lo, lo+1, ..., hi.
func runIDRange(lo, hi int64) []int64 {
	out := make([]int64, 0, hi-lo+1)
	for id := lo; id <= hi; id++ {
		out = append(out, id)
	}
	return out
}

// loggedDelivery is an entry of the delivery log.
type loggedDelivery struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	Attempts       int    `json:"attempts"`
	ResponseStatus *int   `json:"response_status"`
	Error          string `json:"error"`
}

// countDeliveries pages through account's delivery log with status.
func countDeliveries(t *testing.T, p *proc, account int64, status string) int {
	t.Helper()
	return len(listDeliveries(t, p, account, status))
}

// listDeliveries pages through account's delivery log with status.
func listDeliveries(t *testing.T, p *proc, account int64, status string) []loggedDelivery {
	t.Helper()
	var out []loggedDelivery
	cursor := ""
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("the delivery log of account %d (status %s) did not end after %d pages", account, status, page)
		}
		path := fmt.Sprintf("/api/v1/accounts/%d/deliveries?status=%s&limit=100", account, status)
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var l struct {
			Data       []loggedDelivery `json:"data"`
			NextCursor string           `json:"next_cursor"`
		}
		body := p.expect(t, 200, "GET", path, processToken, "")
		if err := json.Unmarshal([]byte(body), &l); err != nil {
			t.Fatalf("GET %s: %v; body: %s", path, err, body)
		}
		for _, d := range l.Data {
			if d.Status != status {
				t.Fatalf("GET %s listed delivery %s with status %q", path, d.ID, d.Status)
			}
		}
		out = append(out, l.Data...)
		if l.NextCursor == "" {
			return out
		}
		cursor = l.NextCursor
	}
}

// waitAllDelivered waits until every run of want arrived at rcv and p's
// delivery log of account shows nothing pending.
func waitAllDelivered(t *testing.T, p *proc, rcv *receiver, account int64, want []int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		missing := rcv.missing(want)
		pending := -1
		if len(missing) == 0 {
			if pending = countDeliveries(t, p, account, "pending"); pending == 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			if pending < 0 {
				pending = countDeliveries(t, p, account, "pending")
			}
			if len(missing) > 10 {
				missing = missing[:10]
			}
			t.Fatalf("within %v: %d of %d accepted runs never arrived (first: %v); %d deliveries pending\nherald stderr (tail):\n%s",
				within, len(rcv.missing(want)), len(want), missing, pending, tail(p.stderr.String(), 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// checkNoneFailed reports the failed deliveries of account.
func checkNoneFailed(t *testing.T, p *proc, account int64) {
	t.Helper()
	failed := listDeliveries(t, p, account, "failed")
	for i, d := range failed {
		if i == 5 {
			t.Errorf("… %d failed deliveries in all", len(failed))
			break
		}
		t.Errorf("delivery %s failed after %d attempt(s): response status %v, error %q", d.ID, d.Attempts, fmtStatus(d.ResponseStatus), d.Error)
	}
}

func fmtStatus(s *int) string {
	if s == nil {
		return "none"
	}
	return strconv.Itoa(*s)
}
