package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"herald/client"
)

// heraldURL is a herald serve that TestMain starts for the example; in
// real use, your Herald's address.
var heraldURL string

func ExampleClient_Emit() {
	ctx := context.Background()
	c := client.New(heraldURL, token) // token: HERALD_PLATFORM_TOKEN

	if _, _, err := c.PutAccount(ctx, 100, "Acme Corp"); err != nil {
		log.Fatal(err)
	}
	res, err := c.Emit(ctx, client.EventRequest{
		EventType:      "run_failed",
		AccountID:      100,
		IdempotencyKey: "run-9876-failed",
		Data: map[string]any{"run_id": 9876, "tenant_id": 789, "tenant_name": "Widget Co",
			"integration_id": 42, "integration_name": "Shopify Integration"},
	})
	if err != nil {
		log.Fatal(err)
	}
	var payload struct {
		EventType string `json:"event_type"`
		AdminLink string `json:"admin_link"`
	}
	json.Unmarshal(res.Payload, &payload)
	fmt.Println(res.Created, payload.EventType, payload.AdminLink)

	// The same idempotency key again: the first event, nothing new sent.
	again, _ := c.Emit(ctx, client.EventRequest{EventType: "run_failed", AccountID: 100, IdempotencyKey: "run-9876-failed",
		Data: map[string]any{"run_id": 9876, "tenant_id": 789, "tenant_name": "Widget Co",
			"integration_id": 42, "integration_name": "Shopify Integration"}})
	fmt.Println(again.Created, again.ID == res.ID)

	// Errors are *client.Error, with the bad inputs by path.
	_, err = c.Emit(ctx, client.EventRequest{EventType: "run_failed", AccountID: 100, Data: map[string]any{"run_id": "x"}})
	if e, ok := err.(*client.Error); ok {
		fmt.Println(e.StatusCode, e.Code, e.Fields["data.run_id"])
	}
	// Output:
	// true run_failed https://admin.prod-acme.pandium.com/runs/9876/show
	// false true
	// 422 invalid_input must be an integer
}
