package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// The pool's limits: connections open at once (sends beyond wait for one,
// within their context), how long an idle one is kept, and how many
// messages one carries before it is closed (servers limit that too).
const (
	maxConns    = 16
	idleTimeout = 15 * time.Second
	maxPerConn  = 100
)

// pool keeps idle SMTP connections, each ready for its next MAIL command.
type pool struct {
	slots  chan struct{} // one per open connection
	mu     sync.Mutex
	idle   []*conn // most recently used last
	closed bool
}

func (p *pool) init() { p.slots = make(chan struct{}, maxConns) }

// conn is one SMTP connection: go-mail's client for it, and the network
// connection under it, closed to abandon an exchange when a context ends.
type conn struct {
	c      *smtp.Client
	raw    net.Conn
	sent   int
	idleAt time.Time
}

// Send delivers m to its one recipient on an idle connection, or a new
// one. ctx bounds the whole exchange, not only the dial: go-mail applies a
// context to dialing only, so the connection is closed when ctx ends. A
// reused connection that the server closed meanwhile fails before the
// message is sent (at MAIL, with no reply); the message then goes on a
// fresh connection, so a stale connection never fails a message.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := m.msg()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("email: send: %w", err)
	}
	select {
	case s.pool.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("email: send to %s:%d: waiting for a connection: %w", s.host, s.port, ctx.Err())
	}
	defer func() { <-s.pool.slots }()
	for {
		c := s.pool.take()
		reused := c != nil
		if c == nil {
			if c, err = s.dial(ctx); err != nil {
				return s.sendErr(ctx, err)
			}
		}
		stop := context.AfterFunc(ctx, func() { c.raw.Close() })
		err = s.client.SendWithSMTPClient(c.c, msg)
		alive := stop()
		switch {
		case err == nil && alive:
			s.pool.put(c)
			return nil
		case err == nil:
			c.raw.Close()
			return nil
		}
		c.raw.Close()
		if reused && alive && stale(err) {
			// Its idle peers are likely as old: drop them too.
			s.pool.drain()
			continue
		}
		return s.sendErr(ctx, err)
	}
}

func (s *SMTP) sendErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("email: send to %s:%d: %w: %w", s.host, s.port, cerr, err)
	}
	return fmt.Errorf("email: send to %s:%d: %w", s.host, s.port, err)
}

// stale reports whether err is a connection failing before the message
// started (no SMTP reply at all): nothing was sent, so sending again on
// another connection cannot make a duplicate.
func stale(err error) bool {
	var se *mail.SendError
	return errors.As(err, &se) && (se.Reason == mail.ErrConnCheck || se.Reason == mail.ErrSMTPMailFrom) && se.ErrorCode() == 0
}

type dialKey struct{}

// dialed receives the network connection dialConn made.
type dialed struct {
	ctx  context.Context // the send's, which closes the connection when it ends
	conn net.Conn
	stop func() bool
}

// dial opens a connection: greeting, EHLO, STARTTLS when offered, AUTH.
func (s *SMTP) dial(ctx context.Context) (*conn, error) {
	d := &dialed{ctx: ctx}
	c, err := s.client.DialToSMTPClientWithContext(context.WithValue(ctx, dialKey{}, d))
	if d.conn == nil {
		return nil, err
	}
	if !d.stop() || err != nil {
		d.conn.Close() // go-mail leaves it open when the greeting or EHLO fails
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
	return &conn{c: c, raw: d.conn}, nil
}

// dialConn is go-mail's dialer: plain TCP, or TLS for smtps. It hands the
// connection to dial, closing it if the send's context ends first.
func (s *SMTP) dialConn(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := &net.Dialer{}
	var c net.Conn
	var err error
	if s.implicitTLS {
		c, err = (&tls.Dialer{NetDialer: nd, Config: s.tlsConfig}).DialContext(ctx, network, addr)
	} else {
		c, err = nd.DialContext(ctx, network, addr)
	}
	if err != nil {
		return nil, err
	}
	// The raw conn (a *tls.Conn for smtps) is returned unwrapped: go-mail
	// recognises TLS by its type.
	if d, ok := ctx.Value(dialKey{}).(*dialed); ok {
		d.conn, d.stop = c, context.AfterFunc(d.ctx, func() { c.Close() })
	}
	return c, nil
}

// take returns the most recently used idle connection, or nil; it closes
// the ones idle too long.
func (p *pool) take() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if time.Since(c.idleAt) < idleTimeout {
			return c
		}
		go quit(c)
	}
	return nil
}

// put keeps c for the next message, or closes it when it has carried
// enough or the pool is closed.
func (p *pool) put(c *conn) {
	c.sent++
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || c.sent >= maxPerConn {
		go quit(c)
		return
	}
	c.idleAt = time.Now()
	p.idle = append(p.idle, c)
}

// drain closes every idle connection.
func (p *pool) drain() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.raw.Close()
	}
}

// Close says QUIT on the idle connections and closes them; sends after
// Close still work, one connection each.
func (s *SMTP) Close() error {
	s.pool.mu.Lock()
	s.pool.closed = true
	idle := s.pool.idle
	s.pool.idle = nil
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
