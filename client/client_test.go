package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"herald/client"
	"herald/store/storetest"
)

const runFailedData = `{"run_id": 9876, "run_status": "failed", "tenant_id": 789, "tenant_name": "Widget Co",
	"integration_id": 42, "integration_name": "Shopify Integration"}`

// eachEngine runs fn against a fresh herald serve on every engine.
func eachEngine(t *testing.T, fn func(t *testing.T, base string)) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			url := e.URL(t)
			if e.Name == "sqlite" {
				url = "sqlite:" + filepath.Join(t.TempDir(), "herald.db")
			}
			fn(t, serve(t, url))
		})
	}
}

func apiError(t *testing.T, err error, status int, code string) *client.Error {
	t.Helper()
	e, ok := errors.AsType[*client.Error](err)
	if !ok || e.StatusCode != status || e.Code != code {
		t.Fatalf("error = %v, want %d %s", err, status, code)
	}
	return e
}

func TestAccountsCompanySettingsKeysAndLinks(t *testing.T) {
	eachEngine(t, func(t *testing.T, base string) {
		ctx := context.Background()
		c := client.New(base, token, client.WithHTTPClient(checked(t)))
		a, created, err := c.PutAccount(ctx, 100, "Acme")
		if err != nil || !created || a.ID != 100 {
			t.Fatalf("PutAccount = %+v, %t, %v; want account 100 created", a, created, err)
		}
		if a, created, err = c.PutAccount(ctx, 100, "Acme Corp"); err != nil || created || a.Name != "Acme Corp" {
			t.Fatalf("rename = %+v, %t, %v", a, created, err)
		}
		if got, err := c.GetAccount(ctx, 100); err != nil || got.Name != "Acme Corp" {
			t.Fatalf("GetAccount = %+v, %v", got, err)
		}
		if _, err := c.GetAccount(ctx, 999); !client.IsNotFound(err) {
			t.Fatalf("GetAccount(999) error = %v, want 404", err)
		}
		_, _, err = c.PutAccount(ctx, 101, "  ")
		if e := apiError(t, err, 422, "invalid_input"); e.Fields["name"] == "" {
			t.Errorf("fields = %v, want name named", e.Fields)
		}

		co := client.Company{PrimaryContact: &client.Contact{Name: "Ann Lee", Email: "ann@acme.test"}}
		if got, err := c.PutCompany(ctx, 100, co); err != nil || !cmp.Equal(got, co) {
			t.Fatalf("PutCompany = %+v, %v", got, err)
		}
		if got, err := c.GetCompany(ctx, 100); err != nil || !cmp.Equal(got, co) {
			t.Fatalf("GetCompany = %+v, %v", got, err)
		}

		s := client.Settings{WebhookURL: "https://hooks.acme.test/in?token=s3cret", Events: map[string]client.EventSettings{
			"run_failed": {SendWebhook: true, EmailSubscribers: []string{"oncall@acme.test"}},
		}}
		saved, err := c.PutNotifications(ctx, 100, s)
		if err != nil || len(saved.Events) != 5 || !saved.Events["run_failed"].SendWebhook {
			t.Fatalf("PutNotifications = %+v, %v", saved, err)
		}
		if got, err := c.GetNotifications(ctx, 100); err != nil || !cmp.Equal(got, saved) {
			t.Fatalf("GetNotifications = %+v, %v; want %+v", got, err, saved)
		}
		_, err = c.PutNotifications(ctx, 100, client.Settings{WebhookURL: "ftp://x", Events: map[string]client.EventSettings{}})
		apiError(t, err, 422, "invalid_input")

		key, err := c.CreateAPIKey(ctx, 100, "ci")
		if err != nil || !strings.HasPrefix(key.Key, "hk_") {
			t.Fatalf("CreateAPIKey = %+v, %v", key, err)
		}
		if keys, err := c.ListAPIKeys(ctx, 100); err != nil || len(keys) != 1 || keys[0].ID != key.ID {
			t.Fatalf("ListAPIKeys = %+v, %v", keys, err)
		}
		byKey := client.New(base, key.Key, client.WithHTTPClient(checked(t)))
		if got, err := byKey.GetAccount(ctx, 100); err != nil || got.ID != 100 {
			t.Fatalf("GetAccount with the key = %+v, %v", got, err)
		}
		_, _, err = byKey.PutAccount(ctx, 100, "Mine")
		apiError(t, err, 403, "forbidden")
		if err := c.DeleteAPIKey(ctx, 100, key.ID); err != nil {
			t.Fatal(err)
		}
		_, err = byKey.GetAccount(ctx, 100)
		apiError(t, err, 401, "unauthorized")

		link, err := c.CreatePortalLink(ctx, 100, client.PortalLinkRequest{Role: "viewer", TTLSeconds: 120})
		if err != nil || !strings.HasPrefix(link.URL, base+"/portal/") || link.Role != "viewer" {
			t.Fatalf("CreatePortalLink = %+v, %v (base %s)", link, err, base)
		}

		sg, err := c.SetSigning(ctx, 100, "hmac-sha256", nil)
		if err != nil || !strings.HasPrefix(sg.Secret, "whsec_") || len(sg.Keys) != 1 {
			t.Fatalf("SetSigning = %+v, %v", sg, err)
		}
		if secret, err := c.SigningSecret(ctx, 100); err != nil || secret != sg.Secret {
			t.Fatalf("SigningSecret = %q, %v; want %q", secret, err, sg.Secret)
		}
		overlap := time.Hour
		if sg, err = c.RotateSigning(ctx, 100, &overlap); err != nil || len(sg.Keys) != 2 {
			t.Fatalf("RotateSigning = %+v, %v", sg, err)
		}
		if got, err := c.GetSigning(ctx, 100); err != nil || got.Scheme != "hmac-sha256" || len(got.Keys) != 2 || got.Secret != "" {
			t.Fatalf("GetSigning = %+v, %v", got, err)
		}
	})
}

func TestEventsDeliveriesAndOutbox(t *testing.T) {
	eachEngine(t, func(t *testing.T, base string) {
		ctx := context.Background()
		c := client.New(base, token, client.WithHTTPClient(checked(t)))
		hook := newReceiver(t)
		if _, _, err := c.PutAccount(ctx, 100, "Acme Corp"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutCompany(ctx, 100, client.Company{PrimaryContact: &client.Contact{Name: "Ann", Email: "ann@acme.test"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutNotifications(ctx, 100, client.Settings{WebhookURL: hook.URL + "/in", Events: map[string]client.EventSettings{
			"run_failed": {SendWebhook: true}, "tenant_created": {SendWebhook: true},
		}}); err != nil {
			t.Fatal(err)
		}
		types, err := c.EventTypes(ctx)
		if err != nil || len(types) != 5 {
			t.Fatalf("EventTypes = %d types, %v", len(types), err)
		}

		req := client.EventRequest{EventType: "run_failed", AccountID: 100, IdempotencyKey: "run-9876-failed",
			OccurredAt: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC), Data: json.RawMessage(runFailedData)}
		first, err := c.Emit(ctx, req)
		if err != nil || !first.Created || first.EventType != "run_failed" || len(first.Deliveries) != 2 {
			t.Fatalf("Emit = %+v, %v; want created with a webhook and an email", first, err)
		}
		again, err := c.Emit(ctx, req)
		if err != nil || again.Created || again.ID != first.ID || !json.Valid(again.Raw) {
			t.Fatalf("Emit again = %+v, %v; want the first event, not created", again, err)
		}
		req.Data = json.RawMessage(strings.Replace(runFailedData, "9876", "9877", 1))
		_, err = c.Emit(ctx, req)
		apiError(t, err, 409, "conflict")
		_, err = c.Emit(ctx, client.EventRequest{EventType: "run_failed", AccountID: 100, Data: map[string]any{"run_id": "x"}})
		if e := apiError(t, err, 422, "invalid_input"); e.Fields["data.run_id"] == "" {
			t.Errorf("fields = %v, want data.run_id named", e.Fields)
		}
		auto, err := c.Emit(ctx, client.EventRequest{EventType: "new_tenant_created", AccountID: 100,
			Data: map[string]any{"tenant_id": 1, "tenant_name": "T", "integration_id": 2, "integration_name": "I"}})
		if err != nil || !auto.Created || auto.IdempotencyKey == nil || !strings.HasPrefix(*auto.IdempotencyKey, "auto-") {
			t.Fatalf("Emit without a key = %+v, %v; want one generated", auto, err)
		}

		if ev, err := c.GetEvent(ctx, first.ID); err != nil || string(ev.Payload) != string(first.Payload) {
			t.Fatalf("GetEvent = %+v, %v", ev, err)
		}
		var ids []string
		for ev, err := range c.AllEvents(ctx, 100, client.ListOptions{Limit: 1}) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ev.ID)
		}
		if want := []string{auto.ID, first.ID}; !cmp.Equal(ids, want) {
			t.Errorf("AllEvents = %v, want %v", ids, want)
		}

		// Both webhooks arrive; the log then lists them, paged.
		deadline := time.Now().Add(30 * time.Second)
		for hook.count() < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		var hooks []client.Delivery
		for d, err := range c.AllDeliveries(ctx, 100, client.DeliveryFilter{Channel: "webhook", ListOptions: client.ListOptions{Limit: 1}}) {
			if err != nil {
				t.Fatal(err)
			}
			hooks = append(hooks, d)
		}
		if len(hooks) != 2 {
			t.Fatalf("webhook deliveries = %+v, want 2", hooks)
		}
		_, err = c.ListDeliveries(ctx, 100, client.DeliveryFilter{Channel: "pigeon"})
		apiError(t, err, 422, "invalid_input")

		d := hooks[1] // the run_failed webhook, the older
		for d.Status == "pending" && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			p, err := c.ListDeliveries(ctx, 100, client.DeliveryFilter{Channel: "webhook", EventType: "run_failed"})
			if err != nil {
				t.Fatal(err)
			}
			d = p.Data[0]
		}
		detail, err := c.GetDelivery(ctx, d.ID)
		if err != nil || detail.Status != "succeeded" || len(detail.Attempts) != 1 || detail.Attempts[0].Response.Status != 200 {
			t.Fatalf("GetDelivery = %+v, %v", detail, err)
		}
		re, err := c.Redeliver(ctx, d.ID)
		if err != nil || re.ID != d.ID || re.Status != "pending" {
			t.Fatalf("Redeliver = %+v, %v", re, err)
		}
		test, err := c.SendTest(ctx, 100, "tenant_archived")
		if err != nil || !test.Test || test.Status != "succeeded" {
			t.Fatalf("SendTest = %+v, %v", test, err)
		}

		var outbox client.Page[client.OutboxItem]
		for len(outbox.Data) < 2 && time.Now().Before(deadline) {
			if outbox, err = c.ListOutbox(ctx, 100, client.ListOptions{}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(outbox.Data) < 2 {
			t.Fatalf("outbox = %+v, want the primary contact's two emails", outbox)
		}
		msg, err := c.GetOutboxMessage(ctx, outbox.Data[0].ID)
		if err != nil || msg.Recipient != "ann@acme.test" || !strings.Contains(msg.Message, "Subject:") {
			t.Fatalf("GetOutboxMessage = %+v, %v", msg, err)
		}
	})
}
