package web_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"herald/catalog"
	"herald/store/storetest"
	"herald/web"
	"herald/web/apicheck"
)

// TestOpenAPIDocumentPassesValidatorCheck builds the checker, which reads
// the document with libopenapi and runs the validator's own document check
// (the OpenAPI 3.1 meta-schema).
func TestOpenAPIDocumentPassesValidatorCheck(t *testing.T) {
	t.Parallel()
	if _, err := apicheck.Shared(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenAPIRoutesMatchRouteTable compares the route table of a real
// Server with the document's operations: a route missing from the
// document, or an operation no route serves, fails.
func TestOpenAPIRoutesMatchRouteTable(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.Engines()[0].URL(t))
	var routes []string
	for _, p := range b.api.Patterns() {
		method, path, ok := strings.Cut(p, " ")
		if !ok || !strings.HasPrefix(path, "/api/") {
			continue // the catch-all "/api/" and the routes outside the API
		}
		routes = append(routes, method+" "+path)
	}
	slices.Sort(routes)
	if len(routes) < 20 {
		t.Fatalf("only %d /api/ routes in the table: %v", len(routes), routes)
	}
	doc := openAPIDoc(t)
	var operations []string
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				operations = append(operations, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(operations)
	if diff := cmp.Diff(routes, operations); diff != "" {
		t.Errorf("route table (-) and OpenAPI operations (+) differ:\n%s", diff)
	}
}

type openAPI struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Webhooks   map[string]map[string]json.RawMessage `json:"webhooks"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

// openAPIDoc is the document as served, without credentials.
func openAPIDoc(t *testing.T) openAPI {
	t.Helper()
	b := setup(t, storetest.Engines()[0].URL(t))
	r := b.must(200, "GET", "/api/openapi.json", "", "")
	var doc openAPI
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		t.Fatal(err)
	}
	if r.body["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", r.body["openapi"])
	}
	return doc
}

// TestOpenAPIEventsComeFromTheCatalog checks the five payload schemas are
// the catalog's (less $schema) and each event has a webhook using it.
func TestOpenAPIEventsComeFromTheCatalog(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	for _, e := range catalog.Events() {
		var want, got map[string]any
		if err := json.Unmarshal(e.Schema(), &want); err != nil {
			t.Fatal(err)
		}
		delete(want, "$schema")
		name := web.PayloadSchemaName(e)
		if err := json.Unmarshal(doc.Components.Schemas[name], &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		delete(got, "examples")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s differs from the catalog's schema (-want +got):\n%s", name, diff)
		}
		post := doc.Webhooks[e.Type]["post"]
		if !strings.Contains(string(post), `"#/components/schemas/`+name+`"`) {
			t.Errorf("webhook %s does not carry %s: %s", e.Type, name, post)
		}
	}
	if got := slices.Sorted(maps.Keys(doc.Webhooks)); len(got) != 5 {
		t.Errorf("webhooks = %v, want the five events", got)
	}
}

// TestOpenAPIOperationIDsAreUnique: generators name methods after them.
func TestOpenAPIOperationIDsAreUnique(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	seen := map[string]string{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue // the path's parameters
			}
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", where)
			} else if other, dup := seen[op.OperationID]; dup {
				t.Errorf("operationId %s is used by %s and %s", op.OperationID, other, where)
			}
			seen[op.OperationID] = where
		}
	}
	if len(seen) < 20 {
		t.Errorf("only %d operations seen: %v", len(seen), seen)
	}
}
