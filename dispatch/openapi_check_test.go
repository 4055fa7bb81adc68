package dispatch_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"herald/web/apicheck"
)

// TestMain runs the tests, then says how many webhooks the receivers
// checked against the OpenAPI document.
func TestMain(m *testing.M) {
	code := m.Run()
	if c, err := apicheck.Shared(); err == nil {
		_, _, _, hooks := c.Counts()
		fmt.Printf("openapi: validated %d webhooks\n", hooks)
	}
	os.Exit(code)
}

// checkWebhook checks a webhook the worker sent against the OpenAPI
// document's webhooks: its headers and the event's payload schema.
func checkWebhook(t testing.TB, r *http.Request, body []byte) {
	c, err := apicheck.Shared()
	if err != nil {
		t.Error(err)
		return
	}
	if err := c.Webhook(r, body); err != nil {
		t.Error(err)
	}
}
