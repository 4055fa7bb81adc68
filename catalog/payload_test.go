package catalog

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files from the builder's output")

// The golden files are the spec's examples, verbatim; see
// TestGoldenFilesAreTheSpecExamples.
func TestPayloadMatchesSpecExampleByteForByte(t *testing.T) {
	b := NewBuilder("prod-acme", "", "")
	for _, e := range Events() {
		t.Run(e.Type, func(t *testing.T) {
			got := b.Payload(e, 100, "Acme Corp", ExampleTime, e.ExampleData())
			golden := filepath.Join("testdata", e.Type+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("payload differs from %s (-want +got):\n%s", golden, cmp.Diff(string(want), string(got)))
			}
			if !bytes.Equal(b.Example(e), want) {
				t.Errorf("Example differs from %s", golden)
			}
		})
	}
}

// The spec travels beside the repository (../shared); when it is there, the
// golden files must be exactly its examples, so they cannot drift from what
// customers were promised.
func TestGoldenFilesAreTheSpecExamples(t *testing.T) {
	spec, err := os.ReadFile("../../shared/spec/notifications-and-webhooks.md")
	if err != nil {
		t.Skipf("spec not found beside the repository: %v", err)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)\n```").FindAllSubmatch(spec, -1)
	found := 0
	for _, m := range blocks {
		var head struct {
			EventType string `json:"event_type"`
		}
		if err := json.Unmarshal(m[1], &head); err != nil {
			t.Fatalf("spec example is not JSON: %v", err)
		}
		e, ok := Lookup(head.EventType)
		if !ok {
			continue // the common-fields sketch
		}
		found++
		want, err := os.ReadFile(filepath.Join("testdata", e.Type+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m[1], want) {
			t.Errorf("testdata/%s.json is not the spec's example (-spec +golden):\n%s", e.Type, cmp.Diff(string(m[1]), string(want)))
		}
	}
	if found != 5 {
		t.Errorf("found %d event examples in the spec, want 5", found)
	}
}

func TestPayloadTimestampIsWholeSecondUTC(t *testing.T) {
	b := NewBuilder("local", "", "")
	e, _ := Lookup("integration_created")
	at := time.Date(2026, 5, 4, 14, 30, 15, 999_000_000, time.FixedZone("CEST", 2*3600))
	var p map[string]any
	if err := json.Unmarshal(b.Payload(e, 1, "A", at, e.ExampleData()), &p); err != nil {
		t.Fatal(err)
	}
	if got, want := p["timestamp"], "2026-05-04T12:30:15Z"; got != want {
		t.Errorf("timestamp = %v, want %v", got, want)
	}
}

func TestPayloadRunLinksUseConfiguredBases(t *testing.T) {
	b := NewBuilder("stage", "https://console.example.com/{environment}/", "http://api.internal:8080")
	e, _ := Lookup("run_failed")
	var p map[string]any
	if err := json.Unmarshal(b.Payload(e, 1, "A", ExampleTime, e.ExampleData()), &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"admin_link":        "https://console.example.com/stage/runs/9876/show",
		"api_link":          "http://api.internal:8080/v2/runs/9876",
		"api_status_link":   "http://api.internal:8080/v2/runs/9876/status",
		"api_triggers_link": "http://api.internal:8080/v2/runs/9876/triggers",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %v, want %v", k, p[k], v)
		}
	}
}

func TestPayloadStringsRoundTrip(t *testing.T) {
	b := NewBuilder("env", "", "")
	e, _ := Lookup("integration_created")
	for _, name := range []string{`A & B <Co>`, "quote \" back\\slash", "tab\tnew\nline\x01", "日本語 ✓", "line\u2028sep", "bad \xff utf8"} {
		raw := b.Payload(e, 1, name, ExampleTime, Data{"integration_id": int64(7), "integration_name": name})
		var p map[string]any
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("payload for %q is not JSON: %v\n%s", name, err, raw)
		}
		want := string([]rune(name)) // invalid UTF-8 becomes U+FFFD, as encoding/json does
		if p["account_name"] != want || p["integration_name"] != want {
			t.Errorf("name %q came back as %q / %q", name, p["account_name"], p["integration_name"])
		}
		if bytes.Contains(raw, []byte(`\u0026`)) {
			t.Errorf("payload escapes & needlessly: %s", raw)
		}
	}
}

func TestLookupAcceptsKeyAndWireName(t *testing.T) {
	for _, tc := range []struct{ name, key string }{
		{"integration_created", "integration_created"},
		{"new_integration_created", "integration_created"},
		{"tenant_created", "tenant_created"},
		{"new_tenant_created", "tenant_created"},
		{"tenant_archived", "tenant_archived"},
		{"partner_integration_updated", "partner_integration_updated"},
		{"run_failed", "run_failed"},
	} {
		e, ok := Lookup(tc.name)
		if !ok || string(e.Key) != tc.key {
			t.Errorf("Lookup(%q) = %v, %v; want key %s", tc.name, e, ok, tc.key)
		}
	}
	for _, bad := range []string{"", "run-failed", "RUN_FAILED", "integration_deleted"} {
		if _, ok := Lookup(bad); ok {
			t.Errorf("Lookup(%q) found an event", bad)
		}
	}
}
