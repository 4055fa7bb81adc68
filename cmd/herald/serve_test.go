package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"herald"
	"herald/store/storetest"
)

// generatedToken returns the one platform token a first start printed,
// failing unless stdout announces exactly one token exactly once.
func generatedToken(t *testing.T, stdout string) string {
	t.Helper()
	if n := strings.Count(stdout, "Generated the platform token"); n != 1 {
		t.Fatalf("stdout announces a generated token %d times, want once:\n%s", n, stdout)
	}
	tokens := map[string]bool{}
	for _, tok := range platformTokenRE.FindAllString(stdout, -1) {
		tokens[tok] = true
	}
	if len(tokens) != 1 {
		t.Fatalf("stdout shows %d distinct hp_ tokens, want 1:\n%s", len(tokens), stdout)
	}
	for tok := range tokens {
		return tok
	}
	panic("unreachable")
}

func TestServeAnswersHealthzAndReadyz(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		p := startServe(t, map[string]string{"HERALD_DATABASE_URL": e.URL(t)})
		p.expect(t, 200, "GET", "/healthz", "", "")
		p.expect(t, 200, "GET", "/readyz", "", "")
		if code := p.stop(t); code != 0 {
			t.Errorf("serve returned %d after cancel, want 0; stderr:\n%s", code, p.stderr)
		}
	})
}

func TestServeGeneratesPlatformTokenOnceAndKeepsItAcrossRestarts(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		dbURL := e.URL(t)
		env := map[string]string{"HERALD_DATABASE_URL": dbURL}

		// First start: a token is generated and printed.
		p := startServe(t, env)
		token := generatedToken(t, p.stdout.String())
		if !strings.HasPrefix(token, herald.PlatformTokenPrefix) {
			t.Fatalf("token %q lacks the %q prefix", token, herald.PlatformTokenPrefix)
		}
		p.expect(t, 401, "PUT", "/api/v1/accounts/1", "", `{"name":"A"}`)
		p.expect(t, 401, "PUT", "/api/v1/accounts/1", token+"x", `{"name":"A"}`)
		p.expect(t, 201, "PUT", "/api/v1/accounts/1", token, `{"name":"A"}`)
		if strings.Contains(p.stderr.String(), token) {
			t.Errorf("the plaintext token is in the log:\n%s", p.stderr)
		}
		if sqlitePath, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
			checkTokenStoredOnlyAsHash(t, sqlitePath, token, "while serving")
		}
		if code := p.stop(t); code != 0 {
			t.Fatalf("first serve returned %d after cancel, want 0; stderr:\n%s", code, p.stderr)
		}
		if sqlitePath, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
			checkTokenStoredOnlyAsHash(t, sqlitePath, token, "after stopping")
		}

		// Second start on the same database: nothing printed, same token works.
		p2 := startServe(t, env)
		if tok := platformTokenRE.FindString(p2.stdout.String()); tok != "" || p2.stdout.String() != "" {
			t.Errorf("restart printed to stdout (token %q):\n%s", tok, p2.stdout)
		}
		body := p2.expect(t, 200, "GET", "/api/v1/accounts/1", token, "")
		var acct struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(body), &acct); err != nil || acct.ID != 1 || acct.Name != "A" {
			t.Errorf("GET account 1 after restart: %s (%v), want id 1 name A", body, err)
		}
		p2.expect(t, 200, "PUT", "/api/v1/accounts/1", token, `{"name":"B"}`)
		if code := p2.stop(t); code != 0 {
			t.Fatalf("second serve returned %d, want 0; stderr:\n%s", code, p2.stderr)
		}

		// Third start with a configured token: both are platform credentials,
		// and still nothing is printed.
		configured := "configured-platform-token-0123456789abcdef"
		p3 := startServe(t, map[string]string{"HERALD_DATABASE_URL": dbURL, "HERALD_PLATFORM_TOKEN": configured})
		if p3.stdout.String() != "" {
			t.Errorf("start with HERALD_PLATFORM_TOKEN printed:\n%s", p3.stdout)
		}
		p3.expect(t, 200, "PUT", "/api/v1/accounts/1", configured, `{"name":"C"}`)
		p3.expect(t, 200, "PUT", "/api/v1/accounts/1", token, `{"name":"D"}`)
		if code := p3.stop(t); code != 0 {
			t.Fatalf("third serve returned %d, want 0; stderr:\n%s", code, p3.stderr)
		}
	})
}

// checkTokenStoredOnlyAsHash reads the SQLite database's files (the main
// file, its WAL and shared memory) and checks the token is there only as
// its hex SHA-256.
func checkTokenStoredOnlyAsHash(t *testing.T, dbPath, token, when string) {
	t.Helper()
	matches, err := filepath.Glob(dbPath + "*")
	if err != nil {
		t.Fatal(err)
	}
	hash := []byte(herald.HashToken(token))
	foundHash := false
	var names []string
	for _, name := range matches {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		names = append(names, filepath.Base(name))
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("%s: the plaintext platform token is in %s", when, name)
		}
		if bytes.Contains(b, []byte(strings.TrimPrefix(token, herald.PlatformTokenPrefix))) {
			t.Errorf("%s: the platform token's secret part is in %s", when, name)
		}
		foundHash = foundHash || bytes.Contains(b, hash)
	}
	if !foundHash {
		t.Errorf("%s: the token's SHA-256 %s is in none of %v", when, hash, names)
	}
}

func TestServeWithConfiguredPlatformTokenPrintsNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		token := "configured-platform-token-abcdefghijklmnopqrstuvwxyz"
		p := startServe(t, map[string]string{"HERALD_DATABASE_URL": e.URL(t), "HERALD_PLATFORM_TOKEN": token})
		p.expect(t, 201, "PUT", "/api/v1/accounts/1", token, `{"name":"A"}`)
		p.expect(t, 401, "GET", "/api/v1/accounts/1", "hp_notthetoken", "")
		if code := p.stop(t); code != 0 {
			t.Fatalf("serve returned %d, want 0; stderr:\n%s", code, p.stderr)
		}
		if p.stdout.String() != "" {
			t.Errorf("stdout should be empty with HERALD_PLATFORM_TOKEN set:\n%s", p.stdout)
		}
		if strings.Contains(p.stderr.String(), token) {
			t.Errorf("the configured token is in the log:\n%s", p.stderr)
		}
	})
}

func TestServeShortConfiguredTokenIsWarnedAbout(t *testing.T) {
	p := startServe(t, map[string]string{
		"HERALD_DATABASE_URL":   "sqlite:" + filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_PLATFORM_TOKEN": "short",
	})
	p.expect(t, 201, "PUT", "/api/v1/accounts/7", "short", `{"name":"A"}`)
	p.stop(t)
	if !strings.Contains(p.stderr.String(), "HERALD_PLATFORM_TOKEN is short") {
		t.Errorf("no warning about the short token:\n%s", p.stderr)
	}
}

func TestServeConcurrentFirstStartsPrintOneToken(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		env := map[string]string{"HERALD_DATABASE_URL": e.URL(t)}
		a := launchServe(t, env)
		b := launchServe(t, env)
		a.waitReady(t)
		b.waitReady(t)
		var token string
		printed := 0
		for _, p := range []*inProc{a, b} {
			if platformTokenRE.MatchString(p.stdout.String()) {
				printed++
				token = generatedToken(t, p.stdout.String())
			}
		}
		if printed != 1 {
			t.Fatalf("%d of two servers starting together on one fresh database printed a token, want 1:\n%s\n---\n%s", printed, a.stdout, b.stdout)
		}
		a.expect(t, 201, "PUT", "/api/v1/accounts/1", token, `{"name":"A"}`)
		b.expect(t, 200, "PUT", "/api/v1/accounts/1", token, `{"name":"B"}`)
		for _, p := range []*inProc{a, b} {
			if code := p.stop(t); code != 0 {
				t.Errorf("serve returned %d, want 0; stderr:\n%s", code, p.stderr)
			}
		}
	})
}

func TestServeFailsWithExit1WhenListenAddressIsTaken(t *testing.T) {
	dir := t.TempDir()
	a := startServe(t, map[string]string{"HERALD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "a.db"), "HERALD_PLATFORM_TOKEN": "t"})
	b := launchServe(t, map[string]string{"HERALD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "b.db"), "HERALD_PLATFORM_TOKEN": "t", "HERALD_LISTEN": a.addr})
	select {
	case code := <-b.done:
		b.done <- code
		if code != 1 {
			t.Errorf("serve on a taken address returned %d, want 1; stderr:\n%s", code, b.stderr)
		}
	case addr := <-b.ready:
		t.Fatalf("second serve listens on %s although %s is taken", addr, a.addr)
	case <-time.After(startDeadline):
		t.Fatalf("second serve neither failed nor listened within %v", startDeadline)
	}
	if !strings.Contains(b.stderr.String(), "herald stopped") {
		t.Errorf("the failure is not logged:\n%s", b.stderr)
	}
}

func TestDatabaseErrorsDoNotShowThePassword(t *testing.T) {
	// Nothing listens on port 1 of the loopback: the connection is refused.
	const secret = "s3cr3t-pa55word"
	dbURL := "postgres://herald:" + secret + "@127.0.0.1:1/herald?sslmode=disable&connect_timeout=5"
	for _, cmd := range []string{"serve", "migrate"} {
		t.Run(cmd, func(t *testing.T) {
			var out, errOut syncBuffer
			code := run(t.Context(), []string{cmd}, nil, &out, &errOut,
				envFunc(map[string]string{"HERALD_DATABASE_URL": dbURL, "HERALD_LISTEN": "127.0.0.1:0"}), nil)
			if code != 1 {
				t.Errorf("code %d, want 1", code)
			}
			if errOut.String() == "" {
				t.Error("nothing logged about the failure")
			}
			if strings.Contains(out.String()+errOut.String(), secret) {
				t.Errorf("the database password is in the output:\n%s%s", out.String(), errOut.String())
			}
		})
	}
}

func TestServeRejectsUnsupportedDatabaseURL(t *testing.T) {
	var out, errOut syncBuffer
	code := run(t.Context(), []string{"serve"}, nil, &out, &errOut,
		envFunc(map[string]string{"HERALD_DATABASE_URL": "mysql://x@127.0.0.1/h", "HERALD_LISTEN": "127.0.0.1:0"}), nil)
	if code != 1 || !strings.Contains(errOut.String(), "unsupported database URL") {
		t.Errorf("code %d, stderr:\n%s\nwant 1 and the reason", code, errOut.String())
	}
}

var appliedRE = regexp.MustCompile(`applied (\d+) migration\(s\)`)

func migrateOnce(t *testing.T, dbURL string) int {
	t.Helper()
	var out, errOut syncBuffer
	code := run(t.Context(), []string{"migrate"}, nil, &out, &errOut, envFunc(map[string]string{"HERALD_DATABASE_URL": dbURL}), nil)
	if code != 0 {
		t.Fatalf("migrate: code %d, want 0; stderr:\n%s", code, errOut.String())
	}
	m := appliedRE.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("migrate printed %q, want %q", out.String(), "applied N migration(s)")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestMigrateAppliesMigrationsOnceThenNone(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		dbURL := e.URL(t)
		if n := migrateOnce(t, dbURL); n < 1 {
			t.Errorf("first migrate applied %d migrations, want at least 1", n)
		}
		if n := migrateOnce(t, dbURL); n != 0 {
			t.Errorf("second migrate applied %d migrations, want 0", n)
		}
		// A server started afterwards finds the schema ready.
		p := startServe(t, map[string]string{"HERALD_DATABASE_URL": dbURL, "HERALD_PLATFORM_TOKEN": "tok"})
		p.expect(t, 200, "GET", "/readyz", "", "")
		p.stop(t)
		if strings.Contains(p.stderr.String(), "database migrated") {
			t.Errorf("serve migrated again after herald migrate:\n%s", p.stderr)
		}
	})
}

func TestServeShutdownTimeoutClosesStalledRequestsAndExits0(t *testing.T) {
	p := startServe(t, map[string]string{
		"HERALD_DATABASE_URL":     "sqlite:" + filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_PLATFORM_TOKEN":   "tok",
		"HERALD_SHUTDOWN_TIMEOUT": "300ms",
	})
	p.expect(t, 201, "PUT", "/api/v1/accounts/1", "tok", `{"name":"A"}`)

	// A request whose body never ends, written by hand: the server answers
	// "100 Continue" when the handler starts reading the body.
	conn, err := net.DialTimeout("tcp", p.addr, httpDeadline)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(httpDeadline))
	fmt.Fprintf(conn, "POST /api/v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer tok\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n", p.addr)
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("want 100 Continue, got %q, %v", line, err)
	}
	if _, err := io.WriteString(conn, `{"event_type":`); err != nil {
		t.Fatal(err)
	}

	if code := p.stop(t); code != 0 {
		t.Errorf("serve returned %d, want 0 (a stalled request is closed, not an error); stderr:\n%s", code, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "did not finish in time") {
		t.Errorf("the forced close is not logged:\n%s", p.stderr)
	}
	// The connection was closed by the server: reading ends (it may carry
	// an error response first) rather than hitting the deadline.
	rest, err := io.ReadAll(br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("the stalled connection was not closed by the server (read %q)", rest)
	}
}

func TestServePublicURLDefaultUsesTheBoundAddress(t *testing.T) {
	p := startServe(t, map[string]string{
		"HERALD_DATABASE_URL":   "sqlite:" + filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_PLATFORM_TOKEN": "tok",
		"HERALD_LOG_FORMAT":     "json",
	})
	p.stop(t)
	for line := range strings.Lines(p.stderr.String()) {
		var rec struct {
			Msg       string `json:"msg"`
			PublicURL string `json:"public_url"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "herald serving" {
			if want := "http://" + p.addr; rec.PublicURL != want {
				t.Errorf("public_url %q, want %q", rec.PublicURL, want)
			}
			return
		}
	}
	t.Fatalf("no serving line:\n%s", p.stderr)
}
