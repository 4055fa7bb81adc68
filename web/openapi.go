package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"slices"
	"strings"

	"herald/catalog"
)

// openAPIFiles are the hand-written parts of the OpenAPI document, one file
// per area of the API: base.json (info, security, shared parameters,
// responses and the error schema) and one file each for accounts,
// settings, events, deliveries and the webhooks' headers. A new /api/
// route goes in its area's file, or in a new file here.
//
//go:embed openapi/*.json
var openAPIFiles embed.FS

// webhookTemplateKey holds, in webhooks.json, what every webhook operation
// shares (headers, responses); openAPIDocument makes one per event.
const webhookTemplateKey = "x-herald-webhook"

// PayloadSchemaName is the name under components/schemas of event e's
// webhook payload schema, e.g. "RunFailedPayload".
func PayloadSchemaName(e *catalog.Event) string {
	return strings.ReplaceAll(e.Name, " ", "") + "Payload"
}

// OpenAPIDocument returns the OpenAPI 3.1 document served at
// GET /api/openapi.json: the files of openapi/ merged, plus what the
// catalog is the one source of: the five payload schemas (with b's
// examples), the event names, and a webhook per event.
func OpenAPIDocument(b *catalog.Builder) ([]byte, error) {
	doc, err := mergeOpenAPIFiles(openAPIFiles)
	if err != nil {
		return nil, err
	}
	template, _ := doc[webhookTemplateKey].(map[string]any)
	if template == nil {
		return nil, fmt.Errorf("openapi: %s is missing", webhookTemplateKey)
	}
	delete(doc, webhookTemplateKey)
	schemas := section(section(doc, "components"), "schemas")
	webhooks := section(doc, "webhooks")
	var payloads []any
	var keys, names []string
	for _, e := range catalog.Events() {
		name := PayloadSchemaName(e)
		var schema map[string]any
		if err := json.Unmarshal(e.Schema(), &schema); err != nil {
			return nil, err
		}
		// $schema may only stand at a schema resource's root; inside the
		// document the dialect is jsonSchemaDialect's.
		delete(schema, "$schema")
		var example any
		if err := json.Unmarshal(b.Example(e), &example); err != nil {
			return nil, err
		}
		schema["examples"] = []any{example}
		schemas[name] = schema
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		payloads = append(payloads, ref)
		keys = append(keys, string(e.Key))
		names = append(names, string(e.Key))
		if e.Type != string(e.Key) {
			names = append(names, e.Type)
		}
		op := maps.Clone(template)
		op["operationId"] = "webhook_" + string(e.Key)
		op["summary"] = e.Name
		op["description"] = e.Description + "\n\n" + template["description"].(string)
		op["requestBody"] = map[string]any{
			"required": true,
			"content":  map[string]any{"application/json": map[string]any{"schema": ref}},
		}
		webhooks[e.Type] = map[string]any{"post": op}
	}
	schemas["EventPayload"] = map[string]any{
		"description": "A webhook payload: one of the five events, told apart by event_type; or, for Herald's own notices to the primary contact (emailed, never sent as webhooks), a NoticePayload.",
		"oneOf":       append(payloads, map[string]any{"$ref": "#/components/schemas/NoticePayload"}),
	}
	schemas["EventKey"] = map[string]any{
		"type": "string", "enum": keys,
		"description": "An event's settings key.",
	}
	schemas["EventTypeName"] = map[string]any{
		"type": "string", "enum": names,
		"description": "An event's settings key or its wire name; either is accepted.",
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return []byte(buf.String()), nil
}

// mergeOpenAPIFiles merges every *.json of fsys, in name order: paths,
// webhooks and each components section by name, tags appended, any other
// top-level key from one file only. A name defined twice is an error, so
// two areas cannot silently replace each other's entries.
func mergeOpenAPIFiles(fsys fs.FS) (map[string]any, error) {
	files, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	doc := map[string]any{}
	for _, name := range files {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, key := range slices.Sorted(maps.Keys(part)) {
			v := part[key]
			switch key {
			case "paths", "webhooks":
				if err := mergeNames(section(doc, key), v, name+": "+key); err != nil {
					return nil, err
				}
			case "components":
				sections, _ := v.(map[string]any)
				for sec, entries := range sections {
					if err := mergeNames(section(section(doc, key), sec), entries, name+": components."+sec); err != nil {
						return nil, err
					}
				}
			case "tags":
				tags, _ := doc[key].([]any)
				more, _ := v.([]any)
				doc[key] = append(tags, more...)
			default:
				if _, dup := doc[key]; dup {
					return nil, fmt.Errorf("%s: %s is set in another file too", name, key)
				}
				doc[key] = v
			}
		}
	}
	return doc, nil
}

func mergeNames(into map[string]any, from any, where string) error {
	entries, ok := from.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: must be an object", where)
	}
	for k, v := range entries {
		if _, dup := into[k]; dup {
			return fmt.Errorf("%s: %s is defined in another file too", where, k)
		}
		into[k] = v
	}
	return nil
}

// section returns m[key] as an object, creating it when absent.
func section(m map[string]any, key string) map[string]any {
	s, ok := m[key].(map[string]any)
	if !ok {
		s = map[string]any{}
		m[key] = s
	}
	return s
}

func (s *Server) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openAPI)
	return nil
}
