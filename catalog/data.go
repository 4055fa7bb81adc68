package catalog

import (
	"encoding/json"
	"strconv"
	"strings"

	"herald"
)

// Data is an event's validated own fields: int64 for integers, string for
// strings, keyed by field name.
type Data map[string]any

// ParseData validates data as decoded from JSON (numbers as json.Number)
// against the event's fields: every field present (or defaulted) with its
// JSON type, nothing unknown. Bad fields are named by field name; the caller
// adds the "data." prefix.
func (e *Event) ParseData(raw map[string]any) (Data, herald.Fields) {
	var bad herald.Fields
	out := make(Data, len(e.Fields))
	known := make(map[string]bool, len(e.Fields))
	for f := range e.DataFields() {
		known[f.Name] = true
		v, ok := raw[f.Name]
		if !ok || v == nil {
			if f.Default != "" {
				out[f.Name] = f.Default
				continue
			}
			bad.Add(f.Name, "is required")
			continue
		}
		switch f.Kind {
		case Integer:
			n, ok := v.(json.Number)
			if !ok {
				bad.Add(f.Name, "must be an integer")
				continue
			}
			i, err := strconv.ParseInt(n.String(), 10, 64)
			if err != nil {
				bad.Add(f.Name, "must be an integer between -2^63 and 2^63-1")
				continue
			}
			out[f.Name] = i
		case String:
			s, ok := v.(string)
			if !ok {
				bad.Add(f.Name, "must be a string")
				continue
			}
			if strings.TrimSpace(s) == "" {
				bad.Add(f.Name, "must not be empty")
				continue
			}
			out[f.Name] = s
		}
	}
	for name := range raw {
		if !known[name] {
			reason := "unknown field"
			for _, f := range e.Fields {
				if f.Name == name && f.Link != nil {
					reason = "is computed by Herald; do not send it"
				}
			}
			bad.Add(name, reason)
		}
	}
	return out, bad
}

// ExampleData is the spec example's own fields of the event.
func (e *Event) ExampleData() Data {
	d := make(Data, len(e.Fields))
	for f := range e.DataFields() {
		d[f.Name] = f.Example
	}
	return d
}

// Canonical encodes d in field order, for fingerprints: two requests with
// the same fields, in any order and spacing, encode the same.
func (e *Event) Canonical(d Data) []byte {
	var w objectWriter
	w.begin(false)
	for f := range e.DataFields() {
		w.field(f.Name, d[f.Name])
	}
	return w.end()
}
