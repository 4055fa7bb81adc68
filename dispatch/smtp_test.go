package dispatch_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"herald"
	"herald/dispatch"
	"herald/email"
	"herald/store"
	"herald/store/storetest"
)

// mailServer is a real SMTP server on loopback whose RCPT answers a test
// can script: "later@..." is refused with 451 twice, then accepted;
// "never@..." is refused with 550.
type mailServer struct {
	addr     string
	srv      *smtp.Server // nil while stopped
	ln       net.Listener
	mu       sync.Mutex
	rcptSeen map[string]int
	messages map[string][]string // recipient -> messages
}

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	m := &mailServer{rcptSeen: map[string]int{}, messages: map[string][]string{}, addr: "127.0.0.1:0"}
	m.start(t)
	t.Cleanup(m.stop)
	return m
}

// start serves on m.addr (a free port the first time, the same port after
// a stop).
func (m *mailServer) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	m.mu.Lock()
	m.addr, m.srv, m.ln = ln.Addr().String(), srv, ln
	m.mu.Unlock()
	go srv.Serve(ln)
}

// stop closes the listener and every connection: the server is gone, and
// connecting is refused, until start.
func (m *mailServer) stop() {
	m.mu.Lock()
	srv, ln := m.srv, m.ln
	m.srv, m.ln = nil, nil
	m.mu.Unlock()
	if srv != nil {
		// The listener too: Close misses it if Serve has not yet begun.
		ln.Close()
		srv.Close()
	}
}

func (m *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }

func (m *mailServer) received(to string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.messages[to]...)
}

type mailSession struct {
	m  *mailServer
	to []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.m.rcptSeen[to]++
	switch {
	case strings.HasPrefix(to, "later@") && s.m.rcptSeen[to] <= 2:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	case strings.HasPrefix(to, "never@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	for _, to := range s.to {
		s.m.messages[to] = append(s.m.messages[to], string(b))
	}
	return nil
}

func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

// Emails go over real SMTP, one message per recipient; a transient refusal
// is retried with backoff, a permanent one fails at once.
func TestEmailsOverSMTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		mail := startMailServer(t)
		sender, err := email.NewSMTP("smtp://" + mail.addr)
		if err != nil {
			t.Fatal(err)
		}
		h := newHarness(t, s, func(c *dispatch.WorkerConfig) {
			c.SMTP, c.EmailRetry, c.SMTPTimeout = sender, dispatch.Schedule{50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}, 5*time.Second
		})
		h.account(500, "ann@acme.test", "", map[herald.EventKey]herald.EventSettings{
			herald.TenantArchived: {EmailSubscribers: []string{"later@acme.test", "never@acme.test"}},
		})
		h.emit(500, "tenant_archived", specData["tenant_archived"])
		ds := h.settle(500, 15*time.Second)
		byTarget := map[string]herald.Delivery{}
		for _, d := range ds {
			byTarget[d.Target] = d
		}
		if d := byTarget["ann@acme.test"]; d.Status != herald.StatusSucceeded || d.Attempts != 1 {
			t.Errorf("contact: %+v", d)
		}
		if d := byTarget["later@acme.test"]; d.Status != herald.StatusSucceeded || d.Attempts != 3 {
			t.Errorf("transient refusals: %+v, want succeeded on the third attempt", d)
		}
		if d := byTarget["never@acme.test"]; d.Status != herald.StatusFailed || d.Attempts != 1 || !strings.Contains(d.Error, "550") {
			t.Errorf("permanent refusal: %+v, want failed after one attempt", d)
		}
		for _, to := range []string{"ann@acme.test", "later@acme.test"} {
			msgs := mail.received(to)
			if len(msgs) != 1 {
				t.Fatalf("%s got %d messages", to, len(msgs))
			}
			for _, other := range []string{"ann@acme.test", "later@acme.test", "never@acme.test"} {
				if other != to && strings.Contains(msgs[0], other) {
					t.Errorf("message to %s names %s", to, other)
				}
			}
			if !strings.Contains(msgs[0], "Subject: [Acme Corp] Tenant archived: Widget Co (Shopify Integration)") ||
				!strings.Contains(msgs[0], "X-Herald-Event: tenant_archived") {
				t.Errorf("message to %s:\n%s", to, msgs[0])
			}
		}
		if msgs, _ := s.Outbox(context.Background(), 500, "", 10); len(msgs) != 0 {
			t.Errorf("with SMTP configured, %d messages went to the outbox", len(msgs))
		}
	})
}
