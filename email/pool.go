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

// pool keeps idle SMTP connections, each ready for its next MAIL command.
type pool struct {
	slots  chan struct{} // one per open connection
	mu     sync.Mutex
	idle   []*conn // most recently used last
	closed bool
}

func (p *pool) init() { p.slots = make(chan struct{}, maxConns) }

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

// Send delivers m to its one recipient on an idle connection, or a new
// one. ctx bounds the whole exchange: the connection is closed when ctx
// ends. A reused connection that the server closed meanwhile fails before
// the message is sent (at MAIL, with no reply); the message then goes on
// a fresh connection, so a stale connection never fails a message.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	from, to, err := m.check()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("email: send: %w", err)
	}
	buf := getBuffer(headroom + m.sizeHint())
	defer putBuffer(buf)
	*buf = m.compose((*buf)[:headroom], from, to)
	env := envelope{from: from.Address, to: to.Address}

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
		err = c.transact(env, *buf, headroom)
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
		if reused && alive && errors.Is(err, errStale) {
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
