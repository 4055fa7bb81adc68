package email

import (
	"strings"
	"testing"

	"herald"
)

func init() {
	samples["digest"] = func(t *testing.T, r *Renderer) map[string]Message {
		out := map[string]Message{}
		for _, k := range herald.EventKeys() {
			dg := specDigest(t, k, 3)
			dg.DeliveryID = "dlv_digest_contact_" + string(k)
			dg.SettingsURL = "https://herald.example.com/accounts/100/notifications"
			out[string(k)+"/contact"] = renderDigest(t, r, dg, "ann@acme.test")

			dg.DeliveryID = "dlv_digest_subscriber_" + string(k)
			dg.SettingsURL = ""
			dg.UnsubscribeURL = "https://herald.example.com/unsubscribe/hu_sample" + string(k)
			out[string(k)+"/subscriber"] = renderDigest(t, r, dg, "oncall@acme.test")
		}
		return out
	}
}

// specDigest is a digest of n events like the spec's example of k, a few
// minutes apart (runs numbered on from the example's).
func specDigest(t *testing.T, k herald.EventKey, n int) Digest {
	t.Helper()
	base := string(specPayload(t, k))
	dg := Digest{Notification: Notification{EventKey: k, AccountName: "Acme Corp"}}
	for i := range n {
		p := strings.Replace(base, "12:00:00Z", "12:0"+string(rune('3'+2*i))+":00Z", 1)
		p = strings.ReplaceAll(p, "9876", "987"+string(rune('7'+i)))
		dg.Payloads = append(dg.Payloads, []byte(p))
	}
	return dg
}

func renderDigest(t *testing.T, r *Renderer, dg Digest, to string) Message {
	t.Helper()
	m, err := r.RenderDigest(dg, to, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRenderDigestListsEveryEventWithItsLinks(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	dg := specDigest(t, herald.RunFailed, 3)
	dg.DeliveryID = "dlv_carrier"
	m := renderDigest(t, r, dg, "oncall@acme.test")
	if want := "[Acme Corp] Digest: 3 Run Failed events"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	for _, run := range []string{"9877", "9878", "9879"} {
		for _, part := range []string{m.Text, m.HTML} {
			for _, want := range []string{"Run " + run + " of Shopify Integration", "https://admin.prod-acme.pandium.com/runs/" + run + "/show",
				"https://api.prod-acme.pandium.com/v2/runs/" + run + "/triggers"} {
				if !strings.Contains(part, want) {
					t.Errorf("digest lacks %q", want)
				}
			}
		}
	}
	if !strings.Contains(m.Text, "between 2026-05-04 12:03 and 12:07 UTC") {
		t.Errorf("text does not say when:\n%s", m.Text)
	}
	if m.MessageID != "dlv_carrier@localhost" || m.Headers["List-Id"] != "<run_failed.100.herald>" || m.Headers["X-Herald-Delivery"] != "dlv_carrier" {
		t.Errorf("message id %q, headers %v", m.MessageID, m.Headers)
	}
	if _, err := r.RenderDigest(Digest{Notification: dg.Notification}, "oncall@acme.test", testNow); err == nil {
		t.Errorf("a digest of nothing rendered")
	}
	wrong := specDigest(t, herald.RunFailed, 1)
	wrong.DeliveryID = "dlv_x"
	wrong.Payloads = append(wrong.Payloads, specPayload(t, herald.TenantCreated))
	if _, err := r.RenderDigest(wrong, "oncall@acme.test", testNow); err == nil {
		t.Errorf("a digest mixing events rendered")
	}
}

func TestRenderDigestOfOneEvent(t *testing.T) {
	t.Parallel()
	dg := specDigest(t, herald.TenantArchived, 1)
	dg.DeliveryID = "dlv_one"
	m := renderDigest(t, newRenderer(t), dg, "ann@acme.test")
	if !strings.HasPrefix(m.Text, "1 Tenant Archived event\n") || !strings.Contains(m.Text, "at 2026-05-04 12:03 UTC") {
		t.Errorf("digest of one:\n%s", m.Text)
	}
}
