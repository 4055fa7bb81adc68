//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The herald binary, built once for the package's tests.
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// heraldBinary builds ./ (this package) into a temporary directory the
// first time a test needs it.
func heraldBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "herald-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "herald")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", binPath, "./").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a herald binary running as a child process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	exited         chan struct{} // closed when Wait returns
	addr, base     string
	client         *http.Client
}

// startProcess runs "herald serve" with exactly the given HERALD_*
// variables (those of the test's own environment are dropped) and JSON
// logs, and waits for its "herald serving" log line.
func startProcess(t *testing.T, vars map[string]string) *proc {
	t.Helper()
	bin := heraldBinary(t)
	cmd := exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	vars = mergeVars(map[string]string{"HERALD_LISTEN": "127.0.0.1:0", "HERALD_LOG_FORMAT": "json"}, vars)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{
		cmd:    cmd,
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		exited: make(chan struct{}),
		client: &http.Client{Timeout: httpDeadline, Transport: &http.Transport{}},
	}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.client.CloseIdleConnections()
		select {
		case <-p.exited:
			return
		default:
		}
		cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(stopDeadline):
			t.Errorf("herald (pid %d) did not exit after SIGKILL", cmd.Process.Pid)
		}
	})

	deadline := time.Now().Add(startDeadline)
	for p.addr == "" {
		p.addr = servingAddr(t, p.stderr.String())
		if p.addr != "" {
			break
		}
		select {
		case <-p.exited:
			t.Fatalf("herald exited with %v before serving; stderr:\n%s", cmd.ProcessState, p.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q log line within %v; stderr:\n%s", "herald serving", startDeadline, p.stderr)
		}
	}
	p.base = "http://" + p.addr
	return p
}

func mergeVars(base, over map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// servingAddr finds the addr of the JSON log line whose msg is "herald
// serving"; "" while it has not been written.
func servingAddr(t *testing.T, log string) string {
	t.Helper()
	for line := range strings.Lines(log) {
		if !strings.HasSuffix(line, "\n") {
			break // still being written
		}
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON with HERALD_LOG_FORMAT=json: %q", line)
		}
		if rec.Msg == "herald serving" {
			if rec.Addr == "" {
				t.Fatalf("the serving line has no addr: %q", line)
			}
			return rec.Addr
		}
	}
	return ""
}

// signal sends sig to the process.
func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// waitExit waits for the process to exit and returns its exit code (-1
// when a signal killed it), failing the test after within.
func (p *proc) waitExit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("herald did not exit within %v; stderr:\n%s", within, p.stderr)
		return 0
	}
}

func (p *proc) expect(t *testing.T, want int, method, path, token, body string) string {
	t.Helper()
	got, b := doHTTP(t, p.client, method, p.base+path, token, body)
	if got != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, got, want, b)
	}
	return b
}

const processToken = "process-test-platform-token-0123456789abcdef"

func TestProcessVersion(t *testing.T) {
	out, err := exec.Command(heraldBinary(t), "version").Output()
	if err != nil || string(out) != "herald dev\n" {
		t.Errorf("herald version: %q, %v; want %q", out, err, "herald dev\n")
	}
}

func TestProcessSIGTERMFinishesInFlightRequestThenExits0(t *testing.T) {
	db := filepath.Join(t.TempDir(), "herald.db")
	vars := map[string]string{"HERALD_DATABASE_URL": "sqlite:" + db, "HERALD_PLATFORM_TOKEN": processToken}
	p := startProcess(t, vars)
	p.expect(t, 201, "PUT", "/api/v1/accounts/1", processToken, `{"name":"Acme"}`)

	// A POST whose body arrives slowly. Expect: 100-continue makes the
	// transport hold the body until the handler starts reading it, so once
	// the first write returns the request is in flight on the server.
	event := `{"event_type":"integration_created","account_id":1,"data":{"integration_id":42,"integration_name":"Shopify Integration"}}`
	first, rest := event[:len(event)/2], event[len(event)/2:]
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var got100 atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{Got100Continue: func() { got100.Store(true) }})
	req, err := http.NewRequestWithContext(ctx, "POST", p.base+"/api/v1/events", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+processToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	slow := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 30 * time.Second}}
	defer slow.CloseIdleConnections()
	type result struct {
		status int
		body   string
		err    error
	}
	results := make(chan result, 1)
	go func() {
		resp, err := slow.Do(req)
		if err != nil {
			results <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		results <- result{status: resp.StatusCode, body: string(b), err: err}
	}()
	write := func(s string) {
		t.Helper()
		wrote := make(chan error, 1)
		go func() { _, err := io.WriteString(pw, s); wrote <- err }()
		select {
		case err := <-wrote:
			if err != nil {
				t.Fatalf("writing the request body: %v", err)
			}
		case r := <-results:
			t.Fatalf("the request ended before its body was sent: %+v", r)
		case <-time.After(httpDeadline):
			pw.CloseWithError(fmt.Errorf("test timed out"))
			t.Fatalf("the request body was not read within %v", httpDeadline)
		}
	}
	write(first)
	if !got100.Load() {
		t.Fatal("the server did not answer 100 Continue before the body was sent")
	}

	p.signal(t, syscall.SIGTERM)
	p.stderr.waitFor(t, "shutting down", stopDeadline)
	time.Sleep(200 * time.Millisecond) // let the shutdown get under way; not an assertion
	select {
	case <-p.exited:
		t.Fatalf("herald exited with %v while a request was in flight; stderr:\n%s", p.cmd.ProcessState, p.stderr)
	default:
	}
	write(rest)
	pw.Close()

	var r result
	select {
	case r = <-results:
	case <-time.After(httpDeadline):
		t.Fatalf("no answer to the in-flight request within %v; stderr:\n%s", httpDeadline, p.stderr)
	}
	if r.err != nil || r.status != http.StatusAccepted {
		t.Fatalf("in-flight POST /api/v1/events during shutdown: status %d, err %v, body %s; want 202\nstderr:\n%s", r.status, r.err, r.body, p.stderr)
	}
	var ev struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.body), &ev); err != nil || ev.ID == "" {
		t.Fatalf("ingest answer %s: %v, want an event id", r.body, err)
	}

	if code := p.waitExit(t, stopDeadline); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, p.stderr)
	}
	log := p.stderr.String()
	for _, want := range []string{"shutting down", `"msg":"stopped"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	for _, unwanted := range []string{"did not finish in time", "herald stopped"} {
		if strings.Contains(log, unwanted) {
			t.Errorf("log has %q:\n%s", unwanted, log)
		}
	}

	// The event was stored durably: a new process on the same database serves it.
	p2 := startProcess(t, vars)
	body := p2.expect(t, 200, "GET", "/api/v1/events/"+ev.ID, processToken, "")
	var got struct {
		ID        string `json:"id"`
		AccountID int64  `json:"account_id"`
		Key       string `json:"key"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.ID != ev.ID || got.AccountID != 1 || got.Key != "integration_created" {
		t.Errorf("GET /api/v1/events/%s after restart: %s (%v)", ev.ID, body, err)
	}
	p2.client.CloseIdleConnections()
	p2.signal(t, syscall.SIGTERM)
	if code := p2.waitExit(t, stopDeadline); code != 0 {
		t.Errorf("restarted herald: exit code %d after SIGTERM, want 0; stderr:\n%s", code, p2.stderr)
	}
}

func TestProcessSIGINTStopsWithExit0(t *testing.T) {
	p := startProcess(t, map[string]string{
		"HERALD_DATABASE_URL":   "sqlite:" + filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_PLATFORM_TOKEN": processToken,
	})
	p.expect(t, 200, "GET", "/healthz", "", "")
	p.expect(t, 200, "GET", "/readyz", "", "")
	p.client.CloseIdleConnections()
	p.signal(t, syscall.SIGINT)
	if code := p.waitExit(t, stopDeadline); code != 0 {
		t.Errorf("exit code %d after SIGINT, want 0; stderr:\n%s", code, p.stderr)
	}
	if log := p.stderr.String(); !strings.Contains(log, "shutting down") || !strings.Contains(log, `"msg":"stopped"`) {
		t.Errorf("log lacks the shutdown lines:\n%s", log)
	}
}

func TestProcessFirstStartPrintsGeneratedTokenOnStdout(t *testing.T) {
	vars := map[string]string{"HERALD_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "herald.db")}
	p := startProcess(t, vars)
	// stdout and stderr are copied by separate goroutines: the token,
	// printed before the serving line, may still be on its way.
	p.stdout.waitFor(t, "Use it as: Authorization: Bearer", startDeadline)
	token := generatedToken(t, p.stdout.String())
	p.expect(t, 201, "PUT", "/api/v1/accounts/5", token, `{"name":"A"}`)
	p.client.CloseIdleConnections()
	p.signal(t, syscall.SIGTERM)
	if code := p.waitExit(t, stopDeadline); code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, p.stderr)
	}
	p2 := startProcess(t, vars)
	p2.expect(t, 200, "GET", "/api/v1/accounts/5", token, "")
	p2.client.CloseIdleConnections()
	p2.signal(t, syscall.SIGTERM)
	if code := p2.waitExit(t, stopDeadline); code != 0 {
		t.Fatalf("second start: exit code %d, want 0; stderr:\n%s", code, p2.stderr)
	}
	if p2.stdout.String() != "" {
		t.Errorf("second start printed:\n%s", p2.stdout)
	}
}
