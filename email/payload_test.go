package email

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"testing"

	"herald"
)

// tokenFields reads a payload's fields with json.Decoder's token walk,
// the way parsePayload once did: the reference it must agree with.
func tokenFields(p []byte) ([]field, bool) {
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var fields []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		v := ""
		switch raw[0] {
		case '"':
			_ = json.Unmarshal(raw, &v)
		case 'n':
		default:
			var b bytes.Buffer
			_ = json.Compact(&b, raw)
			v = b.String()
		}
		fields = append(fields, field{Name: tok.(string), Value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return fields, true
}

func FuzzParsePayload(f *testing.F) {
	for _, k := range herald.EventKeys() {
		f.Add(specPayload(f, k))
	}
	for _, s := range []string{
		`{}`, ` { "a" : 1 , "b":[1, {"c":"]}"}], "d":null,"e":true, "f" : "\u00e9\"\\" } `,
		`{"a":"caf\xc3\xa9","b":"\xff","c\n":{"x":[ ]}, "a":-1.5e3}`, `[1]`, `{"a":1} {}`, `{"a":`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		got, err := parsePayload(p)
		want, ok := tokenFields(p)
		if ok != (err == nil) {
			t.Fatalf("parsePayload(%q) err = %v, the token walk ok = %v", p, err, ok)
		}
		if ok && !slices.Equal(got, want) {
			t.Fatalf("parsePayload(%q)\n = %q\nwant %q", p, got, want)
		}
	})
}
