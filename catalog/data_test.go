package catalog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"herald"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseData(t *testing.T) {
	tests := []struct {
		name, event, data string
		want              Data
		bad               herald.Fields
	}{
		{
			name: "run failed complete", event: "run_failed",
			data: `{"run_id": 9876, "run_status": "errored", "tenant_id": 789, "tenant_name": "W", "integration_id": 42, "integration_name": "S"}`,
			want: Data{"run_id": int64(9876), "run_status": "errored", "tenant_id": int64(789), "tenant_name": "W", "integration_id": int64(42), "integration_name": "S"},
		},
		{
			name: "run status defaults to failed", event: "run_failed",
			data: `{"run_id": 1, "tenant_id": 2, "tenant_name": "W", "integration_id": 3, "integration_name": "S"}`,
			want: Data{"run_id": int64(1), "run_status": "failed", "tenant_id": int64(2), "tenant_name": "W", "integration_id": int64(3), "integration_name": "S"},
		},
		{
			name: "missing field", event: "integration_created",
			data: `{"integration_id": 42}`,
			bad:  herald.Fields{"integration_name": "is required"},
		},
		{
			name: "null is missing", event: "integration_created",
			data: `{"integration_id": 42, "integration_name": null}`,
			bad:  herald.Fields{"integration_name": "is required"},
		},
		{
			name: "wrong types", event: "integration_created",
			data: `{"integration_id": "42", "integration_name": 7}`,
			bad:  herald.Fields{"integration_id": "must be an integer", "integration_name": "must be a string"},
		},
		{
			name: "fraction and overflow", event: "tenant_created",
			data: `{"tenant_id": 1.5, "tenant_name": "W", "integration_id": 9223372036854775808, "integration_name": "S"}`,
			bad:  herald.Fields{"tenant_id": "must be an integer between -2^63 and 2^63-1", "integration_id": "must be an integer between -2^63 and 2^63-1"},
		},
		{
			name: "unknown and computed fields", event: "run_failed",
			data: `{"run_id": 1, "tenant_id": 2, "tenant_name": "W", "integration_id": 3, "integration_name": "S", "admin_link": "x", "colour": "red"}`,
			bad:  herald.Fields{"admin_link": "is computed by Herald; do not send it", "colour": "unknown field"},
		},
		{
			name: "empty name", event: "partner_integration_updated",
			data: `{"integration_id": 1, "integration_name": " ", "partner_id": 5, "partner_name": "P"}`,
			bad:  herald.Fields{"integration_name": "must not be empty"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := Lookup(tc.event)
			got, bad := e.ParseData(decode(t, tc.data))
			if diff := cmp.Diff(tc.bad, bad); diff != "" {
				t.Fatalf("bad fields (-want +got):\n%s", diff)
			}
			if tc.bad == nil {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("data (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestCanonicalIgnoresOrderAndSpacing(t *testing.T) {
	e, _ := Lookup("tenant_created")
	a, _ := e.ParseData(decode(t, `{"tenant_id": 1, "tenant_name": "W", "integration_id": 2, "integration_name": "S"}`))
	b, _ := e.ParseData(decode(t, `{"integration_name":"S","integration_id":2,"tenant_name":"W","tenant_id":1}`))
	c, _ := e.ParseData(decode(t, `{"integration_name":"S","integration_id":3,"tenant_name":"W","tenant_id":1}`))
	if !bytes.Equal(e.Canonical(a), e.Canonical(b)) {
		t.Errorf("same data encodes differently: %s vs %s", e.Canonical(a), e.Canonical(b))
	}
	if bytes.Equal(e.Canonical(a), e.Canonical(c)) {
		t.Errorf("different data encodes the same: %s", e.Canonical(a))
	}
}

func TestSchemaDescribesEveryExampleField(t *testing.T) {
	b := NewBuilder("prod-acme", "", "")
	for _, e := range Events() {
		var schema struct {
			Type                 string                       `json:"type"`
			Required             []string                     `json:"required"`
			AdditionalProperties bool                         `json:"additionalProperties"`
			Properties           map[string]map[string]string `json:"properties"`
		}
		if err := json.Unmarshal(e.Schema(), &schema); err != nil {
			t.Fatal(err)
		}
		var example map[string]any
		if err := json.Unmarshal(b.Example(e), &example); err != nil {
			t.Fatal(err)
		}
		if len(schema.Required) != len(example) || schema.AdditionalProperties {
			t.Errorf("%s: schema requires %d fields, example has %d", e.Type, len(schema.Required), len(example))
		}
		for _, name := range schema.Required {
			v, ok := example[name]
			if !ok {
				t.Errorf("%s: schema requires %s, example lacks it", e.Type, name)
				continue
			}
			typ := schema.Properties[name]["type"]
			_, isNum := v.(float64)
			_, isStr := v.(string)
			if (typ == "integer" && !isNum) || (typ == "string" && !isStr) {
				t.Errorf("%s: %s is %T in the example, %s in the schema", e.Type, name, v, typ)
			}
		}
		if schema.Properties["event_type"]["const"] != e.Type {
			t.Errorf("%s: schema event_type const = %q", e.Type, schema.Properties["event_type"]["const"])
		}
	}
}
