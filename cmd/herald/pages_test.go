package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// herald serve mounts the admin pages beside the API, with the configured
// frame-ancestors in their Content-Security-Policy.
func TestServeMountsThePages(t *testing.T) {
	t.Parallel()
	p := startServe(t, map[string]string{
		"HERALD_DATABASE_URL":    "sqlite:" + filepath.Join(t.TempDir(), "herald.db"),
		"HERALD_PLATFORM_TOKEN":  "tok",
		"HERALD_FRAME_ANCESTORS": "https://platform.example.test",
	})
	res, err := p.client.Get(p.base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != http.StatusOK || !strings.Contains(csp, "frame-ancestors https://platform.example.test") {
		t.Errorf("GET /signin = %d, CSP %q", res.StatusCode, csp)
	}
	// The API and health endpoints are still the API's.
	if code, _ := p.do(t, "GET", "/api/v1/event-types", "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/event-types without a token = %d, want 401", code)
	}
	if code, _ := p.do(t, "GET", "/healthz", "", ""); code != http.StatusOK {
		t.Errorf("GET /healthz = %d", code)
	}
}
