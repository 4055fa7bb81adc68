package email

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// field is one top-level payload field, in payload order.
type field struct {
	Name  string
	Value string // strings decoded, other values as compact JSON, null as ""
}

// parsePayload reads the payload's top-level fields in the payload's
// order (the spec's order): a map would lose it, and people read these
// fields top to bottom. The payload is checked first (json.Valid), then
// walked by hand: the json.Decoder's token walk it replaces was a fifth
// of rendering an email.
func parsePayload(p []byte) ([]field, error) {
	if err := checkObject(p); err != nil {
		return nil, err
	}
	fields := make([]field, 0, 24)
	i := skipSpace(p, 0) + 1 // past the '{'
	for {
		i = skipSpace(p, i)
		if p[i] == '}' {
			return fields, nil
		}
		end := endOfString(p, i)
		name := jsonString(p[i:end])
		i = skipSpace(p, end) + 1 // past the ':'
		i = skipSpace(p, i)
		end = endOfValue(p, i)
		fields = append(fields, field{Name: name, Value: rawValue(p[i:end])})
		if i = skipSpace(p, end); p[i] == ',' {
			i++
		}
	}
}

// checkObject reports why p is not one JSON object, if it is not.
func checkObject(p []byte) error {
	if json.Valid(p) {
		if p[skipSpace(p, 0)] != '{' {
			return errors.New("email: payload: not a JSON object")
		}
		return nil
	}
	var v json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(p)).Decode(&v); err != nil {
		return fmt.Errorf("email: payload: %w", err)
	}
	if v[0] != '{' {
		return errors.New("email: payload: not a JSON object")
	}
	return errors.New("email: payload: data after the JSON object")
}

// The helpers below walk JSON that json.Valid accepted.

func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n') {
		i++
	}
	return i
}

// endOfString returns the index after the string starting at p[i].
func endOfString(p []byte, i int) int {
	for i++; ; i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// endOfValue returns the index after the value starting at p[i].
func endOfValue(p []byte, i int) int {
	switch p[i] {
	case '"':
		return endOfString(p, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch p[i] {
			case '"':
				i = endOfString(p, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(p) && !strings.ContainsRune(",}] \t\r\n", rune(p[i])) {
		i++
	}
	return i
}

// jsonString decodes a JSON string: as it is when it has no escapes and
// is valid UTF-8, else by encoding/json (which replaces invalid UTF-8).
func jsonString(raw []byte) string {
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body)
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid: json.Valid accepted the payload
	return s
}

func rawValue(raw json.RawMessage) string {
	switch raw[0] {
	case '"':
		return jsonString(raw)
	case 'n':
		return ""
	case '{', '[':
	default:
		return string(raw) // a number, true or false
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

// labels keeps label's results by field name: payloads carry the few
// names of the catalog's fields, and making each label again showed in
// profiles. At most maxLabels are kept, so odd payloads cannot grow it.
var (
	labels     sync.Map // field name → label
	labelsKept atomic.Int32
)

const maxLabels = 1024

// keptLabel is label(name), kept.
func keptLabel(name string) string {
	if l, ok := labels.Load(name); ok {
		return l.(string)
	}
	l := label(name)
	if labelsKept.Add(1) <= maxLabels {
		labels.Store(name, l)
	}
	return l
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
