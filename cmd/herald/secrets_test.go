//go:build unix

package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/seal"
)

const queryValue = "q-s3cret-value-at-rest"

// A generated key file seals the webhook URL and the signing secret: the
// raw database and WAL bytes after a clean stop, the log and /metrics hold
// neither; a restart reuses the key file and still delivers; another key
// fails the start with a clear error.
func TestSecretsAtRestAndRestart(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "herald.db")
	const token = "hp_secrets_test_token"
	vars := map[string]string{"HERALD_DATABASE_URL": "sqlite:" + dbPath, "HERALD_PLATFORM_TOKEN": token, "HERALD_ALLOW_PRIVATE_TARGETS": "true"}

	var mu sync.Mutex
	got := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got++
		mu.Unlock()
	}))
	t.Cleanup(recv.Close)
	waitGot := func(n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			g := got
			mu.Unlock()
			if g >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the receiver got %d webhooks, want %d", g, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	emit := func(p *inProc, run int) {
		t.Helper()
		p.expect(t, 202, "POST", "/api/v1/events", token, `{"event_type": "run_failed", "account_id": 1, "data": {"run_id": `+
			itoaTest(run)+`, "tenant_id": 2, "tenant_name": "T", "integration_id": 3, "integration_name": "I"}}`)
	}

	p := startServe(t, vars)
	keyFile := dbPath + ".key"
	info, err := os.Stat(keyFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file %s: %v, mode %v; want one of mode 0600", keyFile, err, info)
	}
	if !strings.Contains(p.stderr.String(), keyFile) {
		t.Errorf("the key file's path is not logged:\n%s", p.stderr)
	}
	p.expect(t, 201, "PUT", "/api/v1/accounts/1", token, `{"name": "Acme"}`)
	p.expect(t, 200, "PUT", "/api/v1/accounts/1/notifications", token, `{"webhook_url": "`+recv.URL+`/in?token=`+queryValue+`",
		"events": {"run_failed": {"send_webhook": true}}}`)
	var signing struct{ Secret string }
	json.Unmarshal([]byte(p.expect(t, 200, "PUT", "/api/v1/accounts/1/signing", token, `{"scheme": "hmac-sha256"}`)), &signing)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(signing.Secret, "whsec_"))
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret %q", signing.Secret)
	}
	emit(p, 1)
	waitGot(1)
	metrics := p.expect(t, 200, "GET", "/metrics", "", "")
	if code := p.stop(t); code != 0 {
		t.Fatalf("stop: code %d", code)
	}

	secrets := map[string][]byte{"the query value": []byte(queryValue), "the whsec secret": []byte(signing.Secret),
		"the secret's base64": []byte(strings.TrimPrefix(signing.Secret, "whsec_")), "the raw secret": raw}
	files := map[string]string{"log": p.stderr.String() + p.stdout.String(), "/metrics": metrics}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(dbPath + suffix); err == nil {
			files["herald.db"+suffix] = string(b)
		}
	}
	if len(files["herald.db"]) == 0 {
		t.Fatal("the database file is empty")
	}
	for where, content := range files {
		for what, secret := range secrets {
			if strings.Contains(content, string(secret)) {
				t.Errorf("%s holds %s in plain text", where, what)
			}
		}
	}

	// A restart reads the same key file and still delivers.
	p2 := startServe(t, vars)
	emit(p2, 2)
	waitGot(2)
	p2.stop(t)

	// Another key: a clear error at start, never a silent start.
	for name, v := range map[string]map[string]string{
		"HERALD_SECRET_KEY":      {"HERALD_SECRET_KEY": seal.EncodeKey(seal.NewKey())},
		"HERALD_SECRET_KEY_FILE": {"HERALD_SECRET_KEY_FILE": writeTestKey(t, dir)},
	} {
		t.Run(name, func(t *testing.T) {
			env := mergeVars(vars, v)
			code, _, stderr := runLive(t, env, "migrate")
			if code == 0 || !strings.Contains(stderr, "wrong master key") || !strings.Contains(stderr, seal.KeyID(mustReadKey(t, keyFile))) {
				t.Errorf("migrate with another key: code %d, stderr:\n%s", code, stderr)
			}
		})
	}
}

// runLive runs a command to completion with the environment vars.
func runLive(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	code = run(t.Context(), args, nil, &out, &errOut, envFunc(vars), nil)
	return code, out.String(), errOut.String()
}

func itoaTest(i int) string { b, _ := json.Marshal(i); return string(b) }

func writeTestKey(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "other.key")
	if err := os.WriteFile(path, []byte(seal.EncodeKey(seal.NewKey())), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustReadKey(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := seal.ParseKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// herald secrets rotate-key reseals under a new key written over the key
// file; the old key then fails, the file's new key serves.
func TestRotateKeyCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "herald.db")
	vars := map[string]string{"HERALD_DATABASE_URL": "sqlite:" + dbPath}
	if code, _, stderr := runLive(t, vars, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	old := mustReadKey(t, dbPath+".key")
	code, stdout, stderr := runLive(t, vars, "secrets", "rotate-key")
	if code != 0 || !strings.Contains(stdout, "resealed") {
		t.Fatalf("rotate-key: code %d\n%s%s", code, stdout, stderr)
	}
	now := mustReadKey(t, dbPath+".key")
	if string(now) == string(old) {
		t.Fatal("the key file was not replaced")
	}
	if code, _, stderr := runLive(t, vars, "migrate"); code != 0 {
		t.Errorf("migrate with the new key file: %d %s", code, stderr)
	}
	if code, _, stderr := runLive(t, mergeVars(vars, map[string]string{"HERALD_SECRET_KEY": seal.EncodeKey(old)}), "migrate"); code == 0 || !strings.Contains(stderr, "wrong master key") {
		t.Errorf("the old key still starts: %d %s", code, stderr)
	}
}
