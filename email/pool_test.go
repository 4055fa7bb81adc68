package email

import (
	"bytes"
	"context"
	"fmt"
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

// Concurrent sends share at most maxConns connections, whatever the
// server offers: with PIPELINING and CHUNKING, waiting messages go in
// batches; without, one by one. Each arrives once, whole.
func TestSMTPConcurrentSendsShareBoundedConnections(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, srv *server, s *SMTP) {
		const n = 3 * maxConns
		var wg sync.WaitGroup
		errs := make(chan error, n)
		want := map[string][]byte{}
		for i := range n {
			m := testMessage(t, fmt.Sprintf("rcpt%d@acme.test", i))
			b, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			want[m.To] = b
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
		got := srv.messages()
		if len(got) != n {
			t.Errorf("server received %d messages, want %d", len(got), n)
		}
		for _, r := range got {
			if w := want[r.rcpt[0]]; !bytes.Equal(r.data, w) {
				t.Errorf("%s received\n%q\nwant\n%q", r.rcpt[0], r.data, w)
			}
			delete(want, r.rcpt[0])
		}
		if got := srv.connections(); got > maxConns {
			t.Errorf("%d connections, want at most %d", got, maxConns)
		}
	})
}

// eachMode runs test once for each of transactModes, in parallel, on a
// server of its own and a sender to it that takes that mode.
func eachMode(t *testing.T, test func(t *testing.T, srv *server, s *SMTP)) {
	for _, mode := range transactModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			srv := &server{}
			srv.start(t)
			s := newSMTP(t, "smtp://"+srv.addr)
			s.without = mode.without
			test(t, srv, s)
		})
	}
}

// A connection the server closed while it sat idle is replaced without
// failing the message, and the message is sent once.
func TestSMTPStaleConnectionIsReplaced(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, srv *server, s *SMTP) {
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
