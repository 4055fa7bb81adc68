package ui

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"herald"
)

// digestChoice is one option of an event's "Emails" choice.
type digestChoice struct {
	Minutes  int
	Label    string
	Selected bool
}

// digestChoices lays out the windows the page offers, the saved (or typed)
// one selected; a window saved through the API that the page does not
// offer is shown too, so saving the form keeps it.
func digestChoices(selected string) []digestChoice {
	var out []digestChoice
	found := false
	for _, m := range herald.DigestChoices {
		s := strconv.Itoa(m) == selected
		found = found || s
		out = append(out, digestChoice{Minutes: m, Label: digestLabel(m), Selected: s})
	}
	if n, err := strconv.Atoi(selected); err == nil && !found {
		out = append(out, digestChoice{Minutes: n, Label: digestLabel(n), Selected: true})
	}
	return out
}

// digestLabel names a window for people.
func digestLabel(minutes int) string {
	switch {
	case minutes == 0:
		return "Each at once"
	case minutes == 60:
		return "Digest, 1 hour"
	case minutes%60 == 0:
		return fmt.Sprintf("Digest, %d hours", minutes/60)
	default:
		return fmt.Sprintf("Digest, %d minutes", minutes)
	}
}

// digestFormValue is the form's window as the settings document takes it
// (a JSON number), or nil when the form has none.
func digestFormValue(f url.Values, key herald.EventKey) any {
	v, ok := f["events."+string(key)+".email_digest_minutes"]
	if !ok || len(v) == 0 {
		return nil
	}
	return json.Number(v[0])
}
