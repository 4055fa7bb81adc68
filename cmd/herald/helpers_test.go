package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/store/storetest"
)

// Deadlines of every wait in this package. They bound a hung test; none
// of them is a claim about speed.
const (
	startDeadline = 60 * time.Second // a server reports its address
	stopDeadline  = 15 * time.Second // a server stops after being asked to
	httpDeadline  = 30 * time.Second // one HTTP exchange
)

// syncBuffer is a bytes.Buffer that several goroutines may write and read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls s until it contains want or the deadline passes.
func (s *syncBuffer) waitFor(t *testing.T, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(s.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never contained %q within %v; it is:\n%s", want, within, s.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// envFunc is a fake getenv over vars; nothing reads the real environment.
// On PostgreSQL, where no key file sits beside the database, it gives the
// master key the test binary's stores use, unless vars choose one.
func envFunc(vars map[string]string) func(string) string {
	return func(k string) string {
		if k == "HERALD_SECRET_KEY" && vars[k] == "" && vars["HERALD_SECRET_KEY_FILE"] == "" &&
			strings.HasPrefix(vars["HERALD_DATABASE_URL"], "postgres") {
			return storetest.SecretKey()
		}
		return vars[k]
	}
}

// eachEngine runs fn in a parallel subtest per storage engine; PostgreSQL
// is skipped, saying how to enable it, unless HERALD_TEST_POSTGRES_URL is set.
func eachEngine(t *testing.T, fn func(t *testing.T, e storetest.Engine)) {
	t.Helper()
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// platformTokenRE matches a generated platform token.
var platformTokenRE = regexp.MustCompile(`hp_[a-z2-7]+`)

// inProc is one "herald serve" running in this process through run.
type inProc struct {
	addr, base     string
	stdout, stderr *syncBuffer
	client         *http.Client
	cancel         context.CancelFunc
	ready          chan string
	done           chan int

	stopOnce sync.Once
	code     int
}

// launchServe starts run(ctx, ["serve", args...]) in a goroutine with the
// environment vars (HERALD_LISTEN defaults to 127.0.0.1:0) and does not
// wait; call waitReady. The server is stopped at the test's end.
func launchServe(t *testing.T, vars map[string]string, args ...string) *inProc {
	t.Helper()
	env := map[string]string{"HERALD_LISTEN": "127.0.0.1:0"}
	for k, v := range vars {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProc{
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		client: &http.Client{Timeout: httpDeadline, Transport: &http.Transport{}},
		cancel: cancel,
		ready:  make(chan string, 1),
		done:   make(chan int, 1),
	}
	go func() {
		p.done <- run(ctx, append([]string{"serve"}, args...), nil, p.stdout, p.stderr, envFunc(env), p.ready)
	}()
	t.Cleanup(func() {
		p.cancel()
		select {
		case <-p.done:
		case <-time.After(stopDeadline):
			t.Errorf("serve did not return within %v of cancel at cleanup", stopDeadline)
		}
	})
	return p
}

// waitReady waits for the server's address.
func (p *inProc) waitReady(t *testing.T) {
	t.Helper()
	select {
	case p.addr = <-p.ready:
		p.base = "http://" + p.addr
	case code := <-p.done:
		p.done <- code // for the cleanup
		t.Fatalf("serve returned %d before listening; stderr:\n%s", code, p.stderr)
	case <-time.After(startDeadline):
		t.Fatalf("serve did not report its address within %v; stderr:\n%s", startDeadline, p.stderr)
	}
}

// startServe launches a server and waits until it listens.
func startServe(t *testing.T, vars map[string]string, args ...string) *inProc {
	t.Helper()
	p := launchServe(t, vars, args...)
	p.waitReady(t)
	return p
}

// stop cancels the server's context and returns run's exit code, failing
// the test unless it returns within stopDeadline.
func (p *inProc) stop(t *testing.T) int {
	t.Helper()
	p.stopOnce.Do(func() {
		p.client.CloseIdleConnections()
		p.cancel()
		select {
		case p.code = <-p.done:
			p.done <- p.code // for the cleanup
		case <-time.After(stopDeadline):
			t.Fatalf("serve did not return within %v of its context being canceled; stderr:\n%s", stopDeadline, p.stderr)
		}
	})
	return p.code
}

// do sends one request and returns the status and body.
func (p *inProc) do(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	return doHTTP(t, p.client, method, p.base+path, token, body)
}

func doHTTP(t *testing.T, client *http.Client, method, url, token, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), httpDeadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}

// expect checks one exchange's status.
func (p *inProc) expect(t *testing.T, want int, method, path, token, body string) string {
	t.Helper()
	got, b := p.do(t, method, path, token, body)
	if got != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, got, want, b)
	}
	return b
}
