package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"net/smtp"
	"slices"
	"strconv"
)

// The pool's limits: connections open at once (sends beyond wait for one,
// within their context), how long an idle one is kept, and how many
// messages one carries before it is closed (servers limit that too).
const (
	maxConns    = 16
	idleTimeout = 15 * time.Second
	maxPerConn  = 100
)

// pool keeps idle SMTP connections, each ready for its next MAIL
// command, and the messages waiting for one (batch.go).
type pool struct {
	mu     sync.Mutex
	idle   []*conn    // most recently used last
	open   int        // connections open or being opened, at most limit
	limit  int        // maxConns; tests lower it
	queue  []*pending // waiting messages, oldest first
	closed bool
}

// conn is one SMTP connection, greeted, secured and authenticated:
// net/smtp's client for it (the handshake and QUIT), and the network
// connection under it, closed to abandon an exchange when a context ends.
type conn struct {
	c          *smtp.Client
	raw        net.Conn
	pipelining bool // the server offers PIPELINING (RFC 2920)
	chunking   bool // the server offers CHUNKING (RFC 3030): BDAT
	smtputf8   bool // the server offers SMTPUTF8 (RFC 6531)
	sent       int
	idleAt     time.Time
}

// Send delivers m to its one recipient, on an idle connection or a new
// one, with other messages waiting for a connection (batch.go). ctx bounds
// the whole exchange: Send returns when ctx ends, and the connection is
// closed when ctx ends while this Send is the one using it. A reused
// connection that the server closed meanwhile fails before the message is
// sent (at MAIL, with no reply); the message then goes on a fresh
// connection, so a stale connection never fails a message.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	from, to, err := m.check()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("email: send: %w", err)
	}
	buf := getBuffer(headroom + m.sizeHint())
	*buf = m.compose((*buf)[:headroom], from, to)
	p := &pending{env: envelope{from: from.Address, to: to.Address}, buf: *buf, at: headroom,
		wake: make(chan struct{}, 1), done: make(chan error, 1)}
	abandoned, err := s.send(ctx, p)
	if !abandoned {
		putBuffer(buf) // else another send may still be writing it
	}
	return err
}

// send queues p and waits for its outcome, sending it (and the other
// waiting messages) itself whenever a connection is free. It reports
// whether it gave p up while another send had it.
func (s *SMTP) send(ctx context.Context, p *pending) (abandoned bool, err error) {
	s.pool.mu.Lock()
	s.pool.queue = append(s.pool.queue, p)
	for {
		switch c, batch := s.pool.claim(p); {
		case batch != nil:
			s.pool.mu.Unlock()
			s.run(ctx, c, batch)
			s.pool.mu.Lock()
			continue
		case c == nil && !p.taken && s.pool.open < s.pool.limit:
			s.pool.open++
			s.pool.mu.Unlock()
			c, err := s.dial(ctx)
			s.pool.mu.Lock()
			if err != nil {
				s.pool.open--
				s.pool.wakeOne()
				if !p.taken {
					s.pool.remove(p)
					s.pool.mu.Unlock()
					return false, s.sendErr(ctx, err)
				}
			} else {
				// Idle, and still locked: the claim below takes it, unless
				// another send took p meanwhile; then it is for the others.
				c.idleAt = time.Now()
				s.pool.idle = append(s.pool.idle, c)
				if p.taken {
					s.pool.wakeOne()
				}
			}
			continue
		}
		p.waiting = !p.taken
		s.pool.mu.Unlock()
		select {
		case err := <-p.done:
			return false, err
		case <-p.wake:
		case <-ctx.Done():
		}
		s.pool.mu.Lock()
		p.waiting = false
		if err := ctx.Err(); err != nil {
			taken := p.taken
			if !taken {
				s.pool.remove(p)
			}
			s.pool.mu.Unlock()
			return taken, s.sendErr(ctx, fmt.Errorf("waiting for a connection: %w", err))
		}
	}
}

// claim takes an idle connection and a batch to send on it, p first,
// when p is still waiting and a connection is idle.
func (p *pool) claim(mine *pending) (*conn, []*pending) {
	if mine.taken {
		return nil, nil
	}
	c := p.take()
	if c == nil {
		return nil, nil
	}
	batch := []*pending{mine}
	size := len(mine.msg())
	if c.pipelining && c.chunking {
		room := min(maxBatch, maxPerConn-c.sent)
		for _, q := range p.queue {
			if len(batch) >= room || size+len(q.msg()) > maxBatchBytes {
				break
			}
			if q != mine {
				batch = append(batch, q)
				size += len(q.msg())
			}
		}
	}
	for _, q := range batch {
		q.taken = true
	}
	p.queue = slices.DeleteFunc(p.queue, func(q *pending) bool { return q.taken })
	return c, batch
}

// take returns the most recently used idle connection, or nil; it closes
// the ones idle too long.
func (p *pool) take() *conn {
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if time.Since(c.idleAt) < idleTimeout {
			return c
		}
		p.open--
		go quit(c)
	}
	return nil
}

// remove takes q out of the queue.
func (p *pool) remove(q *pending) {
	if i := slices.Index(p.queue, q); i >= 0 {
		p.queue = slices.Delete(p.queue, i, i+1)
	}
}

// wakeOne wakes the oldest message waiting for a connection, if any.
func (p *pool) wakeOne() {
	for _, q := range p.queue {
		if q.waiting {
			q.waiting = false
			select {
			case q.wake <- struct{}{}:
			default:
			}
			return
		}
	}
}

// run sends batch on c, answers each message's send or queues the message
// again, and releases c.
func (s *SMTP) run(ctx context.Context, c *conn, batch []*pending) {
	reused := c.sent > 0
	stop := context.AfterFunc(ctx, func() { c.raw.Close() })
	var errs []error
	if len(batch) == 1 {
		errs = []error{batch[0].transactOn(c)}
	} else {
		errs = c.transactBatch(batch)
	}
	alive := stop()
	ok := alive
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	var again []*pending
	for i, err := range errs {
		q := batch[i]
		switch {
		case err == nil:
			q.done <- nil
			continue
		case reused && alive && errors.Is(err, errStale):
			// Nothing was sent: again, on a fresh connection. Its idle
			// peers are likely as old: drop them too.
			s.pool.drainLocked()
			q.taken = false
			again = append(again, q)
		case i > 0:
			// Another send's message: ctx is not its.
			q.done <- s.sendErr(context.Background(), err)
		default:
			q.done <- s.sendErr(ctx, err)
		}
		ok = false
	}
	if len(again) > 0 {
		s.pool.queue = append(again, s.pool.queue...)
	}
	c.sent += len(batch)
	s.pool.release(c, !ok)
	for _, q := range again {
		if q.waiting {
			q.waiting = false
			select {
			case q.wake <- struct{}{}:
			default:
			}
		}
	}
}

// transactOn sends q alone on c.
func (q *pending) transactOn(c *conn) error {
	return c.transact(q.env, q.buf, q.at)
}

func (s *SMTP) sendErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("email: send to %s:%d: %w: %w", s.host, s.port, cerr, err)
	}
	return fmt.Errorf("email: send to %s:%d: %w", s.host, s.port, err)
}

// dial opens a connection: TCP (TLS for smtps), greeting, EHLO, STARTTLS
// when offered, AUTH. ctx bounds it all.
func (s *SMTP) dial(ctx context.Context) (*conn, error) {
	addr := net.JoinHostPort(s.host, strconv.Itoa(s.port))
	nd := &net.Dialer{}
	var raw net.Conn
	var err error
	if s.implicitTLS {
		raw, err = (&tls.Dialer{NetDialer: nd, Config: s.tlsConfig}).DialContext(ctx, "tcp", addr)
	} else {
		raw, err = nd.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	if s.wrap != nil {
		raw = s.wrap(raw)
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(commandTimeout))
	c, err := s.handshake(raw)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}

// handshake greets the server on raw and secures and authenticates the
// session as the URL asks.
func (s *SMTP) handshake(raw net.Conn) (*conn, error) {
	// raw is a *tls.Conn for smtps: net/smtp recognises TLS by its type.
	c, err := smtp.NewClient(raw, s.host)
	if err != nil {
		return nil, err
	}
	if err := c.Hello("localhost"); err != nil {
		return nil, err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicitTLS {
		if err := c.StartTLS(s.tlsConfig); err != nil {
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if s.auth {
		// PlainAuth refuses to send the password in the clear to a host
		// other than localhost, 127.0.0.1 or ::1.
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	has := func(ext string) bool {
		ok, _ := c.Extension(ext)
		return ok && !slices.Contains(s.without, ext)
	}
	return &conn{c: c, raw: raw, pipelining: has("PIPELINING"), chunking: has("CHUNKING"), smtputf8: has("SMTPUTF8")}, nil
}

// release makes c available again (idle), or closes it when it failed,
// has carried enough or the pool is closed, and wakes a waiting message
// to take it or open another.
func (p *pool) release(c *conn, failed bool) {
	switch {
	case failed:
		p.open--
		c.raw.Close()
	case p.closed || c.sent >= maxPerConn:
		p.open--
		go quit(c)
	default:
		c.idleAt = time.Now()
		p.idle = append(p.idle, c)
	}
	p.wakeOne()
}

// drainLocked closes every idle connection.
func (p *pool) drainLocked() {
	for _, c := range p.idle {
		p.open--
		c.raw.Close()
	}
	p.idle = nil
}

// Close says QUIT on the idle connections and closes them; sends after
// Close still work, one connection each.
func (s *SMTP) Close() error {
	s.pool.mu.Lock()
	s.pool.closed = true
	idle := s.pool.idle
	s.pool.idle = nil
	s.pool.open -= len(idle)
	s.pool.mu.Unlock()
	for _, c := range idle {
		quit(c)
	}
	return nil
}

// quit ends a connection politely, within a few seconds.
func quit(c *conn) {
	c.raw.SetDeadline(time.Now().Add(5 * time.Second))
	c.c.Quit()
	c.raw.Close()
}
