package main

import (
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// mailSink is the loopback SMTP server of the realistic mode: it accepts
// every message (no TLS, no AUTH) and counts them, noting when the last
// one came. It counts connections too, to show how Herald uses them.
type mailSink struct {
	srv  *smtp.Server
	ln   net.Listener
	addr string

	messages atomic.Int64
	conns    atomic.Int64
	mu       sync.Mutex
	last     time.Time
}

func startMailSink() (*mailSink, error) {
	m := &mailSink{}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		m.conns.Add(1)
		return sinkSession{m}, nil
	}))
	m.srv.Domain = "localhost"
	m.srv.ReadTimeout, m.srv.WriteTimeout = 30*time.Second, 30*time.Second
	m.srv.MaxRecipients = 60
	m.srv.ErrorLog = log.New(io.Discard, "", 0)
	var err error
	if m.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	m.addr = m.ln.Addr().String()
	go m.srv.Serve(m.ln)
	return m, nil
}

// lastArrival is when the latest message came.
func (m *mailSink) lastArrival() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// waitFor waits until want messages have arrived, for at most limit.
func (m *mailSink) waitFor(want int64, limit time.Duration, stop <-chan struct{}) bool {
	return waitCount(&m.messages, want, limit, stop)
}

func (m *mailSink) close() {
	m.srv.Close()
	m.ln.Close()
}

type sinkSession struct{ m *mailSink }

func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (sinkSession) Reset()                               {}
func (sinkSession) Logout() error                        { return nil }

func (s sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	now := time.Now()
	s.m.mu.Lock()
	s.m.last = now
	s.m.mu.Unlock()
	s.m.messages.Add(1)
	return nil
}

// waitCount waits until n reaches want, for at most limit.
func waitCount(n *atomic.Int64, want int64, limit time.Duration, stop <-chan struct{}) bool {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for n.Load() < want {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-stop:
			return false
		case <-tick.C:
		}
	}
	return true
}
