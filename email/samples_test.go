package email

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"herald"
)

// samples renders every kind of email the package has, in each of its
// variants, for the tests that check all of them (Mailpit's HTML check,
// headers). TestSamplesCoverEveryKind fails when a kind in templates/ has
// no entry here, so a new kind cannot skip the checks.
var samples = map[string]func(t *testing.T, r *Renderer) map[string]Message{
	"notification": func(t *testing.T, r *Renderer) map[string]Message {
		out := map[string]Message{}
		for _, k := range herald.EventKeys() {
			n := specNotification(t, k)
			n.DeliveryID = "dlv_contact_" + string(k)
			n.SettingsURL = "https://herald.example.com/accounts/100/notifications"
			out[string(k)+"/contact"] = render(t, r, n, "ann@acme.test")

			n.DeliveryID = "dlv_subscriber_" + string(k)
			n.SettingsURL = ""
			n.UnsubscribeURL = "https://herald.example.com/unsubscribe/hu_sample" + string(k)
			out[string(k)+"/subscriber"] = render(t, r, n, "oncall@acme.test")
		}
		return out
	},
}

func render(t testing.TB, r *Renderer, n Notification, to string) Message {
	t.Helper()
	m, err := r.Render(n, to, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSamplesCoverEveryKind(t *testing.T) {
	t.Parallel()
	kinds, err := kindNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) == 0 {
		t.Fatal("no kinds found in templates/")
	}
	for _, k := range kinds {
		if samples[k] == nil {
			t.Errorf("templates/%s.*.tmpl has no samples entry in samples_test.go", k)
		}
	}
	for k := range samples {
		if !slices.Contains(kinds, k) {
			t.Errorf("samples has %q, which has no templates", k)
		}
	}
}

// TestSamplesGolden keeps every sample's text and HTML parts in
// testdata/KIND/, so a change to any email shows up as a diff to review
// (go test -update rewrites them).
func TestSamplesGolden(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	for k, f := range samples {
		for name, m := range f(t, r) {
			base := filepath.Join(k, strings.ReplaceAll(name, "/", "."))
			golden(t, base+".txt", m.Text)
			golden(t, base+".html", m.HTML)
		}
	}
}

// TestSamplesInlineOnly checks the rules every email's HTML follows: a
// lang, a preheader, inline styles only (clients drop <style> and
// <link>), no classes to style, no external resources.
func TestSamplesInlineOnly(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	for k, f := range samples {
		for name, m := range f(t, r) {
			for _, bad := range []string{"<style", "<link", "class=", "<img", "<script", "src="} {
				if strings.Contains(m.HTML, bad) {
					t.Errorf("%s/%s: html has %q", k, name, bad)
				}
			}
			if !strings.Contains(m.HTML, `<html lang="en"`) || !strings.Contains(m.HTML, `<div style="display:none;`) {
				t.Errorf("%s/%s: no lang or no preheader", k, name)
			}
			if m.Headers["List-Id"] == "" {
				t.Errorf("%s/%s: no List-Id", k, name)
			}
		}
	}
}
