package email

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// countingConn counts the writes on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// waitUntil waits for cond, failing the test if it has not come after
// many seconds (the machine may be slow; nothing here is timed).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
	}
}

// heldSender is an SMTP sender limited to one connection to srv, whose
// first message srv holds (srv.dataGate), so that the next messages wait
// for the connection.
type heldSender struct {
	t      *testing.T
	srv    *server
	s      *SMTP
	writes atomic.Int64
	wg     sync.WaitGroup
	errs   map[string]error // by recipient
	mu     sync.Mutex
	small  bool // send text-only messages of 2 KB
}

func newHeldSender(t *testing.T, srv *server) *heldSender {
	t.Helper()
	srv.dataGate = make(chan struct{}, 64)
	srv.start(t)
	h := &heldSender{t: t, srv: srv, s: newSMTP(t, "smtp://"+srv.addr), errs: map[string]error{}}
	h.s.pool.limit = 1
	h.s.wrap = func(c net.Conn) net.Conn {
		if srv.smallBuffers {
			shrinkBuffers(c)
		}
		return countingConn{c, &h.writes}
	}
	h.send("first@acme.test", time.Minute)
	waitUntil(t, "the first message to reach the server", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.inData == 1
	})
	return h
}

// send sends a message to rcpt in the background, and waits until it is
// queued (or, the first, sent).
func (h *heldSender) send(rcpt string, timeout time.Duration) {
	h.t.Helper()
	queued := h.queued()
	m := testMessage(h.t, rcpt)
	if h.small {
		m.HTML, m.Text = "", strings.Repeat("A line of the message.\n", 80)
	}
	h.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		err := h.s.Send(ctx, m)
		h.mu.Lock()
		h.errs[rcpt] = err
		h.mu.Unlock()
	})
	if rcpt != "first@acme.test" {
		waitUntil(h.t, rcpt+" to queue", func() bool { return h.queued() == queued+1 })
	}
}

func (h *heldSender) queued() int {
	h.s.pool.mu.Lock()
	defer h.s.pool.mu.Unlock()
	return len(h.s.pool.queue)
}

// release lets the server read n messages' content, and waits for every
// send to end.
func (h *heldSender) release(n int) map[string]error {
	for range n {
		h.srv.dataGate <- struct{}{}
	}
	h.wg.Wait()
	return h.errs
}

func recipients(got []received) []string {
	var rcpts []string
	for _, r := range got {
		rcpts = append(rcpts, r.rcpt...)
	}
	slices.Sort(rcpts)
	return rcpts
}

// Messages that waited for the connection go together: one write for
// all, each its own transaction, each arriving once and whole.
func TestSMTPBatchesWaitingMessages(t *testing.T) {
	t.Parallel()
	h := newHeldSender(t, &server{})
	waiting := []string{"a@acme.test", "b@acme.test", "c@acme.test", "d@acme.test", "e@acme.test"}
	for _, r := range waiting {
		h.send(r, time.Minute)
	}
	before := h.writes.Load()
	for rcpt, err := range h.release(1 + len(waiting)) {
		if err != nil {
			t.Errorf("%s: %v", rcpt, err)
		}
	}
	if got := h.writes.Load() - before; got != 1 {
		t.Errorf("the %d waiting messages took %d writes, want 1", len(waiting), got)
	}
	got := h.srv.messages()
	if want := slices.Sorted(slices.Values(append([]string{"first@acme.test"}, waiting...))); !slices.Equal(recipients(got), want) {
		t.Errorf("server received messages to %q, want %q", recipients(got), want)
	}
	want, err := testMessage(t, "a@acme.test").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if r.rcpt[0] == "a@acme.test" && string(r.data) != string(want) {
			t.Errorf("a@acme.test received\n%q\nwant\n%q", r.data, want)
		}
	}
	if n := h.srv.connections(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// A refusal in a batch fails only its own message, a 5xx permanently, a
// 4xx for a retry, and leaves no transaction open for the next: on a
// server that refuses a MAIL inside an open transaction (one whose
// recipients were all refused stays open), the messages after a refusal
// are sent all the same, each in its own transaction, and arrive once.
func TestSMTPBatchOutcomesPerMessage(t *testing.T) {
	t.Parallel()
	unknown := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	busy := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	h := newHeldSender(t, &server{strict: true, refuse: map[string][]error{
		"unknown@acme.test": {unknown},
		"busy@acme.test":    {busy},
	}})
	for _, r := range []string{"ok1@acme.test", "unknown@acme.test", "next@acme.test", "busy@acme.test", "ok2@acme.test"} {
		h.send(r, time.Minute)
	}
	errs := h.release(4)
	for _, rcpt := range []string{"first@acme.test", "ok1@acme.test", "next@acme.test", "ok2@acme.test"} {
		if errs[rcpt] != nil {
			t.Errorf("%s: %v, want sent", rcpt, errs[rcpt])
		}
	}
	if err := errs["unknown@acme.test"]; err == nil || !Permanent(err) || !strings.Contains(err.Error(), "550") {
		t.Errorf("unknown: %v, want a permanent 550", err)
	}
	if err := errs["busy@acme.test"]; err == nil || Permanent(err) || !strings.Contains(err.Error(), "451") {
		t.Errorf("busy: %v, want a transient 451", err)
	}
	for _, r := range h.srv.messages() {
		if len(r.rcpt) != 1 {
			t.Errorf("a message went to %q, want one recipient each", r.rcpt)
		}
	}
	want := []string{"first@acme.test", "next@acme.test", "ok1@acme.test", "ok2@acme.test"}
	if got := recipients(h.srv.messages()); !slices.Equal(got, want) {
		t.Errorf("server received messages to %q, want %q", got, want)
	}
}

// A send whose context ends while its message waits gives it up: it
// returns at once, and the message is never sent.
func TestSMTPWaitingMessageGivenUp(t *testing.T) {
	t.Parallel()
	h := newHeldSender(t, &server{})
	h.send("late@acme.test", 300*time.Millisecond)
	waitUntil(t, "late@ to give up", func() bool { return h.queued() == 0 })
	errs := h.release(1)
	if err := errs["late@acme.test"]; !errors.Is(err, context.DeadlineExceeded) || Permanent(err) {
		t.Errorf("late: %v, want a transient DeadlineExceeded", err)
	}
	if errs["first@acme.test"] != nil {
		t.Errorf("first: %v", errs["first@acme.test"])
	}
	if got := recipients(h.srv.messages()); !slices.Equal(got, []string{"first@acme.test"}) {
		t.Errorf("server received messages to %q, want only first@", got)
	}
}

// A batch sent on a connection the server closed while it sat idle
// fails before anything is answered: every message goes back to the
// queue as it was, for a fresh connection, and the idle
// connections, likely as old, are closed.
func TestSMTPStaleBatchIsQueuedAgain(t *testing.T) {
	t.Parallel()
	srv := &server{}
	srv.start(t)
	s := newSMTP(t, "smtp://"+srv.addr)
	sendN(t, s, 1)
	srv.hangUp()
	var batch []*pending
	for _, rcpt := range []string{"a@acme.test", "b@acme.test", "c@acme.test"} {
		m := testMessage(t, rcpt)
		from, to, err := m.check()
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, &pending{env: envelope{from.Address, to.Address}, buf: m.compose(make([]byte, headroom), from, to),
			at: headroom, taken: true, wake: make(chan struct{}, 1), done: make(chan error, 1)})
	}
	s.pool.mu.Lock()
	c := s.pool.take()
	s.pool.mu.Unlock()
	if c == nil {
		t.Fatal("no idle connection")
	}
	s.run(context.Background(), c, batch)
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	if !slices.Equal(s.pool.queue, batch) {
		t.Errorf("queue %v, want the batch again", s.pool.queue)
	}
	for _, p := range batch {
		if p.taken || len(p.done) != 0 {
			t.Errorf("%s: taken %v, answered %v; want waiting as before", p.env.to, p.taken, len(p.done) != 0)
		}
	}
	if s.pool.open != 0 || len(s.pool.idle) != 0 {
		t.Errorf("%d connections open, %d idle; want none", s.pool.open, len(s.pool.idle))
	}
}

// smallBufferListener gives the connections it accepts the smallest
// socket buffers.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		shrinkBuffers(c)
	}
	return c, err
}

func shrinkBuffers(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetReadBuffer(1)
		tc.SetWriteBuffer(1)
	}
}

// A batch larger than the connection's buffers (both ends' at their
// smallest), to a server whose answers (which repeat each long address)
// fill them too, is answered all the same: the answers are read while the
// batch is written, so neither side waits for the other.
func TestSMTPBatchLargerThanBuffers(t *testing.T) {
	t.Parallel()
	srv := &server{smallBuffers: true}
	h := newHeldSender(t, srv)
	h.small = true
	domain := strings.Repeat("d", 60) + "." + strings.Repeat("e", 60) + "." + strings.Repeat("f", 60) + ".test"
	var rcpts []string
	for i := range maxBatch {
		rcpts = append(rcpts, fmt.Sprintf("%s%02d@%s", strings.Repeat("x", 58), i, domain))
		h.send(rcpts[i], time.Minute)
	}
	for rcpt, err := range h.release(1 + maxBatch) {
		if err != nil {
			t.Errorf("%.12s...: %v", rcpt, err)
		}
	}
	if got := len(h.srv.messages()); got != 1+maxBatch {
		t.Errorf("server received %d messages, want %d", got, 1+maxBatch)
	}
}
