package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"herald/client"
)

func TestWebhookStatusAndReplay(t *testing.T) {
	eachEngine(t, func(t *testing.T, base string) {
		ctx := context.Background()
		c := client.New(base, token, client.WithHTTPClient(checked(t)))
		if _, _, err := c.PutAccount(ctx, 100, "Acme Corp"); err != nil {
			t.Fatal(err)
		}
		// A receiver that answers 410 Gone disables the webhook at once.
		gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
		t.Cleanup(gone.Close)
		if _, err := c.PutNotifications(ctx, 100, client.Settings{WebhookURL: gone.URL, Events: map[string]client.EventSettings{"run_failed": {SendWebhook: true}}}); err != nil {
			t.Fatal(err)
		}
		if s, err := c.GetWebhookStatus(ctx, 100); err != nil || s.State != "healthy" {
			t.Fatalf("GetWebhookStatus = %+v, %v; want healthy", s, err)
		}
		since := time.Now().Add(-time.Minute)
		if _, err := c.Emit(ctx, client.EventRequest{EventType: "run_failed", AccountID: 100, Data: json.RawMessage(runFailedData)}); err != nil {
			t.Fatal(err)
		}
		var s client.WebhookStatus
		var err error
		for deadline := time.Now().Add(30 * time.Second); s.State != "disabled" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if s, err = c.GetWebhookStatus(ctx, 100); err != nil {
				t.Fatal(err)
			}
		}
		if s.State != "disabled" || s.DisabledAt == nil {
			t.Fatalf("status = %+v, want disabled", s)
		}
		_, err = c.Replay(ctx, 100, client.ReplayRequest{Since: since})
		apiError(t, err, 422, "invalid_input")
		if s, err = c.EnableWebhook(ctx, 100); err != nil || s.State == "disabled" {
			t.Fatalf("EnableWebhook = %+v, %v", s, err)
		}
		r, err := c.Replay(ctx, 100, client.ReplayRequest{Since: since})
		if err != nil || r.Replayed != 1 || r.Remaining != 0 {
			t.Fatalf("Replay = %+v, %v; want the one failed webhook", r, err)
		}
	})
}
