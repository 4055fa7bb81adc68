package catalog

import "encoding/json"

// Schema returns the JSON Schema (draft 2020-12) of the event's webhook
// payload, for receivers that validate what they get.
func (e *Event) Schema() json.RawMessage {
	props := map[string]any{
		"event_type":   map[string]any{"type": "string", "const": e.Type, "description": "The event key"},
		"environment":  map[string]any{"type": "string", "description": "The namespace/environment where the event occurred"},
		"account_id":   map[string]any{"type": "integer", "description": "The ID of the organization that owns the resource"},
		"account_name": map[string]any{"type": "string", "description": "The name of the organization"},
		"timestamp":    map[string]any{"type": "string", "format": "date-time", "description": "When the event occurred: RFC 3339 in UTC, whole seconds"},
	}
	required := []string{"event_type", "environment", "account_id", "account_name", "timestamp"}
	for _, f := range e.Fields {
		p := map[string]any{"type": string(f.Kind), "description": f.Description}
		if f.Link != nil {
			p["format"] = "uri"
		}
		props[f.Name] = p
		required = append(required, f.Name)
	}
	b, err := json.Marshal(map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"title":                e.Name,
		"description":          e.Description,
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	})
	if err != nil {
		panic(err) // static data: cannot fail
	}
	return b
}
