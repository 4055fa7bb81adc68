package store

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Headers read back exactly as they were recorded, stored as a header
// block when it can carry them and as JSON when it cannot; rows stored as
// JSON before read as they were.
func TestHeadersRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		h     map[string][]string
		block bool // stored as a header block
	}{
		{"none", map[string][]string{}, true},
		{"webhook", map[string][]string{"Content-Type": {"application/json"}, "Webhook-Id": {"dlv_1"}, "User-Agent": {"Herald/dev"}}, true},
		{"email", map[string][]string{"From": {`"Herald" <herald@localhost>`}, "Message-ID": {"<dlv_1@localhost>"}, "Subject": {"[A & B] Run: failed"}}, true},
		{"repeated and empty values", map[string][]string{"Set-Cookie": {"a=1", "", " b=2 "}, "X-Empty": {""}}, true},
		{"value with a line break", map[string][]string{"X-A": {"one\ntwo"}}, false},
		{"value with NUL", map[string][]string{"X-A": {"a\x00b"}}, false},
		{"name with a colon", map[string][]string{"X:A": {"1"}}, false},
		{"name starting with a brace", map[string][]string{"{X": {"1"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stored, err := encodeHeaders(tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if block := !strings.HasPrefix(stored, "{"); block != tc.block {
				t.Errorf("stored as %q: header block %v, want %v", stored, block, tc.block)
			}
			got, err := decodeHeaders(stored)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.h, got); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		})
	}
	// nil reads back as no headers, not nil.
	if stored, _ := encodeHeaders(nil); stored != "" {
		t.Errorf("nil stored as %q", stored)
	}
	for stored, want := range map[string]map[string][]string{
		`{}`: {},
		`{"From":["\"H\" \u003ch@x\u003e"],"To":["a@b.test"]}`: {"From": {`"H" <h@x>`}, "To": {"a@b.test"}},
		``: {},
	} {
		got, err := decodeHeaders(stored)
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("decodeHeaders(%q) = %v, %v; want %v", stored, got, err, want)
		}
	}
}

// A webhook's headers take a good deal less room than as JSON.
func TestHeadersBlockIsSmaller(t *testing.T) {
	h := map[string][]string{"Content-Type": {"application/json"}, "User-Agent": {"Herald/dev"},
		"Webhook-Id": {"dlv_06h2ra09qb8vmys63x942rs83m"}, "Webhook-Timestamp": {"1796037151"},
		"X-Herald-Delivery": {"dlv_06h2ra09qb8vmys63x942rs83m"}, "X-Herald-Event": {"run_failed"}}
	block, _ := encodeHeaders(h)
	js, _ := headersJSON(h)
	if len(block) > len(js)*90/100 {
		t.Errorf("header block %d bytes, JSON %d: want at least 10%% smaller", len(block), len(js))
	}
}
