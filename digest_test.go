package herald_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"herald"
)

func TestParseSettingsDigestMinutes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string // the JSON value of run_failed's email_digest_minutes; "" = absent
		want    int
		invalid bool
	}{
		{"absent means at once", "", 0, false},
		{"null means at once", "null", 0, false},
		{"zero", "0", 0, false},
		{"five minutes, the shortest", "5", 5, false},
		{"a window not offered in the page", "7", 7, false},
		{"a day, the longest", "1440", 1440, false},
		{"written as 15.0", "15.0", 15, false},
		{"under five", "4", 0, true},
		{"over a day", "1441", 0, true},
		{"negative", "-5", 0, true},
		{"a fraction", "7.5", 0, true},
		{"a string", `"15"`, 0, true},
		{"a boolean", "true", 0, true},
		{"an object", `{"minutes": 5}`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := `{"send_webhook": false, "email_subscribers": []`
			if tt.value != "" {
				ev += `, "email_digest_minutes": ` + tt.value
			}
			doc := decodeDoc(t, `{"events": {"run_failed": `+ev+`}}}`)
			got, err := herald.ParseSettings(t.Context(), doc, nil)
			if tt.invalid {
				named := slices.Sorted(maps.Keys(invalidFields(t, err)))
				if diff := cmp.Diff([]string{"events.run_failed.email_digest_minutes"}, named); diff != "" {
					t.Errorf("fields named (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSettings: %v", err)
			}
			if m := got.Events[herald.RunFailed].EmailDigestMinutes; m != tt.want {
				t.Errorf("email_digest_minutes = %d, want %d", m, tt.want)
			}
			if m := got.Events[herald.TenantCreated].EmailDigestMinutes; m != 0 {
				t.Errorf("another event's window = %d, want 0", m)
			}
		})
	}
}

func TestDigestChoicesAreValid(t *testing.T) {
	t.Parallel()
	for _, m := range herald.DigestChoices {
		if _, reason := herald.ParseDigestMinutes(float64(m)); reason != "" {
			t.Errorf("offered choice %d is refused: %s", m, reason)
		}
	}
}
