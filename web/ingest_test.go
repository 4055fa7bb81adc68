package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The spec's five examples, as the platform would send them.
var specEvents = []struct {
	wire, key, data string
}{
	{"new_integration_created", "integration_created", `{"integration_id": 42, "integration_name": "Shopify Integration"}`},
	{"new_tenant_created", "tenant_created", `{"tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`},
	{"tenant_archived", "tenant_archived", `{"tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`},
	{"partner_integration_updated", "partner_integration_updated", `{"integration_id": 42, "integration_name": "Shopify Integration", "partner_id": 55, "partner_name": "Partner Inc"}`},
	{"run_failed", "run_failed", `{"run_id": 9876, "run_status": "failed", "tenant_id": 789, "tenant_name": "Widget Co", "integration_id": 42, "integration_name": "Shopify Integration"}`},
}

func event(eventType string, account int, data string, extra ...string) string {
	return `{"event_type": "` + eventType + `", "account_id": ` + itoa(account) + `, "data": ` + data + strings.Join(extra, "") + `}`
}

func golden(t *testing.T, wire string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "catalog", "testdata", wire+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Emitted through the API, the spec's examples are stored (and will be sent)
// byte for byte as the spec shows them, whichever name the emitter uses.
func TestIngestSpecExamplesByteForByte(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		for _, ev := range specEvents {
			for _, name := range []string{ev.wire, ev.key} {
				r := b.must(202, "POST", "/api/v1/events", platformToken,
					event(name, 100, ev.data, `, "occurred_at": "2026-05-04T12:00:00Z"`))
				want := golden(t, ev.wire)
				var indented bytes.Buffer
				json.Indent(&indented, mustCompactOrdered(t, r.raw), "", "  ")
				stored, err := b.store.Event(context.Background(), r.body["id"].(string))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(stored.Payload, want) {
					t.Errorf("%s: stored payload differs from the spec (-spec +stored):\n%s", name, cmp.Diff(string(want), string(stored.Payload)))
				}
				if !bytes.Equal(indented.Bytes(), want) {
					t.Errorf("%s: answered payload differs from the spec (-spec +answer):\n%s", name, cmp.Diff(string(want), indented.String()))
				}
			}
		}
	})
}

// mustCompactOrdered returns the "payload" member of an answer exactly as
// written, keeping its field order (a map would lose it).
func mustCompactOrdered(t *testing.T, answer []byte) []byte {
	t.Helper()
	var v struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(answer, &v); err != nil {
		t.Fatal(err)
	}
	return v.Payload
}

func TestIngestPlansDeliveriesFromSettings(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.must(200, "PUT", "/api/v1/accounts/100/notifications", platformToken, `{"webhook_url": "https://hooks.acme.test/in?token=s3cret",
			"events": {"run_failed": {"send_webhook": true, "email_subscribers": "oncall@acme.test, ANN@acme.test, dev@acme.test"},
			           "tenant_created": {"send_webhook": false, "email_subscribers": ["ops@acme.test"]}}}`)
		type planned struct{ Channel, Target string }
		plan := func(r response) []planned {
			var out []planned
			for _, d := range r.body["deliveries"].([]any) {
				m := d.(map[string]any)
				if m["status"] != "pending" || !strings.HasPrefix(m["id"].(string), "dlv_") {
					t.Errorf("delivery %v", m)
				}
				out = append(out, planned{m["channel"].(string), m["target"].(string)})
			}
			return out
		}
		r := b.must(202, "POST", "/api/v1/events", platformToken, event("run_failed", 100, specEvents[4].data))
		want := []planned{
			{"webhook", "https://hooks.acme.test/in?token=***"},
			{"email", "ann@acme.test"},
			{"email", "oncall@acme.test"},
			{"email", "dev@acme.test"},
		}
		if diff := cmp.Diff(want, plan(r)); diff != "" {
			t.Errorf("run_failed plan (-want +got):\n%s", diff)
		}
		// The plan was committed with the event.
		got := b.must(200, "GET", "/api/v1/events/"+r.body["id"].(string), platformToken, "")
		if diff := cmp.Diff(want, plan(got)); diff != "" {
			t.Errorf("stored plan (-want +got):\n%s", diff)
		}
		if strings.Contains(string(got.raw), "s3cret") {
			t.Errorf("event answer shows the URL's secret: %s", got.raw)
		}

		r = b.must(202, "POST", "/api/v1/events", platformToken, event("tenant_created", 100, specEvents[1].data))
		if diff := cmp.Diff([]planned{{"email", "ann@acme.test"}, {"email", "ops@acme.test"}}, plan(r)); diff != "" {
			t.Errorf("tenant_created plan (-want +got):\n%s", diff)
		}
		// The primary contact hears about every event, settings or not.
		r = b.must(202, "POST", "/api/v1/events", platformToken, event("tenant_archived", 100, specEvents[2].data))
		if diff := cmp.Diff([]planned{{"email", "ann@acme.test"}}, plan(r)); diff != "" {
			t.Errorf("tenant_archived plan (-want +got):\n%s", diff)
		}
	})
}

func TestIngestTimestamp(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		r := b.must(202, "POST", "/api/v1/events", platformToken,
			event("integration_created", 100, specEvents[0].data, `, "occurred_at": "2026-05-04T14:00:00.750+02:00"`))
		p := r.body["payload"].(map[string]any)
		if p["timestamp"] != "2026-05-04T12:00:00Z" || r.body["occurred_at"] != "2026-05-04T12:00:00Z" {
			t.Errorf("timestamp = %v, occurred_at = %v", p["timestamp"], r.body["occurred_at"])
		}
		before := time.Now().UTC().Truncate(time.Second)
		r = b.must(202, "POST", "/api/v1/events", platformToken, event("integration_created", 100, specEvents[0].data))
		ts, err := time.Parse("2006-01-02T15:04:05Z", r.body["payload"].(map[string]any)["timestamp"].(string))
		if err != nil || ts.Before(before) || ts.After(time.Now()) {
			t.Errorf("timestamp without occurred_at = %v (%v), want the time of ingest", ts, err)
		}
	})
}

func TestIngestIdempotencyKey(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		b.account(200, "Other Co")
		body := event("run_failed", 100, specEvents[4].data, `, "idempotency_key": "run-9876-failed", "occurred_at": "2026-05-04T12:00:00Z"`)
		first := b.must(202, "POST", "/api/v1/events", platformToken, body)
		// The same event again, fields reordered and named by settings
		// key: the first event, nothing new.
		again := b.must(200, "POST", "/api/v1/events", platformToken, `{"idempotency_key": "run-9876-failed", "occurred_at": "2026-05-04T12:00:00Z",
			"data": {"integration_name": "Shopify Integration", "integration_id": 42, "tenant_name": "Widget Co", "tenant_id": 789, "run_id": 9876},
			"account_id": 100, "event_type": "run_failed"}`)
		if diff := cmp.Diff(first.body, again.body); diff != "" {
			t.Errorf("repeat answer differs from the first (-first +repeat):\n%s", diff)
		}
		r := b.must(409, "POST", "/api/v1/events", platformToken,
			event("run_failed", 100, strings.Replace(specEvents[4].data, "9876", "9877", 1), `, "idempotency_key": "run-9876-failed", "occurred_at": "2026-05-04T12:00:00Z"`))
		if r.errorCode() != "conflict" || r.errorFields()["idempotency_key"] == "" {
			t.Errorf("conflict answer = %s", r.raw)
		}
		// Keys are per account.
		b.must(202, "POST", "/api/v1/events", platformToken, event("run_failed", 200, specEvents[4].data, `, "idempotency_key": "run-9876-failed"`))
		list := b.must(200, "GET", "/api/v1/accounts/100/events", platformToken, "")
		if n := len(list.body["data"].([]any)); n != 1 {
			t.Errorf("account 100 has %d events, want 1", n)
		}
	})
}

// Each bad event gets its documented status and error, in the contract's
// order of checks, and nothing is stored.
func TestIngestBadInputStoresNothing(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		key := b.apiKey(100)
		runData := specEvents[4].data
		tests := []struct {
			name, token, body string
			status            int
			field             string
		}{
			{"missing token", "", event("run_failed", 100, runData), 401, ""},
			{"wrong token", "hp_wrong", event("run_failed", 100, runData), 401, ""},
			{"account key", key, event("run_failed", 100, runData), 403, ""},
			{"malformed JSON", platformToken, `{"event_type": "run_failed",`, 400, ""},
			{"empty body", platformToken, ``, 400, ""},
			{"array body", platformToken, `[]`, 400, ""},
			{"trailing data", platformToken, event("run_failed", 100, runData) + `x`, 400, ""},
			{"oversized body", platformToken, event("run_failed", 100, runData, `, "x": "`+strings.Repeat("a", 1<<20)+`"`), 413, ""},
			{"unknown event type", platformToken, event("run_succeeded", 100, runData), 422, "event_type"},
			{"event type not a string", platformToken, `{"event_type": 5, "account_id": 100, "data": {}}`, 422, "event_type"},
			{"missing event type", platformToken, `{"account_id": 100, "data": {}}`, 422, "event_type"},
			{"account id not an integer", platformToken, `{"event_type": "run_failed", "account_id": "100", "data": {}}`, 422, "account_id"},
			{"bad occurred_at", platformToken, event("run_failed", 100, runData, `, "occurred_at": "yesterday"`), 422, "occurred_at"},
			{"unknown top-level field", platformToken, event("run_failed", 100, runData, `, "priority": 1`), 422, "priority"},
			{"bad event type before unknown account", platformToken, event("nope", 999, runData), 422, "event_type"},
			{"unknown account", platformToken, event("run_failed", 999, runData), 404, ""},
			{"unknown account before bad data", platformToken, event("run_failed", 999, `{}`), 404, ""},
			{"missing field", platformToken, event("integration_created", 100, `{"integration_id": 42}`), 422, "data.integration_name"},
			{"wrong JSON type", platformToken, event("run_failed", 100, strings.Replace(runData, "9876", `"9876"`, 1)), 422, "data.run_id"},
			{"fractional id", platformToken, event("run_failed", 100, strings.Replace(runData, "9876", `9876.5`, 1)), 422, "data.run_id"},
			{"unknown data field", platformToken, event("integration_created", 100, `{"integration_id": 42, "integration_name": "S", "color": "red"}`), 422, "data.color"},
			{"computed link sent", platformToken, event("run_failed", 100, strings.Replace(runData, "{", `{"admin_link": "https://x.test", `, 1)), 422, "data.admin_link"},
			{"data not an object", platformToken, event("run_failed", 100, `[1]`), 422, "data"},
		}
		for _, tc := range tests {
			r := b.do("POST", "/api/v1/events", tc.token, tc.body)
			if r.status != tc.status {
				t.Errorf("%s: status %d, want %d\n%.300s", tc.name, r.status, tc.status, r.raw)
				continue
			}
			if r.errorCode() == "" {
				t.Errorf("%s: no error code in %s", tc.name, r.raw)
			}
			if tc.field != "" && r.errorFields()[tc.field] == "" {
				t.Errorf("%s: error does not name %s: %s", tc.name, tc.field, r.raw)
			}
		}
		list := b.must(200, "GET", "/api/v1/accounts/100/events", platformToken, "")
		if n := len(list.body["data"].([]any)); n != 0 {
			t.Errorf("refused events were stored: %s", list.raw)
		}
	})
}

func TestEventsListPagesNewestFirst(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		b.account(100, "Acme Corp")
		var want []string
		for i := range 5 {
			r := b.must(202, "POST", "/api/v1/events", platformToken,
				event("integration_created", 100, `{"integration_id": `+itoa(i)+`, "integration_name": "S"}`))
			want = append([]string{r.body["id"].(string)}, want...)
			time.Sleep(2 * time.Millisecond) // ids order by millisecond
		}
		var got []string
		cursor := ""
		for range 10 {
			r := b.must(200, "GET", "/api/v1/accounts/100/events?limit=2&cursor="+cursor, platformToken, "")
			for _, e := range r.body["data"].([]any) {
				got = append(got, e.(map[string]any)["id"].(string))
			}
			cursor = r.body["next_cursor"].(string)
			if cursor == "" {
				break
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
		b.must(422, "GET", "/api/v1/accounts/100/events?limit=0", platformToken, "")
	})
}

func TestEventTypesCatalog(t *testing.T) {
	each(t, func(t *testing.T, b *bundle) {
		r := b.must(200, "GET", "/api/v1/event-types", platformToken, "")
		var got struct {
			Data []struct {
				Key         string          `json:"key"`
				EventType   string          `json:"event_type"`
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Example     json.RawMessage `json:"example"`
				Schema      map[string]any  `json:"schema"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.raw, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Data) != 5 {
			t.Fatalf("%d event types, want 5", len(got.Data))
		}
		for i, ev := range specEvents {
			d := got.Data[i]
			var indented bytes.Buffer
			json.Indent(&indented, d.Example, "", "  ")
			if d.Key != ev.key || d.EventType != ev.wire || d.Name == "" || d.Description == "" || d.Schema["type"] != "object" {
				t.Errorf("event type %d = %+v", i, d)
			}
			if !bytes.Equal(indented.Bytes(), golden(t, ev.wire)) {
				t.Errorf("%s example differs from the spec:\n%s", ev.key, indented.Bytes())
			}
		}
	})
}
