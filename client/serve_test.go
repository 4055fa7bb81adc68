package client_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/store/storetest"
	"herald/web/apicheck"
)

const token = "hp_client_test_platform_token_0123456789"

// binary is the herald command, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "herald-client-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "herald")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", binary, "herald/cmd/herald").CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	// The example needs a server that outlives any one test.
	base, stop, err := start("sqlite:" + filepath.Join(dir, "example.db"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	heraldURL = base
	code := m.Run()
	stop()
	if c, err := apicheck.Shared(); err == nil {
		req, res, rejected, hooks := c.Counts()
		fmt.Printf("openapi: validated %d requests (%d refused by the document and the server alike) and %d responses; %d webhooks\n", req, rejected, res, hooks)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// serve starts `herald serve` (the binary) for a test; it is killed at the
// test's end.
func serve(t testing.TB, databaseURL string) string {
	t.Helper()
	base, stop, err := start(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return base
}

// start runs `herald serve` on a loopback port with the database at
// databaseURL and returns its base URL once it listens, and how to stop it.
func start(databaseURL string) (string, func(), error) {
	cmd := exec.Command(binary, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"HERALD_DATABASE_URL="+databaseURL,
		"HERALD_LISTEN=127.0.0.1:0",
		"HERALD_PLATFORM_TOKEN="+token,
		"HERALD_ALLOW_PRIVATE_TARGETS=true", // the test receivers are on loopback
		"HERALD_LOG_FORMAT=json",
		"HERALD_ENVIRONMENT=prod-acme",
	)
	if strings.HasPrefix(databaseURL, "postgres") {
		cmd.Env = append(cmd.Env, "HERALD_SECRET_KEY="+storetest.SecretKey())
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	addr := make(chan string, 1)
	var logs bytes.Buffer
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logs.Write(append(sc.Bytes(), '\n'))
			mu.Unlock()
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "herald serving" {
				addr <- line.Addr
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case a := <-addr:
		return "http://" + a, stop, nil
	case <-time.After(60 * time.Second):
		stop()
		mu.Lock()
		defer mu.Unlock()
		return "", nil, fmt.Errorf("herald serve did not start within 60s:\n%s", logs.String())
	}
}

// checked is an http.Client whose every exchange with Herald is validated
// against the OpenAPI document, and counted.
func checked(t testing.TB) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: checkingTransport{t: t}}
}

type checkingTransport struct{ t testing.TB }

func (c checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	ch, cerr := apicheck.Shared()
	if cerr != nil {
		c.t.Error(cerr)
	} else if cerr := ch.Exchange(req, body, res, raw); cerr != nil {
		c.t.Error(cerr)
	}
	return res, nil
}

// receiver is a loopback webhook endpoint that validates what it gets
// against the document's webhooks and keeps the bodies.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if c, err := apicheck.Shared(); err != nil {
			t.Error(err)
		} else if err := c.Webhook(req, b); err != nil {
			t.Error(err)
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}
