package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"herald/store/storetest"
)

const runFailedJSON = `{"run_id": 9876, "tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`

func TestEventsSend(t *testing.T) {
	eachEngine(t, func(t *testing.T, e storetest.Engine) {
		token := "events-send-platform-token-abcdefghijklmnopqrstuvwxyz"
		p := startServe(t, map[string]string{"HERALD_DATABASE_URL": e.URL(t), "HERALD_PLATFORM_TOKEN": token})
		p.expect(t, 201, "PUT", "/api/v1/accounts/100", token, `{"name":"Acme Corp"}`)
		file := filepath.Join(t.TempDir(), "data.json")
		if err := os.WriteFile(file, []byte(runFailedJSON), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"HERALD_URL": p.base, "HERALD_PLATFORM_TOKEN": token}
		send := func(stdin string, args ...string) (int, map[string]any, string) {
			t.Helper()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"events", "send"}, args...), strings.NewReader(stdin), &stdout, &stderr, envFunc(env), nil)
			var answer map[string]any
			if stdout.Len() > 0 {
				if err := json.Unmarshal(stdout.Bytes(), &answer); err != nil {
					t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
				}
			}
			return code, answer, stderr.String()
		}

		code, first, stderr := send("", "-type", "run_failed", "-account", "100", "-data", runFailedJSON, "-idempotency-key", "run-9876-failed")
		if code != 0 || first["id"] == nil || first["event_type"] != "run_failed" || first["deliveries"] == nil {
			t.Fatalf("send = %d, %v; stderr: %s", code, first, stderr)
		}
		payload, _ := first["payload"].(map[string]any)
		if payload["admin_link"] == nil || payload["account_name"] != "Acme Corp" {
			t.Errorf("payload = %v", payload)
		}
		// GNU-style double dashes, data from a file: the same key answers the first event.
		code, again, stderr := send("", "--type=run_failed", "--account=100", "--data=@"+file, "--idempotency-key=run-9876-failed")
		if code != 0 || again["id"] != first["id"] {
			t.Fatalf("send again = %d, %v; want the first event; stderr: %s", code, again, stderr)
		}
		// Data from standard input, url and token by flag.
		code, third, stderr := send(runFailedJSON, "-type", "new_integration_created", "-account", "100",
			"-data", "@-", "-url", p.base, "-token", token)
		if code != 1 || !strings.Contains(stderr, "422 invalid_input") || !strings.Contains(stderr, "data.run_id: unknown field") {
			t.Errorf("wrong data = %d, %v; stderr: %s", code, third, stderr)
		}
		code, _, stderr = send("", "-type", "new_integration_created", "-account", "100", "-data", "@-")
		if code != 2 || !strings.Contains(stderr, "-data") {
			t.Errorf("empty stdin = %d; stderr: %s", code, stderr)
		}
		code, _, stderr = send("", "-type", "run_failed", "-account", "404", "-data", runFailedJSON)
		if code != 1 || !strings.Contains(stderr, "404 not_found") {
			t.Errorf("unknown account = %d; stderr: %s", code, stderr)
		}
		code, _, stderr = send("", "-type", "run_failed", "-account", "100", "-data", runFailedJSON, "-token", "wrong")
		if code != 1 || !strings.Contains(stderr, "401 unauthorized") {
			t.Errorf("bad token = %d; stderr: %s", code, stderr)
		}
		code, _, stderr = send("", "-account", "0", "-data", "[1]")
		for _, want := range []string{"-type", "-account", "-data"} {
			if code != 2 || !strings.Contains(stderr, want) {
				t.Errorf("bad flags = %d, want 2 naming %s; stderr: %s", code, want, stderr)
			}
		}
	})
}

func TestDefaultServerURL(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "http://127.0.0.1:8080"},
		{map[string]string{"HERALD_LISTEN": "127.0.0.1:9090"}, "http://127.0.0.1:9090"},
		{map[string]string{"HERALD_LISTEN": ":9090"}, "http://127.0.0.1:9090"},
		{map[string]string{"HERALD_LISTEN": "0.0.0.0:9090"}, "http://127.0.0.1:9090"},
		{map[string]string{"HERALD_LISTEN": ":9090", "HERALD_URL": "https://herald.example.com"}, "https://herald.example.com"},
	}
	for _, tt := range tests {
		if got := defaultServerURL(envFunc(tt.env)); got != tt.want {
			t.Errorf("defaultServerURL(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}
