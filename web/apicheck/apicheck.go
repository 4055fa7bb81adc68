// Package apicheck holds tests to Herald's OpenAPI document: it checks
// every request a test sends to /api/ and every answer it gets, and every
// webhook a test receiver gets, against the document the server serves, so
// the document cannot drift from the handlers unnoticed. Test code only.
package apicheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"herald/catalog"
	"herald/web"
)

// Checker validates exchanges against one OpenAPI document and counts
// them. It is safe for concurrent use.
type Checker struct {
	mu      sync.Mutex // the validator's caches are not documented as safe
	v       validator.Validator
	model   *v3.Document
	schemas schema_validation.SchemaValidator

	requests, responses, webhooks, rejected atomic.Int64
}

// New returns a Checker for doc. It fails when the validator cannot read
// the document or finds it invalid by its own check.
func New(doc []byte) (*Checker, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, err
	}
	model, err := d.BuildV3Model()
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(d,
		config.WithFormatAssertions(), // date-time, email, uri are checked, not just annotations
		// Strict: undeclared query parameters, headers and properties are
		// errors, except in the maps the document leaves open.
		config.WithStrictMode(),
		config.WithStrictIgnorePaths(
			"$.body.error.fields**",    // the paths of bad inputs
			"$.body.data.**",           // an event's data: checked per event type by the server
			"$.body.**.headers**",      // logged request and response headers
			"$.body.data[*].schema.**", // the event types' JSON Schemas
			// The document itself, served at /api/openapi.json: its
			// top-level fields are declared, their insides are checked by
			// the document check (New) instead.
			"$.body.info.**", "$.body.security[*]**", "$.body.tags[*]**",
			"$.body.paths**", "$.body.webhooks**", "$.body.components**",
		),
		config.WithStrictIgnoredHeadersExtra("X-Content-Type-Options", "Referrer-Policy", "Cache-Control"),
	)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %s", describe(verrs))
	}
	return &Checker{v: v, model: &model.Model, schemas: schema_validation.NewSchemaValidator(config.WithFormatAssertions())}, nil
}

// Shared is the Checker of the document Herald serves, built once per test
// binary (building it takes a moment).
var Shared = sync.OnceValues(func() (*Checker, error) {
	doc, err := web.OpenAPIDocument(catalog.NewBuilder("prod-acme", "", ""))
	if err != nil {
		return nil, err
	}
	return New(doc)
})

// CheckWebhook reports, as an error of the test, a webhook a test
// receiver got that does not match the document's webhooks (its headers
// and the event's payload schema).
func CheckWebhook(t testing.TB, r *http.Request, body []byte) {
	t.Helper()
	c, err := Shared()
	if err != nil {
		t.Error(err)
		return
	}
	if err := c.Webhook(r, body); err != nil {
		t.Error(err)
	}
}

// Counts says how much the checker has validated: API requests and
// responses, requests the document and the server both refused, and
// webhooks.
func (c *Checker) Counts() (requests, responses, rejected, webhooks int64) {
	return c.requests.Load(), c.responses.Load(), c.rejected.Load(), c.webhooks.Load()
}

// Exchange checks one /api/ call: req as sent, with its body reqBody
// (req.Body is not read), and the answer res with its body resBody. A
// request the document refuses must have been refused by the server too
// (4xx); every answer must be one the document describes for that
// operation and status, body and headers included. Calls outside /api/ are
// not checked.
func (c *Checker) Exchange(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) error {
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests.Add(1)
	c.responses.Add(1)
	reqOK, reqErrs := c.v.ValidateHttpRequest(withBody(req, reqBody))
	if !reqOK {
		if unknownPath(reqErrs) {
			// Not an operation of the document: the server must say so
			// (404, or 401 before it looks), in the error shape.
			if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusUnauthorized {
				return fmt.Errorf("%s %s is not in the OpenAPI document, yet the server answered %d", req.Method, req.URL.Path, res.StatusCode)
			}
			return c.schema("Error", resBody)
		}
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			return fmt.Errorf("%s %s: the OpenAPI document refuses this request, yet the server answered %d: %s", req.Method, req.URL.Path, res.StatusCode, describe(reqErrs))
		}
		c.rejected.Add(1)
	}
	copied := *res
	copied.Body = io.NopCloser(bytes.NewReader(resBody))
	if ok, errs := c.v.ValidateHttpResponse(withBody(req, reqBody), &copied); !ok {
		return fmt.Errorf("%s %s: answer %d does not match the OpenAPI document: %s\n%s", req.Method, req.URL.Path, res.StatusCode, describe(errs), resBody)
	}
	return nil
}

// Webhook checks one webhook request a test receiver got: its headers and
// body against the document's webhook for the X-Herald-Event it names.
func (c *Checker) Webhook(req *http.Request, body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.webhooks.Add(1)
	name := req.Header.Get("X-Herald-Event")
	item := c.model.Webhooks.GetOrZero(name)
	if item == nil {
		return fmt.Errorf("webhook %q is not in the OpenAPI document", name)
	}
	r := withBody(req, body)
	r.URL.RawQuery = "" // the account's URL, query string and all, is its own
	if ok, errs := c.v.ValidateHttpRequestWithPathItem(r, item, r.URL.Path); !ok {
		return fmt.Errorf("webhook %s does not match the OpenAPI document: %s\n%s", name, describe(errs), body)
	}
	return nil
}

// schema validates body against components/schemas/name.
func (c *Checker) schema(name string, body []byte) error {
	proxy := c.model.Components.Schemas.GetOrZero(name)
	if proxy == nil {
		return fmt.Errorf("no schema %s in the OpenAPI document", name)
	}
	if ok, errs := c.schemas.ValidateSchemaBytesWithVersion(proxy.Schema(), body, 3.1); !ok {
		return fmt.Errorf("not a %s: %s\n%s", name, describe(errs), body)
	}
	return nil
}

// withBody returns a copy of req whose Body reads b, so each validation
// reads the body afresh.
func withBody(req *http.Request, b []byte) *http.Request {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	return r
}

func unknownPath(errs []*verrors.ValidationError) bool {
	for _, e := range errs {
		if e.ValidationType == helpers.PathValidation && (e.ValidationSubType == helpers.ValidationMissing || e.ValidationSubType == helpers.ValidationMissingOperation) {
			return true
		}
	}
	return false
}

func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  - %s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s", f.Error())
		}
	}
	return b.String()
}
