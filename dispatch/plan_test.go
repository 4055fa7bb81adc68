package dispatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"herald"
	"herald/dispatch"
	"herald/store"
)

// planned is the part of a delivery that says where it goes.
type planned struct {
	Channel herald.Channel
	Target  string
}

func targets(ds []herald.Delivery) []planned {
	var out []planned
	for _, d := range ds {
		out = append(out, planned{d.Channel, d.Target})
	}
	return out
}

func plannedWebhook(url string) planned { return planned{herald.ChannelWebhook, url} }
func plannedEmail(addr string) planned  { return planned{herald.ChannelEmail, addr} }
func contact(addr string) herald.Company {
	return herald.Company{PrimaryContact: &herald.Contact{Name: "Ann Lee", Email: addr}}
}

// settings returns DefaultSettings with the URL set and ev's row replaced.
func settings(url string, key herald.EventKey, es herald.EventSettings) herald.Settings {
	s := herald.DefaultSettings()
	s.WebhookURL = url
	s.Events[key] = es
	return s
}

func event(key herald.EventKey) herald.Event {
	return herald.Event{ID: "evt_01", AccountID: 100, Key: key, Payload: []byte(`{}`)}
}

const hookURL = "https://hooks.acme.test/in?token=s3cret&b=%20x"

func TestPlanChoosesRecipients(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		key  herald.EventKey
		r    store.Recipients
		want []planned
	}{
		{
			name: "webhook first, then contact, then subscribers in order",
			key:  herald.RunFailed,
			r: store.Recipients{
				Company:  contact("ann@acme.test"),
				Settings: settings(hookURL, herald.RunFailed, herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{"oncall@acme.test", "dev@acme.test"}}),
			},
			want: []planned{plannedWebhook(hookURL), plannedEmail("ann@acme.test"), plannedEmail("oncall@acme.test"), plannedEmail("dev@acme.test")},
		},
		{
			name: "toggle on without a saved URL plans no webhook",
			key:  herald.RunFailed,
			r: store.Recipients{
				Company:  contact("ann@acme.test"),
				Settings: settings("", herald.RunFailed, herald.EventSettings{SendWebhook: true}),
			},
			want: []planned{plannedEmail("ann@acme.test")},
		},
		{
			name: "URL saved with toggle off plans no webhook",
			key:  herald.RunFailed,
			r: store.Recipients{
				Settings: settings(hookURL, herald.RunFailed, herald.EventSettings{SendWebhook: false, EmailSubscribers: []string{"dev@acme.test"}}),
			},
			want: []planned{plannedEmail("dev@acme.test")},
		},
		{
			name: "another event's toggle does not send this event's webhook",
			key:  herald.TenantCreated,
			r: store.Recipients{
				Settings: settings(hookURL, herald.RunFailed, herald.EventSettings{SendWebhook: true, EmailSubscribers: []string{"dev@acme.test"}}),
			},
			want: nil,
		},
		{
			name: "webhook alone with no contact and no subscribers",
			key:  herald.TenantArchived,
			r:    store.Recipients{Settings: settings(hookURL, herald.TenantArchived, herald.EventSettings{SendWebhook: true})},
			want: []planned{plannedWebhook(hookURL)},
		},
		{
			name: "contact listed as subscriber in another case is emailed once",
			key:  herald.RunFailed,
			r: store.Recipients{
				Company:  contact("Ann@Acme.test"),
				Settings: settings("", herald.RunFailed, herald.EventSettings{EmailSubscribers: []string{"dev@acme.test", "ann@ACME.TEST"}}),
			},
			want: []planned{plannedEmail("Ann@Acme.test"), plannedEmail("dev@acme.test")},
		},
		{
			name: "subscribers differing only in case are emailed once",
			key:  herald.IntegrationCreated,
			r: store.Recipients{
				Settings: settings("", herald.IntegrationCreated, herald.EventSettings{EmailSubscribers: []string{"ops@acme.test", "OPS@acme.test"}}),
			},
			want: []planned{plannedEmail("ops@acme.test")},
		},
		{
			name: "no contact and no settings plans nothing",
			key:  herald.RunFailed,
			r:    store.Recipients{Settings: herald.DefaultSettings()},
			want: nil,
		},
		{
			name: "zero recipients plans nothing",
			key:  herald.RunFailed,
			r:    store.Recipients{},
			want: nil,
		},
		{
			name: "contact with empty address plans nothing",
			key:  herald.RunFailed,
			r:    store.Recipients{Company: contact(""), Settings: herald.DefaultSettings()},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := dispatch.Plan(event(tt.key), tt.r, now)
			if diff := cmp.Diff(tt.want, targets(got)); diff != "" {
				t.Errorf("Plan targets mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanEmailsPrimaryContactForEveryEventWithAllSettingsOff(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	s := herald.DefaultSettings()
	s.WebhookURL = hookURL // saved, but every toggle off
	r := store.Recipients{Company: contact("ann@acme.test"), Settings: s}
	for _, key := range herald.EventKeys() {
		t.Run(string(key), func(t *testing.T) {
			t.Parallel()
			got := dispatch.Plan(event(key), r, now)
			if diff := cmp.Diff([]planned{plannedEmail("ann@acme.test")}, targets(got)); diff != "" {
				t.Errorf("Plan targets mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanFillsEveryDelivery(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 12, 0, 0, 123_000_000, time.UTC)
	ev := herald.Event{ID: "evt_xyz", AccountID: 4242, Key: herald.PartnerIntegrationUpdated}
	subs := make([]string, herald.MaxSubscribers)
	for i := range subs {
		subs[i] = "user" + strings.Repeat("x", i) + "@acme.test"
	}
	r := store.Recipients{
		Company:  contact("ann@acme.test"),
		Settings: settings(hookURL, ev.Key, herald.EventSettings{SendWebhook: true, EmailSubscribers: subs}),
	}
	got := dispatch.Plan(ev, r, now)
	if len(got) != 2+len(subs) {
		t.Fatalf("Plan planned %d deliveries, want %d", len(got), 2+len(subs))
	}
	ids := make(map[string]bool, len(got))
	for i, d := range got {
		if !strings.HasPrefix(d.ID, "dlv_") || len(d.ID) <= len("dlv_") {
			t.Errorf("delivery %d: ID = %q, want dlv_ prefix", i, d.ID)
		}
		if ids[d.ID] {
			t.Errorf("delivery %d: ID %q repeated", i, d.ID)
		}
		ids[d.ID] = true
		want := herald.Delivery{
			ID: d.ID, EventID: "evt_xyz", AccountID: 4242, EventKey: herald.PartnerIntegrationUpdated,
			Channel: d.Channel, Target: d.Target, Status: herald.StatusPending, Attempts: 0, CreatedAt: now,
		}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Errorf("delivery %d mismatch (-want +got):\n%s", i, diff)
		}
	}
	if got[0].Channel != herald.ChannelWebhook || got[0].Target != hookURL {
		t.Errorf("first delivery = %s %q, want webhook %q exactly", got[0].Channel, got[0].Target, hookURL)
	}
}
