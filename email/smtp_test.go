package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"herald"
)

// server is an in-process SMTP server on loopback that records what it
// receives.
type server struct {
	addr string

	// set before start
	tls         *tls.Config // offered by STARTTLS, or implicit with implicitTLS
	implicitTLS bool
	user, pass  string // when set, AUTH PLAIN is offered and required
	rcptErr     error
	dataBlock   chan struct{} // when set, DATA waits for it to close
	discard     bool          // count messages only (benchmarks)
	// dataGate, when set, holds each message's content until it can take
	// a token from it; the test sends them.
	dataGate chan struct{}
	// refuse lists, by recipient, the replies to its RCPT commands in
	// turn (nil: accept); then it is accepted.
	refuse map[string][]error
	// smallBuffers gives each connection the smallest socket buffers.
	smallBuffers bool
	// strict refuses MAIL while a transaction is open, as Postfix does
	// (go-smtp keeps a transaction whose recipients were all refused
	// open until RSET).
	strict bool

	mu     sync.Mutex
	got    []received
	count  int
	inData int // messages whose content the server has started reading
	auth   []string
	conns  []*smtp.Conn // every connection made, in order
}

type received struct {
	from string
	rcpt []string
	data []byte
	tls  bool
}

type session struct {
	s      *server
	c      *smtp.Conn
	authed bool
	cur    received
}

func (s *server) start(t testing.TB) {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		return &session{s: s, c: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.smallBuffers {
		l = smallBufferListener{l}
	}
	if s.implicitTLS {
		l = tls.NewListener(l, s.tls)
	} else {
		srv.TLSConfig = s.tls
	}
	s.addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		if s.dataBlock != nil {
			close(s.dataBlock)
		}
		if s.dataGate != nil {
			close(s.dataGate)
		}
		srv.Close()
		l.Close() // Serve may not have registered l yet: Close alone would miss it
		<-done
	})
}

func (s *server) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func (se *session) AuthMechanisms() []string {
	if se.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		se.s.mu.Lock()
		se.s.auth = append(se.s.auth, user)
		se.s.mu.Unlock()
		if user != se.s.user || pass != se.s.pass {
			return smtp.ErrAuthFailed
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.user != "" && !se.authed {
		return smtp.ErrAuthRequired
	}
	if se.s.strict && se.cur.from != "" {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "nested MAIL command"}
	}
	se.cur = received{from: from}
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if se.s.rcptErr != nil {
		return se.s.rcptErr
	}
	se.s.mu.Lock()
	var refusal error
	if rs := se.s.refuse[to]; len(rs) > 0 {
		refusal, se.s.refuse[to] = rs[0], rs[1:]
	}
	se.s.mu.Unlock()
	if refusal != nil {
		return refusal
	}
	se.cur.rcpt = append(se.cur.rcpt, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	se.s.mu.Lock()
	se.s.inData++
	se.s.mu.Unlock()
	if se.s.dataGate != nil {
		<-se.s.dataGate
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if se.s.dataBlock != nil {
		<-se.s.dataBlock
	}
	_, se.cur.tls = se.c.TLSConnectionState()
	se.cur.data = b
	se.s.mu.Lock()
	se.s.count++
	if !se.s.discard {
		se.s.got = append(se.s.got, se.cur)
	}
	se.s.mu.Unlock()
	return nil
}

func (se *session) Reset()        { se.cur = received{} }
func (se *session) Logout() error { return nil }

// testCert is a self-signed certificate for 127.0.0.1, and a pool that
// trusts it.
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "herald test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
})

func serverTLS() *tls.Config {
	cert, _ := testCert()
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

func newSMTP(t testing.TB, rawURL string) *SMTP {
	t.Helper()
	s, err := NewSMTP(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	_, pool := testCert()
	s.tlsConfig.RootCAs = pool
	return s
}

func testMessage(t *testing.T, to string) Message {
	t.Helper()
	m, err := newRenderer(t).Render(specNotification(t, herald.RunFailed), to, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		srv     *server
		scheme  string
		userURL string
		tls     bool
	}{
		{"plain, no auth", &server{}, "smtp", "", false},
		{"plain, auth on loopback", &server{user: "herald", pass: "p@ss word"}, "smtp", "herald:p%40ss%20word@", false},
		{"starttls", &server{tls: serverTLS()}, "smtp", "", true},
		{"starttls, auth", &server{tls: serverTLS(), user: "herald", pass: "secret"}, "smtp", "herald:secret@", true},
		{"implicit tls, auth", &server{tls: serverTLS(), implicitTLS: true, user: "herald", pass: "secret"}, "smtps", "herald:secret@", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.srv.start(t)
			s := newSMTP(t, tt.scheme+"://"+tt.userURL+tt.srv.addr)
			m := testMessage(t, "ann@acme.test")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.Send(ctx, m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := tt.srv.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			r := got[0]
			if r.from != "herald@localhost" {
				t.Errorf("MAIL FROM = %q", r.from)
			}
			if len(r.rcpt) != 1 || r.rcpt[0] != "ann@acme.test" {
				t.Errorf("RCPT TO = %q, want exactly ann@acme.test", r.rcpt)
			}
			if r.tls != tt.tls {
				t.Errorf("TLS = %v, want %v", r.tls, tt.tls)
			}
			if tt.srv.user != "" {
				tt.srv.mu.Lock()
				auth := tt.srv.auth
				tt.srv.mu.Unlock()
				if len(auth) != 1 || auth[0] != tt.srv.user {
					t.Errorf("AUTH users = %q", auth)
				}
			}
			p := parse(t, r.data)
			if to, err := p.header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "ann@acme.test" {
				t.Errorf("To = %v (%v)", to, err)
			}
			if p.subject != m.Subject || p.header.Get("X-Herald-Event") != "run_failed" {
				t.Errorf("subject %q, event %q", p.subject, p.header.Get("X-Herald-Event"))
			}
			if len(p.parts) != 2 || !strings.Contains(p.parts[0].body, "View the run") {
				t.Errorf("parts = %v", p.parts)
			}
			// What was sent is what Bytes gives for the outbox.
			want, err := m.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.data, want) {
				t.Errorf("sent message differs from Bytes:\n%s\n---\n%s", r.data, want)
			}
		})
	}
}

func TestSMTPFailures(t *testing.T) {
	t.Parallel()
	// A port that nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	tests := []struct {
		name      string
		srv       *server // nil: the closed port
		userURL   string
		permanent bool
		want      string
	}{
		{"550 on RCPT", &server{rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}}, "", true, "550"},
		{"451 on RCPT", &server{rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}}, "", false, "451"},
		{"wrong password", &server{user: "herald", pass: "secret"}, "herald:wrong@", true, "535"},
		{"auth required", &server{user: "herald", pass: "secret"}, "", true, "502"},
		{"closed port", nil, "", false, "refused"},
		{"starttls with an untrusted cert", &server{tls: &tls.Config{Certificates: []tls.Certificate{selfSignedOther(t)}}}, "", false, "certificate"},
	}
	for _, mode := range transactModes {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				addr := closed
				if tt.srv != nil {
					// A server each.
					tt.srv = &server{rcptErr: tt.srv.rcptErr, user: tt.srv.user, pass: tt.srv.pass, tls: tt.srv.tls}
					tt.srv.start(t)
					addr = tt.srv.addr
				}
				s := newSMTP(t, "smtp://"+tt.userURL+addr)
				s.without = mode.without
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				err := s.Send(ctx, testMessage(t, "ann@acme.test"))
				if err == nil {
					t.Fatal("Send succeeded")
				}
				t.Logf("err: %v", err)
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v, want one containing %q", err, tt.want)
				}
				if Permanent(err) != tt.permanent {
					t.Errorf("Permanent(%v) = %v, want %v", err, !tt.permanent, tt.permanent)
				}
				if tt.srv != nil && len(tt.srv.messages()) != 0 {
					t.Errorf("a message arrived")
				}
			})
		}
	}
}

// transactModes are the ways transact can send a message, each taken by
// ignoring extensions the test server offers.
var transactModes = []struct {
	name    string
	without []string
}{
	{"bdat", nil},
	{"data pipelined", []string{"CHUNKING"}},
	{"one command at a time", []string{"CHUNKING", "PIPELINING"}},
}

// selfSignedOther is a certificate the client does not trust.
func selfSignedOther(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestSMTPContext(t *testing.T) {
	t.Parallel()

	// A server that accepts connections and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	conns.Add(1)
	go func() {
		defer conns.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				_, _ = io.Copy(io.Discard, c) // until the client hangs up
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); conns.Wait() })
	mute := l.Addr().String()

	// A server that never answers the end of DATA.
	slow := &server{dataBlock: make(chan struct{})}
	slow.start(t)

	tests := []struct {
		name   string
		addr   string
		cancel bool // cancel instead of a deadline
	}{
		{"no greeting, deadline", mute, false},
		{"no greeting, cancel", mute, true},
		{"stuck in DATA, deadline", slow.addr, false},
		{"stuck in DATA, cancel", slow.addr, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSMTP(t, "smtp://"+tt.addr)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			if tt.cancel {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(200*time.Millisecond, cancel)
			}
			start := time.Now()
			err := s.Send(ctx, testMessage(t, "ann@acme.test"))
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Send took %v", d)
			}
			want := context.DeadlineExceeded
			if tt.cancel {
				want = context.Canceled
			}
			if !errors.Is(err, want) {
				t.Errorf("err = %v, want %v", err, want)
			}
			if Permanent(err) {
				t.Errorf("Permanent(%v) = true", err)
			}
		})
	}

	t.Run("already done", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := newSMTP(t, "smtp://"+mute).Send(ctx, testMessage(t, "ann@acme.test"))
		if !errors.Is(err, context.Canceled) || Permanent(err) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestSMTPInvalidMessage(t *testing.T) {
	t.Parallel()
	srv := &server{}
	srv.start(t)
	m := testMessage(t, "ann@acme.test")
	m.To = "ann@acme.test, bob@acme.test"
	err := newSMTP(t, "smtp://"+srv.addr).Send(context.Background(), m)
	if !errors.Is(err, ErrInvalidMessage) || !Permanent(err) {
		t.Errorf("err = %v, want a permanent ErrInvalidMessage", err)
	}
	if len(srv.messages()) != 0 {
		t.Errorf("a message arrived")
	}
}

func TestNewSMTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url        string
		host       string
		port       int
		tls        bool
		user, pass string
		err        string
	}{
		{url: "smtp://mail.example.com", host: "mail.example.com", port: 587},
		{url: "smtps://mail.example.com", host: "mail.example.com", port: 465, tls: true},
		{url: "smtp://u%40x:p%3Aw@mail.example.com:2525", host: "mail.example.com", port: 2525, user: "u@x", pass: "p:w"},
		{url: "smtps://u@[::1]:4650/", host: "::1", port: 4650, tls: true, user: "u"},
		{url: "http://mail.example.com", err: "scheme"},
		{url: "mail.example.com:25", err: "scheme"},
		{url: "smtp://", err: "no host"},
		{url: "smtp://:25", err: "no host"},
		{url: "smtp://h:0", err: "bad port"},
		{url: "smtp://h:70000", err: "bad port"},
		{url: "smtp://h/x", err: "path"},
		{url: "smtp://h?tls=no", err: "query"},
		{url: "smtp://h:x", err: "smtp url"},
	}
	for _, tt := range tests {
		s, err := NewSMTP(tt.url)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NewSMTP(%q) err = %v, want one containing %q", tt.url, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewSMTP(%q): %v", tt.url, err)
			continue
		}
		if s.host != tt.host || s.port != tt.port || s.implicitTLS != tt.tls || s.user != tt.user || s.pass != tt.pass || s.auth != (tt.user != "") {
			t.Errorf("NewSMTP(%q) = %+v", tt.url, s)
		}
		if s.tlsConfig.ServerName != tt.host || s.tlsConfig.InsecureSkipVerify {
			t.Errorf("NewSMTP(%q) tls config %+v", tt.url, s.tlsConfig)
		}
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("550 looks like a reply but is not one"), false},
		{context.DeadlineExceeded, false},
		{ErrInvalidMessage, true},
	} {
		if got := Permanent(tt.err); got != tt.want {
			t.Errorf("Permanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// Every composed message arrives exactly as Bytes writes it, its lines
// starting with a dot among them (dot-stuffed on the wire, unstuffed by
// the server), over pipelined commands.
func TestSMTPSendsExactBytes(t *testing.T) {
	t.Parallel()
	for _, mode := range transactModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testSendsExactBytes(t, mode.without)
		})
	}
}

func testSendsExactBytes(t *testing.T, without []string) {
	srv := &server{}
	srv.start(t)
	s := newSMTP(t, "smtp://"+srv.addr)
	s.without = without
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want := map[string][]byte{}
	for name, m := range composeCases(t) {
		m.MessageID = strings.NewReplacer("/", ".", "_", ".").Replace(name) + "@localhost"
		b, err := m.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		want[m.MessageID] = b
		if err := s.Send(ctx, m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	s.pool.mu.Lock()
	if len(s.pool.idle) != 1 {
		t.Errorf("want one idle connection, have %d", len(s.pool.idle))
	} else if c := s.pool.idle[0]; c.pipelining == slices.Contains(without, "PIPELINING") || c.chunking == slices.Contains(without, "CHUNKING") {
		t.Errorf("connection pipelining %v, chunking %v, want the server's extensions but %q", c.pipelining, c.chunking, without)
	}
	s.pool.mu.Unlock()
	got := srv.messages()
	if len(got) != len(want) {
		t.Fatalf("server received %d messages, want %d", len(got), len(want))
	}
	for _, r := range got {
		msg, err := netmail.ReadMessage(bytes.NewReader(r.data))
		if err != nil {
			t.Fatal(err)
		}
		id := msg.Header.Get("Message-Id")
		w, ok := want[strings.Trim(id, "<>")]
		if !ok {
			t.Errorf("unexpected message %s", id)
			continue
		}
		if !bytes.Equal(r.data, w) {
			t.Errorf("%s: received\n%q\nwant\n%q", id, r.data, w)
		}
	}
}
