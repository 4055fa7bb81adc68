// Package mailpit runs a real Mailpit server (github.com/axllent/mailpit)
// for tests: an SMTP server that keeps what it receives and an HTTP API to
// read it back, including Mailpit's HTML compatibility check of an email
// against the major mail clients.
//
// scripts/test.sh installs Mailpit and sets HERALD_TEST_MAILPIT; without
// the binary, Start skips the test, except in CI (CI set), where it fails.
package mailpit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a starting Mailpit may take to answer.
const startTimeout = 30 * time.Second

// Server is a Mailpit process listening on loopback ports chosen for it.
// Stop and Start stop and start the process on the same ports, for tests
// of an SMTP server that goes away and comes back.
type Server struct {
	t        testing.TB
	bin      string
	dir      string
	smtpPort int
	httpPort int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Path finds the Mailpit binary: HERALD_TEST_MAILPIT, then mailpit on
// PATH, then $GOPATH/bin/mailpit (where go install puts it). It returns ""
// when there is none.
func Path() string {
	if p := os.Getenv("HERALD_TEST_MAILPIT"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		}
	}
	if p := filepath.Join(gopath, "bin", "mailpit"); gopath != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Start starts Mailpit on two free loopback ports; it is stopped when the
// test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Path()
	if bin == "" {
		msg := "this test needs Mailpit: go install github.com/axllent/mailpit@v1.33.1, or set HERALD_TEST_MAILPIT; scripts/test.sh does"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), smtpPort: freePort(t), httpPort: freePort(t)}
	t.Cleanup(s.Stop)
	s.Start()
	return s
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before Mailpit binds it; on loopback, in a test, that is rare
// enough, and Start then fails clearly.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// SMTPAddr is the SMTP server's host:port.
func (s *Server) SMTPAddr() string { return "127.0.0.1:" + strconv.Itoa(s.smtpPort) }

// SMTPURL is the SMTP server as HERALD_SMTP_URL takes it (no TLS, no
// authentication).
func (s *Server) SMTPURL() string { return "smtp://" + s.SMTPAddr() }

// APIURL is the base of Mailpit's web UI and API.
func (s *Server) APIURL() string { return "http://127.0.0.1:" + strconv.Itoa(s.httpPort) }

// Start starts the process again after Stop, on the same ports and with
// the same stored messages; it returns when the API answers.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	cmd := exec.Command(s.bin,
		"--disable-version-check",
		"--listen", "127.0.0.1:"+strconv.Itoa(s.httpPort),
		"--smtp", s.SMTPAddr(),
		"--database", filepath.Join(s.dir, "mailpit.db"),
		// The tests send to made-up domains; Mailpit needs no auth or TLS.
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--smtp-disable-rdns",
		"--quiet",
	)
	log, err := os.OpenFile(filepath.Join(s.dir, "mailpit.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		s.t.Fatalf("starting mailpit: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(done) }()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(startTimeout)
	for {
		if s.ready() {
			return
		}
		select {
		case <-done:
			s.cmd = nil
			s.t.Fatalf("mailpit exited at start:\n%s", s.logText())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("mailpit did not answer within %v:\n%s", startTimeout, s.logText())
		}
	}
}

// ready reports whether both the API and the SMTP port answer.
func (s *Server) ready() bool {
	res, err := http.Get(s.APIURL() + "/api/v1/info")
	if err != nil {
		return false
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", s.SMTPAddr(), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Stop stops the process (SIGKILL: an SMTP server that vanishes) and waits
// for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

func (s *Server) logText() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "mailpit.log"))
	return string(b)
}

// get reads path of the API into v (JSON), or returns the body when v is
// a *[]byte.
func (s *Server) get(path string, v any) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.APIURL()+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("mailpit GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("mailpit GET %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("mailpit GET %s: %s\n%s", path, res.Status, body)
	}
	if b, ok := v.(*[]byte); ok {
		*b = body
		return
	}
	if err := json.Unmarshal(body, v); err != nil {
		s.t.Fatalf("mailpit GET %s: %v\n%s", path, err, body)
	}
}

// Address is a mailbox in Mailpit's JSON.
type Address struct {
	Name    string
	Address string
}

// Summary is one message in a list.
type Summary struct {
	ID        string
	MessageID string // without angle brackets
	Subject   string
	From      Address
	To        []Address
}

// Messages lists the stored messages, newest first (at most 1,000).
func (s *Server) Messages() []Summary {
	s.t.Helper()
	var list struct{ Messages []Summary }
	s.get("/api/v1/messages?limit=1000", &list)
	return list.Messages
}

// WaitMessages waits until at least n messages are stored, and returns
// them; a test that waits longer than 30 seconds fails.
func (s *Server) WaitMessages(n int) []Summary {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ms := s.Messages()
		if len(ms) >= n {
			return ms
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("mailpit has %d messages, want %d", len(ms), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Raw returns a message exactly as received.
func (s *Server) Raw(id string) []byte {
	s.t.Helper()
	var b []byte
	s.get("/api/v1/message/"+id+"/raw", &b)
	return b
}

// Headers returns a message's headers, each with all its values.
func (s *Server) Headers(id string) map[string][]string {
	s.t.Helper()
	var h map[string][]string
	s.get("/api/v1/message/"+id+"/headers", &h)
	return h
}

// HTMLCheck is Mailpit's HTML compatibility report of one message, from
// caniemail.com's data: Total.Supported is the share (percent) of the
// major clients' support the message's HTML and CSS can count on.
type HTMLCheck struct {
	Total struct {
		Nodes       int
		Supported   float64
		Partial     float64
		Unsupported float64
		Tests       int
	}
	Warnings []Warning
}

// Warning is one HTML or CSS feature some clients lack.
type Warning struct {
	Slug     string
	Title    string
	Category string
	Score    struct {
		Found       int
		Supported   float64
		Partial     float64
		Unsupported float64
	}
}

// HTMLCheck runs the compatibility check on a stored message.
func (s *Server) HTMLCheck(id string) HTMLCheck {
	s.t.Helper()
	var c HTMLCheck
	s.get("/api/v1/message/"+id+"/html-check", &c)
	return c
}

// String lists the warnings, for a failing test's message.
func (c HTMLCheck) String() string {
	out := fmt.Sprintf("supported %.2f%%, partial %.2f%%, unsupported %.2f%%", c.Total.Supported, c.Total.Partial, c.Total.Unsupported)
	for _, w := range c.Warnings {
		out += fmt.Sprintf("\n  %s (%s, %d found): supported %.1f%% partial %.1f%% unsupported %.1f%%",
			w.Title, w.Slug, w.Score.Found, w.Score.Supported, w.Score.Partial, w.Score.Unsupported)
	}
	return out
}
