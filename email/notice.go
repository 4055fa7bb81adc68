package email

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"herald"
)

// Notice is what a webhook notice to an account's primary contact says:
// that the webhook keeps failing, or that it was disabled. It is stored as
// the notice's event payload (JSON), so a retried send renders the same.
type Notice struct {
	Kind                herald.EventKey `json:"notice"` // herald.NoticeWebhookFailing or NoticeWebhookDisabled
	AccountID           int64           `json:"account_id"`
	AccountName         string          `json:"account_name"`
	WebhookURL          string          `json:"webhook_url"` // query values masked
	ConsecutiveFailures int             `json:"consecutive_failures"`
	FailingSince        time.Time       `json:"failing_since"`
	LastError           string          `json:"last_error"`
	DisabledReason      string          `json:"disabled_reason,omitempty"`
	// SettingsURL is the account's Notifications & Webhooks tab.
	SettingsURL string `json:"settings_url"`
}

// RenderNotice renders n for the single recipient to at time now. The
// delivery id makes the Message-ID, as for events.
func (r *Renderer) RenderNotice(n Notice, deliveryID, to string, now time.Time) (Message, error) {
	rcpt, err := parseRecipient(to)
	if err != nil {
		return Message{}, err
	}
	if err := checkDeliveryID(deliveryID); err != nil {
		return Message{}, err
	}
	account := clean(n.AccountName)
	if strings.TrimSpace(account) == "" {
		account = "account " + strconv.FormatInt(n.AccountID, 10)
	}
	v := view{frame: frame{Lang: "en", Footer: fmt.Sprintf("You receive this as the primary contact of %s: "+
		"Herald writes once when a webhook keeps failing and once when it is disabled.", account)}}
	if isLink(n.SettingsURL) {
		v.Link = n.SettingsURL
		v.FooterLinkText, v.FooterLink = "Notification settings", n.SettingsURL
	}
	add := func(label, value string) {
		if value != "" {
			v.Rows = append(v.Rows, row{Label: label, Value: clean(value), Link: isLink(value)})
		}
	}
	add("Account", fmt.Sprintf("%s (%d)", account, n.AccountID))
	add("Webhook URL", n.WebhookURL)
	switch n.Kind {
	case herald.NoticeWebhookFailing:
		v.Title = "Webhook failing"
		v.Subject = fmt.Sprintf("[%s] Webhook failing: %d attempts in a row", account, n.ConsecutiveFailures)
		v.Summary = fmt.Sprintf("The webhook of %s has failed %d times in a row. Herald keeps trying as the settings say; "+
			"if it keeps failing, it will be disabled.", account, n.ConsecutiveFailures)
	case herald.NoticeWebhookDisabled:
		v.Title = "Webhook disabled"
		v.Subject = fmt.Sprintf("[%s] Webhook disabled", account)
		v.Summary = fmt.Sprintf("The webhook of %s was disabled: %s. Webhooks are not sent until it is turned back on; "+
			"the ones missed meanwhile are kept as skipped and can be replayed.", account, clean(n.DisabledReason))
		add("Reason", n.DisabledReason)
	default:
		return Message{}, fmt.Errorf("email: unknown notice %q", n.Kind)
	}
	add("Failed attempts in a row", strconv.Itoa(n.ConsecutiveFailures))
	if !n.FailingSince.IsZero() {
		add("Failing since", n.FailingSince.UTC().Format(time.RFC3339))
	}
	add("Last error", n.LastError)
	width := 0
	for _, rw := range v.Rows {
		width = max(width, len(rw.Label)+1)
	}
	for i := range v.Rows {
		v.Rows[i].Padded = fmt.Sprintf("%-*s ", width, v.Rows[i].Label+":")
	}
	v.Subject = strings.TrimSpace(clean(v.Subject))
	v.Preheader = v.Summary

	text, html, err := r.execute("notice", v)
	if err != nil {
		return Message{}, err
	}
	toStr := rcpt.Address
	if rcpt.Name != "" {
		toStr = rcpt.String()
	}
	return Message{
		From: r.from, To: toStr, Subject: v.Subject, Text: text, HTML: html,
		Headers: map[string]string{
			"X-Herald-Notice":   string(n.Kind),
			"X-Herald-Delivery": deliveryID,
			"Auto-Submitted":    "auto-generated",
			"List-Id":           ListID(n.Kind, strconv.FormatInt(n.AccountID, 10)),
		},
		MessageID: deliveryID + "@" + r.domain,
		Date:      now,
	}, nil
}
