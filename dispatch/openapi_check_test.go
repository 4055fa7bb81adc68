package dispatch_test

import (
	"fmt"
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
