package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Limits the spec's readings set on settings.
const (
	MaxWebhookURLLength = 2048
	MaxSubscribers      = 50
)

// EventSettings is one row of the Notifications & Webhooks table.
type EventSettings struct {
	SendWebhook      bool     `json:"send_webhook"`
	EmailSubscribers []string `json:"email_subscribers"`
	// EmailDigestMinutes is the event's digest window: 0 (the spec's
	// default) sends every email at once; otherwise the first email of a
	// burst goes at once and the rest of the window's go as one digest per
	// recipient (see digest.go).
	EmailDigestMinutes int `json:"email_digest_minutes"`
}

// Settings is an account's notification settings document. Events always
// holds all five keys once built by DefaultSettings or ParseSettings.
type Settings struct {
	WebhookURL string
	// RetryFailedWebhooks turns on retries of failed webhooks on the
	// retry schedule; off (the spec's default), each webhook is sent once.
	RetryFailedWebhooks bool
	Events              map[EventKey]EventSettings
}

// DefaultSettings is what an account has before anyone saves: no URL, no
// webhooks, no subscribers.
func DefaultSettings() Settings {
	s := Settings{Events: make(map[EventKey]EventSettings, 5)}
	for _, k := range EventKeys() {
		s.Events[k] = EventSettings{EmailSubscribers: []string{}}
	}
	return s
}

// MarshalJSON writes the document with the events in the spec's order, the
// order admins see them in, and the URL's & unescaped, as it was saved.
func (s Settings) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	encode := func(v any) error {
		err := enc.Encode(v)
		b.Truncate(b.Len() - 1) // Encode ends each value with a newline
		return err
	}
	b.WriteString(`{"webhook_url":`)
	if err := encode(s.WebhookURL); err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, `,"retry_failed_webhooks":%t`, s.RetryFailedWebhooks)
	b.WriteString(`,"events":{`)
	for i, k := range EventKeys() {
		es := s.Events[k]
		if es.EmailSubscribers == nil {
			es.EmailSubscribers = []string{}
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%q:`, k)
		if err := encode(es); err != nil {
			return nil, err
		}
	}
	b.WriteString("}}")
	return b.Bytes(), nil
}

// HostChecker decides whether a webhook host may be reached (the
// private-network guard). A nil HostChecker allows every host.
type HostChecker interface {
	CheckHost(ctx context.Context, host string) error
}

// ParseSettings validates a settings document as decoded from JSON (objects
// as map[string]any, numbers as json.Number) or built from the page's form.
// Absent keys take their defaults, since a PUT replaces the document whole.
// Every invalid field is reported, by its path, in one *Error.
func ParseSettings(ctx context.Context, doc map[string]any, guard HostChecker) (Settings, error) {
	s := DefaultSettings()
	var bad Fields
	urlOK := true
	for key, v := range doc {
		switch key {
		case "webhook_url":
			raw, ok := v.(string)
			if !ok {
				bad.Add("webhook_url", "must be a string")
				urlOK = false
				continue
			}
			u, reason := CheckWebhookURL(ctx, raw, guard)
			if reason != "" {
				bad.Add("webhook_url", reason)
				urlOK = false
				continue
			}
			s.WebhookURL = u
		case "retry_failed_webhooks":
			b, ok := v.(bool)
			if !ok {
				bad.Add(key, "must be true or false")
			}
			s.RetryFailedWebhooks = b
		case "events":
			// handled below, once the URL is known
		default:
			bad.Add(key, "unknown field")
		}
	}
	if v, ok := doc["events"]; ok && v != nil {
		events, ok := v.(map[string]any)
		if !ok {
			bad.Add("events", "must be an object keyed by event key")
		}
		for name, ev := range events {
			k := EventKey(name)
			path := "events." + name
			if !k.Valid() {
				bad.Add(path, "unknown event key")
				continue
			}
			es, fields := parseEventSettings(ev)
			bad.Merge(path, fields)
			if es.SendWebhook {
				switch {
				case !urlOK:
					bad.Add(path+".send_webhook", "can be on only with a valid webhook URL")
				case s.WebhookURL == "":
					bad.Add(path+".send_webhook", "can be on only when a webhook URL is saved")
				}
			}
			s.Events[k] = es
		}
	}
	if err := bad.Err(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

func parseEventSettings(v any) (EventSettings, Fields) {
	es := EventSettings{EmailSubscribers: []string{}}
	var bad Fields
	obj, ok := v.(map[string]any)
	if !ok {
		bad.Add("", "must be an object with send_webhook, email_subscribers and email_digest_minutes")
		return es, bad
	}
	for key, v := range obj {
		switch key {
		case "send_webhook":
			b, ok := v.(bool)
			if !ok {
				bad.Add(".send_webhook", "must be true or false")
			}
			es.SendWebhook = b
		case "email_subscribers":
			subs, fields := ParseSubscribers(v)
			bad.Merge(".email_subscribers", fields)
			es.EmailSubscribers = subs
		case "email_digest_minutes":
			n, reason := ParseDigestMinutes(v)
			if reason != "" {
				bad.Add(".email_digest_minutes", reason)
			}
			es.EmailDigestMinutes = n
		default:
			bad.Add("."+key, "unknown field")
		}
	}
	return es, bad
}

// ParseSubscribers accepts a list of addresses or one comma-separated string
// (as typed in the form). Items are trimmed, empty items skipped, duplicates
// dropped case-insensitively (the first spelling wins). Bad items are named
// by their index, "[i]", counting the items as given.
func ParseSubscribers(v any) ([]string, Fields) {
	var items []any
	switch v := v.(type) {
	case nil:
	case string:
		for part := range strings.SplitSeq(v, ",") {
			items = append(items, part)
		}
	case []any:
		items = v
	default:
		return []string{}, Fields{"": "must be a list of email addresses or a comma-separated string"}
	}
	var bad Fields
	subs := []string{}
	seen := make(map[string]bool, len(items))
	for i, item := range items {
		path := fmt.Sprintf("[%d]", i)
		str, ok := item.(string)
		if !ok {
			bad.Add(path, "must be a string")
			continue
		}
		addr := strings.TrimSpace(str)
		if addr == "" {
			continue
		}
		if reason := CheckEmail(addr); reason != "" {
			bad.Add(path, fmt.Sprintf("%q %s", addr, reason))
			continue
		}
		if seen[strings.ToLower(addr)] {
			continue
		}
		seen[strings.ToLower(addr)] = true
		subs = append(subs, addr)
	}
	if len(subs) > MaxSubscribers {
		bad.Add("", fmt.Sprintf("at most %d subscribers per event (got %d)", MaxSubscribers, len(subs)))
	}
	return subs, bad
}

// CheckWebhookURL trims raw and returns it, or why it cannot be a webhook
// URL. "" is valid: it means no webhooks. The URL is otherwise kept exactly
// as typed, since the spec sends it exactly as saved (query string included).
func CheckWebhookURL(ctx context.Context, raw string, guard HostChecker) (string, string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", ""
	}
	if len(s) > MaxWebhookURLLength {
		return "", fmt.Sprintf("must be at most %d characters", MaxWebhookURLLength)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", "must be a valid URL"
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "must start with http:// or https://"
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "", "must include a host, like https://hooks.example.com/path"
	case u.User != nil:
		return "", "must not contain a user name or password; put a token in the query string instead"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "", "must not contain a fragment (#...): it is never sent"
	}
	if p := u.Port(); p != "" {
		if n, err := parsePort(p); err != nil || n == 0 {
			return "", "must have a port between 1 and 65535"
		}
	}
	if guard != nil {
		if err := guard.CheckHost(ctx, u.Hostname()); err != nil {
			return "", "must not point to a private network: " + err.Error()
		}
	}
	return s, ""
}

func parsePort(p string) (int, error) {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' || n > 65535 {
			return 0, fmt.Errorf("bad port %q", p)
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, fmt.Errorf("bad port %q", p)
	}
	return n, nil
}

// MaskURL hides every query-string value (they are secrets, per the spec's
// readings) for showing a URL anywhere but the settings form:
// https://h/p?token=s3cret&x=1 becomes https://h/p?token=***&x=***.
func MaskURL(raw string) string {
	q := strings.IndexByte(raw, '?')
	if q < 0 {
		return raw
	}
	parts := strings.Split(raw[q+1:], "&")
	for i, p := range parts {
		switch name, _, hasValue := strings.Cut(p, "="); {
		case hasValue:
			parts[i] = name + "=***"
		case p != "":
			parts[i] = "***" // a bare value, such as ?s3cret, is the secret itself
		}
	}
	return raw[:q+1] + strings.Join(parts, "&")
}
