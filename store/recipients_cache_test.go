package store_test

import (
	"context"
	"testing"
	"time"

	"herald"
	"herald/store"
	"herald/store/storetest"
)

// What ingest reads of an account follows every change at once, though
// it is kept between calls: the name, the contact, the settings, a
// webhook disabled by its failures and turned back on.
func TestRecipientsFollowEveryChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		read := func() store.Recipients {
			t.Helper()
			r, err := s.Recipients(ctx, 7)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if _, err := s.Recipients(ctx, 7); err != herald.ErrNotFound {
			t.Fatalf("missing account: %v", err)
		}
		s.PutAccount(ctx, 7, "Acme")
		if r := read(); r.Account.Name != "Acme" || r.Company.PrimaryContact != nil {
			t.Fatalf("new account = %+v", r)
		}
		s.PutAccount(ctx, 7, "Acme Corp")
		if r := read(); r.Account.Name != "Acme Corp" {
			t.Errorf("after a rename: %q", r.Account.Name)
		}
		if err := s.PutCompany(ctx, 7, herald.Company{PrimaryContact: &herald.Contact{Name: "Ann", Email: "ann@acme.test"}}); err != nil {
			t.Fatal(err)
		}
		if r := read(); r.Company.PrimaryContact == nil || r.Company.PrimaryContact.Email != "ann@acme.test" {
			t.Errorf("after the contact: %+v", r.Company)
		}
		st := herald.DefaultSettings()
		st.WebhookURL = "https://hooks.acme.test/x"
		es := st.Events[herald.RunFailed]
		es.SendWebhook = true
		st.Events[herald.RunFailed] = es
		if err := s.PutSettings(ctx, 7, st); err != nil {
			t.Fatal(err)
		}
		if r := read(); r.Settings.WebhookURL != st.WebhookURL || !r.Settings.Events[herald.RunFailed].SendWebhook {
			t.Errorf("after the settings: %+v", r.Settings)
		}
		now := time.Now()
		if _, err := s.RecordWebhookResults(ctx, []store.WebhookResult{{AccountID: 7, At: now, Success: true}}, store.HealthPolicy{}); err != nil {
			t.Fatal(err)
		}
		if r := read(); r.WebhookDisabled != "" {
			t.Errorf("disabled by a success: %q", r.WebhookDisabled)
		}
		if _, err := s.RecordWebhookResults(ctx, []store.WebhookResult{{AccountID: 7, At: now, Gone: true, Error: "HTTP 410"}}, store.HealthPolicy{}); err != nil {
			t.Fatal(err)
		}
		if r := read(); r.WebhookDisabled == "" {
			t.Error("a 410 disabled the webhook, but ingest does not see it")
		}
		if err := s.EnableWebhook(ctx, 7); err != nil {
			t.Fatal(err)
		}
		if r := read(); r.WebhookDisabled != "" {
			t.Errorf("turned back on, ingest still sees %q", r.WebhookDisabled)
		}
	})
}
