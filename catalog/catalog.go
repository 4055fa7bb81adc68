// Package catalog describes the five platform events of the spec: their
// settings keys and wire names, their fields in payload order, examples and
// JSON Schemas, and builds their webhook payloads byte for byte.
package catalog

import (
	"iter"

	"herald"
)

// Kind is a field's JSON type.
type Kind string

// The two kinds payload fields have.
const (
	Integer Kind = "integer"
	String  Kind = "string"
)

// Field is one event-specific payload field.
type Field struct {
	Name        string
	Kind        Kind
	Description string
	// Default, when set, makes the field optional in ingested data.
	Default string
	// Link, when set, makes the field computed, not ingested: the link
	// base ("admin" or "api") and a path with {field} placeholders.
	Link *Link
	// Example is the spec example's value (int64 or string).
	Example any
}

// Link is how a computed link field is built.
type Link struct {
	Base string // "admin" or "api"
	Path string // e.g. "/runs/{run_id}/show"
}

// Event is one event type.
type Event struct {
	Key         herald.EventKey
	Type        string // the wire event_type
	Name        string
	Description string
	Fields      []Field // payload order, after the common fields
}

// DataFields yields the fields an emitter sends in data, computed links
// left out. An iterator, not a slice: ingest walks them twice a call, and
// a new slice each time was 8% of the bytes Herald allocated per event.
func (e *Event) DataFields() iter.Seq[Field] {
	return func(yield func(Field) bool) {
		for _, f := range e.Fields {
			if f.Link == nil && !yield(f) {
				return
			}
		}
	}
}

var (
	integrationID   = Field{Name: "integration_id", Kind: Integer, Example: int64(42)}
	integrationName = Field{Name: "integration_name", Kind: String, Description: "The display name of the integration", Example: "Shopify Integration"}
	tenantName      = Field{Name: "tenant_name", Kind: String, Description: "The name of the tenant", Example: "Widget Co"}
)

func with(f Field, description string) Field {
	f.Description = description
	return f
}

var events = []*Event{
	{
		Key: herald.IntegrationCreated, Type: "new_integration_created", Name: "Integration Created",
		Description: "Fired when a new integration is created on the platform",
		Fields: []Field{
			with(integrationID, "The ID of the newly created integration"),
			integrationName,
		},
	},
	{
		Key: herald.TenantCreated, Type: "new_tenant_created", Name: "Tenant Created",
		Description: "Fired when a new tenant is created for an integration",
		Fields: []Field{
			{Name: "tenant_id", Kind: Integer, Description: "The ID of the newly created tenant", Example: int64(789)},
			tenantName,
			with(integrationID, "The ID of the integration the tenant belongs to"),
			integrationName,
		},
	},
	{
		Key: herald.TenantArchived, Type: "tenant_archived", Name: "Tenant Archived",
		Description: "Fired when a tenant is archived",
		Fields: []Field{
			{Name: "tenant_id", Kind: Integer, Description: "The ID of the archived tenant", Example: int64(789)},
			tenantName,
			with(integrationID, "The ID of the integration the tenant belonged to"),
			integrationName,
		},
	},
	{
		Key: herald.PartnerIntegrationUpdated, Type: "partner_integration_updated", Name: "Partner Integration Updated",
		Description: "Fired when a partner modifies an existing integration",
		Fields: []Field{
			with(integrationID, "The ID of the updated integration"),
			integrationName,
			{Name: "partner_id", Kind: Integer, Description: "The ID of the partner organization that made the change", Example: int64(55)},
			{Name: "partner_name", Kind: String, Description: "The name of the partner organization", Example: "Partner Inc"},
		},
	},
	{
		Key: herald.RunFailed, Type: "run_failed", Name: "Run Failed",
		Description: "Fired when an integration run fails",
		Fields: []Field{
			{Name: "run_id", Kind: Integer, Description: "The ID of the failed run", Example: int64(9876)},
			{Name: "run_status", Kind: String, Description: `The status of the run (e.g. "failed")`, Default: "failed", Example: "failed"},
			{Name: "admin_link", Kind: String, Description: "Direct link to the run in the admin dashboard", Link: &Link{Base: "admin", Path: "/runs/{run_id}/show"}},
			{Name: "api_link", Kind: String, Description: "API endpoint for the run resource", Link: &Link{Base: "api", Path: "/v2/runs/{run_id}"}},
			{Name: "api_status_link", Kind: String, Description: "API endpoint for the run's status", Link: &Link{Base: "api", Path: "/v2/runs/{run_id}/status"}},
			{Name: "api_triggers_link", Kind: String, Description: "API endpoint for the run's triggers", Link: &Link{Base: "api", Path: "/v2/runs/{run_id}/triggers"}},
			{Name: "tenant_id", Kind: Integer, Description: "The ID of the tenant the run belongs to", Example: int64(789)},
			tenantName,
			with(integrationID, "The ID of the integration"),
			integrationName,
		},
	},
}

// Events returns the five events in the spec's order. The values are
// shared: callers must not modify them.
func Events() []*Event {
	return events
}

// Lookup finds an event by settings key or wire name; ingest accepts either.
func Lookup(name string) (*Event, bool) {
	for _, e := range events {
		if string(e.Key) == name || e.Type == name {
			return e, true
		}
	}
	return nil, false
}

// ByKey finds an event by settings key.
func ByKey(k herald.EventKey) *Event {
	for _, e := range events {
		if e.Key == k {
			return e
		}
	}
	return nil
}
