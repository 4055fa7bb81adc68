package email

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// connections is how many connections the server has accepted (a
// session starts again after STARTTLS, on the same connection).
func (s *server) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[*smtp.Conn]bool{}
	for _, c := range s.conns {
		seen[c] = true
	}
	return len(seen)
}

// hangUp closes every connection from the server's side, as a server
// does to connections idle past its timeout.
func (s *server) hangUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

func sendN(t *testing.T, s *SMTP, n int) {
	t.Helper()
	m := testMessage(t, "ann@acme.test")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range n {
		if err := s.Send(ctx, m); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
}

func TestSMTPReusesConnections(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, scheme, user string
		srv                *server
	}{
		{"plain", "smtp", "", &server{}},
		{"starttls, auth", "smtp", "herald:secret@", &server{tls: serverTLS(), user: "herald", pass: "secret"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.srv.start(t)
			s := newSMTP(t, tt.scheme+"://"+tt.user+tt.srv.addr)
			sendN(t, s, 10)
			if got := len(tt.srv.messages()); got != 10 {
				t.Fatalf("server received %d messages, want 10", got)
			}
			if got := tt.srv.connections(); got != 1 {
				t.Errorf("10 messages one after another took %d connections, want 1", got)
			}
			tt.srv.mu.Lock()
			auths := len(tt.srv.auth)
			tt.srv.mu.Unlock()
			if tt.srv.user != "" && auths != 1 {
				t.Errorf("AUTH %d times, want once for the one connection", auths)
			}
			s.Close()
		})
	}
}

func TestSMTPConcurrentSendsShareBoundedConnections(t *testing.T) {
	t.Parallel()
	srv := &server{}
	srv.start(t)
	s := newSMTP(t, "smtp://"+srv.addr)
	m := testMessage(t, "ann@acme.test")
	const n = 3 * maxConns
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			errs <- s.Send(ctx, m)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(srv.messages()); got != n {
		t.Errorf("server received %d messages, want %d", got, n)
	}
	if got := srv.connections(); got > maxConns {
		t.Errorf("%d connections, want at most %d", got, maxConns)
	}
}

// A connection the server closed while it sat idle is replaced without
// failing the message, and the message is sent once.
func TestSMTPStaleConnectionIsReplaced(t *testing.T) {
	t.Parallel()
	for _, mode := range transactModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			srv := &server{}
			srv.start(t)
			s := newSMTP(t, "smtp://"+srv.addr)
			s.without = mode.without
			sendN(t, s, 1)
			srv.hangUp()
			sendN(t, s, 1)
			if got := len(srv.messages()); got != 2 {
				t.Errorf("server received %d messages, want 2", got)
			}
			if got := srv.connections(); got != 2 {
				t.Errorf("%d connections, want 2", got)
			}
		})
	}
}

func TestSMTPConnectionCarriesBoundedMessages(t *testing.T) {
	t.Parallel()
	srv := &server{}
	srv.start(t)
	s := newSMTP(t, "smtp://"+srv.addr)
	sendN(t, s, maxPerConn+1)
	if got := srv.connections(); got != 2 {
		t.Errorf("%d messages took %d connections, want 2", maxPerConn+1, got)
	}
}
