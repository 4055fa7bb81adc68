package web

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestEventJSONMatchesEncoder checks the hand-written event answer against
// encoding/json's bytes for the same body.
func TestEventJSONMatchesEncoder(t *testing.T) {
	var every []byte
	for c := range 256 {
		every = append(every, byte(c))
	}
	odd := "quote\" back\\ \b\f\n\r\t\x00\x1f <&> é 😀 \u2028\u2029 \xff\xfe end"
	key := odd
	at := time.Date(2026, 11, 30, 12, 0, 0, 123456789, time.UTC)
	zoned := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", -(5*3600+30*60)))
	cases := []struct {
		name string
		body eventBody
	}{
		{"ingest", eventBody{ID: "evt_1", AccountID: 42, Key: "run.failed", EventType: "run_failed", OccurredAt: at, CreatedAt: at,
			Payload: json.RawMessage("{\n  \"event_type\": \"run_failed\",\n  \"account_id\": 42,\n  \"text\": \"a: b\\n\"\n}"),
			Deliveries: []plannedDelivery{{ID: "dlv_1", Channel: "webhook", Target: "https://example.com/h?token=****", Status: "pending", CreatedAt: at},
				{ID: "dlv_2", Channel: "email", Target: odd, Status: "skipped", Attempts: 3, CreatedAt: zoned}}}},
		{"no deliveries", eventBody{ID: "evt_2", AccountID: -1, IdempotencyKey: &key, OccurredAt: zoned, CreatedAt: at,
			Payload: json.RawMessage(`{"a":[1, 2, {"b": null}]}`), Deliveries: []plannedDelivery{}}},
		{"every byte", eventBody{ID: string(every), Key: "k", EventType: string(every), OccurredAt: at, CreatedAt: at, Payload: json.RawMessage(`{}`)}},
		{"zero times, no payload", eventBody{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := encoded(t, tc.body)
			var got bytes.Buffer
			if err := tc.body.writeJSON(&got); err != nil {
				t.Fatalf("writeJSON: %v", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("writeJSON:\n got %s\nwant %s", got.Bytes(), want)
			}
		})
	}
}

// TestEventJSONRefusesWhatEncoderRefuses: a time JSON cannot carry and a
// broken payload fail both ways.
func TestEventJSONRefusesWhatEncoderRefuses(t *testing.T) {
	for name, b := range map[string]eventBody{
		"year 10000":     {CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Payload: json.RawMessage(`{}`)},
		"broken payload": {Payload: json.RawMessage(`{"a":`)},
		"delivery year":  {Payload: json.RawMessage(`{}`), Deliveries: []plannedDelivery{{CreatedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}},
	} {
		t.Run(name, func(t *testing.T) {
			enc := json.NewEncoder(&bytes.Buffer{})
			if err := enc.Encode(b); err == nil {
				t.Fatal("encoding/json accepted it; the case tests nothing")
			}
			if err := b.writeJSON(&bytes.Buffer{}); err == nil {
				t.Error("writeJSON accepted what encoding/json refuses")
			}
		})
	}
}

func encoded(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
