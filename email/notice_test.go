package email

import (
	"strings"
	"testing"
	"time"

	"herald"
)

// The notices join the samples every kind of email is checked with
// (goldens in testdata/notice/, inline-only HTML, Mailpit's check).
func init() {
	samples["notice"] = func(t *testing.T, r *Renderer) map[string]Message {
		out := map[string]Message{}
		for _, k := range []herald.EventKey{herald.NoticeWebhookFailing, herald.NoticeWebhookDisabled} {
			m, err := r.RenderNotice(sampleNotice(k), "dlv_notice_"+string(k), "ann@acme.test", testNow)
			if err != nil {
				t.Fatal(err)
			}
			out[string(k)] = m
		}
		return out
	}
}

func sampleNotice(k herald.EventKey) Notice {
	n := Notice{Kind: k, AccountID: 100, AccountName: "Acme Corp", WebhookURL: "https://hooks.acme.test/in?token=***",
		ConsecutiveFailures: 10, FailingSince: time.Date(2026, 5, 4, 11, 0, 0, 0, time.UTC), LastError: "HTTP 503",
		SettingsURL: "https://herald.acme.test/accounts/100/notifications"}
	if k == herald.NoticeWebhookDisabled {
		n.DisabledReason = "the endpoint answered 410 Gone"
	}
	return n
}

func TestRenderNotices(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	since := time.Date(2026, 5, 4, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		kind    herald.EventKey
		subject string
		reason  string
	}{
		{herald.NoticeWebhookFailing, "[Acme Corp] Webhook failing: 10 attempts in a row", ""},
		{herald.NoticeWebhookDisabled, "[Acme Corp] Webhook disabled", "the endpoint answered 410 Gone"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			n := Notice{Kind: tt.kind, AccountID: 100, AccountName: "Acme Corp", WebhookURL: "https://hooks.acme.test/in?token=***",
				ConsecutiveFailures: 10, FailingSince: since, LastError: "HTTP 503", DisabledReason: tt.reason,
				SettingsURL: "https://herald.acme.test/accounts/100/notifications"}
			m, err := r.RenderNotice(n, "dlv_01jnotice", "Ann Lee <ann@acme.test>", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.subject)
			}
			for _, part := range []string{m.Text, m.HTML} {
				for _, want := range []string{"Acme Corp", "https://hooks.acme.test/in?token=***", "HTTP 503", "/accounts/100/notifications", tt.reason} {
					if !strings.Contains(part, want) {
						t.Errorf("a part lacks %q:\n%s", want, part)
					}
				}
				if strings.Contains(part, "s3cret") {
					t.Error("the URL's secret leaked")
				}
			}
			if m.To != `"Ann Lee" <ann@acme.test>` || m.MessageID != "dlv_01jnotice@localhost" || m.Headers["X-Herald-Notice"] != string(tt.kind) {
				t.Errorf("message = %+v", m)
			}
			if _, err := m.Bytes(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRenderNoticeRefusesUnknownKind(t *testing.T) {
	t.Parallel()
	if _, err := newRenderer(t).RenderNotice(Notice{Kind: herald.RunFailed}, "dlv_1", "ann@acme.test", testNow); err == nil {
		t.Fatal("rendered a notice of an event key")
	}
}
