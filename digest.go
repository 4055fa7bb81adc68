package herald

import (
	"encoding/json"
	"math"
	"time"
)

// Digest windows an event's settings may choose, in minutes: 0 sends every
// email at once (the spec's default); MinDigestMinutes to MaxDigestMinutes
// sends the first email of a burst at once and collects the rest of the
// window into one digest per recipient.
const (
	MinDigestMinutes = 5
	MaxDigestMinutes = 1440
)

// DigestChoices are the windows the settings page offers, in minutes.
var DigestChoices = []int{0, 5, 15, 60, 240, 1440}

// DigestWindow is the window minutes sets, 0 for none.
func DigestWindow(minutes int) time.Duration { return time.Duration(minutes) * time.Minute }

// ParseDigestMinutes reads email_digest_minutes as decoded from JSON (a
// json.Number, or a float64): 0, or a whole number from MinDigestMinutes to
// MaxDigestMinutes. null means 0.
// The reason is "" when valid.
func ParseDigestMinutes(v any) (int, string) {
	const want = "must be 0 (every email at once) or a whole number of minutes from 5 to 1440"
	var f float64
	switch v := v.(type) {
	case nil:
		return 0, ""
	case json.Number:
		n, err := v.Float64()
		if err != nil {
			return 0, want
		}
		f = n
	case float64:
		f = v
	default:
		return 0, want
	}
	if f != math.Trunc(f) || (f != 0 && (f < MinDigestMinutes || f > MaxDigestMinutes)) {
		return 0, want
	}
	return int(f), ""
}
