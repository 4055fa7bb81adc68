package email

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// field is one top-level payload field, in payload order.
type field struct {
	Name  string
	Value string // strings decoded, other values as compact JSON, null as ""
}

// parsePayload walks the payload's tokens so that the fields keep the
// payload's order (the spec's order): a map would lose it, and people read
// these fields top to bottom.
func parsePayload(p []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("email: payload: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("email: payload: not a JSON object")
	}
	var fields []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("email: payload: %w", err)
		}
		name, _ := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("email: payload field %q: %w", name, err)
		}
		fields = append(fields, field{Name: name, Value: rawValue(raw)})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("email: payload: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("email: payload: data after the JSON object")
	}
	return fields, nil
}

func rawValue(raw json.RawMessage) string {
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s) // valid: the decoder produced it
		return s
	case 'n':
		return ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// get returns the first field called name.
func get(fields []field, name string) string {
	for _, f := range fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// label turns a payload field name into a label for people:
// integration_name is "Integration", api_status_link "API status link".
func label(name string) string {
	words := strings.Split(name, "_")
	if len(words) > 1 && words[len(words)-1] == "name" {
		words = words[:len(words)-1]
	}
	for i, w := range words {
		switch w {
		case "id", "api", "url":
			words[i] = strings.ToUpper(w)
		default:
			if i == 0 && w != "" {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
	}
	return strings.Join(words, " ")
}
