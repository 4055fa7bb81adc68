// Package dispatch turns accepted platform events into deliveries: it
// validates and records an event with its planned deliveries (ingest).
package dispatch

import (
	"strings"
	"time"

	"herald"
	"herald/store"
)

// Plan works out who hears about ev under the account's settings: the
// webhook when its toggle is on and a URL is saved (skipped while the
// webhook is disabled), then one email for the
// primary contact (every event, whatever the settings) and one per
// subscriber of the event, never the same address twice. Emails carry the
// event's digest window; whether they wait for a digest is settled when
// they are committed.
func Plan(ev herald.Event, r store.Recipients, now time.Time) []herald.Delivery {
	var ds []herald.Delivery
	es := r.Settings.Events[ev.Key]
	add := func(ch herald.Channel, target string) {
		d := herald.Delivery{
			ID: herald.NewID("dlv_", now), EventID: ev.ID, AccountID: ev.AccountID, EventKey: ev.Key,
			Channel: ch, Target: target, Status: herald.StatusPending, CreatedAt: now,
		}
		if ch == herald.ChannelEmail {
			d.DigestWindow = herald.DigestWindow(es.EmailDigestMinutes)
		}
		ds = append(ds, d)
	}
	if es.SendWebhook && r.Settings.WebhookURL != "" {
		add(herald.ChannelWebhook, r.Settings.WebhookURL)
		if r.WebhookDisabled != "" {
			// Kept, so nothing is lost: a replay sends it once the
			// webhook is back on.
			d := &ds[len(ds)-1]
			d.Status, d.Error, d.CompletedAt = herald.StatusSkipped, store.DisabledError(r.WebhookDisabled), now
		}
	}
	seen := make(map[string]bool, len(es.EmailSubscribers)+1)
	email := func(addr string) {
		if addr == "" || seen[strings.ToLower(addr)] {
			return
		}
		seen[strings.ToLower(addr)] = true
		add(herald.ChannelEmail, addr)
	}
	if c := r.Company.PrimaryContact; c != nil {
		email(c.Email)
	}
	for _, addr := range es.EmailSubscribers {
		email(addr)
	}
	return ds
}
