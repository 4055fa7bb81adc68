package web_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"herald/web/apicheck"
)

// TestMain runs the tests, then says how many API exchanges and webhooks
// were checked against the OpenAPI document (see checkExchange).
func TestMain(m *testing.M) {
	code := m.Run()
	if c, err := apicheck.Shared(); err == nil {
		req, res, rejected, hooks := c.Counts()
		fmt.Printf("openapi: validated %d requests (%d refused by the document and the server alike) and %d responses; %d webhooks\n", req, rejected, res, hooks)
	}
	os.Exit(code)
}

// checkExchange checks one API call of a test against the OpenAPI
// document: every request the test client sends and every answer it gets
// go through here.
func checkExchange(t testing.TB, req *http.Request, body []byte, res *http.Response, raw []byte) {
	t.Helper()
	c, err := apicheck.Shared()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Exchange(req, body, res, raw); err != nil {
		t.Error(err)
	}
}
