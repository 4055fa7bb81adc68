package store

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// An attempt's request and response headers are stored as a header block,
// one "Name: value" line per value, names in order: the way HTTP and mail
// write them, and an eighth smaller than the JSON object they were stored
// as before ({"Name":["value"]}, still read): 30-40 bytes an attempt. Headers a block cannot carry
// exactly (a line break, a NUL or invalid UTF-8 in a value, a name that is
// not a token) are stored as JSON, as before; a block never starts with
// "{", so the two cannot be confused.

// encodeHeaders is h as stored.
func encodeHeaders(h map[string][]string) (string, error) {
	if len(h) == 0 {
		return "", nil
	}
	names := make([]string, 0, len(h))
	size := 0
	for name, vs := range h {
		if !blockSafe(name, vs) {
			return headersJSON(h)
		}
		names = append(names, name)
		for _, v := range vs {
			size += len(name) + len(v) + 3
		}
	}
	slices.Sort(names)
	var b strings.Builder
	b.Grow(size)
	for _, name := range names {
		for _, v := range h[name] {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(name)
			b.WriteString(": ")
			b.WriteString(v)
		}
	}
	return b.String(), nil
}

// blockSafe reports whether a header block carries name and its values
// exactly.
func blockSafe(name string, vs []string) bool {
	if name == "" || strings.ContainsAny(name, ": \t\r\n{\x00") || !utf8.ValidString(name) {
		return false
	}
	for _, v := range vs {
		if strings.ContainsAny(v, "\r\n\x00") || !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

// headersJSON is the JSON form, with <, > and & as themselves.
func headersJSON(h map[string][]string) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// decodeHeaders reverses encodeHeaders, and reads the JSON of older rows.
func decodeHeaders(s string) (map[string][]string, error) {
	h := map[string][]string{}
	if strings.HasPrefix(s, "{") {
		return h, json.Unmarshal([]byte(s), &h)
	}
	for line := range strings.SplitSeq(s, "\n") {
		if line == "" {
			continue
		}
		name, v, _ := strings.Cut(line, ": ")
		h[name] = append(h[name], v)
	}
	return h, nil
}
